"""An office for the desk actions' tests: the example office with outcomes and a policy."""

from __future__ import annotations

import re
from pathlib import Path

from tests.server_process import office_file

OUTCOMES = (
    'outcomes = [{ code = "ok", name = { es = "Resuelto", en = "Resolved" } },'
    ' { code = "papers", name = { es = "Faltan papeles", en = "Needs papers" } }]'
)
"""The outcomes ``desk_office`` gives the ``registro`` service."""


def desk_office(folder: Path, database: Path | str, policy: str = "return_after = 1") -> Path:
    """The example office with ``OUTCOMES`` for ``registro`` and ``[branches.policy]``
    ``policy`` in the centro branch (kiosks without a tickets-a-minute limit)."""
    path = office_file(folder, database, kiosk_tickets_per_minute=0)
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        'name = "Oficina Centro"\n', f'name = "Oficina Centro"\npolicy = {{ {policy} }}\n', 1
    )
    text = re.sub(
        r'(id = "registro"\n(?:.*\n)*?priority_allowed = false\n)',
        rf"\1{OUTCOMES}\n",
        text,
        count=1,
    )
    path.write_text(text, encoding="utf-8")
    return path
