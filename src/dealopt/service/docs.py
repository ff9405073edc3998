"""The API's documentation page (Swagger UI) from files shipped with the service: no CDN, no inline script."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse, HTMLResponse

__all__ = ["add_docs"]

STATIC = Path(__file__).parent / "static"
_FILES = ("swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png")

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} · API</title>
<link rel="icon" href="/docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<script src="/docs/assets/swagger-ui-bundle.js" defer></script>
<script src="/static/docs.js" defer></script>
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi}"></div>
</body>
</html>
"""


def _swagger_folder() -> Path:
    import swagger_ui_bundle

    return Path(swagger_ui_bundle.swagger_ui_path)


def add_docs(app: FastAPI, openapi_url: str = "/openapi.json") -> None:
    """``/docs``: Swagger UI on the OpenAPI document, every file served by the app itself."""
    folder = _swagger_folder()
    page = _PAGE.format(title=app.title, openapi=openapi_url)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(page)

    @app.get("/docs/assets/{name}", include_in_schema=False)
    def docs_asset(name: str) -> FileResponse:
        if name not in _FILES:
            raise HTTPException(404, "no such file")
        return FileResponse(folder / name)
