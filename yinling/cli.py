"""The `yinling` command. click gives us typed options, --help and env-var fallbacks without
a hand-written argument parser.

Every process of the platform is started through here, so settings are read one way:
command line, then environment (YINLING_*), then defaults.
"""
from __future__ import annotations

import importlib
import threading

import click

from yinling import logs
from yinling.config import Settings

SERVICES = ("platforms", "enterprises", "talent", "finance", "ingest", "indicators")


class YinlingGroup(click.Group):
    """Configuration errors (a malformed plan, a bad token table) end the process with one
    clear line and exit code 1, not a traceback an operator has to read through."""

    def invoke(self, ctx: click.Context):  # type: ignore[no-untyped-def]
        from yinling.errors import ValidationError
        from yinling.plan import PlanError

        try:
            return super().invoke(ctx)
        except (PlanError, ValidationError) as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=YinlingGroup)
@click.option("--bootstrap-servers", envvar="YINLING_BOOTSTRAP_SERVERS", default=None,
              help="Kafka bootstrap servers; empty starts/uses the embedded broker.")
@click.option("--log-level", envvar="YINLING_LOG_LEVEL", default="info", show_default=True)
@click.option("--log-format", envvar="YINLING_LOG_FORMAT", default="auto", show_default=True,
              help="json: one JSON object per line; text: readable lines; auto: text on a terminal.")
@click.pass_context
def main(ctx: click.Context, bootstrap_servers: str | None, log_level: str, log_format: str) -> None:
    try:
        logs.configure(log_level, log_format)
    except ValueError as exc:  # names the setting and the values it takes
        raise click.UsageError(str(exc)) from None
    ctx.obj = Settings.from_env().with_overrides(bootstrap_servers=bootstrap_servers or None)


@main.command()
@click.argument("service", type=click.Choice(SERVICES))
@click.pass_obj
def serve(settings: Settings, service: str) -> None:
    """Run one domain service (gRPC API, outbox relay, /metrics)."""
    importlib.import_module(f"services.{service}.main").main(settings)


@main.command()
@click.pass_obj
def worker(settings: Settings) -> None:
    """Run the indicators stream processor (Faust)."""
    importlib.import_module("services.indicators.worker").main(settings)


@main.command()
@click.pass_obj
def rebuild(settings: Settings) -> None:
    """Build every indicator again from the facts held (the feed serves the previous values
    until it is done)."""
    importlib.import_module("services.indicators.rebuild").main(settings)


@main.command()
@click.pass_obj
def opendata(settings: Settings) -> None:
    """Run the public open-data HTTP feed."""
    importlib.import_module("services.opendata.main").main(settings)


@main.command()
@click.pass_obj
def broker(settings: Settings) -> None:
    """Run the embedded development broker in the foreground, with every topic created."""
    importlib.import_module("yinling.supervisor").run_broker(settings)


@main.command()
@click.option("--demo/--no-demo", default=True, show_default=True, help="Load the demo data set.")
@click.option("--demo-scale", envvar="YINLING_DEMO_SCALE", type=click.Choice(["small", "full"]),
              default="full", show_default=True)
@click.pass_obj
def up(settings: Settings, demo: bool, demo_scale: str) -> None:
    """Start the whole platform: broker, services, processors, feed; then load the demo data
    in the background while the platform serves."""
    loader = None
    if demo:
        load = importlib.import_module("demo.load")

        def loader(stop: threading.Event) -> None:
            load.main(settings, scale=demo_scale, stop=stop)
    importlib.import_module("yinling.supervisor").run_platform(settings, background=loader)


@main.command()
@click.argument("process", type=click.Choice([*SERVICES, "indicators-worker", "opendata"]))
@click.option("--timeout", type=float, default=3.0, show_default=True, help="Seconds to wait.")
@click.pass_obj
def healthcheck(settings: Settings, process: str, timeout: float) -> None:
    """Exit 0 if PROCESS, running on this host, answers its health check (gRPC health
    SERVING, or 200 from the feed's /healthz or the worker's /metrics); else say why and
    exit 1. For container healthchecks."""
    from yinling.readiness import check_local

    try:
        check_local(settings, process, timeout)
    except (TimeoutError, RuntimeError) as exc:
        raise click.ClickException(f"{process} is not healthy: {exc}") from None
    click.echo(f"{process}: healthy")


