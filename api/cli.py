"""The `irs` command line: serve, demo, clients, schema export."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from api.audit_cli import register as register_audit
from api.census_cli import register as register_census
from api.elicense_cli import register as register_elicenses
from api.settings import Mode, Settings
from catalog.principal import Role

app = typer.Typer(no_args_is_help=True, help="IRS — 一体化数字资源管理平台")
clients_app = typer.Typer(no_args_is_help=True, help="Clients and their bearer tokens")
schema_app = typer.Typer(no_args_is_help=True, help="GraphQL schema (SDL) export")
graph_app = typer.Typer(no_args_is_help=True, help="Move the catalog graph between backends")
app.add_typer(graph_app, name="graph")
register_census(app)  # irs template DIR · irs import FILE… · irs export dcat · irs export excel
register_audit(app)  # irs audit verify · irs audit checkpoint · irs audit prove SEQ
register_elicenses(app)  # irs verify FILE · irs elicenses issue FILE · irs keys · irs trust
app.add_typer(clients_app, name="clients")
app.add_typer(schema_app, name="schema")

SCHEMA_FILE = Path("schemas/schema.graphql")


@app.command()
def serve(
    demo: Annotated[
        bool, typer.Option(help="Load the Xiamen demo catalog and print demo tokens")
    ] = False,
    host: Annotated[str | None, typer.Option(help="Listen address (default IRS_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default IRS_PORT)")] = None,
) -> None:
    """Run the API server (GraphQL at /graphql)."""
    import uvicorn

    from api.app import create_app
    from api.demo import demo_tokens, load_demo
    from api.observability import configure_logging
    from api.runtime import settle_heap_for_serving
    from api.services import build_services

    configure_logging()
    settings = Settings()
    if host:
        settings.host = host
    if port:
        settings.port = port
    if demo and settings.mode is Mode.PRODUCTION:
        typer.echo("demo mode is refused in production / 生产模式下不允许演示模式", err=True)
        raise typer.Exit(2)
    services = build_services(settings)
    if demo:
        loaded = load_demo(services)
        typer.echo(
            f"demo catalog: {loaded} resources loaded" if loaded else "demo catalog: already loaded"
        )
        typer.echo("demo tokens (演示令牌) — send as 'Authorization: Bearer <token>':")
        for t in demo_tokens(services):
            typer.echo(f"  {t.role.value:<11} {t.token}   {t.name}")
    url = f"http://{settings.host}:{settings.port}/graphql"
    typer.echo(f"GraphiQL: {url}" if settings.graphiql else f"GraphQL endpoint: {url}")
    sys.stdout.flush()
    asgi = create_app(services)
    settle_heap_for_serving()  # everything made so far lives as long as the process
    uvicorn.run(asgi, host=settings.host, port=settings.port, log_level="warning")


@clients_app.command("create")
def clients_create(
    name: Annotated[str, typer.Option(help="Display name of the client")],
    role: Annotated[
        Role, typer.Option(help="admin | department | integrator | auditor | holder_app")
    ],
    department: Annotated[
        str | None, typer.Option(help="统一社会信用代码 of the department")
    ] = None,
) -> None:
    """Create a client and print its token (shown once, stored hashed)."""
    from access.clients import ClientError
    from api.services import build_services

    services = build_services(Settings())
    try:
        issued = services.clients.create(name=name, role=role, department=department)
    except ClientError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from None
    finally:
        services.close()
    typer.echo(f"client {issued.client.id} ({issued.client.role}) created; token (shown once):")
    typer.echo(issued.token)


@clients_app.command("list")
def clients_list() -> None:
    """List clients (never their tokens)."""
    from api.services import build_services

    services = build_services(Settings())
    for c in services.clients.all():
        state = "revoked" if c.revoked_at else "active"
        typer.echo(f"{c.id}\t{c.role}\t{c.department or '-'}\t{state}\t{c.name}")
    services.close()


@clients_app.command("revoke")
def clients_revoke(client_id: str) -> None:
    """Revoke a client's token."""
    from api.services import build_services

    services = build_services(Settings())
    found = services.clients.revoke(client_id)
    services.close()
    if not found:
        typer.echo(f"no client {client_id}", err=True)
        raise typer.Exit(1)
    typer.echo(f"client {client_id} revoked")


@app.command("demo-load")
def demo_load() -> None:
    """Load the demo catalog into the configured stores (no server)."""
    from api.demo import load_demo
    from api.services import build_services

    services = build_services(Settings())
    typer.echo(f"{load_demo(services)} resources loaded")
    services.close()


@schema_app.command("export")
def schema_export(
    check: Annotated[bool, typer.Option(help="Fail if the committed SDL differs")] = False,
    path: Annotated[Path, typer.Option(help="Where the SDL lives")] = SCHEMA_FILE,
) -> None:
    """Write the GraphQL SDL to schemas/schema.graphql (or check that it is current)."""
    from api.graphql.schema import build_schema

    sdl = build_schema().as_str() + "\n"
    if check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != sdl:
            typer.echo(f"{path} is stale: run `irs schema export`", err=True)
            raise typer.Exit(1)
        typer.echo(f"{path} is current")
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(sdl, encoding="utf-8")
    typer.echo(f"wrote {path}")


@graph_app.command("export")
def graph_export(path: Annotated[Path, typer.Argument(help="JSON Lines file to write")]) -> None:
    """Write the whole catalog and lineage to a portable JSON Lines file."""
    from rich.progress import Progress

    from api.services import build_services
    from catalog.relations import ALL_LABELS, ALL_RELATIONS
    from graph.portable import export_graph

    services = build_services(Settings())
    try:
        with path.open("wb") as out, Progress(transient=True) as bar:
            task = bar.add_task("exporting / 导出", total=None)
            nodes, edges = export_graph(
                services.store,
                out,
                labels=ALL_LABELS,
                types=ALL_RELATIONS,
                progress=lambda n: bar.advance(task, n),
            )
    finally:
        services.close()
    typer.echo(f"exported {nodes} nodes and {edges} edges to {path}")


@graph_app.command("import")
def graph_import(
    path: Annotated[Path, typer.Argument(help="File written by `irs graph export`")],
) -> None:
    """Load an export into the configured graph backend (idempotent: re-running changes nothing)."""
    from rich.progress import Progress

    from api.services import build_services
    from graph.portable import PortableFormatError, import_graph

    if not path.exists():
        typer.echo(f"no such file: {path} / 文件不存在", err=True)
        raise typer.Exit(2)
    services = build_services(Settings())
    with path.open("rb") as counting:
        total = sum(1 for _ in counting) - 1
    try:
        with path.open("rb") as source, Progress(transient=True) as bar:
            task = bar.add_task("importing / 导入", total=max(total, 0))
            nodes, edges = import_graph(
                services.store, source, progress=lambda n: bar.advance(task, n)
            )
    except PortableFormatError as err:
        typer.echo(f"import stopped: {err} / 导入中止：文件格式错误", err=True)
        raise typer.Exit(2) from None
    finally:
        services.close()
    typer.echo(f"imported {nodes} nodes and {edges} edges from {path}")


def main() -> None:
    """Entry point of the `irs` script."""
    app()
