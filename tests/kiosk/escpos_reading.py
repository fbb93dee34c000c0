"""Reading back what a kiosk sent to an ESC/POS printer: the text and the QR codes."""

from __future__ import annotations

import re

#: GS ( k pL pH 49 80 48 d1..dk: "store QR data", k = pL + 256 pH - 3.
_QR_STORE = re.compile(rb"\x1d\(k(.)(.)1P0", re.DOTALL)
#: ESC/POS commands with one argument byte, and those with none (what a ticket uses).
_COMMANDS = re.compile(rb"\x1b[d!Eat-].|\x1d[!V].|\x1b@|\x1c\.", re.DOTALL)


def qr_payloads(data: bytes) -> list[str]:
    """Every QR code's content in ``data``."""
    found = []
    for match in _QR_STORE.finditer(data):
        size = match[1][0] + 256 * match[2][0] - 3
        start = match.end()
        found.append(data[start : start + size].decode("ascii"))
    return found


def printed_text(data: bytes, code_page: str = "cp858") -> str:
    """The words on the paper, with the commands taken out."""
    without_qr = bytearray()
    position = 0
    for match in re.finditer(rb"\x1d\(k(.)(.)", data, re.DOTALL):
        if match.start() < position:
            continue
        without_qr += data[position : match.start()]
        position = match.end() + match[1][0] + 256 * match[2][0]
    without_qr += data[position:]
    return _COMMANDS.sub(b"", bytes(without_qr)).decode(code_page, errors="replace")
