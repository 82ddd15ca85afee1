"""Constants and formatting shared by the W3C VC 2.0 modules (credentials and status lists).

Why a separate module: :mod:`access.crypto.vc` builds credentials that point at status lists,
and :mod:`access.crypto.status_list` builds the status-list credential itself; both need the
same context URL and date format without importing each other.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

#: The base context every VC 2.0 credential lists first.
VC_V2_CONTEXT: Final = "https://www.w3.org/ns/credentials/v2"


def rfc3339_seconds(moment: datetime) -> str:
    """``moment`` as an XML Schema dateTimeStamp / RFC 3339 string in UTC, to the second.

    Why: ``validFrom``/``validUntil`` must carry a time zone; whole seconds in UTC (``...Z``)
    match the JWT ``nbf``/``exp`` NumericDates exactly. Naive datetimes are refused.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("credential times must be timezone-aware")
    utc = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    return utc.replace(microsecond=0, tzinfo=None).isoformat() + "Z"  # strftime costs 3x
