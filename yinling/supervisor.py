"""`yinling up`: the whole platform on one machine, for development and demonstration.

Starts the broker (unless a cluster is configured), every service and processor as a
child process, waits until each reports ready, prints where everything is, then runs the
caller's background work (the CLI passes the demo data load) while the platform serves,
and on Ctrl-C stops it and all it started, broker last. Nothing here knows the demo data.
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from yinling.broker import EmbeddedBroker, ensure_topics, wait_until_ready
from yinling.config import Settings
from yinling.readiness import wait_for_grpc, wait_for_http
from yinling.tls import scheme

log = logging.getLogger(__name__)
# Work to run once the platform is up, in a thread; it should return soon after the event is set.
Background = Callable[[threading.Event], object]


@dataclass
class Child:
    name: str
    args: list[str]
    ready_check: str  # "grpc:<port key>" | "http:<port key>" | "none"
    process: subprocess.Popen | None = None
    restarts: int = 0
    started_at: float = field(default=0.0)


def children() -> list[Child]:
    serve = [sys.executable, "-m", "yinling"]
    return [
        Child("platforms", [*serve, "serve", "platforms"], "grpc:platforms.grpc"),
        Child("enterprises", [*serve, "serve", "enterprises"], "grpc:enterprises.grpc"),
        Child("talent", [*serve, "serve", "talent"], "grpc:talent.grpc"),
        Child("finance", [*serve, "serve", "finance"], "grpc:finance.grpc"),
        Child("ingest", [*serve, "serve", "ingest"], "grpc:ingest.grpc"),
        Child("indicators-worker", [*serve, "worker"], "none"),
        Child("indicators", [*serve, "serve", "indicators"], "grpc:indicators.grpc"),
        Child("opendata", [*serve, "opendata"], "http:opendata.http"),
    ]


class Platform:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.logs = settings.data_dir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.broker: EmbeddedBroker | None = None
        self.children = children()
        self.stopping = threading.Event()
        self.lifecycle = threading.Lock()

    @property
    def bootstrap(self) -> str:
        if self.settings.bootstrap_servers:
            return self.settings.bootstrap_servers
        assert self.broker is not None
        return self.broker.bootstrap

    def start_broker(self) -> None:
        if self.settings.bootstrap_servers:
            print(f"using the Kafka cluster at {self.settings.bootstrap_servers}")
            wait_until_ready(self.settings.bootstrap_servers, 60)
        else:
            self.broker = EmbeddedBroker(self.settings.host, self.settings.port("broker"),
                                         log_path=self.logs / "broker.log").start()
            print(f"embedded broker (Tansu, memory storage) on {self.broker.bootstrap}")
        created = ensure_topics(self.bootstrap, default_partitions=self.settings.topic_partitions,
                                replication=self.settings.topic_replication)
        if created:
            print(f"created topics: {', '.join(created)}")

    def spawn(self, child: Child) -> None:
        env = dict(os.environ, YINLING_BOOTSTRAP_SERVERS=self.bootstrap,
                   YINLING_DATA_DIR=str(self.settings.data_dir.resolve()))
        with open(self.logs / f"{child.name}.log", "ab") as out:  # the child keeps its own copy
            child.process = subprocess.Popen(child.args, env=env, stdout=out, stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL, start_new_session=True)
        child.started_at = time.monotonic()

    def wait_ready(self, child: Child, timeout_s: float = 90) -> None:
        kind, _, key = child.ready_check.partition(":")
        if kind == "grpc":
            wait_for_grpc(self.settings.address(key), timeout_s, child.process, settings=self.settings)
        elif kind == "http":
            wait_for_http(f"{scheme(self.settings)}://{self.settings.address(key)}/healthz", timeout_s,
                          child.process, ca=self.settings.tls_ca)

    def start_children(self) -> None:
        for child in self.children:
            self.spawn(child)
        for child in self.children:
            try:
                self.wait_ready(child)
            except Exception as exc:
                raise RuntimeError(f"{child.name} did not become ready ({exc}); see "
                                   f"{self.logs / (child.name + '.log')}") from exc
            print(f"  {child.name:<18} ready")

    def watch(self) -> None:
        """Restart a child that died (with a pause), until we are asked to stop."""
        while not self.stopping.wait(1.0):
            for child in self.children:
                if child.process and child.process.poll() is not None and not self.stopping.is_set():
                    child.restarts += 1
                    log.warning("%s exited with %s; restarting (restart %d)", child.name,
                                child.process.returncode, child.restarts)
                    if self.stopping.wait(min(30, 2 ** min(child.restarts, 5))):
                        return
                    with self.lifecycle:  # stop() must not miss a child spawned meanwhile
                        if self.stopping.is_set():
                            return
                        self.spawn(child)

    def stop(self) -> None:
        self.stopping.set()
        with self.lifecycle:  # waits for a restart in progress, so its child is stopped too
            pass
        for child in reversed(self.children):
            if child.process and child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
        for child in reversed(self.children):
            if child.process:
                try:
                    child.process.wait(15)
                except subprocess.TimeoutExpired:
                    child.process.kill()
        if self.broker:
            self.broker.stop()


def print_urls(settings: Settings, bootstrap: str) -> None:
    feed = f"{scheme(settings)}://{settings.address('opendata.http')}"
    print(f"""
