"""POST /api/v1/lineage: the OpenLineage HTTP endpoint, so pipelines report lineage directly.

Authenticated like /graphql (``Authorization: Bearer <token>``; the openlineage-python client
sends it as its api key). Admins and department operators may post; an admin whose event
creates placeholders names their owner in the ``X-IRS-Department`` header. Bodies are JSON
(optionally gzip-encoded), at most 1 MiB. Answers:

- 201 a COMPLETE event changed lineage, 200 it was already known (nothing written);
- 202 any other event type (START, RUNNING, ABORT, FAIL, OTHER, none) or a JobEvent /
  DatasetEvent: validated, acknowledged, not stored, lineage unchanged;
- 400 malformed event (every bad JSON path listed), 401, 403, 413, 415, 422 the ledger's
  rules refuse the merged result (e.g. classification along lineage), 409, 503.

Every error body is ``{code, message, messageEn, issues?: [{path, code, message, messageEn}]}``.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.http_json import Refused, error, json_body, principal_of
from api.services import Services
from catalog.openlineage import (
    CATALOG_NAMESPACE,
    DepartmentRequired,
    IntakeResult,
    OpenLineageIntake,
    named_datasets,
    static_event_kind,
)
from catalog.problems import FieldIssue, Problem, ValidationFailed
from graph.port import BackendUnavailable

LINEAGE_PATH = "/api/v1/lineage"
MAX_BODY = 1 << 20
DEPARTMENT_HEADER = "X-IRS-Department"
log = logging.getLogger("irs.openlineage")


def _problem(exc: Problem) -> Response:
    if isinstance(exc, DepartmentRequired):
        return error(
            400,
            exc.code,
            f"事件需要新建占位资源，请在 {DEPARTMENT_HEADER} 头中给出所属部门的统一社会信用代码"
            f"（{exc.given or '未提供'} 不是已登记的部门）",
            f"the event creates placeholder datasets: name their owning department's unified "
            f"social credit code in the {DEPARTMENT_HEADER} header ({exc.given or 'none given'} "
            "is not a registered department)",
            (FieldIssue(DEPARTMENT_HEADER, exc.code, exc.message, exc.message_en),),
        )
    if isinstance(exc, ValidationFailed):  # InvalidEvent is 400; the ledger's rules are 422
        status = 400 if exc.code == "INVALID_EVENT" else 422
        return error(status, exc.code, exc.message, exc.message_en, exc.issues)
    statuses = {"FORBIDDEN": 403, "CONFLICT": 409, "NOT_FOUND": 404, "UNAVAILABLE": 503}
    return error(statuses.get(exc.code, 400), exc.code, exc.message, exc.message_en)


def _render(result: IntakeResult) -> dict[str, Any]:
    event = result.event
    named = named_datasets(event)
    roles = [("input", d) for d in event.inputs] + [("output", d) for d in event.outputs]
    listed = {d.code for _role, d in roles}
    roles += [("input", d) for c, d in named.items() if c not in listed]  # column lineage only
    if not result.applied:
        zh = f"已接收 {event.event_type or '无类型'} 事件；只有 COMPLETE 事件会写入血缘"
        en = f"{event.event_type or 'untyped'} event accepted; only COMPLETE events change lineage"
    elif result.changed:
        zh = f"已写入 {len(result.derivations)} 条派生关系，新建 {len(result.created)} 个占位资源"
        en = (
            f"{len(result.derivations)} derivation(s) written, "
            f"{len(result.created)} placeholder(s) created"
        )
    else:
        zh, en = "血缘已是最新，未做修改", "lineage already up to date; nothing changed"
    return {
        "eventType": event.event_type,
        "runId": event.run_id,
        "job": event.job,
        "applied": result.applied,
        "changed": result.changed,
        "message": zh,
        "messageEn": en,
        "datasets": [
            {"role": role, "namespace": d.namespace, "name": d.name, "code": d.code}
            for role, d in roles
        ],
        "created": [
            {"code": c, "namespace": named[c].namespace, "name": named[c].name}
            for c in result.created
        ],
        "derivations": [
            {
                "dataset": ch.dataset,
                "source": ch.derivation.source,
                "job": ch.derivation.job,
                "since": ch.derivation.since.isoformat() if ch.derivation.since else None,
                "added": ch.added,
                "fields": [
                    {"sourceField": m.source_field, "targetField": m.target_field}
                    for m in ch.derivation.fields
                ],
            }
            for ch in result.derivations
        ],
    }


def openlineage_route(
    services: Services,
    *,
    catalog_namespace: str = CATALOG_NAMESPACE,
    max_body: int = MAX_BODY,
) -> Route:
    """The route for POST /api/v1/lineage over `services`' ledger.

    OpenLineage datasets in `catalog_namespace` are named by their catalog code."""
    intake = OpenLineageIntake(
        ledger=services.ledger, lineage=services.lineage, catalog_namespace=catalog_namespace
    )

    async def lineage(request: Request) -> Response:
        try:
            principal = principal_of(services, request.scope)
            department = request.headers.get(DEPARTMENT_HEADER, "").strip() or None
            intake.authorize(principal, department)
            body = await json_body(request.scope, request.receive, max_body)
            kind = static_event_kind(body)
            if kind is not None:
                return JSONResponse(
                    {
                        "applied": False,
                        "changed": False,
                        "message": f"已接收 {kind}；只有 RunEvent 会写入血缘",
                        "messageEn": f"{kind} accepted; only RunEvents change lineage",
                    },
                    status_code=202,
                )
            event = intake.parse(body)
            result = await run_in_threadpool(
                intake.apply, principal=principal, event=event, department=department
            )
        except Refused as refused:
            return refused.response
        except Problem as exc:
            return _problem(exc)
        except BackendUnavailable:
            return error(
                503,
                "UNAVAILABLE",
                "后端服务暂不可用（图数据库），请稍后重试",
                "a backend service is unavailable (graph); retry later",
            )
        log.info(
            "openlineage event",
            extra={
                "fields": {
                    "run_id": event.run_id,
                    "event_type": event.event_type,
                    "created": len(result.created),
                    "derivations": len(result.derivations),
                    "client": principal.client_id,
                }
            },
        )
        status = 202 if not result.applied else 201 if result.changed else 200
        return JSONResponse(_render(result), status_code=status)

    return Route(LINEAGE_PATH, lineage, methods=["POST"])
