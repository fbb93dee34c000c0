"""A small ESC/POS decoder for the tests: walks the byte stream like a printer would.

Independent of python-escpos on purpose: it has its own code page table and resets to
CP437 on ESC @ like a real printer, so a stale code page shows up as wrong text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ESC, GS, FS, DLE, LF = 0x1B, 0x1D, 0x1C, 0x10, 0x0A

#: ESC t n -> Python codec, for the pages a Spanish ticket may use.
CODE_PAGES = {0: "cp437", 2: "cp850", 16: "cp1252", 19: "cp858", 40: "iso8859_15"}


class DecodeError(Exception):
    """The stream has a command this decoder does not know: the test must look."""


@dataclass
class Line:
    text: str
    width: int = 1
    height: int = 1
    bold: bool = False
    align: int = 0  # 0 left, 1 center, 2 right


@dataclass
class Receipt:
    lines: list[Line] = field(default_factory=list)
    qr_codes: list[str] = field(default_factory=list)
    images: int = 0
    cuts: int = 0
    resets: int = 0
    code_pages: list[int] = field(default_factory=list)
    kanji_off: int = 0
    status_queries: list[int] = field(default_factory=list)

    @property
    def texts(self) -> list[str]:
        return [line.text for line in self.lines]

    @property
    def text(self) -> str:
        """The words on the paper, a line each."""
        return "\n".join(self.texts)


def decode(data: bytes) -> Receipt:
    """Decode a whole stream; text is decoded with the code page selected at that point."""
    return _Decoder(data).run()


#: ESC commands with one parameter byte this decoder skips (feed, underline, font, ...).
ESC_SKIPPED = {ord(c): 3 for c in "d-MG{3"} | {ord("2"): 2}
#: GS commands with one parameter byte it skips (barcode settings).
GS_SKIPPED = {ord(c): 3 for c in "Bb|"}


class _Decoder:
    """The printer's state while it walks ``data``; each command method returns its length."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.out = Receipt()
        self.page = 0
        self.width = self.height = 1
        self.bold = False
        self.align = 0
        self.pending = bytearray()
        self.line_style: tuple[int, int, bool, int] | None = None
        self.i = 0

    def run(self) -> Receipt:
        commands = {LF: self._line_feed, ESC: self._esc, GS: self._gs, FS: self._fs, DLE: self._dle}
        while self.i < len(self.data):
            byte = self.data[self.i]
            self.i += commands.get(byte, self._text)()
        if self.pending:
            self._flush_line()
        return self.out

    def _need(self, n: int) -> bytes:
        if self.i + n > len(self.data):
            raise DecodeError(
                f"truncated command at offset {self.i}: {self.data[self.i : self.i + n]!r}"
            )
        return self.data[self.i : self.i + n]

    def _flush_line(self) -> None:
        style = self.line_style or (self.width, self.height, self.bold, self.align)
        self.out.lines.append(Line(self.pending.decode(CODE_PAGES[self.page]), *style))
        self.pending = bytearray()
        self.line_style = None

    def _line_feed(self) -> int:
        self._flush_line()
        return 1

    def _text(self) -> int:
        byte = self.data[self.i]
        if byte < 0x20 and byte not in (0x09, 0x0D):
            raise DecodeError(f"unexpected control byte 0x{byte:02x} at offset {self.i}")
        if self.line_style is None:
            self.line_style = (self.width, self.height, self.bold, self.align)
        self.pending.append(byte)
        return 1

    def _esc(self) -> int:
        cmd = self._need(2)[1]
        if cmd == ord("@"):
            self.page, self.width, self.height, self.bold, self.align = 0, 1, 1, False, 0
            self.out.resets += 1
            return 2
        if cmd == ord("t"):
            self.page = self._need(3)[2]
            if self.page not in CODE_PAGES:
                raise DecodeError(f"unknown code page {self.page}")
            self.out.code_pages.append(self.page)
        elif cmd == ord("!"):
            mode = self._need(3)[2]
            self.width = 2 if mode & 0x20 else 1
            self.height = 2 if mode & 0x10 else 1
            self.bold = bool(mode & 0x08)
        elif cmd == ord("E"):
            self.bold = bool(self._need(3)[2] & 1)
        elif cmd == ord("a"):
            self.align = self._need(3)[2] % 48
        elif cmd in ESC_SKIPPED:
            return ESC_SKIPPED[cmd]
        else:
            raise DecodeError(f"unknown command ESC {chr(cmd)!r} at offset {self.i}")
        return 3

    def _gs(self) -> int:
        cmd = self._need(2)[1]
        if cmd == ord("!"):
            size = self._need(3)[2]
            self.width, self.height = (size >> 4) + 1, (size & 0x0F) + 1
            return 3
        if cmd == ord("(") and self._need(3)[2] == ord("k"):
            return self._qr_code()
        if cmd == ord("V"):
            self.out.cuts += 1
            return 4 if self._need(3)[2] in (65, 66) else 3
        if cmd == ord("v") and self._need(3)[2] == ord("0"):
            head = self._need(8)
            self.out.images += 1
            return 8 + (head[4] + head[5] * 256) * (head[6] + head[7] * 256)
        if cmd in GS_SKIPPED:
            return GS_SKIPPED[cmd]
        raise DecodeError(f"unknown command GS {chr(cmd)!r} at offset {self.i}")

    def _qr_code(self) -> int:
        head = self._need(5)
        length = head[3] + head[4] * 256
        body = self._need(5 + length)[5:]
        if body[0] == ord("1") and body[1] == 80:  # store the QR data: m=48 then the payload
            self.out.qr_codes.append(body[3:].decode("utf-8"))
        return 5 + length

    def _fs(self) -> int:
        cmd = self._need(2)[1]
        if cmd != ord("."):
            raise DecodeError(f"unknown command FS {chr(cmd)!r} at offset {self.i}")
        self.out.kanji_off += 1
        return 2

    def _dle(self) -> int:
        head = self._need(3)
        if head[1] != 0x04:
            raise DecodeError(f"unknown DLE command at offset {self.i}")
        self.out.status_queries.append(head[2])
        return 3
