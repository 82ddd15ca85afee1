"""POST /api/v1/elicenses/calls: the licensed call as a plain JSON endpoint.

The same use case as the GraphQL mutation `callELicense` (same input names, same answer), for
integrators whose systems call the hub machine to machine, as the national e-license exchange
does: one small JSON request, one JSON answer, no query document to parse and validate on each
call. Authenticated with a bearer token like every other route. Answers:

- 200 ``{jws, credential, licenseId, grantId, fields, maskedFields, auditSeq}``: released;
  ``jws`` is the signed VC 2.0 credential (``credential`` is its payload, for convenience);
- 403 ``{code: CALL_DENIED, message, messageEn, reasons: [{code, message, messageEn}],
  auditSeq}``: refused, with every reason; the refusal is in the audit log at ``auditSeq``;
- 400 malformed input (every bad field listed in ``issues``), 401, 404 unknown certificate
  type, 405 not a POST, 413, 415, 503 a backend is down (nothing released).

Answers carry ``Cache-Control: no-store``: a released credential holds personal data.
"""

from __future__ import annotations

from typing import Any, Final

import orjson
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from access.elicenses.calls import CallRequest, Denied, Released
from api.http_json import JSON_MEDIA, Refused, error, json_body, principal_of
from api.services import Services
from catalog.problems import FieldIssue, Problem, ValidationFailed
from graph.port import BackendUnavailable

CALLS_PATH: Final = "/api/v1/elicenses/calls"
MAX_BODY: Final = 16 * 1024
MAX_TEXT: Final = 256
MAX_FIELDS: Final = 64
NO_STORE: Final = {"Cache-Control": "no-store"}

REQUIRED_TEXT: Final = ("certificateType", "holder", "purpose", "matterCode")
KNOWN_KEYS: Final = frozenset((*REQUIRED_TEXT, "fields", "consent"))
PROBLEM_STATUS: Final = {
    "VALIDATION_FAILED": 400,
    "NOT_FOUND": 404,
    "FORBIDDEN": 403,
    "CONFLICT": 409,
    "UNAVAILABLE": 503,
}


def parse_call(body: object) -> CallRequest:
    """The call request in `body`, or ValidationFailed listing every bad member (values are
    never echoed: the holder member is an ID number)."""
    if not isinstance(body, dict):
        raise ValidationFailed(
            [
                FieldIssue(
                    "$",
                    "NOT_AN_OBJECT",
                    "请求体应为 JSON 对象：{certificateType, holder, purpose, matterCode, "
                    "fields?, consent?}",
                    "the body must be a JSON object: {certificateType, holder, purpose, "
                    "matterCode, fields?, consent?}",
                )
            ]
        )
    issues: list[FieldIssue] = []
    for key in sorted(set(body) - KNOWN_KEYS):
        issues.append(
            FieldIssue(
                key[:64],
                "UNKNOWN_MEMBER",
                f"未知的成员；可用：{', '.join(sorted(KNOWN_KEYS))}",
                f"unknown member; known: {', '.join(sorted(KNOWN_KEYS))}",
            )
        )
    text: dict[str, str] = {}
    for key in REQUIRED_TEXT:
        value = body.get(key)
        if not isinstance(value, str) or not value.strip():
            issues.append(
                FieldIssue(key, "REQUIRED", "必填，应为非空字符串", "required: a non-empty string")
            )
        elif len(value) > MAX_TEXT:
            issues.append(_too_long(key))
        else:
            text[key] = value.strip()
    fields = body.get("fields", [])
    if fields is None:
        fields = []
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        issues.append(
            FieldIssue(
                "fields",
                "NOT_A_LIST",
                "应为照面字段名的字符串数组（可省略：授权允许的全部字段）",
                "must be an array of 照面 field names (omit it for every field the grant allows)",
            )
        )
        fields = []
    elif len(fields) > MAX_FIELDS or any(len(f) > MAX_TEXT for f in fields):
        issues.append(_too_long("fields"))
    consent = body.get("consent")
    if consent is not None and (not isinstance(consent, str) or len(consent) > MAX_TEXT):
        issues.append(
            FieldIssue(
                "consent",
                "NOT_A_STRING",
                "应为持证人应用给出的一次性授权码（字符串）",
                "must be the one-time code from the holder's app (a string)",
            )
        )
    if issues:
        raise ValidationFailed(issues)
    return CallRequest(
        certificate_type=text["certificateType"],
        holder_code=text["holder"],
        purpose=text["purpose"],
        matter=text["matterCode"],
        fields=tuple(fields),
        consent_code=consent or None,
    )


