"""Audit-log commands of the `irs` CLI: `irs audit verify | checkpoint | prove SEQ | vkey`.

Registered on the main app by `register(app)`. Every command prints JSON (the auditors' tools
read it); `verify` exits 1 when the store contradicts its signed checkpoints, so a cron job or
a CI step fails loudly. The records engine and the key directory come from `Settings` like
the server's: `IRS_RECORDS_URL` and `IRS_DATA_DIR/keys`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from api.settings import Settings

if TYPE_CHECKING:
    from access.audit.log import AuditLog

audit_app = typer.Typer(no_args_is_help=True, help="The tamper-evident audit log / 防篡改审计日志")


def register(app: typer.Typer) -> None:
    """Add `irs audit …` to the `irs` app."""
    app.add_typer(audit_app, name="audit")


def key_dir(settings: Settings) -> Path:
    """Where the log key lives: next to the platform keys, under the data directory."""
    return settings.data_dir / "keys"


@contextmanager
def opened_log() -> Iterator[AuditLog]:
    """The audit log of the configured records database (migrated first, as the server does)."""
    from access.audit.log import open_audit_log
    from access.records import migrate, records_engine

    settings = Settings()
    engine = records_engine(settings.records_url)
    try:
        migrate(engine)
        yield open_audit_log(engine, key_dir(settings))
    finally:
        engine.dispose()


def _print(value: dict[str, Any]) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@audit_app.command("verify")
def verify(
    strict: Annotated[
        bool, typer.Option(help="Also re-validate every record's domain rules (slower)")
    ] = False,
) -> None:
    """Recompute the log from its records; exit 1 naming the first tampered record."""
    with opened_log() as log:
        report = log.verify(strict=strict)
    _print(report.to_json())
    if not report.ok:
        typer.echo(f"{report.message} / {report.message_en}", err=True)
        raise typer.Exit(1)


@audit_app.command("checkpoint")
def checkpoint() -> None:
    """Sign the current head as a C2SP checkpoint and store it."""
    from access.audit.errors import AuditError

    with opened_log() as log:
        try:
            signed = log.checkpoint()
        except AuditError as err:
            typer.echo(f"{err.message} / {err.message_en}: {err.detail}", err=True)
            raise typer.Exit(1) from None
        vkey = log.verifier_key
    _print(
        {
            "size": signed.checkpoint.size,
            "root": _b64(signed.checkpoint.root),
            "time": signed.checkpoint.time.isoformat().replace("+00:00", "Z"),
            "note": signed.note,
            "verifierKey": vkey,
        }
    )


@audit_app.command("prove")
def prove(
    seq: Annotated[int, typer.Argument(help="The record's seq (leaf index)")],
    size: Annotated[
        int | None,
        typer.Option(help="Tree size to prove against (default: latest checkpoint holding it)"),
    ] = None,
) -> None:
    """Print an inclusion proof of record SEQ that anyone can check offline."""
    from access.audit.errors import AuditError
    from access.audit.merkle import leaf_hash

    with opened_log() as log:
        try:
            proof = log.prove(seq, size)
        except AuditError as err:
            typer.echo(f"{err.message} / {err.message_en}: {err.detail}", err=True)
            raise typer.Exit(2) from None
        vkey = log.verifier_key
    _print(
        {
            "seq": proof.seq,
            "size": proof.size,
            "record": proof.record.decode("utf-8"),
            "leafHash": _b64(leaf_hash(proof.record)),
            "proof": [_b64(h) for h in proof.proof],
            "root": _b64(proof.root),
            "checkpoint": proof.checkpoint,
            "verifierKey": vkey,
        }
    )


@audit_app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="A proof from `irs audit prove` or GraphQL `proof`")],
    vkey: Annotated[
        str, typer.Option(help="The log's verifier key, from a source you trust (not the file)")
    ],
) -> None:
    """Check a record's inclusion proof offline, with only its checkpoint and the public key.

    Accepts the JSON `irs audit prove` prints, or an audit entry as GraphQL returns it
    (`record` with `proof { auditPath checkpoint }`)."""

    from access.audit.checkpoint import parse_verifier_key
    from access.audit.errors import AuditError
    from access.audit.verify import verify_record

    try:
        document = json.loads(file.read_text(encoding="utf-8"))
        nested = document.get("proof") if isinstance(document.get("proof"), dict) else None
        record = str(document["record"]).encode("utf-8")
        path = nested["auditPath"] if nested else document["proof"]
        note = (nested or document)["checkpoint"]
        _name, key = parse_verifier_key(vkey)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, AuditError) as err:
        typer.echo(f"无法读取证明或验证密钥 / cannot read the proof or the key: {err}", err=True)
        raise typer.Exit(2) from None
    if not note:
        typer.echo(
            "该证明没有签名检查点，请用已签名的树大小重新生成 / the proof has no signed "
            "checkpoint; prove against a signed tree size",
            err=True,
        )
        raise typer.Exit(2)
    try:
        verified = verify_record(
            checkpoint=note,
            public_key=key,
            record=record,
            proof=[base64.b64decode(h) for h in path],
        )
    except (AuditError, ValueError) as err:
        _print({"valid": False, "error": type(err).__name__, "detail": str(err)})
        raise typer.Exit(1) from None
    _print(
        {
            "valid": True,
            "seq": verified.record.seq,
            "treeSize": verified.checkpoint.size,
            "checkpointTime": verified.checkpoint.time.isoformat(),
        }
    )


@audit_app.command("vkey")
def vkey() -> None:
    """Print the log's verifier key (publish it; checkpoints verify with it)."""
    with opened_log() as log:
        typer.echo(log.verifier_key)