@main.command()
@click.option("--scale", type=click.Choice(["small", "full"]), default="full", show_default=True)
@click.pass_obj
def demo(settings: Settings, scale: str) -> None:
    """Load the deterministic demo data set through the public gRPC APIs."""
    importlib.import_module("demo.load").main(settings, scale=scale)


@main.command("plan-check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
def plan_check(paths: tuple[str, ...]) -> None:
    """Validate plan files; a malformed one is named with its line and the reason."""
    from yinling.plan import load_plan

    for path in paths:
        plan = load_plan(path)
        click.echo(f"{path}: plan {plan.id} ({plan.period.start} to {plan.period.end}), "
                   f"{len(plan.indicators)} indicators: valid")


@main.command("ingest")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--kind", required=True, help="enterprise_list, enterprise_statistics, regional_statistics, "
              "platform_list, finance_records, talent_recognitions (services/ingest/kinds/).")
@click.option("--sheet", default="", help="XLSX: the sheet to read (default: the first).")
@click.option("--reason", default="", help="Stated on revisions of figures reported before.")
@click.option("--submission-id", default="", help="A retry with the same id is taken once.")
@click.option("--all-or-nothing/--partial", default=True, show_default=True,
              help="If the owner refuses a row while applying, stop (default) or go on with the rest.")
@click.option("--report", default="", help="Write every error of the submission to this CSV file.")
@click.option("--wait/--no-wait", default=True, show_default=True, help="Follow the submission until applied.")
@click.option("--token", envvar="YINLING_TOKEN", default="dev-steward", show_default=True)
@click.pass_obj
def ingest(settings: Settings, path: str, kind: str, sheet: str, reason: str, submission_id: str,
           all_or_nothing: bool, report: str, wait: bool, token: str) -> None:
    """Upload a table (CSV in UTF-8 or GB18030, XLSX, JSON Lines), validated whole, then applied once."""
    from yinling.v1 import ingest_pb2 as pb

    header = pb.UploadHeader(kind=kind, sheet=sheet, reason=reason, submission_id=submission_id,
                             partial=not all_or_nothing)
    importlib.import_module("yinling.ingest_client").ingest(settings, path, header, token, report, wait)


@main.command("dead-letters")
@click.argument("service", type=click.Choice(SERVICES))
@click.option("--limit", default=50, show_default=True)
@click.pass_obj
def dead_letters(settings: Settings, service: str, limit: int) -> None:
    """List the events a service's broker refused for good (latest first), with the reason."""
    from yinling.db import make_engine, make_sessionmaker
    from yinling.dead_letters import recent_dead_letters

    engine = make_engine(settings.db_url(service))
    try:
        with make_sessionmaker(engine)() as session:
            letters = recent_dead_letters(session, limit)
    finally:
        engine.dispose()
    if not letters:
        click.echo(f"{service}: no dead letters")
    for letter in letters:
        notice = "notice published" if letter.announced else "no notice on the topic"
        click.echo(f"{letter.dead_lettered_at:%Y-%m-%d %H:%M:%S} {letter.event_id} {letter.ce_type} "
                   f"-> {letter.topic} ({len(letter.payload)} bytes, {notice}): {letter.reason}")


@main.group()
def token() -> None:
    """Per-agency API tokens: issue, list, revoke (in the shared tokens database)."""


def _token_store(settings: Settings):  # type: ignore[no-untyped-def]
    from yinling.tokens import TokenStore, tokens_database_url

    return TokenStore.at(tokens_database_url(settings.db_url), cache_s=0)


@token.command("issue")
@click.option("--agency", required=True, help="Who holds the token, e.g. 'Pengjiang S&T Bureau'.")
@click.option("--scope", "scopes", multiple=True, required=True,
              help="A scope such as platforms:write; repeat for several.")