def _too_long(key: str) -> FieldIssue:
    return FieldIssue(
        key,
        "TOO_LONG",
        f"过长：字符串不超过 {MAX_TEXT} 字，字段不超过 {MAX_FIELDS} 个",
        f"too long: strings up to {MAX_TEXT} characters, up to {MAX_FIELDS} fields",
    )


def released_body(result: Released) -> dict[str, Any]:
    return {
        "jws": result.token,
        "credential": result.credential,
        "licenseId": result.license_id,
        "grantId": result.grant_id,
        "fields": list(result.fields),
        "maskedFields": list(result.masked),
        "auditSeq": result.audit_seq,
    }


def denied_body(result: Denied) -> dict[str, Any]:
    return {
        "code": "CALL_DENIED",
        "message": result.message,
        "messageEn": result.message_en,
        "reasons": [
            {"code": r.code, "message": r.message, "messageEn": r.message_en}
            for r in result.reasons
        ],
        "auditSeq": result.audit_seq,
    }


def problem_response(exc: Problem) -> Response:
    issues = exc.issues if isinstance(exc, ValidationFailed) else ()
    status = PROBLEM_STATUS.get(exc.code, 400)
    response = error(status, exc.code, exc.message, exc.message_en, tuple(issues))
    response.headers.update(NO_STORE)
    return response


def calls_endpoint(services: Services, *, max_body: int = MAX_BODY) -> ASGIApp:
    """POST /api/v1/elicenses/calls over `services`' licensed calls, as a plain ASGI app.

    The hub's main traffic, so it is mounted ahead of the router (`api.app.create_app`): a
    call skips Starlette's routing, exception middleware and request and response objects
    (~30 µs of Python per call, as much as building the call's policy input), with the same
    answers. The call's work runs on the event loop and only its durable commit is awaited,
    shared with the other calls in flight (see `LicensedCalls.call_async`)."""

    async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "POST":
            refusal = error(405, "METHOD_NOT_ALLOWED", "仅支持 POST", "only POST is allowed here")
            refusal.headers["Allow"] = "POST"
            await refusal(scope, receive, send)
            return
        try:
            principal = principal_of(services, scope)
            parsed = parse_call(await json_body(scope, receive, max_body))
            result = await services.calls.call_async(principal=principal, request=parsed)
        except Refused as refused:
            await refused.response(scope, receive, send)
            return
        except Problem as exc:
            await problem_response(exc)(scope, receive, send)
            return
        except BackendUnavailable:
            await error(
                503,
                "UNAVAILABLE",
                "后端服务暂不可用（图数据库），调用已拒绝（未释放任何数据）",
                "a backend service is unavailable (graph); the call was refused, nothing released",
            )(scope, receive, send)
            return
        if isinstance(result, Denied):
            await _send(send, 403, denied_body(result), NO_STORE)
        else:
            await _send(send, 200, released_body(result), NO_STORE)

    return endpoint


async def _send(send: Send, status: int, body: object, headers: dict[str, str]) -> None:
    """A JSON answer as the two ASGI messages a Starlette `Response` would send."""
    encoded = orjson.dumps(body)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-length", str(len(encoded)).encode("ascii")),
                (b"content-type", JSON_MEDIA.encode("ascii")),
                *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": encoded})
