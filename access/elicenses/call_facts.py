"""The records a licensed call reads, in three statements on one connection.

Why not the ORM use cases: this runs on every call, and the sessions and per-query object
loading of the ORM use cases (`Sharing.call_facts` and friends) cost several times
the statements themselves. The statements are module constants, run on the driver's cursor
(`access.driver_sql`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final, cast

from sqlalchemy import Table, and_, bindparam, func, select

from access.driver_sql import DriverStatements
from access.elicenses.tables import ConsentCodeRow, ConsentRow, ELicenseRow
from access.policy import ResourceKind
from access.tables import GrantRow, GrantUsageRow

GRANTS: Final[Table] = GrantRow.__table__  # type: ignore[attr-defined]
USAGE: Final[Table] = GrantUsageRow.__table__  # type: ignore[attr-defined]
CODES: Final[Table] = ConsentCodeRow.__table__  # type: ignore[attr-defined]
CONSENTS: Final[Table] = ConsentRow.__table__  # type: ignore[attr-defined]
LICENSES: Final[Table] = ELicenseRow.__table__  # type: ignore[attr-defined]

GRANTS_WITH_USAGE: Final = (
    select(GRANTS, func.coalesce(USAGE.c.calls, 0).label("used_today"))
    .select_from(
        GRANTS.outerjoin(
            USAGE, and_(USAGE.c.grant_id == GRANTS.c.id, USAGE.c.day == bindparam("day"))
        )
    )
    .where(
        GRANTS.c.caller_client_id == bindparam("caller"),
        GRANTS.c.resource_kind == ResourceKind.CERTIFICATE_TYPE.value,
        GRANTS.c.resource_code == bindparam("type_code"),
    )
)
CODE_WITH_CONSENT: Final = (
    select(CODES, CONSENTS)
    .select_from(CODES.join(CONSENTS, CONSENTS.c.id == CODES.c.consent_id))
    .where(CODES.c.code_sha256 == bindparam("digest"))
)
HOLDER_LICENSES: Final = select(LICENSES).where(
    LICENSES.c.holder_index == bindparam("holder_index"),
    LICENSES.c.type_code == bindparam("type_code"),
)


@dataclass(frozen=True)
class FoundFacts:
    """The caller's grants for the type (with today's use), the code and its consent, and the
    holder's licenses of the type (newest valid first, see `pick_current`)."""

    grants: list[tuple[GrantRow, int]]
    code: ConsentCodeRow | None
    consent: ConsentRow | None
    license: ELicenseRow | None


def pick_current(rows: Sequence[ELicenseRow]) -> ELicenseRow | None:
    """The license a call is about: the newest unrevoked one, else the newest (to say why)."""
    if not rows:
        return None
    live = [r for r in rows if r.revoked_at is None]
    pool = live or list(rows)
    return max(pool, key=lambda r: (r.issued_on, int(r.version), r.created_at))


def read_call_facts(
    statements: DriverStatements,
    *,
    caller: str,
    type_code: str,
    day: date,
    holder_index: str,
    code_digest: str | None,
) -> FoundFacts:
    """Everything a call reads from the records, on one pooled connection."""
    # Rows, not model objects: building a SQLModel object costs ~0.2 ms; a row has the same
    # attribute names and already-converted values (hence the casts)
    with statements.cursor() as cursor:
        grants = [
            (cast(GrantRow, row), int(row.used_today))
            for row in statements[GRANTS_WITH_USAGE].rows(
                cursor, {"day": day, "caller": caller, "type_code": type_code}
            )
        ]
        code = consent = None
        if code_digest is not None:
            found = statements[CODE_WITH_CONSENT].rows(cursor, {"digest": code_digest})
            if found:
                # the joined row answers for both (only `created_at` is in both; neither is
                # read, and the second one is renamed)
                code, consent = cast(ConsentCodeRow, found[0]), cast(ConsentRow, found[0])
        licenses = [
            cast(ELicenseRow, r)
            for r in statements[HOLDER_LICENSES].rows(
                cursor, {"holder_index": holder_index, "type_code": type_code}
            )
        ]
    return FoundFacts(grants, code, consent, pick_current(licenses))
