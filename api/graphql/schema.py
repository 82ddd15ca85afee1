"""The strawberry schema with its protective limits and error masking."""

from __future__ import annotations

import logging
import uuid

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from api.graphql.mutation import Mutation
from api.graphql.query import Query

log = logging.getLogger("irs.graphql")


def _is_expected(error: GraphQLError) -> bool:
    """Validation errors and our coded argument errors are shown; everything else masked."""
    if error.original_error is None:
        return True
    return bool(error.extensions and "code" in error.extensions)


def _mask(error: GraphQLError) -> bool:
    if _is_expected(error):
        return False
    correlation = uuid.uuid4().hex[:12]
    log.error("unexpected error %s", correlation, exc_info=error.original_error)
    error.extensions = {"code": "INTERNAL", "correlationId": correlation}
    return True


def build_schema(*, max_depth: int = 12, max_aliases: int = 30, max_tokens: int = 4000,
                 introspection: bool = True) -> strawberry.Schema:
    """The IRS schema; limits keep one request from taking the server down."""
    extensions: list[SchemaExtension | type[SchemaExtension]] = [
        QueryDepthLimiter(max_depth=max_depth),
        MaxAliasesLimiter(max_alias_count=max_aliases),
        MaxTokensLimiter(max_token_count=max_tokens),
        MaskErrors(should_mask_error=_mask,
                   error_message="Unexpected error; quote the correlationId / 内部错误，请提供 correlationId"),
    ]
    if not introspection:
        extensions.append(DisableIntrospection)
    return strawberry.Schema(query=Query, mutation=Mutation, extensions=extensions)
