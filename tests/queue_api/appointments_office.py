"""The example office with appointments: one office file and helpers the appointment tests share."""

from __future__ import annotations

from pathlib import Path

from tests.server_process import office_file

ALL_DAY = ", ".join(
    f'{day} = "00:00-24:00"' for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
)
APPOINTMENTS = (
    f"appointments = {{ slot_minutes = 5, per_slot = 1, days_ahead = 30, hours = {{ {ALL_DAY} }} }}"
)
"""Registro civil takes appointments every five minutes, all day, one citizen per slot: a
test finds a slot about to begin whenever it runs."""


def appointments_office(folder: Path, database: Path | str, closed: str = "") -> Path:
    """The example office (``registro`` takes appointments) on ``database``."""
    path = office_file(folder, database)
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        "target_wait_minutes = 20\n", f"target_wait_minutes = 20\n{APPOINTMENTS}\n", 1
    )
    if closed:
        text = text.replace('name = "Oficina Centro"\n', f'name = "Oficina Centro"\n{closed}\n', 1)
    path.write_text(text, encoding="utf-8")
    return path
