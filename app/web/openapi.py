"""The API description: every refusal documented as an RFC 9457 problem, as the app really answers it."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict

from app.web.error_pages import PROBLEM_JSON


class Problem(BaseModel):
    """RFC 9457 problem details. Validation problems add `errors`; others may add fields of their own."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None


PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Declares refusals a route can give beyond the ones every operation documents (409, 429, 403 on reads)."""
    return {code: {"description": HTTPStatus(code).phrase} for code in codes}


def _refusals(path: str, method: str, operation: dict[str, Any]) -> set[str]:
    """The 4xx answers that follow from the operation's shape; routes declare the rest with `problems()`."""
    codes = {"401"}  # a wrong, expired or revoked token is refused everywhere
    if operation.get("parameters") or "requestBody" in operation:
        codes.add("422")
    if "requestBody" in operation:
        codes.add("400")  # a body that does not parse
        codes.add("413")  # every body is limited as it arrives (app.web.uploads_guard)
    if "{" in path:
        codes.add("404")
    if method != "get":
        codes.add("403")  # a browser session without its CSRF token
    # A declared 503 is a refusal for now (capacity): a problem too, with Retry-After.
    return codes | {code for code in operation.get("responses", {}) if code.startswith("4") or code == "503"}


def describe_problems(schema: dict[str, Any]) -> dict[str, Any]:
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for code in sorted(_refusals(path, method, operation)):
                described = {
                    "description": responses.get(code, {}).get("description") or HTTPStatus(int(code)).phrase,
                    "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}},
                }
                if code in ("429", "503"):
                    described["headers"] = {
                        "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
                    }
                responses[code] = described
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = Problem.model_json_schema()
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema


def install(app: FastAPI) -> None:
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = describe_problems(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
