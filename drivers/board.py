"""LED counter boards over a serial line (RS-485 adapters, ser2net, ptys) and a virtual one.

A board shows the called ticket number (and the counter if there is room), blanks, blinks
for a new call, and runs a test pattern. When the port vanishes (adapter unplugged) the
call raises :class:`BoardError`, ``connected`` turns False, and a later call reopens it.
"""

from __future__ import annotations

import contextlib
import string
import threading
import time

import serial

from drivers.board_protocols import (
    PROTOCOLS,
    AsciiFraming,
    ModbusRtu,
    Protocol,
    Reply,
    compose,
    make_protocol,
    pattern_frames,
)
from drivers.port_faults import SERIAL_ERRORS, explain_serial

__all__ = [
    "AsciiFraming",
    "BoardError",
    "LedBoard",
    "ModbusRtu",
    "Reply",
    "SerialBoard",
    "VirtualBoard",
    "open_board",
]


class BoardError(Exception):
    """A board could not be reached or refused a frame; ``advice`` says what to do."""

    def __init__(self, message: str, advice: str) -> None:
        super().__init__(message)
        self.message = message
        #: What to do about it, in plain words; ``str(error)`` is the message alone.
        self.advice = advice


def _refused(exc: ValueError) -> BoardError:
    """A BoardError from an encoder's "what is wrong: what to do" message."""
    message, _, advice = str(exc).partition(": ")
    return BoardError(message, advice or "send digits and the letters the board can draw")


class LedBoard:
    """A counter's LED board: what the counter app drives. Calls are thread safe."""

    def __init__(self, digits: int = 4, *, blink_times: int = 3, blink_interval: float = 0.4):
        if not 1 <= digits <= 16:
            raise BoardError(f"board digits {digits} is out of range", "use 1 to 16")
        self.digits = digits
        self.blink_times = blink_times
        self.blink_interval = blink_interval
        #: The text the board should be showing now (blank is spaces).
        self.shown = " " * digits
        self.blinking = False
        #: True while frames reach the board (acknowledged, when the protocol answers).
        self.connected = True
        #: The last failure, also from the background blink; None once a frame went through.
        self.last_error: BoardError | None = None
        self._lock = threading.RLock()
        self._stop_blink = threading.Event()
        self._blinker: threading.Thread | None = None

    # -- what the apps call ---------------------------------------------------------------

    def show(self, number: str, counter: str | None = None) -> Reply:
        """Show ``number`` (and ``counter`` on the right if the board is wide enough)."""
        text = self._compose(number, counter)
        self._stop_blinking()
        return self._display(text)

    def blink(self, number: str, counter: str | None = None) -> None:
        """Show ``number`` and blink it a few times (a new call or a recall), then keep it lit."""
        text = self._compose(number, counter)
        self._stop_blinking()
        self._display(text)
        self.blinking = True
        # Each blink has its own stop: one still waiting on a slow board's answer finds itself
        # stopped when it wakes, even after a newer blink has started.
        self._stop_blink = stop = threading.Event()
        self._blinker = threading.Thread(
            target=self._blink_loop, args=(text, stop), name="led-board-blink", daemon=True
        )
        self._blinker.start()

    def blank(self) -> Reply:
        """Switch every digit off."""
        self._stop_blinking()
        return self._display(" " * self.digits)

    def refresh(self) -> Reply:
        """Send the current text again: call it periodically to restore a board that came back."""
        return self._display(self.shown)

    def test_pattern(self, pause: float = 0.3) -> list[tuple[str, Reply]]:
        """Walk all segments and digits 0-9 (``pause`` s each), then blank; return the replies."""
        self._stop_blinking()
        results = []
        for text in pattern_frames(self.digits):
            results.append((text, self._display(text)))
            if pause:
                time.sleep(pause)  # a pause a person can watch, not a wait for I/O
        return results

    def cannot_draw(self, text: str) -> str:
        """The characters of ``text`` this board cannot draw ("" when it draws them all)."""
        return ""

    def drawable(self, number: str) -> str:
        """``number`` as this board shows it: the digits alone when its letter prefix has a
        letter the board cannot draw (a dark board helps nobody; half a prefix could read as
        another service's)."""
        if not self.cannot_draw(number):
            return number
        digits = number.strip().lstrip(string.ascii_letters)
        return digits if digits and not self.cannot_draw(digits) else number

    def wait_still(self, timeout: float) -> bool:
        """Wait until a blink has finished (or ``timeout``); True if the board is still now."""
        blinker = self._blinker
        if blinker is not None:
            blinker.join(timeout)
        return not self.blinking

    def close(self) -> None:
        """Stop blinking and release the port."""
        self._stop_blinking()

    def __enter__(self) -> LedBoard:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- shared machinery -----------------------------------------------------------------

    def _compose(self, number: str, counter: str | None) -> str:
        if counter and self.cannot_draw(counter):
            counter = None  # the number matters; the counter's name is a courtesy
        try:
            return compose(self.drawable(number), counter, self.digits)
        except ValueError as exc:
            raise _refused(exc) from None

    def _display(self, text: str) -> Reply:
        with self._lock:
            self.shown = text
            return self._send(text)

    def _send(self, text: str) -> Reply:
        """Put ``text`` on the hardware; raise BoardError on failure."""
        raise NotImplementedError

    def _blink_loop(self, text: str, stop: threading.Event) -> None:
        try:
            for frame in [" " * self.digits, text] * self.blink_times:
                if stop.wait(self.blink_interval):
                    return
                with self._lock:
                    if stop.is_set():  # stopped while waiting for the port: a newer text is on
                        return
                    self._send(frame)
        except BoardError:
            pass  # recorded in last_error/connected by _send; the next call reports it
        finally:
            if not stop.is_set():  # a stopped blink leaves the flag to whoever stopped it
                self.blinking = False

    def _stop_blinking(self) -> None:
        # No join: a blink's frame in flight holds the port lock, so the next text waits for
        # it anyway, and a stopped blink sends nothing after it.
        self._stop_blink.set()
        self._blinker = None
        self.blinking = False


