"""The API's routers, one module per resource."""

from __future__ import annotations

from fastapi import Request

from queue_api.office import Office


def office(request: Request) -> Office:
    """The office this server runs, as ``create_app`` set it up."""
    return request.app.state.office
