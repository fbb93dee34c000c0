"""``turnero demo``: one window with every program on virtual hardware, and no orphans."""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest
from rich.cells import cell_len
from textual.pilot import Pilot
from textual.widget import Widget

from counter.queue_overview import QueueOverview
from counter.screen import CounterScreen
from device.big_text import BigText
from device.config import DeviceConfig, load_device_config
from kiosk.home_step import HomeStep
from kiosk.kiosk_screen import KioskScreen
from kiosk.priority_step import PriorityStep
from tests.pilot_wait import until
from turnero.demo import demo_server, device_file
from turnero.demo_app import DemoApp, LedBoardView, PaperNote, PaperStrip

ROOT = Path(__file__).resolve().parent.parent.parent


def server_pid(port: int) -> int:
    """The pid of the ``turnero server`` listening on ``port`` (read from /proc)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"server" in command and str(port).encode() in command:
            return int(entry.name)
    raise AssertionError(f"no server process on port {port}")


def wait_for_exit(pid: int, timeout: float = 10.0) -> bool:
    """Block until process ``pid`` (not our child) ends; False on timeout."""
    try:
        handle = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        readable, _, _ = select.select([handle], [], [], timeout)
        return bool(readable)
    finally:
        os.close(handle)


async def test_a_ticket_from_the_kiosk_is_called_at_the_counter_and_shown_everywhere(
    tmp_path: Path,
) -> None:
    with demo_server(tmp_path) as url:
        devices = {
            role: load_device_config(device_file(tmp_path, role, url))
            for role in ("kiosk", "counter", "display")
        }
        app = DemoApp(devices)
        async with app.run_test(size=(160, 48)) as pilot:
            # Tiles appear a moment before the kiosk takes touches: wait for both.
            await until(pilot, lambda: app.screen.available and app.screen.query("ServiceTile"))
            await pilot.press("3")  # registro: one touch, no priority question
            paper = app.screen.query_one(PaperStrip)
            # Wide print on the strip spaces the characters out: "C 0 0 1".
            await until(pilot, lambda: "C001" in str(paper.render()).replace(" ", ""))

            await pilot.press("f11")
            counter = app.screen
            await until(pilot, lambda: getattr(counter, "online", False))
            await pilot.press("n")
            board = counter.query_one(LedBoardView)
            await until(pilot, lambda: board.query_one(BigText).text == "C001")

            await pilot.press("f12")
            lobby = app.screen
            await until(pilot, lambda: bool(lobby.calls) and lobby.calls[0].number == "C001")
            assert lobby.calls[0].counter_label == "Ventanilla 3"


def demo_devices(folder: Path, url: str) -> dict[str, DeviceConfig]:
    """The three demo devices' configs, as ``turnero demo`` writes them, for ``url``."""
    return {
        role: load_device_config(device_file(folder, role, url))
        for role in ("kiosk", "counter", "display")
    }


def uncovered(widget: Widget) -> bool:
    """No other widget (a docked one, say) is drawn over any cell of ``widget``."""
    region = widget.region
    return all(
        widget.screen.get_widget_at(x, y)[0] is widget
        for y in range(region.y, region.bottom)
        for x in range(region.x, region.right)
    )


async def ask_priority_in(pilot: Pilot[None], kiosk: KioskScreen, language: str) -> None:
    """Choose ``language`` and touch Licencias, which asks about priority; check its buttons."""
    await pilot.click(f"#lang-{language}")
    await until(pilot, lambda: kiosk.language == language)
    await pilot.press("1")
    step = kiosk.query_one(PriorityStep)
    await until(pilot, lambda: step.display and step.region.area)
    await pilot.pause()
    for button in step.buttons.values():
        label = str(button.label)
        # The whole label fits the button, and nothing covers the button.
        assert button.content_region.width >= cell_len(label), (language, label)
        assert kiosk.region.contains_region(button.region), (language, label)
        assert uncovered(button), (language, label)
    await pilot.press("0")
    await until(pilot, lambda: kiosk.query_one(HomeStep).display)


