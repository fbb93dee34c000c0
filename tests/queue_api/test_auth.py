"""Every call of API.md against every role: 401 without a known token, 403 outside the scope.

One server for the module; each allowed counter action first puts counter 1 in a state where
the action succeeds (as admin), so the expected code is exact.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.queue_api.conftest import bearer
from tests.server_process import TOKENS, ServerProcess

B = "/api/v1/branches/centro"
C = f"{B}/counters/1"
UNKNOWN_TOKEN = "not-a-known-token-6c1f"

ROLES = {
    "kiosk": TOKENS["kiosk"],
    "counter_own": TOKENS["counter1"],
    "counter_other": TOKENS["counter2"],
    "display": TOKENS["display"],
    "admin": TOKENS["admin"],
    "kiosk_norte": TOKENS["kiosk_norte"],
    "no_token": None,
    "unknown_token": UNKNOWN_TOKEN,
}

ANYONE = dict.fromkeys(ROLES, 200)
KNOWN = {**dict.fromkeys(ROLES, 200), "no_token": 401, "unknown_token": 401}
IN_BRANCH = {**KNOWN, "kiosk_norte": 403}
COUNTER = {
    **dict.fromkeys(ROLES, 403),
    "counter_own": 200,
    "admin": 200,
    "no_token": 401,
    "unknown_token": 401,
}
ISSUERS = {**COUNTER, "counter_own": 403, "kiosk": 201, "admin": 201}
ADMIN_ONLY = {**COUNTER, "counter_own": 403}
ALERTS = {**IN_BRANCH, **{role: 202 for role, code in IN_BRANCH.items() if code == 200}}

# name: (method, path, body, expected code per role, state to prepare for allowed roles)
CALLS: dict[str, tuple[str, str, dict | None, dict[str, int], str | None]] = {
    "health": ("GET", "/api/v1/health", None, ANYONE, None),
    "openapi": ("GET", "/openapi.json", None, ANYONE, None),
    "whoami": ("GET", "/api/v1/whoami", None, KNOWN, None),
    "branches": ("GET", "/api/v1/branches", None, KNOWN, None),
    "branch": ("GET", B, None, IN_BRANCH, None),
    "queue": ("GET", f"{B}/queue", None, IN_BRANCH, None),
    "board": ("GET", f"{B}/board", None, IN_BRANCH, None),
    "events": ("GET", f"{B}/events", None, IN_BRANCH, None),
    "issue": ("POST", f"{B}/tickets", {"service": "pagos"}, ISSUERS, None),
    "public ticket": ("GET", "/api/v1/tickets/{ticket}", None, ANYONE, None),
    "status page": ("GET", "/t/{ticket}", None, ANYONE, None),
    "counter": ("GET", C, None, IN_BRANCH, None),
    "next": ("POST", f"{C}/next", None, COUNTER, "waiting"),
    "next, nobody waits": (
        "POST",
        f"{C}/next",
        None,
        {**COUNTER, "counter_own": 204, "admin": 204},
        "empty",
    ),
    "recall": ("POST", f"{C}/recall", None, COUNTER, "called"),
    "start": ("POST", f"{C}/start", None, COUNTER, "called"),
    "finish": ("POST", f"{C}/finish", None, COUNTER, "called"),
    "no-show": ("POST", f"{C}/no-show", None, COUNTER, "called"),
    "transfer": ("POST", f"{C}/transfer", {"service": "registro"}, COUNTER, "called"),
    "open": ("POST", f"{C}/open", None, COUNTER, "idle"),
    "pause": ("POST", f"{C}/pause", None, COUNTER, "idle"),
    "close": ("POST", f"{C}/close", None, COUNTER, "idle"),
    "pause with a ticket": (
        "POST",
        f"{C}/pause",
        None,
        {**COUNTER, "counter_own": 409, "admin": 409},
        "called",
    ),
    "close with a ticket": (
        "POST",
        f"{C}/close",
        None,
        {**COUNTER, "counter_own": 409, "admin": 409},
        "called",
    ),
    "recall without a ticket": (
        "POST",
        f"{C}/recall",
        None,
        {**COUNTER, "counter_own": 409, "admin": 409},
        "idle",
    ),
    "stats": ("GET", f"{B}/stats", None, ADMIN_ONLY, None),
    "standing alerts": ("GET", f"{B}/alerts", None, IN_BRANCH, None),
    "alert": ("POST", f"{B}/alerts", {"device": "printer-1", "kind": "paper_out"}, ALERTS, None),
    "branch page": ("GET", "/b/centro", None, ANYONE, None),
    "lobby page": ("GET", "/b/centro/lobby", None, ANYONE, None),
    "lobby stream": ("GET", "/b/centro/lobby/events", None, ANYONE, None),
}

ADMIN = bearer(TOKENS["admin"])


@pytest.fixture(scope="module")
def api(shared_server: ServerProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=shared_server.url, timeout=10) as client:
        yield client


@pytest.fixture(scope="module")
def seen(api: httpx.Client) -> list[str]:
    """Every response text and header of the module, to look for leaked tokens."""
    return []


@pytest.fixture(scope="module")
def ticket_id(api: httpx.Client) -> str:
    response = api.post(
        f"{B}/tickets",
        json={"service": "registro"},
        headers={**ADMIN, "Idempotency-Key": "auth-public-ticket"},
    )
    assert response.status_code == 201
    return response.json()["id"]


def admin_post(api: httpx.Client, path: str, **kwargs) -> httpx.Response:
    response = api.post(path, headers=ADMIN, **kwargs)
    assert response.status_code < 300, response.text
    return response


def prepare(api: httpx.Client, state: str) -> None:
    """Put counter 1 in ``state``: idle (no ticket), called (holds a called ticket), waiting
    (no ticket, one waiting for it), empty (nobody waits for it)."""
    current = api.get(C, headers=ADMIN).json()["current"]
    if current is not None:
        admin_post(api, f"{C}/finish")
    if state in ("called", "empty"):
        # Drain every ticket counter 1 could call; for "called" keep one at the desk.
        while admin_post(api, f"{C}/next").status_code == 200:
            pass
    if state in ("called", "waiting"):
        response = api.post(
            f"{B}/tickets",
            json={"service": "licencias"},
            headers={**ADMIN, "Idempotency-Key": f"prep-{_n()}"},
        )
        assert response.status_code == 201
    if state == "called":
        assert admin_post(api, f"{C}/next").status_code == 200


_counter = iter(range(1_000_000))


def _n() -> int:
    return next(_counter)


def send(
    api: httpx.Client, method: str, path: str, body: dict | None, token: str | None, seen: list[str]
) -> int:
    headers = {**bearer(token), "Idempotency-Key": f"auth-{_n()}"}
    if path.endswith("/events"):
        with api.stream(method, path, headers=headers) as response:
            status = response.status_code
            if status != 200:
                response.read()
                seen.append(response.text)
            seen.append(str(response.headers))
            return status
    response = api.request(method, path, json=body, headers=headers)
    seen.append(response.text + str(response.headers))
    return response.status_code


CASES = [(call, role) for call in CALLS for role in ROLES]


@pytest.mark.parametrize(("call", "role"), CASES, ids=[f"{c}-{r}" for c, r in CASES])
def test_role_matrix(
    api: httpx.Client, ticket_id: str, seen: list[str], call: str, role: str
) -> None:
    method, path, body, expected, state = CALLS[call]
    if state is not None:
        prepare(api, state)
    status = send(api, method, path.format(ticket=ticket_id), body, ROLES[role], seen)
    assert status == expected[role]


@pytest.mark.parametrize(
    "header",
    ["Basic ZGVtbzpkZW1v", "Bearer", "bearer x y", "Token " + TOKENS["admin"], TOKENS["admin"]],
)
def test_malformed_authorization_is_401_problem(api: httpx.Client, header: str) -> None:
    response = api.get(B, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    detail = response.json()["detail"]
    assert "Authorization: Bearer" in detail or "not known to the server" in detail
    assert TOKENS["admin"] not in detail


def test_scope_errors_say_who_may_not_do_what(api: httpx.Client) -> None:
    response = api.post(f"{B}/counters/2/next", headers=bearer(TOKENS["counter1"]))
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "device 'ventanilla-1' (counter) may not act on counter '2' of branch 'centro'"
    )
    response = api.get("/api/v1/branches/norte", headers=bearer(TOKENS["kiosk"]))
    assert response.json()["detail"] == "device 'kiosk-entrada' (kiosk) may not read branch 'norte'"


def test_branches_lists_only_what_the_token_sees(api: httpx.Client) -> None:
    assert [b["id"] for b in api.get("/api/v1/branches", headers=ADMIN).json()] == [
        "centro",
        "norte",
    ]
    mine = api.get("/api/v1/branches", headers=bearer(TOKENS["kiosk_norte"])).json()
    assert mine == [{"id": "norte", "name": "Oficina Norte"}]


def test_admin_gets_404_for_unknown_things(api: httpx.Client) -> None:
    assert api.get("/api/v1/branches/sur", headers=ADMIN).status_code == 404
    assert api.get(f"{B}/counters/9", headers=ADMIN).status_code == 404
    assert api.post(f"{B}/counters/9/next", headers=ADMIN).status_code == 404
    assert api.get("/api/v1/tickets/nope").status_code == 404


def test_whoami_tells_the_role_and_scope(api: httpx.Client) -> None:
    who = api.get("/api/v1/whoami", headers=bearer(TOKENS["counter3"])).json()
    assert who == {
        "device": "ventanilla-3",
        "role": "counter",
        "branch": "centro",
        "counter": "3",
        "branches": None,
    }


def test_tokens_never_appear_in_bodies_or_logs(
    api: httpx.Client, seen: list[str], shared_server: ServerProcess
) -> None:
    """Runs last in the module: every body and header, and the whole server output."""
    # A failing request with an unknown token, so the log had a chance to print it.
    api.post(f"{B}/tickets", headers=bearer(UNKNOWN_TOKEN), content=b"{")
    assert len(seen) >= len(CASES)
    log = "".join(shared_server.output)
    for token in [*TOKENS.values(), UNKNOWN_TOKEN]:
        assert not any(token in text for text in seen), token
        assert token not in log, token
