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
        from yinling.plan import PlanError

        try:
            return super().invoke(ctx)
        except PlanError as exc:
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


@main.command("ingest-table")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--table", default="regional_statistics", show_default=True)
@click.option("--source", default="", help="Source for rows without a source column.")
@click.option("--reason", default="", help="Stated on revisions of figures reported before.")
@click.option("--token", envvar="YINLING_TOKEN", default="dev-steward", show_default=True)
@click.pass_obj
def ingest_table(settings: Settings, path: str, table: str, source: str, reason: str, token: str) -> None:
    """Upload a reported table (CSV) to the ingest gateway and follow it until forwarded."""
    importlib.import_module("yinling.ingest_client").upload(settings, path, table, source, reason, token)


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
