"""Text that only redraws when it changes: every Static update reflows the whole screen."""

from __future__ import annotations

from textual.widgets import Static


def set_text(field: Static, text: str, *, fixed_size: bool = False) -> None:
    """Show ``text`` in ``field`` unless it already shows exactly that.

    ``fixed_size``: the field's size is set in CSS, so the screen needs no new layout.
    """
    if field.content != text:
        field.update(text, layout=not fixed_size)
