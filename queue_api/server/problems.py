"""Every error as RFC 9457 problem+json with a sentence a person can act on."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from queue_api.engine import RuleViolation
from queue_api.office import Conflict, NotFound
from queue_api.schema import Problem
from queue_api.store import StoreUnavailable

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"

TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    422: "Invalid request",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}


def problem(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """An RFC 9457 problem+json answer."""
    body = Problem(title=TITLES.get(status, "Error"), status=status, detail=detail)
    return JSONResponse(
        body.model_dump(), status_code=status, media_type=MEDIA_TYPE, headers=headers
    )


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error codes a route can answer."""
    return {
        code: {"model": Problem, "description": TITLES[code], "content": {MEDIA_TYPE: {}}}
        for code in codes
    }


def _describe_validation(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "the request is not valid"


PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
ERROR_SCHEMAS = ("#/components/schemas/Problem", "#/components/schemas/HTTPValidationError")


def _document_problems(app: FastAPI) -> None:
    """Make /openapi.json say what the server sends: errors as problem+json, 422 included
    (FastAPI documents its own validation body as application/json otherwise)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        for item in schema.get("paths", {}).values():
            for operation in item.values():
                for code, answer in operation.get("responses", {}).items():
                    plain = answer.get("content", {}).get("application/json", {})
                    if (
                        code.isdigit()
                        and int(code) >= 400
                        and plain.get("schema", {}).get("$ref") in ERROR_SCHEMAS
                    ):
                        answer["content"] = {MEDIA_TYPE: {"schema": PROBLEM_REF}}
                        answer["description"] = TITLES.get(int(code), answer["description"])
        components = schema.get("components", {}).get("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def install(app: FastAPI) -> None:
    """Answer every error of ``app`` as problem+json, and document them so."""
    _document_problems(app)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "")
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"there is no {request.url.path}: see /openapi.json for the API's paths"
        elif exc.status_code == 400 and detail == "There was an error parsing the body":
            # FastAPI's words when the body is not UTF-8 JSON at all.
            detail = "the body could not be read: send a JSON object encoded in UTF-8"
        return problem(exc.status_code, detail, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem(422, _describe_validation(exc))

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> JSONResponse:
        return problem(404, str(exc))

    @app.exception_handler(Conflict)
    @app.exception_handler(RuleViolation)
    async def conflict(request: Request, exc: Exception) -> JSONResponse:
        return problem(409, str(exc))

    @app.exception_handler(StoreUnavailable)
    async def unavailable(request: Request, exc: StoreUnavailable) -> JSONResponse:
        log.error("store unavailable: %s", exc)
        return problem(503, "the queue database is unavailable: try again shortly")

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return problem(500, "an unexpected error happened; it was logged for the staff")
