"""Plain HTTP endpoints that standards ask for: the JWKS and the Bitstring Status Lists.

Both are public on purpose: anyone holding a saved response must be able to check its
signature and its revocation status without an account (the lists reveal no personal data:
bits only, in lists of 131,072).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from access.elicenses.status import StatusListKind, StatusLists
from api.services import Services

JWKS_CACHE = "public, max-age=300"
STATUS_CACHE = "public, max-age=5"


def trust_routes(services: Services) -> list[Route]:
    """`/.well-known/jwks.json` and `/status/{elicenses|grants}/{n}`."""

    async def jwks(_: Request) -> Response:
        services.keys.refresh()  # a rotation by another replica shows up here
        return JSONResponse(services.keys.public_jwks(), headers={"Cache-Control": JWKS_CACHE})

    async def status_list(request: Request) -> Response:
        return _status_response(services.status, request)

    return [
        Route("/.well-known/jwks.json", jwks),
        Route("/status/{kind}/{number:int}", status_list),
    ]


def _status_response(status: StatusLists, request: Request) -> Response:
    try:
        kind = StatusListKind(request.path_params["kind"])
    except ValueError:
        return JSONResponse(
            {
                "error": "UNKNOWN_STATUS_LIST",
                "message": "没有这个状态列表（elicenses 或 grants）",
                "messageEn": "no such status list (elicenses or grants)",
            },
            status_code=404,
        )
    number = int(request.path_params["number"])
    if not status.exists(kind, number):
        return JSONResponse(
            {
                "error": "UNKNOWN_STATUS_LIST",
                "message": "该状态列表尚未分配",
                "messageEn": "this status list has not been allocated",
            },
            status_code=404,
        )
    token = status.signed(kind, number)
    return Response(token, media_type="application/vc+jwt", headers={"Cache-Control": STATUS_CACHE})
