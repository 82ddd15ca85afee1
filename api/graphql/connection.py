"""Relay-style connections with opaque cursors and a lazily computed total count."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import strawberry
from graphql import GraphQLError

from catalog.ledger import MAX_PAGE

T = TypeVar("T")


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], int]]

    @strawberry.field(description="How many items match, across all pages.")
    def total_count(self) -> int:
        return self.count()


def connection(
    items: list[tuple[str, T]], *, has_next: bool, after: str | None, count: Callable[[], int]
) -> Connection[T]:
    """Build a connection from (cursor, node) pairs."""
    edges = [_edge(c, n) for c, n in items]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        count=count,
    )


def _edge(cursor: str, node: T) -> Edge[T]:
    """`Edge(cursor=cursor, node=node)`, filled in directly (a page makes a hundred)."""
    edge: Edge[T] = object.__new__(Edge)
    edge.__dict__.update(cursor=cursor, node=node)
    return edge


_URLSAFE = bytes.maketrans(b"+/", b"-_")


def encode_cursor(value: str) -> str:
    """An opaque cursor for a code or an offset: `base64.urlsafe_b64encode`, with its steps
    called directly (a page makes a hundred)."""
    return binascii.b2a_base64(value.encode(), newline=False).translate(_URLSAFE).decode()


def decode_cursor(cursor: str | None) -> str | None:
    """The value inside a cursor; a malformed cursor is a typed GraphQL error."""
    if cursor is None:
        return None
    try:
        return base64.b64decode(cursor.encode(), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise bad_input(
            "after",
            "BAD_CURSOR",
            "分页游标无效，请使用上一页返回的 endCursor",
            "invalid cursor; pass the endCursor of the previous page",
        ) from None


def check_first(first: int) -> int:
    """Enforce the server-side page-size cap."""
    if not 0 <= first <= MAX_PAGE:
        raise bad_input(
            "first",
            "PAGE_SIZE",
            f"每页条数应在 0–{MAX_PAGE} 之间",
            f"first must be between 0 and {MAX_PAGE}",
        )
    return first


def bad_input(path: str, code: str, message: str, message_en: str) -> GraphQLError:
    """A typed error for invalid query arguments (queries return data, not unions)."""
    return GraphQLError(
        message_en,
        extensions={"code": code, "path": path, "message": message, "messageEn": message_en},
    )


def forbidden(message: str, message_en: str) -> GraphQLError:
    """A typed error for a query the caller's role may not run."""
    return GraphQLError(
        message_en, extensions={"code": "FORBIDDEN", "message": message, "messageEn": message_en}
    )


def offset_of(after: str | None) -> int:
    """The position inside an offset cursor; a malformed one is a typed error."""
    value = decode_cursor(after) or "0"
    if not value.isdigit():
        raise bad_input(
            "after",
            "BAD_CURSOR",
            "分页游标无效，请使用上一页返回的 endCursor",
            "invalid cursor; pass the endCursor of the previous page",
        )
    return int(value)


def offset_connection(items: Sequence[T], *, first: int, after: str | None) -> Connection[T]:
    """A connection over an already ordered list, with offset cursors."""
    check_first(first)
    start = offset_of(after)
    window = items[start : start + first]
    return connection(
        [(encode_cursor(str(start + i + 1)), v) for i, v in enumerate(window)],
        has_next=len(items) > start + first,
        after=after,
        count=lambda: len(items),
    )
