"""The strawberry schema with its protective limits and error masking."""

from __future__ import annotations

import logging
import traceback
import uuid
from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)

from api.graphql.audit import AuditQuery
from api.graphql.census import CensusMutation, CensusQuery
from api.graphql.context import Context
from api.graphql.elicenses import ELicenseMutation, ELicenseQuery
from api.graphql.fast_execution import FastExecutionContext
from api.graphql.lineage import LineageQuery
from api.graphql.mutation import Mutation
from api.graphql.once_only import OnceOnlyQuery
from api.graphql.query import Query
from api.graphql.sharing import SharingMutation, SharingQuery
from graph.port import BackendUnavailable

log = logging.getLogger("irs.graphql")
UNAVAILABLE_ZH = "后端服务暂不可用，请稍后重试"
UNAVAILABLE_EN = "A backend service is unavailable; retry later"
MASKED_MESSAGE = "Unexpected error; quote the correlationId / 内部错误，请提供 correlationId"


def _is_expected(error: GraphQLError) -> bool:
    """Validation errors and our coded argument errors are shown; everything else masked."""
    if error.original_error is None or isinstance(error.original_error, GraphQLError):
        return True
    if not error.path:  # a request error (bad variables): about the input, not our code
        return True
    return bool(error.extensions and "code" in error.extensions)


class MaskUnexpected(MaskErrors):
    """Hide unexpected errors behind a correlation id; the log gets the id, the exception type
    and the stack, never the exception's message (it may carry personal data)."""

    def __init__(self) -> None:
        super().__init__(
            should_mask_error=lambda e: not _is_expected(e), error_message=MASKED_MESSAGE
        )

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if isinstance(original, BackendUnavailable):
            context = self.execution_context.context
            if isinstance(context, Context):
                context.backend_error("graph")
            return GraphQLError(
                message=UNAVAILABLE_EN,
                nodes=error.nodes,
                source=error.source,
                positions=error.positions,
                path=error.path,
                extensions={
                    "code": "UNAVAILABLE",
                    "message": UNAVAILABLE_ZH,
                    "messageEn": UNAVAILABLE_EN,
                },
            )
        correlation = uuid.uuid4().hex[:12]
        stack = "".join(traceback.format_tb(original.__traceback__)) if original else ""
        log.error(
            "unexpected error correlation_id=%s type=%s path=%s\n%s",
            correlation,
            type(original).__name__,
            error.path,
            stack,
        )
        return GraphQLError(
            message=self.error_message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": "INTERNAL", "correlationId": correlation},
        )


class IrsSchema(strawberry.Schema):
    """Logs errors by code and path only: messages may quote input, which may be personal."""

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        for error in errors:
            code = (error.extensions or {}).get("code", "GRAPHQL")
            log.info("graphql error code=%s path=%s", code, error.path)


def build_schema(
    *,
    max_depth: int = 12,
    max_aliases: int = 30,
    max_tokens: int = 4000,
    introspection: bool = True,
) -> strawberry.Schema:
    """The IRS schema; limits keep one request from taking the server down.

    The limits' validation rules are made once, so that a repeated query text is parsed and
    validated once (by the caches) and a page spends its time executing; plain fields are
    executed by `FastExecutionContext`."""
    cache_size = 256  # distinct query texts whose parse and validation are kept
    rules = [
        *QueryDepthLimiter(max_depth=max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=max_aliases).validation_rules,
    ]
    if not introspection:
        rules += DisableIntrospection().validation_rules
    extensions: list[Callable[[], SchemaExtension] | type[SchemaExtension]] = [
        lambda: AddValidationRules(rules),
        lambda: MaxTokensLimiter(max_token_count=max_tokens),
        MaskUnexpected,
        lambda: ParserCache(maxsize=cache_size),
        lambda: ValidationCache(maxsize=cache_size),
    ]
    return IrsSchema(
        query=RootQuery,
        mutation=RootMutation,
        extensions=extensions,
        execution_context_class=FastExecutionContext,
    )


@strawberry.type(name="Query")
class RootQuery(
    Query, SharingQuery, ELicenseQuery, AuditQuery, LineageQuery, OnceOnlyQuery, CensusQuery
):
    """Every read: the ledger and sharing authorizations."""


@strawberry.type(name="Mutation")
class RootMutation(Mutation, SharingMutation, ELicenseMutation, CensusMutation):
    """Every write: the ledger and sharing authorizations."""
