"""Every configured device of a branch: last seen, app and version, standing faults."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Label

from queue_api.client import QueueClient
from queue_api.schema import Devices, DeviceStatus, EventType
from supervisor.feed import BranchEvent, follow, read_into
from supervisor.wording import fault_text, words

log = logging.getLogger(__name__)


class DevicesScreen(Screen[None]):
    """Read on start, on each device.alert and every ``refresh_seconds`` (silence is a fault
    only time tells)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(
        self, client: QueueClient, language: str, branch: str, refresh_seconds: float = 30.0
    ) -> None:
        super().__init__()
        self.client = client
        self.language = language
        self.t = words(language)
        self.branch = branch
        self.refresh_seconds = refresh_seconds
        self.devices: Devices | None = None

    def compose(self) -> ComposeResult:
        yield Label(self.t("devices.title", branch=self.branch), id="title", classes="title")
        yield DataTable(id="devices", cursor_type="row", zebra_stripes=True)
        yield Label(self.t("back.hint"), classes="hint")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key in ("device", "role", "counter", "seen", "app", "faults"):
            table.add_column(self.t(f"col.{key}"), key=key)
        follow(self, self.client, self.branch)
        self.read()
        self.set_interval(self.refresh_seconds, self.read)

    def read(self) -> None:
        read_into(
            self, f"devices of {self.branch}", lambda: self.client.devices(self.branch), self._shown
        )

    def _shown(self, devices: Devices) -> None:
        self.devices = devices
        self.draw()

    def on_branch_event(self, message: BranchEvent) -> None:
        if message.event is not None and message.event.type is EventType.DEVICE_ALERT:
            self.read()

    def _seen(self, device: DeviceStatus, now: datetime) -> str:
        if device.streaming:
            return self.t("seen.streaming")
        if device.last_seen is None:
            return self.t("seen.never")
        ago = int((now - device.last_seen).total_seconds() // 60)
        return self.t("seen.now") if ago < 1 else self.t("seen.ago", m=ago)

    def draw(self) -> None:
        devices = self.devices
        if devices is None:
            return
        table = self.query_one(DataTable)
        table.clear()
        for device in devices.devices:
            app = f"{device.app} {device.version}" if device.app else "—"
            faults = Text(
                ", ".join(fault_text(self.t, kind) for kind in device.faults) or "ok",
                style="bold red" if device.faults else "green",
            )
            table.add_row(
                device.name,
                device.role,
                device.counter or "—",
                self._seen(device, devices.at),
                app,
                faults,
                key=device.name,
            )
