"""Typed problems that mutations return, and the mapping from the domain's exceptions."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias, TypeVar

import strawberry

from catalog import problems
from graph.port import BackendUnavailable

T = TypeVar("T")


@strawberry.interface(description="An expected failure: stable code, Chinese and English text.")
class Problem:
    code: str
    message: str
    message_en: str


@strawberry.type(description="One invalid input value and how to fix it.")
class FieldIssue:
    path: str
    code: str
    message: str
    message_en: str


@strawberry.type(description="The input breaks rules; every broken rule is in `issues`.")
class ValidationProblem(Problem):
    path: str
    issues: list[FieldIssue]


@strawberry.type(name="NotFound", description="A code or id names nothing.")
class NotFoundProblem(Problem):
    path: str


@strawberry.type(name="Forbidden", description="The caller may not do this.")
class ForbiddenProblem(Problem):
    pass


@strawberry.type(name="Conflict", description="Clashes with the current state; reload and retry.")
class ConflictProblem(Problem):
    pass


@strawberry.type(name="Unavailable", description="A backend is down; nothing was written.")
class UnavailableProblem(Problem):
    pass


AnyProblem: TypeAlias = (
    ValidationProblem | NotFoundProblem | ForbiddenProblem | ConflictProblem | UnavailableProblem
)


def problem_from(exc: Exception) -> AnyProblem | None:
    """The GraphQL problem for an expected exception; None for an unexpected one."""
    if isinstance(exc, problems.ValidationFailed):
        issues = [
            FieldIssue(path=i.path, code=i.code, message=i.message, message_en=i.message_en)
            for i in exc.issues
        ]
        return ValidationProblem(
            code=exc.code,
            message=exc.message,
            message_en=exc.message_en,
            path=issues[0].path,
            issues=issues,
        )
    if isinstance(exc, problems.NotFound):
        return NotFoundProblem(
            code=exc.code, message=exc.message, message_en=exc.message_en, path=exc.path
        )
    if isinstance(exc, problems.Forbidden):
        return ForbiddenProblem(code=exc.code, message=exc.message, message_en=exc.message_en)
    if isinstance(exc, problems.Conflict):
        return ConflictProblem(code=exc.code, message=exc.message, message_en=exc.message_en)
    if isinstance(exc, problems.Unavailable):
        return UnavailableProblem(
            code="UNAVAILABLE", message=exc.message, message_en=exc.message_en
        )
    if isinstance(exc, BackendUnavailable):
        return UnavailableProblem(
            code="UNAVAILABLE",
            message="后端服务暂不可用，未写入任何数据，请稍后重试",
            message_en="A backend service is unavailable; nothing was written. Retry later.",
        )
    return None


def attempt(action: Callable[[], T], *, backend_error: Callable[[str], None]) -> T | AnyProblem:
    """Run a use case for a mutation-style result: its value, or the typed problem of an
    expected failure (a backend outage is also counted); anything unexpected propagates."""
    try:
        return action()
    except Exception as exc:
        return as_problem(exc, backend_error=backend_error)


def as_problem(exc: Exception, *, backend_error: Callable[[str], None]) -> AnyProblem:
    """The typed problem of an expected failure (counting outages); re-raise anything else."""
    problem = problem_from(exc)
    if problem is None:
        raise exc
    if isinstance(problem, UnavailableProblem):
        backend_error("graph")
    return problem
