"""``turnero poster``: an A4 poster for the entrance with the QR code of the branch's public
page (``{public_url}/b/{branch}``), as SVG or PDF, both written here without a PDF library.

The layout is computed once (lines of text and the QR's modules, in millimetres) and drawn by
two small writers; PDF text is set in the standard Helvetica fonts every reader has.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Annotated

import typer

A4 = (210.0, 297.0)
"""Width and height in millimetres."""
MARGIN = 15.0
QR_SIDE = 140.0
"""The code's side in millimetres: a phone reads it from two or three metres."""
PT_PER_MM = 72 / 25.4

WORDS = [
    ("Siga su turno desde el teléfono", 11.0, True),
    ("Follow your turn on your phone", 9.0, False),
]
SCAN = [
    ("Escanee el código con la cámara del teléfono", 6.0, False),
    ("Scan the code with your phone's camera", 6.0, False),
]

# Advance widths of Helvetica (regular, bold) per 1000 units of the font size, for centring
# and fitting text in the PDF; letters with accents take their base letter's width.
_NARROW = {" ": 278, ".": 278, ",": 278, ":": 278, "/": 278, "'": 191, "-": 333, "i": 222}
_WIDTHS = {
    False: dict.fromkeys("abdeghnopqu0123456789", 556)
    | dict.fromkeys("ckrsvxyz", 500)
    | {"f": 278, "t": 278, "j": 222, "l": 222, "m": 833, "w": 722, "r": 333}
    | _NARROW,
    True: dict.fromkeys("abcdeghknopqsuvxy0123456789", 556)
    | dict.fromkeys("bdghnopqu", 611)
    | {"f": 333, "t": 333, "i": 278, "j": 278, "l": 278, "m": 889, "w": 778, "r": 389, "z": 500}
    | {**_NARROW, "i": 278, ":": 333, "'": 238},
}
_CAPITALS = dict.fromkeys("ABCDHKNRUVXY", 722) | dict.fromkeys("EPSFTZ", 667)
_CAPITALS |= {"G": 778, "O": 778, "Q": 778, "M": 833, "W": 944, "I": 278, "J": 556, "L": 611}
_BASE = str.maketrans("áéíóúüñÁÉÍÓÚÜÑ", "aeiouunAEIOUUN")


def text_width(text: str, size: float, bold: bool) -> float:
    """The width of ``text`` at ``size`` (same unit) in Helvetica or Helvetica-Bold."""
    widths = _WIDTHS[bold]
    return sum(_CAPITALS.get(ch, widths.get(ch, 556)) for ch in text.translate(_BASE)) * size / 1000


@dataclass(frozen=True)
class Line:
    """One centred line: its text, size (mm), weight, and baseline from the top (mm)."""

    text: str
    size: float
    bold: bool
    baseline: float


@dataclass(frozen=True)
class Poster:
    """What the poster shows, laid out in millimetres from the top left."""

    url: str
    lines: list[Line]
    modules: list[list[bool]]
    qr_x: float
    qr_y: float
    module: float


def qr_modules(url: str) -> list[list[bool]]:
    """The QR code of ``url`` as rows of dark (True) modules, without the quiet zone."""
    import qrcode

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(url)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


def _fitted(text: str, size: float, bold: bool) -> float:
    """``size``, made smaller until ``text`` fits between the margins."""
    room = A4[0] - 2 * MARGIN
    return min(size, size * room / max(text_width(text, size, bold), 0.001))


def layout(branch_name: str, url: str) -> Poster:
    """The poster of one branch whose public page is ``url``."""
    lines: list[Line] = []
    y = MARGIN + 12.0
    for text, size, bold in [(branch_name, 16.0, True), *WORDS]:
        fitted = _fitted(text, size, bold)
        lines.append(Line(text, fitted, bold, y))
        y += fitted * 1.6
    modules = qr_modules(url)
    module = QR_SIDE / len(modules)
    qr_x, qr_y = (A4[0] - QR_SIDE) / 2, y + 2.0
    y = qr_y + QR_SIDE + 14.0
    for text, size, bold in [(url, 7.0, True), *SCAN]:
        fitted = _fitted(text, size, bold)
        lines.append(Line(text, fitted, bold, y))
        y += fitted * 1.7
    return Poster(url, lines, modules, qr_x, qr_y, module)


def _runs(modules: list[list[bool]]) -> list[tuple[int, int, int]]:
    """Dark modules as horizontal runs: (column, row, length)."""
    runs = []
    for row, cells in enumerate(modules):
        column = 0
        while column < len(cells):
            if cells[column]:
                start = column
                while column < len(cells) and cells[column]:
                    column += 1
                runs.append((start, row, column - start))
            else:
                column += 1
    return runs


