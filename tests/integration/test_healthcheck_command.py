"""`yinling healthcheck <process>`, the containers' healthcheck: exit 0 while the process on
this host answers its health check (a real service's gRPC health), 1 with the reason once it
does not."""
from __future__ import annotations

from click.testing import CliRunner

from services.finance.main import bindings
from services.finance.store import MODELS
from yinling.broker import EmbeddedBroker, free_port
from yinling.cli import main
from yinling.config import Settings
from yinling.service import start_service


def test_healthcheck_passes_while_the_service_serves_and_fails_naming_it_after(
        broker: EmbeddedBroker, database_url: str) -> None:
    port = free_port()
    runtime = start_service("finance", Settings(bootstrap_servers=broker.bootstrap), MODELS,
                            bindings, grpc_port=port, database_url=database_url)
    env = {"YINLING_PORT_FINANCE_GRPC": str(port), "YINLING_TLS_CA": "", "YINLING_TLS_CERT": "",
           "YINLING_TLS_KEY": ""}
    runner = CliRunner()
    try:
        healthy = runner.invoke(main, ["healthcheck", "finance"], env=env)
        assert (healthy.exit_code, healthy.output.strip()) == (0, "finance: healthy")
    finally:
        runtime.stop()
    down = runner.invoke(main, ["healthcheck", "finance", "--timeout", "1"], env=env)
    assert down.exit_code == 1
    assert "finance is not healthy" in down.output and f"127.0.0.1:{port}" in down.output


def test_healthcheck_of_the_feed_fails_when_nothing_listens_and_unknown_processes_are_refused() -> None:
    runner = CliRunner()
    port = free_port()
    down = runner.invoke(main, ["healthcheck", "opendata", "--timeout", "0.5"],
                         env={"YINLING_PORT_OPENDATA_HTTP": str(port)})
    assert down.exit_code == 1 and f"http://127.0.0.1:{port}/healthz" in down.output
    unknown = runner.invoke(main, ["healthcheck", "broker"])
    assert unknown.exit_code == 2 and "'broker' is not one of" in unknown.output
