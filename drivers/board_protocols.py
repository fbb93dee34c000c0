"""How LED counter boards want their frames: pure encoders and reply decoders, no I/O.

Each protocol turns the text to show into the bytes of one frame, and tells whether the
board's reply is an acknowledgement. Chosen by name in the device config (``protocol``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

#: The name the device config uses for each protocol.
PROTOCOLS = ("modbus-rtu", "ascii")


class Reply(Enum):
    """What a board said to a frame."""

    ACK = "ack"  # taken
    NAK = "nak"  # refused (bad register, bad checksum...)
    NONE = "none"  # nothing came back in time
    GARBLED = "garbled"  # bytes came, but not a valid answer (speed, parity, wiring)
    OTHER_ADDRESS = "other address"  # a valid answer from another board on the bus


def compose(number: str, counter: str | None, digits: int) -> str:
    """The text for a ``digits`` wide board: the number, and the counter on the right if it fits.

    Raises ValueError when the number alone does not fit (the board is too small for it).
    """
    number = number.strip()
    if len(number) > digits:
        raise ValueError(
            f"ticket number {number!r} has {len(number)} characters but the board shows "
            f"{digits}: set board.digits or use shorter numbers"
        )
    counter = (counter or "").strip()
    if counter and len(number) + 1 + len(counter) <= digits:
        return number + counter.rjust(digits - len(number))
    return number.rjust(digits)


# -- Modbus RTU "LED-485" digit boards ----------------------------------------------------

#: 7-segment codes (bit 0 = segment a .. bit 6 = g) of what such a board can draw.
SEGMENTS: dict[str, int] = {
    " ": 0x00, "-": 0x40, "_": 0x08, "0": 0x3F, "1": 0x06, "2": 0x5B, "3": 0x4F, "4": 0x66,
    "5": 0x6D, "6": 0x7D, "7": 0x07, "8": 0x7F, "9": 0x6F, "A": 0x77, "B": 0x7C, "C": 0x39,
    "D": 0x5E, "E": 0x79, "F": 0x71, "G": 0x3D, "H": 0x76, "I": 0x30, "J": 0x1E, "L": 0x38,
    "N": 0x54, "O": 0x3F, "P": 0x73, "Q": 0x67, "R": 0x50, "S": 0x6D, "T": 0x78, "U": 0x3E,
    "Y": 0x6E,
}  # fmt: skip

MODBUS_EXCEPTIONS = {
    1: "illegal function",
    2: "illegal data address",
    3: "illegal data value",
    4: "device failure",
}


def crc16_modbus(data: bytes) -> int:
    """CRC-16/MODBUS: init 0xFFFF, reflected polynomial 0xA001."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def with_crc(body: bytes) -> bytes:
    """A Modbus RTU frame: ``body`` then its CRC, low byte first."""
    crc = crc16_modbus(body)
    return body + bytes([crc & 0xFF, crc >> 8])


