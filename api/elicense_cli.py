"""E-license commands of the `irs` CLI: verify a saved response, bulk issue, keys, trust.

``irs verify FILE`` works offline with a JWKS file (or, without one, with this deployment's
keys and trusted issuers); ``--status`` also fetches the status lists named in the credential.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path
from typing import Annotated, Any

import typer

from api.settings import Settings

elicenses_app = typer.Typer(no_args_is_help=True, help="E-licenses (电子证照): bulk issuance")
keys_app = typer.Typer(no_args_is_help=True, help="Signing and encryption keys: rotation")
trust_app = typer.Typer(no_args_is_help=True, help="Other regions' issuers (跨域互认)")
SHOWN_PROBLEMS = 30
STATUS_TIMEOUT_S = 10


def register(app: typer.Typer) -> None:
    """Add `verify`, `elicenses`, `keys` and `trust` to the `irs` app."""
    app.command("verify")(verify)
    app.add_typer(elicenses_app, name="elicenses")
    app.add_typer(keys_app, name="keys")
    app.add_typer(trust_app, name="trust")


def find_jws(text: str) -> str:
    """The compact JWS in a saved response: the file itself, or a `jws` member anywhere in it."""
    stripped = text.strip()
    if stripped.count(".") == 2 and not stripped.startswith("{"):
        return stripped
    try:
        document: Any = json.loads(stripped)
    except json.JSONDecodeError:
        raise ValueError("neither a compact JWS nor JSON") from None
    stack = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("jws"), str):
                return str(item["jws"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    raise ValueError("no `jws` member found")


def _fail(message: str, message_en: str, code: int = 2) -> None:
    typer.echo(f"{message} / {message_en}", err=True)
    raise typer.Exit(code)


def verify(
    file: Annotated[Path, typer.Argument(help="A saved response: the JWS, or JSON holding `jws`")],
    jwks: Annotated[
        Path | None,
        typer.Option(help="The issuer's JWKS (from /.well-known/jwks.json); offline check"),
    ] = None,
    issuer: Annotated[
        str | None, typer.Option(help="The issuer the JWKS belongs to (default: the token's)")
    ] = None,
    status: Annotated[
        bool, typer.Option("--status", help="Also fetch the status lists and check revocation")
    ] = False,
) -> None:
    """Verify a licensed-call response: signature, issuer, validity (and revocation)."""
    from access.crypto.jws import TrustStore
    from access.elicenses.trust import verify_token

    try:
        token = find_jws(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        _fail("无法读取响应文件", f"cannot read the response file: {exc}")
    if jwks is not None:
        try:
            keys = json.loads(jwks.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            _fail("无法读取 JWKS 文件", f"cannot read the JWKS file: {exc}")
        store = TrustStore()
        store.add_issuer(issuer or _claimed_issuer(token), keys)
    else:
        from api.services import build_services

        services = build_services(Settings())
        try:
            store = services.trust.store()
        finally:
            services.close()
    result = verify_token(token, store)
    report: dict[str, Any] = {
        "valid": result.valid,
        "issuer": result.issuer,
        "kid": result.kid,
        "code": result.code,
        "message": result.message,
        "messageEn": result.message_en,
    }
    if result.valid and result.credential is not None:
        subject = result.credential.get("credentialSubject", {})
        report["licenseId"] = subject.get("licenseId")
        report["validUntil"] = result.credential.get("validUntil")
        if status:
            report["status"] = _check_status(result.credential, store)
            if any(s.get("revoked") is not False for s in report["status"]):
                report["valid"] = False
    typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
    if not report["valid"]:
        raise typer.Exit(1)


def _claimed_issuer(token: str) -> str:
    """The `iss` the token claims (only to label the given JWKS; the signature decides)."""
    import base64

    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return str(claims["iss"])
    except (IndexError, ValueError, KeyError, TypeError):
        return "unknown"


def _check_status(credential: dict[str, Any], store: Any) -> list[dict[str, Any]]:
    """Fetch each status list named by the credential, verify it, and read the bit."""
    from access.crypto.status_list import StatusList, StatusListError
    from access.elicenses.trust import verify_token

    entries = credential.get("credentialStatus") or []
    if isinstance(entries, dict):
        entries = [entries]
    checked = []
    for entry in entries:
        url = str(entry.get("statusListCredential", ""))
        index = int(entry.get("statusListIndex", "-1"))
        outcome: dict[str, Any] = {"list": url, "index": index, "revoked": None}
        if not url.startswith(("http://", "https://")):
            outcome["error"] = "not an http(s) URL"
            checked.append(outcome)
            continue
        try:
            with urllib.request.urlopen(url, timeout=STATUS_TIMEOUT_S) as response:  # noqa: S310
                listed = verify_token(response.read().decode("ascii"), store)
            if not listed.valid or listed.credential is None:
                outcome["error"] = f"status list does not verify: {listed.code}"
            else:
                encoded = listed.credential["credentialSubject"]["encodedList"]
                outcome["revoked"] = StatusList.decode(encoded).get(index)
        except (OSError, ValueError, KeyError, StatusListError) as exc:
            outcome["error"] = f"{type(exc).__name__}: {exc}"
        checked.append(outcome)
    return checked


@elicenses_app.command("issue")
def issue(
    file: Annotated[Path, typer.Argument(help=".xlsx, .csv (UTF-8 or GB18030) or .jsonl")],
) -> None:
    """Issue e-licenses from a file: every row is checked first; nothing is written on error."""
    from access.elicenses.bulk import read_issuance_file
    from access.elicenses.issuance import MAX_BATCH
    from api.services import build_services
    from catalog.census.reader import UnreadableFile
    from catalog.principal import SYSTEM_PRINCIPAL
    from catalog.problems import ValidationFailed

    services = build_services(Settings())
    try:
        try:
            parsed = read_issuance_file(file, services.elicenses.surface_names)
        except (OSError, UnreadableFile) as exc:
            _fail(getattr(exc, "message", "无法读取文件"), getattr(exc, "message_en", str(exc)))
        if parsed.issues:
            _report(parsed.issues)
        rows = [p.row for p in parsed.rows]
        items = [p.item for p in parsed.rows]
        issued = 0
        for start in range(0, len(items), MAX_BATCH):
            batch = items[start : start + MAX_BATCH]
            try:
                issued += len(
                    services.elicenses.issue_many(principal=SYSTEM_PRINCIPAL, items=batch)
                )
            except ValidationFailed as exc:
                _report([_at_row(i, rows, start) for i in exc.issues])
        typer.echo(f"issued {issued} e-licenses / 已签发 {issued} 张电子证照")
    finally:
        services.close()


def _at_row(issue: Any, rows: list[int], offset: int) -> Any:
    """Rename `items[i].x` to the file row it came from."""
    from catalog.problems import FieldIssue

    path = str(issue.path)
    if path.startswith("items["):
        index, _, rest = path[len("items[") :].partition("].")
        path = f"row {rows[offset + int(index)]}: {rest}"
    elif len(rows) - offset == 1:
        path = f"row {rows[offset]}: {path}"
    return FieldIssue(path, issue.code, issue.message, issue.message_en)


def _report(issues: list[Any]) -> None:
    for issue in issues[:SHOWN_PROBLEMS]:
        typer.echo(f"{issue.path}: {issue.message} / {issue.message_en} [{issue.code}]", err=True)
    if len(issues) > SHOWN_PROBLEMS:
        typer.echo(
            f"… {len(issues) - SHOWN_PROBLEMS} more / 另有 {len(issues) - SHOWN_PROBLEMS} 处",
            err=True,
        )
    typer.echo("nothing was issued / 未签发任何证照", err=True)
    raise typer.Exit(1)


@keys_app.command("init")
def init() -> None:
    """Create the key ring and the audit-log key in IRS_KEY_DIR (once per deployment; a
    production server refuses to start without them). Existing keys are kept."""
    from access.audit.checkpoint import verifier_key
    from access.audit.logkey import load_or_create_log_key
    from access.crypto.keys import KeyRing

    settings = Settings()
    assert settings.key_dir is not None
    ring = KeyRing.load_or_create(settings.key_dir)
    log_key = load_or_create_log_key(settings.key_dir)
    typer.echo(f"key directory: {settings.key_dir}")
    typer.echo(f"signing key: {ring.active_signing_key.kid}")
    typer.echo(f"data key: {ring.active_data_key.kid}")
    typer.echo(
        f"audit log verifier key: {verifier_key(settings.audit_origin, log_key.public_key())}"
    )


@keys_app.command("rotate")
def rotate(
    signing: Annotated[
        bool, typer.Option("--signing", help="Rotate the response signing key")
    ] = False,
    data: Annotated[bool, typer.Option("--data", help="Rotate the personal-field key")] = False,
) -> None:
    """Rotate keys: old signing keys stay published; old data keys keep decrypting until
    `irs keys reencrypt` has moved every license to the new one."""
    from access.crypto.keys import KeyRing

    if not (signing or data):
        _fail("请指定 --signing 或 --data", "give --signing and/or --data")
    settings = Settings()
    assert settings.key_dir is not None
    ring = KeyRing.load_or_create(settings.key_dir)
    if signing:
        typer.echo(f"signing key: {ring.rotate_signing_key().kid}")
    if data:
        typer.echo(f"data key: {ring.rotate_data_key().kid}")


@keys_app.command("reencrypt")
def reencrypt() -> None:
    """Re-encrypt e-licenses still under an old data key with the active one."""
    from api.services import build_services

    services = build_services(Settings())
    try:
        typer.echo(f"re-encrypted {services.elicenses.reencrypt()} e-licenses")
    finally:
        services.close()


@trust_app.command("add")
def trust_add(
    issuer: Annotated[str, typer.Argument(help="The issuer id (https URL or DID)")],
    jwks: Annotated[Path, typer.Argument(help="Its JWKS file")],
    name: Annotated[str, typer.Option(help="A display name, e.g. 福建省电子证照库")] = "",
) -> None:
    """Trust another region's issuer (跨域互认); adding it again replaces its keys."""
    from api.services import build_services
    from catalog.principal import SYSTEM_PRINCIPAL
    from catalog.problems import Problem, ValidationFailed

    try:
        keys = json.loads(jwks.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        _fail("无法读取 JWKS 文件", f"cannot read the JWKS file: {exc}")
    services = build_services(Settings())
    try:
        row = services.trust.add(
            principal=SYSTEM_PRINCIPAL, issuer=issuer, name=name or issuer, jwks=keys
        )
        typer.echo(f"trusted {row.issuer} ({len(row.jwks.get('keys', []))} keys)")
    except ValidationFailed as exc:
        _report(list(exc.issues))
    except Problem as exc:
        _fail(exc.message, exc.message_en, 1)
    finally:
        services.close()


@trust_app.command("list")
def trust_list() -> None:
    """The trusted issuers."""
    from api.services import build_services

    services = build_services(Settings())
    try:
        for row in services.trust.issuers():
            kids = ", ".join(str(k.get("kid")) for k in row.jwks.get("keys", []))
            sys.stdout.write(f"{row.issuer}\t{row.name}\t{kids}\n")
    finally:
        services.close()