class VirtualBoard(LedBoard):
    """An on-screen board for the demo: ``shown``, ``blinking`` and the ``frames`` history."""

    def __init__(self, digits: int = 4) -> None:
        super().__init__(digits)
        self.url = "virtual"
        self.frames: list[str] = []

    def blink(self, number: str, counter: str | None = None) -> None:
        """Show ``number`` with ``blinking`` True until the next call: the screen animates it."""
        text = self._compose(number, counter)
        self._stop_blinking()
        self._display(text)
        self.blinking = True

    def _send(self, text: str) -> Reply:
        self.frames.append(text)
        return Reply.ACK


class SerialBoard(LedBoard):
    """A board on any pyserial URL, speaking one protocol at one bus address."""

    def __init__(
        self,
        url: str,
        protocol: Protocol,
        *,
        baudrate: int = 9600,
        parity: str = "N",
        bytesize: int = 8,
        stopbits: int = 1,
        timeout: float = 0.5,
        digits: int = 4,
    ) -> None:
        super().__init__(digits)
        self.url = url
        self.protocol = protocol
        self.settings = {
            "baudrate": baudrate,
            "parity": parity,
            "bytesize": bytesize,
            "stopbits": stopbits,
        }
        self.timeout = timeout
        self.connected = False
        self._port: serial.SerialBase | None = None

    def cannot_draw(self, text: str) -> str:
        """The characters of ``text`` this board's protocol cannot draw."""
        return self.protocol.cannot_draw(text)

    def _fail(self, error: BoardError, *, lost_port: bool) -> BoardError:
        if lost_port:
            self._close_port()
        self.connected = False
        self.last_error = error
        return error

    def _open(self) -> serial.SerialBase:
        if self._port is not None:
            return self._port
        try:
            port = serial.serial_for_url(self.url, do_not_open=True)
            port.apply_settings(self.settings)
            port.timeout = self.timeout
            port.write_timeout = max(self.timeout, 1.0)
            port.exclusive = True  # two apps writing one board garble each other's frames
            port.open()
        except SERIAL_ERRORS as exc:
            raise self._fail(
                BoardError(*explain_serial(self.url, exc, opening=True)), lost_port=True
            ) from None
        self._port = port
        return port

    def _send(self, text: str) -> Reply:
        try:
            frame = self.protocol.frame(text)
        except ValueError as exc:
            raise _refused(exc) from None
        port = self._open()
        try:
            port.reset_input_buffer()  # a late answer to an earlier frame is not ours
            port.write(frame)
            reply = self._read_reply(port) if self.protocol.acknowledges else b""
        except SERIAL_ERRORS as exc:
            raise self._fail(
                BoardError(*explain_serial(self.url, exc, opening=False)), lost_port=True
            ) from None
        if not self.protocol.acknowledges:
            self.connected, self.last_error = True, None
            return Reply.NONE
        kind, detail = self.protocol.check_reply(frame, reply)
        if kind is Reply.ACK:
            self.connected, self.last_error = True, None
            return kind
        raise self._fail(self._reply_error(kind, detail), lost_port=False)

    def _read_reply(self, port: serial.SerialBase) -> bytes:
        deadline = time.monotonic() + self.timeout
        reply = b""
        while len(reply) < self.protocol.reply_length(reply):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            port.timeout = remaining
            chunk = port.read(self.protocol.reply_length(reply) - len(reply))
            if not chunk:
                break
            reply += chunk
        return reply

    def _reply_error(self, kind: Reply, detail: str) -> BoardError:
        address = getattr(self.protocol, "address", "?")
        if kind is Reply.NONE:
            return BoardError(
                f"board at address {address} on {self.url} did not answer within "
                f"{self.timeout:g} s",
                "check the board has power, board.address matches its unit id (1 by default), "
                "the baud rate and parity, and the RS-485 A/B wires",
            )
        if kind is Reply.OTHER_ADDRESS:
            return BoardError(
                f"a board answered for the wrong address ({detail}, expected {address})",
                "set board.address to the board's unit id, or give each board on the bus its own",
            )
        if kind is Reply.NAK:
            return BoardError(
                f"the board refused the frame ({detail})",
                "check board.protocol matches the board model",
            )
        return BoardError(
            f"garbled answer from the board ({detail})",
            "check the baud rate and parity match the board, and the RS-485 wiring and termination",
        )

    def _close_port(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            # An unplugged adapter cannot be closed cleanly; it is gone anyway.
            with contextlib.suppress(*SERIAL_ERRORS):
                port.close()

    def close(self) -> None:
        """Stop blinking and release the port (a later call reopens it)."""
        super().close()
        with self._lock:
            self._close_port()
            self.connected = False


def open_board(
    url: str,
    *,
    protocol: str = "modbus-rtu",
    address: int = 1,
    baudrate: int = 9600,
    parity: str = "N",
    bytesize: int = 8,
    timeout: float = 0.5,
    digits: int = 4,
) -> LedBoard:
    """A board for ``url`` (a pyserial URL or ``virtual``); config mistakes raise BoardError.

    The port is opened now if possible; if not, ``connected`` is False, ``last_error`` says
    why, and every later call retries (so an app can start before the board is plugged in).
    """
    url = url.strip()
    if url == "virtual":
        return VirtualBoard(digits)
    try:
        chosen = make_protocol(protocol, address)
    except ValueError as exc:
        raise BoardError(str(exc), f"set board.protocol to one of {', '.join(PROTOCOLS)}") from None
    if parity not in ("N", "E", "O"):
        raise BoardError(f"board parity {parity!r} is not N, E or O", "set board.parity")
    if bytesize not in (7, 8):
        raise BoardError(f"board bytesize {bytesize!r} is not 7 or 8", "set board.bytesize")
    if not timeout > 0:
        raise BoardError(f"board timeout {timeout!r} is not positive", "use e.g. 0.5 seconds")
    if not url:
        raise BoardError("the board URL is empty", "write e.g. /dev/ttyUSB0 or virtual")
    board = SerialBoard(
        url,
        chosen,
        baudrate=baudrate,
        parity=parity,
        bytesize=bytesize,
        timeout=timeout,
        digits=digits,
    )
    try:
        with board._lock:
            board._open()
        board.connected = True
    except BoardError:
        pass  # kept in last_error; the next call tries again and raises
    return board