Yinling is up.
  open-data feed     {feed}/            (indicators: {feed}/api/v1/indicators , CSV: {feed}/api/v1/indicators.csv)
  platforms feed     {feed}/api/v1/platforms
  catalogs           {feed}/catalog (DCAT-AP 3: .jsonld, .ttl)  {feed}/data.json  {feed}/resource-catalog.json
  gRPC (reflection)  platforms {settings.address('platforms.grpc')}  enterprises {settings.address('enterprises.grpc')}
                     talent {settings.address('talent.grpc')}  finance {settings.address('finance.grpc')}
                     ingest {settings.address('ingest.grpc')}  indicators {settings.address('indicators.grpc')}
  metrics            """ + "  ".join(
        f"http://{settings.address(k)}/metrics" for k in settings.ports if k.endswith(".metrics")) + f"""
                     {feed}/metrics
  Kafka              {bootstrap}
  tokens (dev)       steward: dev-steward   personal data: dev-talent-officer
                     per agency: yinling token issue --agency NAME --scope platforms:write [--district 440703]
  logs               {settings.data_dir.resolve() / 'logs'}
Press Ctrl-C to stop everything.""", flush=True)


def run_platform(settings: Settings, background: Background | None = None) -> None:
    platform = Platform(settings)
    stop = threading.Event()
    # While starting, a signal interrupts whatever runs; once up, it just wakes the main thread.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    worker: threading.Thread | None = None
    try:
        platform.start_broker()
        print("starting services ...", flush=True)
        platform.start_children()
        print_urls(settings, platform.bootstrap)
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        threading.Thread(target=platform.watch, daemon=True).start()
        if background is not None:
            worker = threading.Thread(target=_run_background, args=(background, stop),
                                      name="background", daemon=True)
            worker.start()
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        print("\nstopping ...", flush=True)
        if worker is not None:
            worker.join(30)  # it stops between two requests, before the services go
        platform.stop()
        print("stopped.")


def _run_background(work: Background, stop: threading.Event) -> None:
    try:
        work(stop)
    except Exception:  # noqa: BLE001 - the platform keeps serving; the log says why
        log.exception("background work failed")


def _raise_interrupt(_signum, _frame) -> None:  # type: ignore[no-untyped-def]
    raise KeyboardInterrupt


def run_broker(settings: Settings) -> None:
    """`yinling broker`: the embedded broker in the foreground, topics created."""
    if settings.bootstrap_servers:
        raise SystemExit("YINLING_BOOTSTRAP_SERVERS is set: there is a cluster; no broker to start")
    broker = EmbeddedBroker(settings.host, settings.port("broker"),
                            log_path=Path(settings.data_dir) / "broker.log").start()
    ensure_topics(broker.bootstrap, default_partitions=settings.topic_partitions)
    print(f"broker on {broker.bootstrap}; Ctrl-C stops it", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    broker.stop()
