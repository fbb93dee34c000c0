"""Board protocols as pure encoders/decoders: frames checked byte for byte."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.board_protocols import (
    AsciiFraming,
    AsciiOptions,
    ModbusRtu,
    Reply,
    compose,
    crc16_modbus,
    make_protocol,
    pattern_frames,
    with_crc,
)


def test_crc16_modbus_check_value() -> None:
    assert crc16_modbus(b"123456789") == 0x4B37  # the catalogued check value


def test_showing_42_on_unit_1() -> None:
    assert ModbusRtu(1).frame("42") == bytes.fromhex("01 06 00 00 00 2a 08 15")
    assert ModbusRtu(1).frame("  42") == bytes.fromhex("01 06 00 00 00 2a 08 15")


def test_letters_and_leading_zeros_go_as_segments() -> None:
    frame = ModbusRtu(3).frame("A042")
    assert frame[:7] == bytes([3, 0x10, 0x00, 0x80, 0x00, 0x02, 0x04])
    assert frame[7:11] == bytes([0x77, 0x3F, 0x66, 0x5B])  # A 0 4 2
    assert crc16_modbus(frame) == 0
    odd = ModbusRtu(1).frame("b12")  # odd length: padded with a blank
    assert odd[5] == 2 and odd[6] == 4 and odd[10] == 0x00


def test_undrawable_letter_is_refused_with_the_drawable_ones() -> None:
    with pytest.raises(ValueError, match="'M' cannot be drawn"):
        ModbusRtu(1).frame("M042")


def test_modbus_address_range() -> None:
    with pytest.raises(ValueError, match="1-247"):
        ModbusRtu(0)


def test_modbus_replies() -> None:
    board = ModbusRtu(1)
    request = board.frame("42")
    assert board.check_reply(request, request) == (Reply.ACK, "")
    assert board.check_reply(request, b"")[0] is Reply.NONE
    kind, detail = board.check_reply(request, with_crc(bytes([1, 0x86, 0x02])))
    assert kind is Reply.NAK and "illegal data address" in detail
    assert board.check_reply(request, with_crc(bytes([2]) + request[1:6]))[0] is Reply.OTHER_ADDRESS
    assert board.check_reply(request, request[:-1] + b"\x00")[0] is Reply.GARBLED
    segments = board.frame("A1")
    assert board.check_reply(segments, with_crc(segments[:6]))[0] is Reply.ACK


def test_modbus_reply_length_from_its_head() -> None:
    board = ModbusRtu(1)
    assert board.reply_length(b"") == 2
    assert board.reply_length(b"\x01\x06") == 8
    assert board.reply_length(b"\x01\x86") == 5


def test_ascii_default_frame_is_the_edi_example() -> None:
    assert AsciiFraming(1).frame("1234") == bytes.fromhex("02 30 31 31 32 33 34 03")


def test_ascii_checksums() -> None:
    body = b"07" + b"A12"
    xor = 0
    for byte in body:
        xor ^= byte
    framed = AsciiFraming(7, checksum="xor").frame("A12")
    assert framed == b"\x02" + body + f"{xor:02X}".encode() + b"\x03"
    framed = AsciiFraming(7, checksum="sum", checksum_format="byte").frame("A12")
    assert framed == b"\x02" + body + bytes([sum(body) & 0xFF]) + b"\x03"


def test_ascii_options_from_the_protocol_spec() -> None:
    board = make_protocol("ascii:start=1b,end=0d,address=3,checksum=xor,ack=06", 5)
    assert isinstance(board, AsciiFraming)
    assert board.frame("9")[:5] == b"\x1b0059" and board.frame("9").endswith(b"\r")
    assert board.acknowledges and board.check_reply(b"", b"\x06")[0] is Reply.ACK
    assert board.check_reply(b"", b"\x15")[0] is Reply.NAK
    assert make_protocol("ascii:address=0", 5).frame("1") == b"\x021\x03"
    assert not make_protocol("ascii", 1).acknowledges


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("rs232-magic", "unknown board protocol"),
        ("ascii:parity=E", "unknown ascii option"),
        ("ascii:start=zz", "value not understood"),
        ("ascii:checksum=crc", "checksum 'crc' is unknown"),
        ("modbus-rtu:fast", "takes no options"),
    ],
)
def test_bad_protocol_specs(spec: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        make_protocol(spec, 1)


def test_ascii_options_are_parsed_by_a_model() -> None:
    options = AsciiOptions.parse("start=0x1b, address=3d,ack=none,nak=15 16,checksum=xor")
    assert options.model_dump() == {
        "start": b"\x1b",
        "end": b"\x03",
        "address_format": "{:03d}",
        "checksum": "xor",
        "checksum_format": "hex",
        "ack": None,
        "nak": b"\x15\x16",
    }
    options = AsciiOptions.parse("address=0,ack=06")
    assert (options.address_format, options.ack) == ("", b"\x06")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            "ascii:bar=1,start=zz",
            "unknown ascii option 'bar': use start, end, address, checksum, checksum_format, "
            "ack, nak",
        ),
        (
            "ascii:start=zz,bar=1",
            "ascii option 'start=zz': value not understood (non-hexadecimal number found in "
            "fromhex() arg at position 0)",
        ),
        ("ascii:address_format=2", "unknown ascii option 'address_format'"),
        ("ascii:end", "ascii option 'end' has no value: write key=value"),
    ],
)
def test_the_first_wrong_ascii_option_is_named(spec: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        make_protocol(spec, 1)
    assert str(caught.value).startswith(message)


def test_compose_number_and_counter() -> None:
    assert compose("A042", "3", 6) == "A042 3"
    assert compose("A042", "12", 8) == "A042  12"
    assert compose("A042", "3", 4) == "A042"  # no room for the counter
    assert compose("42", None, 4) == "  42"
    with pytest.raises(ValueError, match="board shows 4"):
        compose("A1042", None, 4)


def test_test_frames_walk_the_digits() -> None:
    frames = pattern_frames(4)
    assert frames[0] == "8888" and frames[1:11] == [str(d) * 4 for d in range(10)]
    assert frames[-1] == "    "


@given(st.binary(min_size=1, max_size=64))
def test_a_frame_with_its_crc_checks_to_zero(body: bytes) -> None:
    assert crc16_modbus(with_crc(body)) == 0


@given(st.integers(1, 247), st.text("0123456789ABCDEFbdnor- ", min_size=1, max_size=8))
def test_every_modbus_frame_is_acknowledged_by_its_echo(address: int, text: str) -> None:
    board = ModbusRtu(address)
    frame = board.frame(text)
    echo = frame if frame[1] == 0x06 else with_crc(frame[:6])
    assert board.check_reply(frame, echo)[0] is Reply.ACK
    assert frame[0] == address and crc16_modbus(frame) == 0
