"""The browsable API reference at /api/docs: Swagger UI 5 (it reads OpenAPI 3.1), served from the files of the
installed `swagger-ui-py` package (never a CDN), reading our own /openapi.json under the app's usual
Content-Security-Policy."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

from fastapi import Request
from fastapi.responses import FileResponse, HTMLResponse

from app.access.policy import AnyPrincipal
from app.core.errors import N_, NotFound
from app.core.routing import page_router
from app.web.templating import render

router = page_router()

# Only the two files the page loads are served; nothing else of the package's folder is reachable.
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
}


def _asset_dir() -> Path:
    # Located, not imported: the package's own code adapts Swagger UI to other frameworks and is not needed.
    spec = find_spec("swagger_ui")
    if spec is None or spec.origin is None:
        raise RuntimeError("the swagger-ui-py package is missing: install the locked requirements")
    return Path(spec.origin).parent / "static"


ASSET_DIR = _asset_dir()


@router.get("/api/docs", response_class=HTMLResponse, include_in_schema=False)
def api_reference(request: Request, _: AnyPrincipal) -> HTMLResponse:
    return render(request, "api/docs.html")


@router.get("/api/docs/assets/{name}", include_in_schema=False)
def api_reference_asset(name: str, _: AnyPrincipal) -> FileResponse:
    if name not in ASSETS:
        raise NotFound(N_("no such file"))
    # The package's version changes the files, so a week of caching is plenty and an upgrade shows within it.
    return FileResponse(ASSET_DIR / name, media_type=ASSETS[name], headers={"Cache-Control": "public, max-age=604800"})
