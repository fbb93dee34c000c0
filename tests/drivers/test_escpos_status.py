"""DLE EOT replies -> typed status and faults (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.escpos_status import Paper, PrinterStatus, is_status_byte, parse_status
from tests.drivers.fixtures import STATUS_REPLIES


def test_status_byte_pattern_is_0xx1xx10() -> None:
    accepted = {b for b in range(256) if is_status_byte(b)}
    expected = {
        b
        for b in range(256)
        if format(b, "08b")[0] == "0"
        and format(b, "08b")[3:4] == "1"
        and format(b, "08b")[6:] == "10"
    }
    assert accepted == expected
    assert 0x00 not in accepted  # python-escpos's is_online() accepts it; we must not
    assert {0x12, 0x1A, 0x1E, 0x7E, 0x16, 0x32} <= accepted


def test_all_fine_is_ok_without_faults() -> None:
    status = parse_status(*STATUS_REPLIES["ok"])
    assert status.known and status.online and status.paper is Paper.OK
    assert status.faults == [] and status.ok and status.summary() == "ok"


@pytest.mark.parametrize(
    ("state", "codes", "ok"),
    [
        ("near_end", ["paper_near_end"], True),
        ("paper_out", ["paper_out"], False),
        ("cover_open", ["cover_open"], False),
        ("offline", ["offline"], False),
        ("cutter", ["cutter_error"], False),
        ("unrecoverable", ["unrecoverable"], False),
    ],
)
def test_emulator_states_map_to_faults(state: str, codes: list[str], ok: bool) -> None:
    status = parse_status(*STATUS_REPLIES[state])
    assert [fault.code for fault in status.faults] == codes
    assert status.ok is ok
    for fault in status.faults:
        assert fault.message and fault.advice


def test_paper_out_reads_as_words() -> None:
    status = parse_status(*STATUS_REPLIES["paper_out"])
    assert status.paper is Paper.OUT and not status.online
    assert str(status.faults[0]) == "paper out: load a new paper roll"


def test_unknown_status_is_never_ok() -> None:
    status = PrinterStatus.unknown("file connections cannot report status", "look at it")
    assert not status.ok
    assert status.faults[0].code == "unknown"
    assert "status unknown" in status.summary()


def test_non_status_bytes_are_refused() -> None:
    with pytest.raises(ValueError, match="DLE EOT 3"):
        parse_status(0x12, 0x12, 0x00, 0x12)


status_bytes = st.sampled_from([b for b in range(256) if is_status_byte(b)])


@given(status_bytes, status_bytes, status_bytes, status_bytes)
def test_ok_exactly_when_no_blocking_fault(a: int, b: int, c: int, d: int) -> None:
    status = parse_status(a, b, c, d)
    assert status.ok == (not any(f.blocking for f in status.faults))
    # A printer that says it is offline is never "ok", whatever the cause.
    if a & 0x08:
        assert not status.ok and status.faults
