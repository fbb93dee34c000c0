"""The published spec agrees with API.md, and fuzzing it finds no 5xx and no undocumented code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.server_process import TOKENS, ServerProcess

SCHEMATHESIS = Path(sys.executable).parent / "st"

API_MD_CALLS = {
    ("get", "/api/v1/health"),
    ("get", "/api/v1/branches"),
    ("get", "/api/v1/branches/{b}"),
    ("get", "/api/v1/branches/{b}/queue"),
    ("get", "/api/v1/branches/{b}/board"),
    ("get", "/api/v1/branches/{b}/events"),
    ("post", "/api/v1/branches/{b}/tickets"),
    ("get", "/api/v1/tickets/{ticket_id}"),
    ("get", "/t/{ticket_id}"),
    ("get", "/api/v1/branches/{b}/counters/{c}"),
    *(
        ("post", f"/api/v1/branches/{{b}}/counters/{{c}}/{action}")
        for action in (
            "next",
            "recall",
            "start",
            "finish",
            "no-show",
            "transfer",
            "open",
            "pause",
            "close",
        )
    ),
    ("post", "/api/v1/branches/{b}/alerts"),
    ("get", "/api/v1/branches/{b}/stats"),
    ("post", "/api/v1/branches/{b}/counters/{c}/call"),
    ("post", "/api/v1/branches/{b}/tickets/{ticket_id}/return"),
    ("get", "/api/v1/reports"),  # v1 additions
    # v1 additions: the supervisor's
    ("get", "/api/v1/branches/{b}/kpis"),
    ("get", "/api/v1/branches/{b}/staffing"),
    ("get", "/api/v1/branches/{b}/devices"),
    # v1 additions: appointments
    ("get", "/api/v1/branches/{b}/slots"),
    ("post", "/api/v1/branches/{b}/appointments"),
    ("get", "/api/v1/appointments/{appointment_id}"),
    ("get", "/api/v1/appointments/{appointment_id}.ics"),
    ("delete", "/api/v1/appointments/{appointment_id}"),
    ("get", "/api/v1/branches/{b}/appointments"),
    ("post", "/api/v1/branches/{b}/check-in"),
    ("get", "/b/{b}/book"),
    ("get", "/a/{appointment_id}"),
}

PHONE_CALLS = {
    ("get", "/api/v1/tickets/{ticket_id}/events"),
    ("post", "/api/v1/branches/{b}/remote-tickets"),
    ("post", "/api/v1/tickets/{ticket_id}/feedback"),
}
"""API.md v1 additions: the citizen's phone; public, no token."""

OUR_CALLS = {
    ("get", "/api/v1/whoami"),  # which role and scope a token has: for `turnero diag api`
    ("get", "/api/v1/branches/{b}/alerts"),  # the faults that stand: for a counter that starts
    ("get", "/b/{b}"),  # API.md's public pages, v1 additions
    ("get", "/b/{b}/lobby"),
    ("get", "/b/{b}/lobby/events"),  # the lobby page's public stream: calls and counts only
    # The tickets a counter may call, ranked by the policy: to call one out of order.
    ("get", "/api/v1/branches/{b}/counters/{c}/waiting"),
}
"""Calls API.md does not list, added where it was silent (said in the closing note)."""

HTML_PAGES = {"/b/{b}", "/b/{b}/lobby"}
"""Public pages that answer an unknown branch with an HTML page."""
PUBLIC_PAGES = {*HTML_PAGES, "/b/{b}/lobby/events"}
APPOINTMENTS_PUBLIC = {
    ("get", "/api/v1/branches/{b}/slots"),
    ("post", "/api/v1/branches/{b}/appointments"),
    ("get", "/api/v1/appointments/{appointment_id}"),
    ("get", "/api/v1/appointments/{appointment_id}.ics"),
    ("delete", "/api/v1/appointments/{appointment_id}"),
    ("get", "/b/{b}/book"),
    ("get", "/a/{appointment_id}"),
}
"""Public calls of the v1 additions (a citizen has no token); an admin's token is taken where
API.md says so, without being asked for."""


@pytest.fixture(scope="module")
def spec(shared_server: ServerProcess) -> dict:
    return httpx.get(f"{shared_server.url}/openapi.json").json()