def to_svg(poster: Poster) -> str:
    """The poster as an SVG document of A4 size (1 unit = 1 mm)."""
    width, height = A4
    texts = "".join(
        f'<text x="{width / 2:.2f}" y="{line.baseline:.2f}" font-size="{line.size:.2f}"'
        f' font-weight="{"bold" if line.bold else "normal"}">{escape(line.text)}</text>'
        for line in poster.lines
    )
    path = "".join(f"M{x} {y}h{n}v1h-{n}z" for x, y, n in _runs(poster.modules))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:g}mm" height="{height:g}mm"'
        f' viewBox="0 0 {width:g} {height:g}" role="img">'
        f"<title>{escape(poster.lines[0].text)}: {escape(poster.url)}</title>"
        f'<rect width="{width:g}" height="{height:g}" fill="#fff"/>'
        '<g fill="#000" text-anchor="middle" font-family="Helvetica, Arial, sans-serif">'
        f"{texts}</g>"
        f'<g id="qr" transform="translate({poster.qr_x:.3f} {poster.qr_y:.3f})'
        f' scale({poster.module:.5f})"><path fill="#000" d="{path}"/></g></svg>\n'
    )


def _pdf_text(text: str) -> str:
    """A PDF string literal in WinAnsiEncoding (Spanish letters included)."""
    raw = text.encode("cp1252", errors="replace").decode("latin-1")
    return "(" + raw.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def to_pdf(poster: Poster) -> bytes:
    """The poster as a one-page A4 PDF: vector text in Helvetica and the QR as rectangles."""
    width, height = (side * PT_PER_MM for side in A4)
    ops = [f"1 1 1 rg 0 0 {width:.2f} {height:.2f} re f 0 0 0 rg"]
    for line in poster.lines:
        size = line.size * PT_PER_MM
        x = (width - text_width(line.text, size, line.bold)) / 2
        y = height - line.baseline * PT_PER_MM
        font = "F2" if line.bold else "F1"
        ops.append(f"BT /{font} {size:.2f} Tf {x:.2f} {y:.2f} Td {_pdf_text(line.text)} Tj ET")
    # Modules drawn in their own units: one module is one unit, rows go down.
    scale = poster.module * PT_PER_MM
    ops.append(
        f"q {scale:.5f} 0 0 {-scale:.5f} {poster.qr_x * PT_PER_MM:.3f}"
        f" {height - poster.qr_y * PT_PER_MM:.3f} cm"
    )
    ops.extend(f"{x} {y} {n} 1 re" for x, y, n in _runs(poster.modules))
    ops.append("f Q")
    content = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width:.2f} {height:.2f}]"
            " /Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> /Contents 4 0 R >>"
        ).encode(),
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def branch_url(public_url: str, branch: str) -> str:
    """The address the poster's QR code opens: the branch's public page."""
    return f"{public_url.rstrip('/')}/b/{branch}"


def write_poster(path: Path, branch_name: str, url: str) -> None:
    """Write the poster to ``path``: SVG or PDF by its suffix (ValueError for others)."""
    poster = layout(branch_name, url)
    suffix = path.suffix.lower()
    if suffix == ".svg":
        path.write_text(to_svg(poster), encoding="utf-8")
    elif suffix == ".pdf":
        path.write_bytes(to_pdf(poster))
    else:
        raise ValueError(f"{path}: the poster is written as .svg or .pdf; name the file so")


def poster_command(
    config: Annotated[Path, typer.Option("--config", "-c", help="The office's TOML file.")],
    branch: Annotated[str, typer.Option(help="The branch's id, as in the office file.")],
    out: Annotated[
        Path | None,
        typer.Option(help="The file to write, .svg or .pdf (default: poster-BRANCH.svg)."),
    ] = None,
) -> None:
    """Write an A4 poster for the entrance: the QR code of the branch's public page, where a
    phone follows the queue (and joins it, where the office allows)."""
    from queue_api.config import load_office_config
    from queue_api.config_errors import ConfigError

    def fail(message: str) -> typer.Exit:
        typer.secho(message, fg=typer.colors.RED, err=True)
        return typer.Exit(2)

    try:
        office = load_office_config(config)
    except ConfigError as exc:
        raise fail(str(exc)) from None
    found = office.branch(branch)
    if found is None:
        known = ", ".join(b.id for b in office.branches)
        raise fail(f"{config}: there is no branch {branch!r}; it has: {known}")
    if not office.server.public_url:
        raise fail(
            f"{config}: set public_url in [server] to the address phones reach the server at"
            ' (e.g. public_url = "https://turnos.example.gob"): the QR code points there'
        )
    path = out or Path(f"poster-{branch}.svg")
    url = branch_url(office.server.public_url, branch)
    try:
        write_poster(path, found.name, url)
    except ValueError as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"cannot write {path}: {exc.strerror or exc}") from None
    typer.echo(f"Wrote {path}: the QR code opens {url}")