@click.option("--district", "districts", multiple=True,
              help="Limit writes to this district (GB/T 2260 code); repeat for several; none: city-wide.")
@click.option("--expires", default="90d", show_default=True, help="Lifetime: 90d, 12h, 30m.")
@click.pass_obj
def token_issue(settings: Settings, agency: str, scopes: tuple[str, ...], districts: tuple[str, ...],
                expires: str) -> None:
    """Issue a token; its secret is printed once and never stored."""
    from yinling.auth import check_districts, check_scopes
    from yinling.tokens import parse_lifetime

    lifetime = parse_lifetime(expires)
    store = _token_store(settings)
    try:
        issued = store.issue(agency, check_scopes(list(scopes)), check_districts(list(districts)), lifetime)
    finally:
        store.close()
    info = issued.info
    click.echo(f"token {info.id} for {info.agency}: {' '.join(sorted(info.scopes))}; "
               f"districts {' '.join(sorted(info.districts)) or 'all (city-wide)'}; "
               f"expires {info.expires_at:%Y-%m-%d %H:%M} UTC")
    click.echo("secret (shown once, keep it safe; send it as 'authorization: Bearer <secret>'):")
    click.echo(issued.secret)


@token.command("list")
@click.pass_obj
def token_list(settings: Settings) -> None:
    """Every token issued, with its state (never a secret)."""
    from datetime import UTC, datetime

    store = _token_store(settings)
    try:
        tokens = store.list()
    finally:
        store.close()
    if not tokens:
        click.echo("no tokens issued")
    now = datetime.now(UTC)
    for info in tokens:
        click.echo(f"{info.id}  {info.state(now):8} {info.agency}  {' '.join(sorted(info.scopes))}  "
                   f"districts={','.join(sorted(info.districts)) or 'all'}  "
                   f"expires={info.expires_at:%Y-%m-%d %H:%M}")


@token.command("revoke")
@click.argument("token_id")
@click.pass_obj
def token_revoke(settings: Settings, token_id: str) -> None:
    """Revoke a token: every service refuses it within YINLING_TOKEN_CACHE_S seconds, no restart."""
    store = _token_store(settings)
    try:
        info = store.revoke(token_id)
    finally:
        store.close()
    click.echo(f"token {info.id} ({info.agency}) revoked at {info.revoked_at:%Y-%m-%d %H:%M:%S} UTC")


@main.command("audit")
@click.argument("service", type=click.Choice(SERVICES))
@click.option("--limit", default=50, show_default=True)
@click.pass_obj
def audit(settings: Settings, service: str, limit: int) -> None:
    """The latest writes and refused attempts a service audited (who, what, when, where, outcome)."""
    from yinling.audit import recent_audit
    from yinling.db import make_engine, make_sessionmaker

    engine = make_engine(settings.db_url(service))
    try:
        with make_sessionmaker(engine)() as session:
            records = recent_audit(session, limit)
    finally:
        engine.dispose()
    if not records:
        click.echo(f"{service}: nothing audited")
    for r in records:
        click.echo(f"{r.at:%Y-%m-%d %H:%M:%S} {r.outcome:17} {r.token_id or '-'} ({r.agency}) "
                   f"{r.method} from {r.peer}" + (f": {r.reason}" if r.reason else ""))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON array instead of the table.")
@click.pass_obj
def status(settings: Settings, as_json: bool) -> None:
    """Each component's health, outbox backlog, dead letters, consumer lag and indicator
    freshness in one table (addresses from YINLING_PORT_* / YINLING_ADDR_*). Exits 1 when a
    component is down."""
    import json

    from yinling import status as platform_status

    statuses = platform_status.check_all(settings)
    if as_json:
        click.echo(json.dumps(platform_status.as_records(statuses), ensure_ascii=False, indent=2))
    else:
        click.echo(platform_status.table(statuses))
    down = [s.name for s in statuses if not s.up]
    if down:
        raise click.ClickException(f"down: {', '.join(down)}")
