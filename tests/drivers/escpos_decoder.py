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
    out = Receipt()
    page = 0
    width = height = 1
    bold = False
    align = 0
    pending = bytearray()
    line_style: tuple[int, int, bool, int] | None = None
    i = 0

    def flush_line() -> None:
        nonlocal pending, line_style
        style = line_style or (width, height, bold, align)
        out.lines.append(Line(pending.decode(CODE_PAGES[page]), *style))
        pending = bytearray()
        line_style = None

    def need(n: int) -> bytes:
        if i + n > len(data):
            raise DecodeError(f"truncated command at offset {i}: {data[i : i + n]!r}")
        return data[i : i + n]

    while i < len(data):
        b = data[i]
        if b == LF:
            flush_line()
            i += 1
        elif b == ESC:
            cmd = need(2)[1]
            if cmd == ord("@"):
                page, width, height, bold, align = 0, 1, 1, False, 0
                out.resets += 1
                i += 2
            elif cmd == ord("t"):
                page = need(3)[2]
                if page not in CODE_PAGES:
                    raise DecodeError(f"unknown code page {page}")
                out.code_pages.append(page)
                i += 3
            elif cmd == ord("!"):
                mode = need(3)[2]
                width = 2 if mode & 0x20 else 1
                height = 2 if mode & 0x10 else 1
                bold = bool(mode & 0x08)
                i += 3
            elif cmd == ord("E"):
                bold = bool(need(3)[2] & 1)
                i += 3
            elif cmd == ord("a"):
                align = need(3)[2] % 48
                i += 3
            elif cmd in (ord("d"), ord("-"), ord("M"), ord("G"), ord("{"), ord("3")):
                i += 3
            elif cmd == ord("2"):
                i += 2
            else:
                raise DecodeError(f"unknown command ESC {chr(cmd)!r} at offset {i}")
        elif b == GS:
            cmd = need(2)[1]
            if cmd == ord("!"):
                size = need(3)[2]
                width, height = (size >> 4) + 1, (size & 0x0F) + 1
                i += 3
            elif cmd == ord("(") and need(3)[2] == ord("k"):
                head = need(5)
                length = head[3] + head[4] * 256
                body = need(5 + length)[5:]
                cn, fn = body[0], body[1]
                if cn == ord("1") and fn == 80:  # store the QR data: m=48 then the payload
                    out.qr_codes.append(body[3:].decode("utf-8"))
                i += 5 + length
            elif cmd == ord("V"):
                mode = need(3)[2]
                i += 4 if mode in (65, 66) else 3
                out.cuts += 1
            elif cmd == ord("v") and need(3)[2] == ord("0"):
                head = need(8)
                x = head[4] + head[5] * 256
                y = head[6] + head[7] * 256
                i += 8 + x * y
                out.images += 1
            elif cmd in (ord("B"), ord("b"), ord("|")):
                i += 3
            else:
                raise DecodeError(f"unknown command GS {chr(cmd)!r} at offset {i}")
        elif b == FS:
            cmd = need(2)[1]
            if cmd == ord("."):
                out.kanji_off += 1
                i += 2
            else:
                raise DecodeError(f"unknown command FS {chr(cmd)!r} at offset {i}")
        elif b == DLE:
            head = need(3)
            if head[1] != 0x04:
                raise DecodeError(f"unknown DLE command at offset {i}")
            out.status_queries.append(head[2])
            i += 3
        elif b < 0x20 and b not in (0x09, 0x0D):
            raise DecodeError(f"unexpected control byte 0x{b:02x} at offset {i}")
        else:
            if line_style is None:
                line_style = (width, height, bold, align)
            pending.append(b)
            i += 1
    if pending:
        flush_line()
    return out
