"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from app.access.policy import AnyPrincipal
from app.core.migrations_state import schema_problem
from app.core.routing import api_router

router = api_router(tags=["system"])

# How long /readyz trusts an earlier "schema at head" before asking Alembic again (create_app sets it).
SCHEMA_RECHECK_SECONDS = 30.0


@router.get("/healthz", summary="Liveness: the process answers")
async def healthz(_: AnyPrincipal) -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: the database answers and its schema is at the newest migration",
    responses={503: {"description": "Not ready; the body says why"}},
)
def readyz(request: Request, _: AnyPrincipal) -> JSONResponse:
    problem = schema_problem(request.app.state.engine, recheck_after=request.app.state.schema_recheck_seconds)
    if problem:
        return JSONResponse({"status": "unavailable", "reason": problem}, status_code=503)
    return JSONResponse({"status": "ok"})
