"""LED boards on real pty pairs: a fake board checks frames byte for byte and answers."""

from __future__ import annotations

import os
import threading
import time

import pytest

from drivers.board import BoardError, Reply, SerialBoard, VirtualBoard, open_board
from drivers.board_protocols import ModbusRtu
from tests.drivers.fixtures import WAIT, FakeBoard, PtyPair, socat_pty_pair

SHOW_42 = bytes.fromhex("01 06 00 00 00 2a 08 15")


def test_show_42_on_unit_1_is_acknowledged(pty_pair: PtyPair) -> None:
    with FakeBoard(pty_pair.far) as fake:
        board = open_board(pty_pair.near)
        assert board.connected
        board.show("42")
        assert fake.wait_frames(1) == [SHOW_42]
        assert board.connected and board.last_error is None
        board.close()


def test_number_and_counter_as_segments(pty_pair: PtyPair) -> None:
    with FakeBoard(pty_pair.far, address=7) as fake:
        board = open_board(pty_pair.near, address=7, digits=6)
        board.show("A042", "3")
        (frame,) = fake.wait_frames(1)
        board.close()
    assert frame == ModbusRtu(7).write_segments("A042 3")
    assert frame[7:13] == bytes([0x77, 0x3F, 0x66, 0x5B, 0x00, 0x4F])


def test_silent_board_is_reported_and_recovers(pty_pair: PtyPair) -> None:
    with FakeBoard(pty_pair.far, mode="silent") as fake:
        board = open_board(pty_pair.near, timeout=0.2)
        started = time.monotonic()
        with pytest.raises(BoardError, match=r"did not answer within 0\.2 s") as caught:
            board.show("42")
        assert time.monotonic() - started < 1
        assert "address" in caught.value.advice
        assert not board.connected and board.last_error is caught.value
        fake.mode = "ack"  # the board is powered again
        board.show("43")
        assert board.connected and board.last_error is None
        board.close()


def test_board_at_another_address_does_not_answer(pty_pair: PtyPair) -> None:
    with FakeBoard(pty_pair.far, address=2) as fake:
        board = open_board(pty_pair.near, address=1, timeout=0.2)
        with pytest.raises(BoardError, match="address 1") as caught:
            board.show("42")
        assert "unit id" in caught.value.advice
        fake.wait_frames(1)  # the frame did go out: the board ignored it
        board.close()


@pytest.mark.parametrize(
    ("mode", "words"),
    [
        ("exception", "refused the frame .Modbus exception 2"),
        ("other-address", "wrong address"),
        ("garbage", "garbled answer"),
    ],
)
def test_bad_answers_are_named(pty_pair: PtyPair, mode: str, words: str) -> None:
    with FakeBoard(pty_pair.far, mode=mode):
        board = open_board(pty_pair.near, timeout=0.3)
        with pytest.raises(BoardError, match=words) as caught:
            board.show("42")
        assert caught.value.advice
        board.close()


def test_ascii_board_with_ack(pty_pair: PtyPair) -> None:
    with FakeBoard(pty_pair.far, protocol="ascii", end=b"\r", ack=b"\x06") as fake:
        board = open_board(
            pty_pair.near, protocol="ascii:end=0d,checksum=xor,ack=06", address=1, digits=4
        )
        board.show("1234")
        (frame,) = fake.wait_frames(1)
        board.close()
    body = b"011234"
    xor = 0
    for byte in body:
        xor ^= byte
    assert frame == b"\x02" + body + f"{xor:02X}".encode() + b"\r"


def test_ascii_board_without_ack_is_write_only(pty_pair: PtyPair) -> None:
    with FakeBoard(pty_pair.far, protocol="ascii", mode="silent") as fake:
        board = open_board(pty_pair.near, protocol="ascii", address=1)
        board.show("1234")
        board.blank()
        assert fake.wait_frames(2) == [
            bytes.fromhex("02 30 31 31 32 33 34 03"),
            bytes.fromhex("02 30 31 20 20 20 20 03"),
        ]
        assert board.connected
        board.close()


def test_blink_toggles_then_stays_lit(pty_pair: PtyPair) -> None:
    with FakeBoard(pty_pair.far) as fake:
        board = open_board(pty_pair.near)
        assert isinstance(board, SerialBoard)
        board.blink_interval = 0.01
        board.blink("42")
        frames = fake.wait_frames(1 + 2 * board.blink_times)
        blank = ModbusRtu(1).write_segments("    ")
        assert frames == [SHOW_42] + [blank, SHOW_42] * board.blink_times
        assert board.wait_still(2) and not board.blinking
        board.close()


def test_a_new_call_stops_the_blinking(pty_pair: PtyPair) -> None:
    with FakeBoard(pty_pair.far) as fake:
        board = open_board(pty_pair.near)
        board.blink_interval = 10  # would blink for a minute
        board.blink("42")
        board.show("43")
        assert not board.blinking
        frames = fake.wait_frames(2)
        assert frames[-1] == ModbusRtu(1).frame("43") and len(frames) == 2
        board.close()


def test_a_blink_waiting_on_a_slow_board_sends_nothing_after_the_next_call(
    pty_pair: PtyPair,
) -> None:
    with FakeBoard(pty_pair.far) as fake:
        blank = ModbusRtu(1).write_segments("    ")
        show_43 = ModbusRtu(1).frame("43")
        fake.slow = blank  # the blink's first blank frame waits for its answer
        board = open_board(pty_pair.near, timeout=WAIT)
        board.blink_interval = 0.01
        board.blink("42")
        fake.wait_frames(2)
        blink, stopped = board._blinker, board._stop_blink
        calling = threading.Thread(target=board.blink, args=("43",))
        calling.start()
        assert stopped.wait(WAIT)  # the next call stopped the blink; now the board answers
        fake.answering.set()
        calling.join(WAIT)
        blink.join(WAIT)
        assert not blink.is_alive() and not calling.is_alive()
        assert board.wait_still(WAIT)
        # Every frame was answered before its sender went on, so all of them are in.
        assert fake.frames == [SHOW_42, blank, show_43] + [blank, show_43] * board.blink_times
        board.close()


