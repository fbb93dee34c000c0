"""Ticket bytes from python-escpos, checked by decoding them like a printer would."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.printer import EscposPrinter, PrinterError, VirtualPrinter, open_printer
from drivers.printer_links import FileOptions, SerialOptions, UsbOptions, parse_options
from drivers.ticket_layout import TicketView, big_scale, render_text, ticket_layout
from tests.drivers.escpos_decoder import decode

VIEW = TicketView(
    office="Oficina de Atención Ciudadana",
    service="Trámites: DNI y Señal",
    number="A042",
    issued_at="23/11/2026 09:41",
    ahead_line="Personas delante: 3",
    wait_line="Espera estimada: 12 min",
    footer="¿Dudas? ¡Pregunte! Conserve su ticket",
    url="https://turnero.example/t/A042?b=centro",
)
ACCENTS = "á é í ó ú ñ ü ¿ ¡ Á É Í Ó Ú Ñ Ü"


def printer(profile: str | None = "TM-T20II") -> EscposPrinter:
    made = open_printer("tcp://127.0.0.1:9", profile=profile)  # no I/O until used
    assert isinstance(made, EscposPrinter)
    return made


LONG_LIVED = printer()


def test_ticket_decodes_to_the_view() -> None:
    p = printer()
    receipt = decode(p.compose(ticket_layout(VIEW)))
    texts = receipt.texts
    assert "Oficina de Atención Ciudadana" in texts
    assert "Trámites: DNI y Señal" in texts
    assert "Personas delante: 3" in texts and "Espera estimada: 12 min" in texts
    assert "¿Dudas? ¡Pregunte! Conserve su ticket" in texts
    assert receipt.qr_codes == [VIEW.url]
    assert receipt.cuts == 1
    # Reset, then out of Chinese mode, then CP858 (19), before any text.
    assert receipt.resets == 1 and receipt.kanji_off == 1 and receipt.code_pages == [19]


def test_number_is_as_large_as_the_paper_allows() -> None:
    for profile, columns in (("TM-T20II", 48), ("TM-T88V", 42), ("POS-5890", 32)):
        p = printer(profile)
        assert p.columns == columns
        (number,) = [
            line for line in decode(p.compose(ticket_layout(VIEW))).lines if line.text == "A042"
        ]
        assert number.width == number.height == 8  # 4 characters x 8 fit even 32 columns
        assert number.align == 1 and number.bold
    wide = printer("POS-5890")
    long_view = TicketView(**{**VIEW.__dict__, "number": "AB1234"})
    (number,) = [
        line
        for line in decode(wide.compose(ticket_layout(long_view))).lines
        if line.text == "AB1234"
    ]
    assert number.width == 5 and number.width * 6 <= 32
    # Text after the number is back to normal size.
    after = decode(wide.compose(ticket_layout(long_view))).lines
    assert all(line.width == 1 for line in after if line.text.startswith("Personas"))


def test_accents_right_on_the_first_and_the_hundredth_ticket() -> None:
    p = printer()
    for n in range(1, 101):
        view = TicketView(**{**VIEW.__dict__, "number": f"A{n:03d}", "footer": ACCENTS})
        receipt = decode(p.compose(ticket_layout(view)))
        assert ACCENTS in receipt.texts, f"ticket {n}: {receipt.texts}"
        assert "Trámites: DNI y Señal" in receipt.texts
        assert receipt.code_pages == [19]


def test_the_python_escpos_code_page_bug_is_real() -> None:
    """Without our workaround, the 2nd job after ESC @ prints in CP437: 'Se±al' style text."""
    from escpos.printer import Dummy

    dummy = Dummy(profile="TM-T20II")
    texts = []
    for _ in range(2):
        dummy.clear()
        dummy.hw("INIT")
        dummy.charcode("CP858")
        dummy.textln("Señal trámite Ú")
        texts.append(decode(dummy.output).texts)
    assert texts[0] == ["Señal trámite Ú"]
    assert texts[1] != ["Señal trámite Ú"]  # 'Ú' is 0xE9 in CP858 but 'Θ' in CP437


def test_virtual_printer_shows_the_same_layout() -> None:
    virtual = VirtualPrinter(columns=48)
    virtual.print_ticket(VIEW)
    paper = [t for t in decode(printer().compose(ticket_layout(VIEW))).texts if t.strip()]
    screen = [line.strip() for line in virtual.printed]
    for text in paper:
        if set(text) == {"-"}:
            continue
        if text == "A042":
            assert "A 0 4 2" in screen
        else:
            assert text in screen, text
    assert virtual.tickets == [virtual.printed]
    assert virtual.status().ok


def test_virtual_printer_simulates_faults() -> None:
    from drivers.escpos_status import parse_status
    from drivers.printer import PrinterNotReady
    from tests.drivers.fixtures import STATUS_REPLIES

    virtual = VirtualPrinter()
    virtual.simulate(parse_status(*STATUS_REPLIES["paper_out"]))
    with pytest.raises(PrinterNotReady, match="paper out") as caught:
        virtual.print_ticket(VIEW)
    assert caught.value.advice == "load a new paper roll"
    assert virtual.printed == []


def test_long_lines_wrap_on_paper_and_screen() -> None:
    view = TicketView(**{**VIEW.__dict__, "office": "Ayuntamiento " * 8})
    paper = decode(printer("POS-5890").compose(ticket_layout(view))).lines
    assert all(len(line.text) <= 32 for line in paper if line.width == 1)
    assert all(len(line) <= 32 for line in render_text(ticket_layout(view), 32))


def test_profile_without_native_qr_sends_an_image_and_prints_nothing(capsys) -> None:
    receipt = decode(printer("POS-5890").compose(ticket_layout(VIEW)))
    assert receipt.images >= 1 and receipt.qr_codes == []
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_empty_number_is_refused() -> None:
    with pytest.raises(ValueError, match="number is empty"):
        ticket_layout(TicketView(**{**VIEW.__dict__, "number": " "}))


def test_big_scale_bounds() -> None:
    assert big_scale("1", 48) == 8
    assert big_scale("x" * 100, 32) == 1


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("lpt://x", "not understood"),
        ("tcp://", "no host"),
        ("usb://04b8", "VID:PID"),
        ("serial:///dev/ttyUSB0?speed=9600", "unknown option 'speed'"),
        ("serial:///dev/ttyUSB0?baudrate=fast", "not a number"),
        ("tcp://h:9100?status=maybe", "not on/off"),
    ],
)
def test_bad_urls_say_what_is_wrong(url: str, words: str) -> None:
    with pytest.raises(PrinterError, match=words) as caught:
        open_printer(url)
    assert caught.value.advice


def test_url_options_are_parsed_by_a_model() -> None:
    query = "baudrate=0x4b00&parity=e&rtscts=YES&xonxoff=0&status=off"
    options = parse_options(SerialOptions, "serial:///dev/x", "serial", query)
    assert options == SerialOptions(baudrate=19200, parity="E", rtscts=True, status=False)
    assert parse_options(UsbOptions, "usb://04b8:0202", "usb", "in_ep=0x83") == UsbOptions(
        in_ep=0x83
    )
    link = open_printer("serial:///dev/ttyUSB0?" + query).link  # type: ignore[attr-defined]
    assert (link.settings["baudrate"], link.settings["parity"], link.answers_status) == (
        19200,
        "E",
        False,
    )


@pytest.mark.parametrize(
    ("model", "query", "message", "advice"),
    [
        (
            SerialOptions,
            "speed=1&baud=2",
            "printer URL 'u': unknown option 'baud'",
            "serial:// printers take: baudrate, bytesize, parity, rtscts, status, stopbits, "
            "xonxoff",
        ),
        (
            FileOptions,
            "status=on",
            "printer URL 'u': unknown option 'status'",
            "file:// printers take: no options",
        ),
        (
            SerialOptions,
            "parity=x&baudrate=y",
            "printer URL option parity='X' is wrong",
            "use N, E or O",
        ),
        (
            UsbOptions,
            "in_ep=zz",
            "printer URL option in_ep='zz' is not a number",
            "write in_ep=<number>",
        ),
        (
            SerialOptions,
            "rtscts=",
            "printer URL option rtscts='' is not on/off",
            "write rtscts=on or off",
        ),
    ],
)
def test_wrong_url_options_keep_their_words(
    model: type, query: str, message: str, advice: str
) -> None:
    scheme = "file" if model is FileOptions else "serial"
    with pytest.raises(PrinterError) as caught:
        parse_options(model, "u", scheme, query)
    assert (caught.value.message, caught.value.advice) == (message, advice)


def test_unknown_profile_lists_real_ones() -> None:
    with pytest.raises(PrinterError, match="unknown printer profile") as caught:
        open_printer("tcp://h", profile="TM-X999")
    assert "TM-" in caught.value.advice or "AF-240" in caught.value.advice


SPANISH = "abcdefghijklmnopqrstuvwxyzñáéíóúüÁÉÍÓÚÑÜ¿¡€ABCXYZ0123456789.,:;!?-"


@given(st.text(SPANISH, min_size=1, max_size=48), st.text(SPANISH, min_size=1, max_size=40))
@settings(max_examples=60, deadline=None)
def test_any_spanish_text_survives_the_printer(service: str, footer: str) -> None:
    """Whatever the app localizes comes out of the printer as it went in (one long-lived object)."""
    receipt = decode(
        LONG_LIVED.compose(
            ticket_layout(TicketView(**{**VIEW.__dict__, "service": service, "footer": footer}))
        )
    )
    assert service in receipt.texts and footer in receipt.texts


def test_two_threads_printing_do_not_mix_their_tickets() -> None:
    from concurrent.futures import ThreadPoolExecutor

    p = printer()

    def job(n: int) -> bytes:
        return p.compose(ticket_layout(TicketView(**{**VIEW.__dict__, "number": f"T{n:03d}"})))

    with ThreadPoolExecutor(4) as pool:
        outputs = list(pool.map(job, range(200)))
    for n, data in enumerate(outputs):
        receipt = decode(data)
        assert f"T{n:03d}" in receipt.texts and receipt.cuts == 1 and receipt.resets == 1
