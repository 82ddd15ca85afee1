"""Pages served next to the API: the lineage explorer (血缘关系浏览) at GET /lineage.

The pages are static files: they hold no data and need no token. Everything they show comes
from `/graphql`, called by the browser with the bearer token the user pasted, so an anonymous
visitor sees an empty page and a token prompt, never catalog data. Nothing is fetched from the
internet at run time: the scripts are plain ES modules in this folder, served from an
allow-list below (no directory listing, no path from the request touches the file system).
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

PAGES_DIR = Path(__file__).parent

# Same-origin only: the scripts, styles and GraphQL calls of these pages come from this server.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    # Revalidate every time (ETag / Last-Modified make that cheap) so a deploy shows at once.
    "Cache-Control": "no-cache",
}

# The files /lineage/static/{name} may serve, with their media types.
STATIC_FILES: dict[str, str] = {
    "lineage.js": "text/javascript; charset=utf-8",
    "lineage-graph.js": "text/javascript; charset=utf-8",
    "lineage-api.js": "text/javascript; charset=utf-8",
    "lineage.css": "text/css; charset=utf-8",
}


def _file(name: str, media_type: str) -> Response:
    return FileResponse(PAGES_DIR / name, media_type=media_type, headers=SECURITY_HEADERS)


async def lineage_page(_: Request) -> Response:
    """The lineage explorer's HTML shell."""
    return _file("lineage.html", "text/html; charset=utf-8")


async def lineage_static(request: Request) -> Response:
    """One of the explorer's scripts or styles; anything not on the allow-list is a 404."""
    name = request.path_params["name"]
    media_type = STATIC_FILES.get(name)
    if media_type is None:
        return PlainTextResponse(
            "未找到 / not found", status_code=404, headers={"X-Content-Type-Options": "nosniff"}
        )
    return _file(name, media_type)


def page_routes() -> list[BaseRoute]:
    """The routes of the pages, for the app's route list (GET and HEAD; no authentication)."""
    return [
        Route("/lineage", lineage_page, methods=["GET"]),
        Route("/lineage/static/{name}", lineage_static, methods=["GET"]),
    ]
