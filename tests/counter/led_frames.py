"""Reading back what a Modbus LED-485 board received: the value register or the segment string.

Decoded from the bytes at the far end of the pty (HARDWARE.md register map), so the tests
check what a citizen would see, not the bytes the driver happened to choose.
"""

from __future__ import annotations

from drivers.board_protocols import SEGMENTS, crc16_modbus

# Digits first: a 7-segment "0" and "O" (or "5" and "S") look the same; tickets use digits.
_GLYPHS: dict[int, str] = {}
for _char, _code in sorted(SEGMENTS.items(), key=lambda item: not item[0].isdigit()):
    _GLYPHS.setdefault(_code, _char)

VALUE_REGISTER = 0x0000
SEGMENT_REGISTER = 0x0080


def decode(frame: bytes, digits: int = 4) -> str:
    """The text a ``digits`` wide board shows after ``frame`` (spaces for dark digits)."""
    assert crc16_modbus(frame) == 0, f"bad CRC in {frame.hex(' ')}"
    function = frame[1]
    if function == 0x06:
        register = int.from_bytes(frame[2:4], "big")
        assert register == VALUE_REGISTER, f"write to register {register:#06x}"
        return str(int.from_bytes(frame[4:6], "big")).rjust(digits)
    if function == 0x10:
        register = int.from_bytes(frame[2:4], "big")
        assert register == SEGMENT_REGISTER, f"write to register {register:#06x}"
        count = frame[6]
        codes = frame[7 : 7 + count]
        return "".join(_GLYPHS[code] for code in codes)[:digits].ljust(digits)
    raise AssertionError(f"unexpected Modbus function {function:#04x}")


def shown(frames: list[bytes], digits: int = 4) -> list[str]:
    """What the board showed, frame after frame."""
    return [decode(frame, digits) for frame in frames]
