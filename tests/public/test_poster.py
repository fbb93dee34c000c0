"""``turnero poster``: an A4 SVG or PDF whose QR code opens the branch's public page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from turnero.cli import app
from turnero.local_server import EXAMPLE_OFFICE
from turnero.poster import A4, MARGIN, layout, qr_modules, text_width

URL = "https://turnos.example.gob/b/centro"


@pytest.fixture
def office(tmp_path: Path) -> Path:
    text = EXAMPLE_OFFICE.read_text(encoding="utf-8").replace(
        '# public_url = "https://turnos.example.gob"', 'public_url = "https://turnos.example.gob/"'
    )
    path = tmp_path / "office.toml"
    path.write_text(text, encoding="utf-8")
    return path


def poster(office: Path, *args: str):
    return CliRunner().invoke(app, ["poster", "--config", str(office), *args])


def matrix(runs: list[tuple[int, int, int]], side: int) -> list[list[bool]]:
    """The modules that runs of dark modules (column, row, length) paint."""
    cells = [[False] * side for _ in range(side)]
    for column, row, length in runs:
        for x in range(column, column + length):
            assert not cells[row][x], "a module painted twice"
            cells[row][x] = True
    return cells


def test_the_svg_poster_carries_the_qr_of_the_branch_page(office: Path, tmp_path: Path) -> None:
    out = tmp_path / "poster.svg"
    result = poster(office, "--branch", "centro", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert URL in result.output
    svg = out.read_text(encoding="utf-8")
    assert 'width="210mm" height="297mm" viewBox="0 0 210 297"' in svg
    for text in (
        "Oficina Centro",
        "Siga su turno desde el teléfono",
        "Follow your turn on your phone",
        URL,
    ):
        assert f">{text}</text>" in svg
    path = re.search(r'<g id="qr"[^>]*><path fill="#000" d="([^"]+)"', svg)[1]
    runs = [tuple(map(int, run)) for run in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\3z", path)]
    assert "".join(f"M{x} {y}h{n}v1h-{n}z" for x, y, n in runs) == path
    expected = qr_modules(URL)
    assert matrix(runs, len(expected)) == expected
    # A code for another page would differ: the comparison tells codes apart.
    assert qr_modules(URL.replace("centro", "norte")) != expected


def test_the_pdf_poster_is_a_valid_pdf_with_the_same_code(office: Path, tmp_path: Path) -> None:
    out = tmp_path / "poster.pdf"
    result = poster(office, "--branch", "centro", "--out", str(out))
    assert result.exit_code == 0, result.output
    pdf = out.read_bytes()
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    # Every object where the cross-reference table says it is.
    start = int(re.search(rb"startxref\n(\d+)", pdf)[1])
    assert pdf[start:].startswith(b"xref")
    offsets = [int(o) for o in re.findall(rb"(\d{10}) 00000 n ", pdf)]
    for number, offset in enumerate(offsets, start=1):
        assert pdf[offset:].startswith(b"%d 0 obj" % number)
    assert b"/MediaBox [0 0 595.28 841.89]" in pdf  # A4 in points
    assert "(Siga su turno desde el teléfono) Tj".encode("cp1252") in pdf
    assert b"(Follow your turn on your phone) Tj" in pdf and f"({URL}) Tj".encode() in pdf
    runs = [tuple(map(int, run)) for run in re.findall(rb"\n(\d+) (\d+) (\d+) 1 re", pdf)]
    expected = qr_modules(URL)
    assert matrix(runs, len(expected)) == expected


def test_the_poster_names_what_is_missing(office: Path, tmp_path: Path) -> None:
    unknown = poster(office, "--branch", "sur", "--out", str(tmp_path / "p.svg"))
    assert unknown.exit_code == 2 and "no branch 'sur'; it has: centro, norte" in unknown.output
    wrong = poster(office, "--branch", "centro", "--out", str(tmp_path / "p.png"))
    assert wrong.exit_code == 2 and "as .svg or .pdf" in wrong.output
    without = tmp_path / "no-url.toml"
    without.write_text(EXAMPLE_OFFICE.read_text(encoding="utf-8"), encoding="utf-8")
    missing = poster(without, "--branch", "centro", "--out", str(tmp_path / "p.svg"))
    assert missing.exit_code == 2 and "set public_url in [server]" in missing.output
    assert not (tmp_path / "p.svg").exists() and not (tmp_path / "p.png").exists()


def test_a_long_branch_name_is_made_to_fit() -> None:
    name = "Oficina de Atención Ciudadana del Municipio de San Pedro Garza García"
    title = layout(name, URL).lines[0]
    assert title.size < 16.0
    assert text_width(name, title.size, bold=True) <= A4[0] - 2 * MARGIN + 0.01