def test_test_pattern_reads_every_ack(pty_pair: PtyPair) -> None:
    with FakeBoard(pty_pair.far) as fake:
        board = open_board(pty_pair.near)
        results = board.test_pattern(pause=0)
        assert [text for text, _ in results][:2] == ["8888", "0000"]
        assert all(reply is Reply.ACK for _, reply in results)
        assert len(fake.wait_frames(len(results))) == 12
        board.close()


def test_unplugged_board_reports_and_reopens_when_back(tmp_path) -> None:
    near, far = tmp_path / "board", tmp_path / "board-far"
    with socat_pty_pair(near, far) as first, FakeBoard(first.far):
        board = open_board(str(near), timeout=0.3)
        board.show("41")
        first.stop()  # adapter pulled out
        with pytest.raises(BoardError, match="lost the connection") as caught:
            board.show("42")
        assert not board.connected and "retried automatically" in caught.value.advice
        with pytest.raises(BoardError, match="no serial port"):
            board.show("42")  # still gone: retried, and says so
        assert not os.path.exists(near)
    with socat_pty_pair(near, far) as second, FakeBoard(second.far) as fake:
        board.refresh()  # what the counter app's timer calls: resend the current state
        assert fake.wait_frames(1) == [SHOW_42]
        assert board.connected and board.last_error is None
        board.close()


def test_missing_port_at_start_does_not_stop_the_app() -> None:
    board = open_board("/dev/ttyTURNERO-NONE")
    assert not board.connected
    assert board.last_error is not None and "dialout" not in board.last_error.advice
    assert "no serial port" in board.last_error.message
    with pytest.raises(BoardError, match="no serial port"):
        board.show("1")


def test_port_in_use_is_named(pty_pair: PtyPair) -> None:
    with FakeBoard(pty_pair.far):
        first = open_board(pty_pair.near)
        second = open_board(pty_pair.near)
        assert first.connected and not second.connected
        assert second.last_error is not None
        assert "in use by another program" in second.last_error.message
        first.close()


def test_loop_url_works_as_a_board() -> None:
    """loop:// echoes every frame: for Modbus FC06 the echo is the acknowledgement."""
    board = open_board("loop://")
    board.show("42")
    assert board.connected
    board.close()


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"protocol": "rs232-magic"}, "unknown board protocol"),
        ({"address": 0}, "1-247"),
        ({"parity": "X"}, "parity"),
        ({"timeout": 0}, "timeout"),
    ],
)
def test_bad_config_is_refused_with_advice(kwargs: dict, words: str) -> None:
    with pytest.raises(BoardError, match=words) as caught:
        open_board("loop://", **kwargs)
    assert caught.value.advice


def test_number_too_long_for_the_board() -> None:
    board = open_board("virtual", digits=3)
    with pytest.raises(BoardError, match="board shows 3") as caught:
        board.show("A042")
    assert "board.digits" in caught.value.advice


def test_virtual_board_keeps_what_it_shows() -> None:
    board = open_board("virtual", digits=6)
    assert isinstance(board, VirtualBoard)
    board.show("A042", "3")
    board.blink("A043", "3")
    assert board.shown == "A043 3" and board.blinking
    board.blank()
    assert board.shown == "      " and not board.blinking
    assert board.frames == ["A042 3", "A043 3", "      "]


def test_test_pattern_pauses_so_a_person_can_watch() -> None:
    board = open_board("virtual")
    started = time.monotonic()
    board.test_pattern(pause=0.02)
    assert time.monotonic() - started >= 12 * 0.02
    assert board.frames[0] == "8888" and board.frames[-1] == "    "


def test_undrawable_text_on_a_segment_board() -> None:
    board = open_board("loop://")
    with pytest.raises(BoardError, match="'W' cannot be drawn") as caught:
        board.show("WX")  # not a ticket number: no digits to fall back on
    assert "letters" in caught.value.advice
    board.close()


@pytest.mark.parametrize("prefix", ["K", "M", "V", "W", "X", "Z", "MA", "AM"])
def test_a_prefix_a_segment_board_cannot_draw_leaves_the_digits(
    pty_pair: PtyPair, prefix: str
) -> None:
    with FakeBoard(pty_pair.far) as fake:
        board = open_board(pty_pair.near, digits=6)
        assert board.cannot_draw(prefix) == "".join(sorted(set(prefix) - {"A"}))
        board.show(f"{prefix}042", "3")  # never blank, never an error ("board lost")
        board.blink(f"{prefix}043", "3")
        frames = fake.wait_frames(2)
        assert board.connected and board.last_error is None
        board.close()
    # The whole prefix goes: "MA042" shown as "A042" would be another service's ticket.
    assert frames[:2] == [
        ModbusRtu(1).write_segments("042  3"),
        ModbusRtu(1).write_segments("043  3"),
    ]


def test_a_counter_name_the_board_cannot_draw_is_left_out(pty_pair: PtyPair) -> None:
    with FakeBoard(pty_pair.far) as fake:
        board = open_board(pty_pair.near, digits=6)
        assert board.cannot_draw("A042") == "" and board.drawable("A042") == "A042"
        board.show("A042", "mesa-x")
        (frame,) = fake.wait_frames(1)
        board.close()
    assert frame == ModbusRtu(1).write_segments("  A042")
