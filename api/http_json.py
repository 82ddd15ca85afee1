"""JSON-over-HTTP pieces shared by the plain (non-GraphQL) API routes: bearer authentication,
bounded JSON bodies and the one error shape.

Every error body is ``{code, message, messageEn, issues?: [{path, code, message, messageEn}]}``
(Chinese first, English beside it), so clients handle every route's refusals the same way.
"""

from __future__ import annotations

import zlib
from typing import Any

import orjson
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import Receive, Scope

from api.services import Services
from catalog.principal import Principal
from catalog.problems import FieldIssue

JSON_MEDIA = "application/json"


class Refused(Exception):
    """An HTTP-level refusal carrying its ready response."""

    def __init__(self, response: Response) -> None:
        self.response = response


def json_response(
    body: object, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A JSON response encoded by orjson (UTF-8, Chinese kept as is)."""
    return Response(orjson.dumps(body), status_code=status, media_type=JSON_MEDIA, headers=headers)


def error(
    status: int, code: str, zh: str, en: str, issues: tuple[FieldIssue, ...] = ()
) -> Response:
    """The error response every plain route uses."""
    body: dict[str, Any] = {"code": code, "message": zh, "messageEn": en}
    if issues:
        body["issues"] = [
            {"path": i.path, "code": i.code, "message": i.message, "messageEn": i.message_en}
            for i in issues
        ]
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return json_response(body, status, headers)


def records_unavailable() -> Refused:
    return Refused(
        error(
            503,
            "UNAVAILABLE",
            "后端服务暂不可用（记录库），请稍后重试",
            "a backend service is unavailable (records database); retry later",
        )
    )


def principal_of(services: Services, scope: Scope) -> Principal:
    """The caller of a bearer token (one indexed read), or a refusal: 401 without a valid
    token, 503 when the records database cannot say (never let anyone through then)."""
    try:
        principal = services.clients.authenticate_header(
            Headers(scope=scope).get("authorization", "")
        )
    except SQLAlchemyError:
        raise records_unavailable() from None
    if principal is None:
        raise Refused(
            error(
                401,
                "UNAUTHENTICATED",
                "缺少或无效的访问令牌：请在 Authorization 头中提供 Bearer 令牌"
                "（用 irs clients create 生成）",
                "missing or invalid bearer token: send 'Authorization: Bearer <token>' "
                "(create one with `irs clients create`)",
            )
        )
    scope.setdefault("state", {})["principal"] = principal  # for the access log
    return principal


def too_large(limit: int) -> Refused:
    return Refused(
        error(
            413,
            "PAYLOAD_TOO_LARGE",
            f"请求体不能超过 {limit} 字节",
            f"the body must be at most {limit} bytes",
        )
    )


async def json_body(scope: Scope, receive: Receive, limit: int) -> object:
    """The decoded JSON body of the request, read at most `limit` bytes (also after gunzip)."""
    headers = Headers(scope=scope)
    media = headers.get("content-type", JSON_MEDIA).lower()
    encoding = headers.get("content-encoding", "identity").strip().lower()
    if "json" not in media or encoding not in ("identity", "gzip"):
        raise Refused(
            error(
                415,
                "UNSUPPORTED_MEDIA_TYPE",
                "请求体应为 JSON（Content-Type: application/json，可用 gzip 压缩）",
                "the body must be JSON (Content-Type: application/json, optionally gzip)",
            )
        )
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    raw = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Refused(Response(status_code=400))
        raw += message.get("body", b"")
        if len(raw) > limit:
            raise too_large(limit)
        if not message.get("more_body", False):
            break
    data = bytes(raw)
    try:
        if encoding == "gzip":
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            data = inflater.decompress(data, limit + 1)
            if len(data) > limit or inflater.unconsumed_tail:
                raise too_large(limit)
        return orjson.loads(data)
    except (orjson.JSONDecodeError, zlib.error):
        raise Refused(
            error(
                400,
                "INVALID_JSON",
                "请求体不是有效的 JSON（UTF-8）",
                "the body is not valid JSON (UTF-8)",
                (FieldIssue("$", "INVALID_JSON", "无法解析", "cannot be parsed"),),
            )
        ) from None
