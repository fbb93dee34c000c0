"""What goes on a ticket, and where: one layout for the paper and for the screen.

The layout is a list of blocks built from an already localized :class:`TicketView`. The
ESC/POS printer turns the blocks into commands (drivers.printer); :func:`render_text` turns the
very same blocks into text lines for the virtual printer on the demo screen.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass

#: Characters the test page shows, so a technician sees at once if the code page is right.
SPANISH_SAMPLE = "á é í ó ú ñ ü ¿ ¡ Á É Í Ó Ú Ñ Ü €"
#: ESC/POS text can be scaled 1..8 times in each direction.
MAX_SCALE = 8


@dataclass(frozen=True)
class TicketView:
    """Everything printed on a ticket, already localized and formatted by the app."""

    office: str
    service: str
    number: str
    issued_at: str
    ahead_line: str
    wait_line: str
    footer: str
    url: str
    language: str = "es"


@dataclass(frozen=True)
class Text:
    """A paragraph; ``big`` prints it as large as the paper width allows (the ticket number)."""

    text: str
    align: str = "center"
    bold: bool = False
    big: bool = False


@dataclass(frozen=True)
class Rule:
    """A dashed line across the paper."""


@dataclass(frozen=True)
class Qr:
    """A QR code of ``data`` (the status-page URL)."""

    data: str


@dataclass(frozen=True)
class Cut:
    """Feed the paper past the cutter and cut."""


Block = Text | Rule | Qr | Cut


def ticket_layout(view: TicketView) -> list[Block]:
    """The blocks of one ticket, top to bottom; empty lines of the view are left out."""
    if not view.number.strip():
        raise ValueError("TicketView.number is empty: the app must give the ticket number")
    blocks: list[Block] = [
        Text(view.office, bold=True),
        Text(view.service),
        Rule(),
        Text(view.number.strip(), bold=True, big=True),
        Rule(),
        Text(view.ahead_line),
        Text(view.wait_line),
        Text(view.issued_at),
        Qr(view.url),
        Text(view.footer),
        Cut(),
    ]
    return [b for b in blocks if not (isinstance(b, Text | Qr) and not _content(b).strip())]


def test_page_layout(charset: str, code_page: str) -> list[Block]:
    """A technician's test page: accents, the code page table, a big number, a QR, a cut."""
    blocks: list[Block] = [
        Text("TURNERO - TEST PAGE", bold=True),
        Rule(),
        Text(f"Code page: {code_page}", align="left"),
        Text(SPANISH_SAMPLE, align="left"),
        Text("Señal, trámite, ¿Cuántos? ¡Atención!", align="left"),
        Rule(),
    ]
    for high in range(0x8, 0x10):
        chars = []
        for low in range(16):
            try:
                char = bytes([high * 16 + low]).decode(charset)
            except UnicodeDecodeError:
                char = " "
            chars.append(char if char.isprintable() else " ")
        blocks.append(Text(f"{high:X}x {''.join(chars)}", align="left"))
    blocks += [Rule(), Text("A123", bold=True, big=True), Qr("https://turnero.example/test"), Cut()]
    return blocks


def _content(block: Text | Qr) -> str:
    return block.text if isinstance(block, Text) else block.data


def big_scale(text: str, columns: int) -> int:
    """How many times to enlarge ``text`` so it still fits ``columns`` normal characters."""
    return max(1, min(MAX_SCALE, columns // max(1, len(text))))


def wrap(text: str, columns: int) -> list[str]:
    """Split a paragraph into lines of at most ``columns`` characters."""
    return textwrap.wrap(text, columns, break_long_words=True) or [""]


def render_text(blocks: list[Block], columns: int = 42) -> list[str]:
    """The blocks as plain text lines, as the virtual printer shows them on screen."""
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Text):
            if block.big:
                # The screen draws it big itself; keep the text as is, spaced to stand out.
                lines.append(" ".join(block.text).center(columns).rstrip())
                continue
            for line in wrap(block.text, columns):
                lines.append(_align(line, block.align, columns))
        elif isinstance(block, Rule):
            lines.append("-" * columns)
        elif isinstance(block, Qr):
            lines.extend(qr_text(block.data, columns))
        elif isinstance(block, Cut):
            lines.append("✂" + "-" * (columns - 1))
    return lines


def qr_text(data: str, columns: int) -> list[str]:
    """A scannable QR code drawn with half blocks, or the bare URL when it would not fit."""
    import qrcode  # a python-escpos dependency; imported late as only the screen needs it

    code = qrcode.QRCode(border=1, error_correction=qrcode.constants.ERROR_CORRECT_L)
    code.add_data(data)
    code.make(fit=True)
    out = io.StringIO()
    code.print_ascii(out=out, invert=True)
    drawn = out.getvalue().rstrip("\n").split("\n")
    if max(len(line) for line in drawn) > columns:
        return [_align(line, "center", columns) for line in wrap(data, columns)]
    return [line.center(columns).rstrip() for line in drawn]


def _align(line: str, align: str, columns: int) -> str:
    if align == "center":
        return line.center(columns).rstrip()
    if align == "right":
        return line.rjust(columns)
    return line


test_page_layout.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
