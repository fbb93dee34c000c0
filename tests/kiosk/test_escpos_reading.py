"""The test decoder itself must read a real job right, or the kiosk tests prove nothing."""

from pathlib import Path

from drivers.printer import TicketView, open_printer
from tests.kiosk.escpos_reading import printed_text, qr_payloads


def test_reads_number_words_and_qr_from_a_real_job(tmp_path: Path) -> None:
    paper = tmp_path / "lp0"
    paper.write_bytes(b"")
    view = TicketView(
        "Oficina Centro", "Licencias", "A007", "Emitido: hoy", "2 personas antes",
        "Espera: 5 min", "Conserve este ticket", "http://x/t/abc_DEF-1", "es",
    )  # fmt: skip
    open_printer(f"file://{paper}").print_ticket(view)
    data = paper.read_bytes()
    assert qr_payloads(data) == ["http://x/t/abc_DEF-1"]
    text = printed_text(data)
    for line in ("Oficina Centro", "A007", "2 personas antes", "Conserve este ticket"):
        assert line in text