@dataclass(frozen=True)
class ModbusRtu:
    """LED-485 boards: value in holding register 0 (FC06), segment string at 0x0080 (FC16)."""

    address: int = 1
    name = "modbus-rtu"
    acknowledges = True
    VALUE_REGISTER = 0x0000
    SEGMENT_REGISTER = 0x0080

    def __post_init__(self) -> None:
        if not 1 <= self.address <= 247:
            raise ValueError(
                f"Modbus address {self.address} is out of range: use the board's unit id, 1-247"
            )

    def frame(self, text: str) -> bytes:
        """Plain numbers go to the value register; anything with letters or blanks as segments."""
        if (
            re.fullmatch(r" *[0-9]+", text)
            and int(text) <= 0xFFFF
            and not text.strip().startswith("0")
        ):
            return self.write_register(self.VALUE_REGISTER, int(text))
        return self.write_segments(text)

    def cannot_draw(self, text: str) -> str:
        """The characters of ``text`` a 7-segment digit cannot draw (K, M, V, W, X, Z...)."""
        return "".join(sorted({char for char in text.upper() if char not in SEGMENTS}))

    def write_register(self, register: int, value: int) -> bytes:
        """FC06 write single register."""
        return with_crc(
            bytes([self.address, 0x06]) + register.to_bytes(2, "big") + value.to_bytes(2, "big")
        )

    def write_segments(self, text: str) -> bytes:
        """FC16 write of the segment string, two characters a register."""
        codes = []
        for char in text.upper():
            if char not in SEGMENTS:
                raise ValueError(
                    f"{char!r} cannot be drawn on a 7-segment board: use digits and the letters "
                    + "".join(c for c in SEGMENTS if c.isalpha())
                )
            codes.append(SEGMENTS[char])
        if len(codes) % 2:
            codes.append(0x00)
        registers = len(codes) // 2
        return with_crc(
            bytes([self.address, 0x10])
            + self.SEGMENT_REGISTER.to_bytes(2, "big")
            + registers.to_bytes(2, "big")
            + bytes([len(codes)])
            + bytes(codes)
        )

    def reply_length(self, head: bytes) -> int:
        """How many bytes the reply has, judging from its first ones (exceptions are short)."""
        if len(head) < 2:
            return 2
        return 5 if head[1] & 0x80 else 8

    def check_reply(self, request: bytes, reply: bytes) -> tuple[Reply, str]:
        """Decode the board's reply to ``request``: (kind, detail for a person)."""
        if not reply:
            return Reply.NONE, ""
        if len(reply) < 5 or crc16_modbus(reply) != 0:  # a frame with its CRC checks to 0
            return Reply.GARBLED, reply.hex(" ")
        if reply[0] != self.address:
            return Reply.OTHER_ADDRESS, f"answer from unit {reply[0]}"
        if reply[1] == request[1] | 0x80:
            code = reply[2]
            return Reply.NAK, f"Modbus exception {code}: {MODBUS_EXCEPTIONS.get(code, 'unknown')}"
        # FC06 echoes the request; FC16 echoes address, function, start and quantity.
        if reply[:6] == request[:6] and len(reply) == 8:
            return Reply.ACK, ""
        return Reply.GARBLED, reply.hex(" ")


# -- Addressed ASCII boards (EDI-style and unbranded queue boards) --------------------------


@dataclass(frozen=True)
class AsciiFraming:
    """``start + address + text + [checksum] + end``; every piece configurable, as vendors vary."""

    address: int = 1
    start: bytes = b"\x02"
    end: bytes = b"\x03"
    #: Python format of the address: "{:02d}" gives "01"; "" leaves it out.
    address_format: str = "{:02d}"
    checksum: str = "none"  # none, xor or sum (mod 256), over address + text
    #: How the checksum is written: "hex" (two ASCII digits) or "byte" (one raw byte).
    checksum_format: str = "hex"
    #: Reply bytes meaning taken / refused; ack None means the board never answers.
    ack: bytes | None = None
    nak: bytes = b"\x15"
    encoding: str = "ascii"
    name = "ascii"

    def __post_init__(self) -> None:
        if self.checksum not in ("none", "xor", "sum"):
            raise ValueError(f"ascii checksum {self.checksum!r} is unknown: use none, xor or sum")
        if self.checksum_format not in ("hex", "byte"):
            raise ValueError(
                f"checksum format {self.checksum_format!r} is unknown: use hex or byte"
            )
        if not 0 <= self.address <= 255:
            raise ValueError(f"board address {self.address} is out of range: use 0-255")

    @property
    def acknowledges(self) -> bool:
        """Whether the board answers each frame."""
        return self.ack is not None

    def frame(self, text: str) -> bytes:
        """One frame showing ``text``."""
        try:
            body = self.address_format.format(self.address).encode("ascii") + text.encode(
                self.encoding
            )
        except UnicodeEncodeError:
            raise ValueError(f"{text!r} has characters this board cannot show") from None
        return self.start + body + self._checksum(body) + self.end

    def cannot_draw(self, text: str) -> str:
        """The characters of ``text`` the board's encoding cannot carry."""
        return "".join(sorted({char for char in text if not _encodes(char, self.encoding)}))

    def _checksum(self, body: bytes) -> bytes:
        if self.checksum == "none":
            return b""
        value = 0
        for byte in body:
            value = value ^ byte if self.checksum == "xor" else (value + byte) & 0xFF
        return f"{value:02X}".encode() if self.checksum_format == "hex" else bytes([value])

    def reply_length(self, head: bytes) -> int:
        """Acks and naks are single bytes (or the configured ack string)."""
        return len(self.ack or b"\x06")

    def check_reply(self, request: bytes, reply: bytes) -> tuple[Reply, str]:
        """ack / nak / none, from the configured reply bytes."""
        if not reply:
            return Reply.NONE, ""
        if self.ack is not None and reply == self.ack:
            return Reply.ACK, ""
        if reply.startswith(self.nak):
            return Reply.NAK, "the board refused the frame (check checksum and address format)"
        return Reply.GARBLED, reply.hex(" ")


