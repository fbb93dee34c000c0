"""The PIN pad's verdicts, without an app: right, wrong, locked, and the alerts staff get."""

from __future__ import annotations

from kiosk.pin_pad import PinAttempts, PinGate, PinVerdict


def test_right_wrong_and_locked_pins() -> None:
    gate = PinGate("2468", PinAttempts(lockout=90.0, allowed=2))
    assert gate.check("2468", now=0.0) == PinVerdict(True)
    assert gate.check("1111", now=1.0) == PinVerdict(False, "pin.wrong")
    locked = gate.check("1111", now=2.0)
    assert (locked.opens, locked.refusal, locked.minutes) == (False, "pin.locked", 2)
    assert locked.alert is not None and locked.alert[0] == "kiosk.pin_locked"
    assert "2468" not in locked.alert[1] and "1111" not in locked.alert[1]
    # Locked: even the right PIN is refused, with the minutes left rounded up.
    assert gate.check("2468", now=33.0) == PinVerdict(False, "pin.locked", 1)
    opened = gate.check("2468", now=92.0)
    assert opened.opens and opened.alert is not None and opened.alert[0] == "kiosk.ok"
    assert gate.check("2468", now=93.0) == PinVerdict(True)  # staff were told already
