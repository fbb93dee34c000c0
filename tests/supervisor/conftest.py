"""Fixtures of the supervisor app's tests: its device file, and a morning at the office."""

from __future__ import annotations

import uuid

import httpx

from device.config import DeviceConfig
from supervisor.app import SupervisorApp
from tests.server_process import TOKENS, ServerProcess


def device_for(url: str, token: str = TOKENS["supervisor"]) -> DeviceConfig:
    """The supervisor's device file (a supervisor token for every branch)."""
    return DeviceConfig.model_validate(
        {
            "server": {"url": url, "token": token, "branch": "centro"},
            "device": {"name": "supervision", "languages": ["es", "en"]},
        }
    )


def make_app(server: ServerProcess, refresh_seconds: float = 3600.0) -> SupervisorApp:
    """The app with a periodic read far off: whatever changes on screen came by an event."""
    return SupervisorApp(device_for(server.url), refresh_seconds=refresh_seconds)


def call(server: ServerProcess, role: str, method: str, path: str, body: dict | None = None):
    """One call to the branch centro as one of the example office's devices."""
    headers = {
        "Authorization": f"Bearer {TOKENS[role]}",
        "Idempotency-Key": uuid.uuid4().hex,
        # What the devices screen shows as their app: fixed, whatever httpx's version.
        "User-Agent": f"turnero-{role}/1.0",
    }
    answer = httpx.request(
        method,
        f"{server.url}/api/v1/branches/centro{path}",
        json=body,
        headers=headers,
        timeout=5,
    )
    answer.raise_for_status()
    return answer


def issue(server: ServerProcess, service: str, n: int = 1) -> None:
    for _ in range(n):
        call(server, "kiosk", "POST", "/tickets", {"service": service})


def morning(server: ServerProcess) -> None:
    """Tickets in every service, two desks at work, one done and one no-show."""
    issue(server, "licencias", 4)
    issue(server, "pagos", 2)
    issue(server, "registro", 1)
    call(server, "counter1", "POST", "/counters/1/open", {"clerk": "Ana"})
    call(server, "counter1", "POST", "/counters/1/next")
    call(server, "counter1", "POST", "/counters/1/finish")
    call(server, "counter1", "POST", "/counters/1/next")
    call(server, "counter2", "POST", "/counters/2/next")
    call(server, "counter2", "POST", "/counters/2/no-show")
    call(server, "counter3", "POST", "/counters/3/next")
    call(server, "counter3", "POST", "/counters/3/finish")
    call(server, "counter3", "POST", "/counters/3/pause")