def _encodes(char: str, encoding: str) -> bool:
    try:
        char.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


Protocol = ModbusRtu | AsciiFraming


def _bytes_option(value: object) -> object:
    """'02' or '0x02' or '02 03' -> raw bytes; 'none' -> empty."""
    if not isinstance(value, str):
        return value
    if value.lower() in ("", "none"):
        return b""
    return bytes.fromhex(value.lower().replace("0x", "").replace(" ", ""))


def _ack_option(value: object) -> object:
    """Like :func:`_bytes_option`, but no bytes means the board never answers (None)."""
    return _bytes_option(value) or None


def _address_width(value: object) -> object:
    """'2' or '2d' -> the format of a two-digit address; '0' -> no address in the frame."""
    if not isinstance(value, str):
        return value
    width = int(value.rstrip("d"))
    return f"{{:0{width}d}}" if width else ""


HexBytes = Annotated[bytes, BeforeValidator(_bytes_option)]


class AsciiOptions(BaseModel):
    """The options after ``ascii:``, e.g. ``checksum=xor,ack=06,end=0d``: unknown keys refused.

    Checksum names are checked by :class:`AsciiFraming`, the one place that knows them.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: HexBytes = b"\x02"
    end: HexBytes = b"\x03"
    address_format: Annotated[str, BeforeValidator(_address_width)] = Field(
        "{:02d}", alias="address"
    )
    checksum: str = "none"
    checksum_format: str = "hex"
    ack: Annotated[bytes | None, BeforeValidator(_ack_option)] = None
    nak: HexBytes = b"\x15"

    @classmethod
    def parse(cls, text: str) -> AsciiOptions:
        """The options of ``key=value,...``; ValueError names the first wrong item."""
        items: dict[str, str] = {}
        for item in filter(None, (part.strip() for part in text.split(","))):
            key, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"ascii option {item!r} has no value: write key=value")
            items[key] = value
        try:
            return cls.model_validate(items)
        except ValidationError as exc:
            raise _first_wrong(items, exc) from None


def _first_wrong(items: dict[str, str], error: ValidationError) -> ValueError:
    """The error of the wrong item written first, in the words a technician reads."""
    order = list(items)
    first = min(error.errors(), key=lambda e: order.index(str(e["loc"][0])))
    key = str(first["loc"][0])
    if first["type"] == "extra_forbidden":
        return ValueError(
            f"unknown ascii option {key!r}: use start, end, address, checksum, "
            "checksum_format, ack, nak"
        )
    cause = (first.get("ctx") or {}).get("error", first["msg"])
    item = f"{key}={items[key]}"
    return ValueError(f"ascii option {item!r}: value not understood ({cause})")


def make_protocol(spec: str, address: int) -> Protocol:
    """A protocol from its config name, e.g. ``modbus-rtu`` or ``ascii``.

    ASCII boards take options after a colon: ``ascii:checksum=xor,ack=06,start=02,end=0d,
    address=3d`` (address width in digits, 0 for none; byte values in hex).
    """
    name, _, option_text = spec.strip().partition(":")
    if name == "modbus-rtu":
        if option_text:
            raise ValueError("modbus-rtu takes no options: use the address setting")
        return ModbusRtu(address)
    if name != "ascii":
        raise ValueError(f"unknown board protocol {name!r}: use one of {', '.join(PROTOCOLS)}")
    return AsciiFraming(address, **AsciiOptions.parse(option_text).model_dump())


def pattern_frames(digits: int) -> list[str]:
    """A walking pattern: every segment lit, then 0000, 1111 ... 9999, then a blank."""
    return ["8" * digits] + [str(d) * digits for d in range(10)] + [" " * digits]