async def test_at_80x24_every_button_of_the_priority_question_is_usable(tmp_path: Path) -> None:
    with demo_server(tmp_path) as url:
        app = DemoApp(demo_devices(tmp_path, url))
        async with app.run_test(size=(80, 24)) as pilot:
            kiosk = app.screen
            assert isinstance(kiosk, KioskScreen)
            await until(pilot, lambda: kiosk.available and kiosk.query("ServiceTile"))
            for language in ("es", "en"):
                await ask_priority_in(pilot, kiosk, language)
            # The paper strip gave way to one line, which still tells what was printed.
            assert not kiosk.query_one(PaperStrip).display
            note = kiosk.query_one(PaperNote)
            await pilot.press("3")  # registro: one touch
            await until(pilot, lambda: "printed C001" in str(note.render()))
            assert kiosk.region.contains_region(note.region) and uncovered(note)


# 80x31: tall enough for the counter's roomy layout alone, not under the demo's 7-row board.
@pytest.mark.parametrize("size", [(80, 24), (80, 31)], ids=["80x24", "80x31"])
async def test_in_a_short_terminal_the_counter_keeps_its_queue_under_the_led_board(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    with demo_server(tmp_path) as url:
        app = DemoApp(demo_devices(tmp_path, url))
        async with app.run_test(size=size) as pilot:
            await pilot.press("f11")
            counter = app.screen
            assert isinstance(counter, CounterScreen)
            queue = counter.query_one(QueueOverview)
            await until(pilot, lambda: counter.online and queue.row_count > 0)
            await pilot.pause()
            # The whole queue (border, header, every service) above the buttons, on screen.
            assert queue.region.height == 2 + 1 + queue.row_count
            assert queue.region.bottom <= counter.query_one("#actions").region.y
            assert counter.query_one(LedBoardView).region.height > 0


def test_two_demos_run_side_by_side_on_their_own_ports(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with demo_server(tmp_path / "a") as first, demo_server(tmp_path / "b") as second:
        assert first != second
        for url in (first, second):
            assert httpx.get(f"{url}/api/v1/health").json()["status"] == "ok"


def test_the_demo_server_ends_with_the_demo(tmp_path: Path) -> None:
    with demo_server(tmp_path) as url:
        pid = server_pid(int(url.rsplit(":", 1)[1]))
    assert wait_for_exit(pid), "the server outlived a demo that ended normally"


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="needs Linux pidfd")
def test_the_demo_server_ends_even_when_the_demo_is_killed(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from turnero.demo import demo_server\n"
        f"with demo_server(Path({str(tmp_path)!r})) as url:\n"
        "    print(url, flush=True); sys.stdin.read()\n"
    )
    demo = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert demo.stdout is not None
        url = demo.stdout.readline().decode().strip()
        pid = server_pid(int(url.rsplit(":", 1)[1]))
        demo.send_signal(signal.SIGKILL)
        demo.wait(10)
        assert wait_for_exit(pid), "an orphan server outlived the killed demo"
    finally:
        demo.kill()
        demo.wait()


FROM_THE_WHEEL = """
import sys
import zipfile
from pathlib import Path

import httpx

import turnero
from device.config import load_device_config
from turnero.demo import demo_server, device_file

site, folder = Path(sys.argv[1]), Path(sys.argv[2])
assert Path(turnero.__file__).is_relative_to(site), turnero.__file__  # not the source tree
with demo_server(folder) as url:
    kiosk = load_device_config(device_file(folder, "kiosk", url))
    headers = {"Authorization": f"Bearer {kiosk.server.token}"}
    branch = httpx.get(f"{url}/api/v1/branches/centro", headers=headers).raise_for_status()
    print("served", branch.json()["name"])
"""


def test_the_demo_runs_from_an_installed_wheel(tmp_path: Path) -> None:
    """The wheel carries what the demo needs (the example office), and no ``scripts``."""
    # Built from the tracked files (symlinks kept), in a copy: setuptools' build/ folder in
    # the checkout would keep files of earlier builds and could hide a missing one.
    source = tmp_path / "source"
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
    for name in filter(None, listed.stdout.decode().split("\0")):
        if (ROOT / name).is_symlink() or (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name, follow_symlinks=False)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q", "-w", tmp_path],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = tmp_path.glob("turnero-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
        assert not [name for name in archive.namelist() if name.startswith("scripts/")]
    (tmp_path / "run").mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run(
        [sys.executable, "-c", FROM_THE_WHEEL, str(site), str(tmp_path / "run")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,  # not the checkout: nothing found by accident next to the sources
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("served ")
