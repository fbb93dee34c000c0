"""Devices starting together on a machine whose /tmp was just emptied (a reboot) each load
python-escpos, which caches its printer profiles in a file: none may read it half written."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("cache", ["none", "older than the package"])
def test_devices_starting_at_once_share_the_escpos_cache_whole(tmp_path: Path, cache: str) -> None:
    folder = tmp_path / f"turnero-escpos-{os.getuid()}"
    if cache != "none":  # as after installing a new python-escpos: it rebuilds the file
        folder.mkdir()
        stale = folder / f"{platform.python_version()}.capabilities.pickle"
        stale.write_bytes(b"")
        os.utime(stale, (0, 0))
    env = {k: v for k, v in os.environ.items() if k != "ESCPOS_CAPABILITIES_PICKLE_DIR"}
    env["TMPDIR"] = str(tmp_path)  # a fresh /tmp: no cache yet
    starts = [
        subprocess.Popen(
            [sys.executable, "-c", "import drivers.printer"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(8)
    ]
    outputs = [
        (process.wait(60), process.stdout.read().decode()) for process in starts if process.stdout
    ]
    assert [code for code, _ in outputs] == [0] * 8, [text for code, text in outputs if code]
    # One cache file, and nothing left of the ones built aside.
    assert [path.suffix for path in folder.iterdir()] == [".pickle"]