def test_the_spec_has_every_call_of_api_md(spec: dict) -> None:
    published = {(method, path) for path, item in spec["paths"].items() for method in item}
    assert published == API_MD_CALLS | PHONE_CALLS | OUR_CALLS


def test_every_authenticated_call_documents_401_and_403(spec: dict) -> None:
    public = {"/api/v1/health", "/api/v1/tickets/{ticket_id}", "/t/{ticket_id}", *PUBLIC_PAGES}
    public |= {path for _, path in PHONE_CALLS}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            if path in public or (method, path) in APPOINTMENTS_PUBLIC:
                assert "401" not in codes, (method, path)
            elif path != "/api/v1/whoami":
                assert {"401", "403"} <= codes, (method, path)
            errors = {code for code in codes if code.startswith("4")}
            if (
                path in ("/t/{ticket_id}", "/a/{appointment_id}", "/b/{b}/book")
                or path in HTML_PAGES
            ):
                errors.discard("404")  # the phone page answers an unknown id with HTML
            for code in errors:  # errors are problem+json, with the Problem schema
                content = operation["responses"][code].get("content", {})
                assert content == {
                    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                }, (method, path, code)


def test_the_spec_declares_the_bearer_scheme_on_every_authenticated_call(spec: dict) -> None:
    schemes = spec["components"]["securitySchemes"]
    assert schemes == {
        "DeviceToken": {
            "type": "http",
            "scheme": "bearer",
            "description": "The device token from the device file (server.token)",
        }
    }
    public = {"/api/v1/health", "/api/v1/tickets/{ticket_id}", "/t/{ticket_id}", *PUBLIC_PAGES}
    public |= {path for _, path in PHONE_CALLS}
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            anyone = path in public or (method, path) in APPOINTMENTS_PUBLIC
            expected = None if anyone else [{"DeviceToken": []}]
            assert operation.get("security") == expected, (method, path)


def test_next_documents_its_204(spec: dict) -> None:
    codes = spec["paths"]["/api/v1/branches/{b}/counters/{c}/next"]["post"]["responses"]
    assert {"200", "204", "409"} <= set(codes)


def fuzz(server: ServerProcess, folder: Path, token: str, *, fixed_ids: bool) -> str:
    """Run schemathesis against the live server; returns its report when it fails."""
    config = folder / "schemathesis.toml"
    # Fixed branch and counter ids take the requests past the 404s into the queue's logic;
    # without them, random ids exercise the scope and not-found paths.
    config.write_text(
        '[parameters]\n"path.b" = "centro"\n"path.c" = "1"\n' if fixed_ids else "", encoding="utf-8"
    )
    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(config),
        "run",
        f"{server.url}/openapi.json",
        "--checks",
        "not_a_server_error,status_code_conformance,content_type_conformance",
        "--header",
        f"Authorization: Bearer {token}",
        "--max-examples",
        "25",
        "--phases",
        "coverage,fuzzing,stateful",
        "--exclude-path-regex",
        "/events$",  # a stream that never ends: tested in test_events
        "--request-timeout",
        "5",
        "--generation-database",
        "none",
        "--no-color",
    ]
    result = subprocess.run(command, capture_output=True, text=True, cwd=folder, timeout=120)
    return "" if result.returncode == 0 else result.stdout[-6000:] + result.stderr[-2000:]


@pytest.mark.parametrize(
    ("role", "fixed_ids"), [("admin", True), ("kiosk", True), ("counter1", False)]
)
def test_fuzzing_finds_no_server_error_and_no_undocumented_code(
    server: ServerProcess, tmp_path: Path, role: str, fixed_ids: bool
) -> None:
    report = fuzz(server, tmp_path, TOKENS[role], fixed_ids=fixed_ids)
    assert not report, report
    output = "".join(server.output)
    assert "Traceback" not in output and "unexpected error" not in output


def test_the_idempotency_key_is_a_required_header(spec: dict) -> None:
    operation = spec["paths"]["/api/v1/branches/{b}/tickets"]["post"]
    (key,) = [p for p in operation["parameters"] if p["name"].lower() == "idempotency-key"]
    assert (key["in"], key["required"]) == ("header", True)
    assert key["schema"]["maxLength"] == 128
