"""`make soak`: a bounded load against `yinling up --no-demo`, with the memory of every process
and the outbox backlog sampled and printed (nothing asserted).

Starts the platform on free ports in a temporary data directory, writes through the public
gRPC APIs at a steady rate (platforms registered and accredited, loans recorded, enterprises
registered, in turn) for the given duration, and every `--every` seconds prints the resident
memory of each process the platform runs (from /proc) and each process's
`yinling_outbox_backlog` (from its /metrics). Ctrl-C stops early; the platform is stopped
with Ctrl-C as a user would.

    python -m tools.soak --seconds 180 --rate 50 --every 10
"""
from __future__ import annotations

import argparse
import itertools
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import grpc

from yinling.auth import bearer
from yinling.broker import free_port
from yinling.config import DEFAULT_PORTS
from yinling.credit_code import make_credit_code
from yinling.territory import DISTRICTS
from yinling.v1 import enterprises_pb2 as epb
from yinling.v1 import finance_pb2 as fpb
from yinling.v1 import platforms_pb2 as ppb
from yinling.v1.enterprises_pb2_grpc import EnterpriseRegistryStub
from yinling.v1.finance_pb2_grpc import FinanceRegistryStub
from yinling.v1.platforms_pb2_grpc import PlatformRegistryStub

REPO = Path(__file__).resolve().parents[1]
READY_LINE = "Yinling is up."
STEWARD = bearer("dev-steward")
METRICS = [k for k in DEFAULT_PORTS if k.endswith(".metrics")]


def free_ports() -> dict[str, int]:
    ports: dict[str, int] = {}
    while len(ports) < len(DEFAULT_PORTS):
        port = free_port()
        if port not in ports.values():
            ports[list(DEFAULT_PORTS)[len(ports)]] = port
    return ports


def start_platform(data_dir: Path, ports: dict[str, int], timeout_s: float = 120) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YINLING_")}
    env.update({"YINLING_PORT_" + k.upper().replace(".", "_").replace("-", "_"): str(p)
                for k, p in ports.items()})
    env.update(YINLING_DATA_DIR=str(data_dir), YINLING_LOG_LEVEL="warning", PYTHONUNBUFFERED="1")
    output = data_dir / "up.out"
    with open(output, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "yinling", "up", "--no-demo"], cwd=REPO, env=env,
                                   stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout_s
    while READY_LINE not in output.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"`yinling up` did not come up:\n{output.read_text(errors='replace')}")
        time.sleep(0.25)
    return process


# -- sampling ----------------------------------------------------------------------------------
def platform_processes(data_dir: Path) -> dict[int, str]:
    """pid -> short name of every live process whose environment holds our YINLING_DATA_DIR."""
    wanted = f"YINLING_DATA_DIR={data_dir}".encode()
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if wanted not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        found[int(entry.name)] = process_name(argv)
    return found


def process_name(argv: list[str]) -> str:
    words = [a for a in argv if a]
    if "-m" in words and words.index("-m") + 1 < len(words):
        rest = words[words.index("-m") + 2:]
        return " ".join(w for w in rest if not w.startswith("-"))[:40] or words[words.index("-m") + 1]
    return Path(words[0]).name if words else "?"


def rss_kib(pid: int) -> int | None:
    try:
        match = re.search(r"^VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.M)
    except OSError:
        return None
    return int(match.group(1)) if match else None


def backlog(port: int) -> float | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
            text = reply.read().decode()
    except OSError:
        return None
    values = [float(line.rpartition(" ")[2]) for line in text.splitlines()
              if line.startswith("yinling_outbox_backlog")]
    return sum(values) if values else None


def sample(data_dir: Path, ports: dict[str, int], elapsed: float, written: int, failed: int) -> None:
    memory = sorted((name, rss) for pid, name in platform_processes(data_dir).items()
                    if (rss := rss_kib(pid)) is not None)
    backlogs = {k.removesuffix(".metrics"): backlog(ports[k]) for k in METRICS}
    print(f"t={elapsed:6.0f}s  writes={written} failed={failed}  "
          f"total RSS={sum(r for _, r in memory) / 1024:.0f} MiB", flush=True)
    for name, rss in memory:
        print(f"    {rss / 1024:8.1f} MiB  {name}", flush=True)
    print("    backlog: " + ", ".join(f"{k}={'-' if v is None else int(v)}" for k, v in backlogs.items()),
          flush=True)


# -- the load ----------------------------------------------------------------------------------
def writes(channels: dict[str, grpc.Channel]) -> Iterator[Callable[[], object]]:
    """An endless round of public writes, each a call ready to make."""
    platforms = PlatformRegistryStub(channels["platforms"])
    finance = FinanceRegistryStub(channels["finance"])
    enterprises = EnterpriseRegistryStub(channels["enterprises"])
    districts = sorted(DISTRICTS)
    for n in itertools.count():
        district = districts[n % len(districts)]
        code = make_credit_code(district, 10_000_000 + n)
        registered: list[str] = []

        def register(n: int = n, district: str = district, out: list[str] = registered) -> None:
            out.append(platforms.Register(ppb.RegisterPlatformRequest(
                name=f"江门压测平台{n:06d}", kind="engineering_technology_research_centre",
                host_organisation=f"江门压测科技有限公司{n:06d}", district=district,
                registered_on="2023-01-10"), metadata=STEWARD, timeout=10).id)
        yield register
        if registered:   # the caller made the registration before drawing the next call
            yield partial(platforms.Accredit, ppb.AccreditPlatformRequest(
                platform_id=registered[0], level=ppb.PLATFORM_LEVEL_MUNICIPAL, accredited_on="2023-02-01"),
                metadata=STEWARD, timeout=10)
        yield partial(enterprises.Register, epb.RegisterEnterpriseRequest(
            credit_code=code, name=f"江门压测企业{n:06d}有限公司", district=district,
            industry_cluster="新一代信息技术", registered_on="2020-05-01"),
            metadata=STEWARD, timeout=10)
        yield partial(finance.Record, fpb.RecordFinanceRequest(
            kind="loan", loan_type="credit", enterprise_credit_code=code, district=district,
            amount_fen=100_000_00 + n, granted_on="2023-06-01"), metadata=STEWARD, timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("SOAK_SECONDS", 180)))
    parser.add_argument("--rate", type=float, default=float(os.environ.get("SOAK_RATE", 50)),
                        help="writes per second (default 50)")
    parser.add_argument("--every", type=float, default=10, help="seconds between samples (default 10)")
    args = parser.parse_args()
    ports = free_ports()
    with tempfile.TemporaryDirectory(prefix="yinling-soak-") as tmp:
        data_dir = Path(tmp)
        print(f"starting `yinling up --no-demo` in {data_dir} ...", flush=True)
        up = start_platform(data_dir, ports)
        channels = {s: grpc.insecure_channel(f"127.0.0.1:{ports[s + '.grpc']}")
                    for s in ("platforms", "enterprises", "finance")}
        counts = {"written": 0, "failed": 0}
        stop = threading.Event()

        def load() -> None:
            started, calls = time.monotonic(), writes(channels)
            while not stop.is_set():
                due = started + (counts["written"] + counts["failed"]) / args.rate
                if (wait := due - time.monotonic()) > 0:
                    stop.wait(wait)
                try:
                    next(calls)()
                    counts["written"] += 1
                except grpc.RpcError as error:
                    counts["failed"] += 1
                    if counts["failed"] <= 5:   # the first few; the samples count them all
                        print(f"    write failed: {error.code().name} {error.details()}", flush=True)

        worker = threading.Thread(target=load, daemon=True)
        started = time.monotonic()
        sample(data_dir, ports, 0, 0, 0)
        worker.start()
        try:
            while (elapsed := time.monotonic() - started) < args.seconds:
                time.sleep(min(args.every, args.seconds - elapsed))
                sample(data_dir, ports, time.monotonic() - started, counts["written"], counts["failed"])
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
            worker.join(15)
            for channel in channels.values():
                channel.close()
            elapsed = time.monotonic() - started
            print(f"{counts['written']} writes in {elapsed:.0f}s ({counts['written'] / elapsed:.1f}/s), "
                  f"{counts['failed']} failed", flush=True)
            up.send_signal(signal.SIGINT)
            try:
                up.wait(60)
            except subprocess.TimeoutExpired:
                up.kill()


if __name__ == "__main__":
    main()
