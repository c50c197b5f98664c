"""Soak: mixed legacy and canonical traffic through a real proxy process, with upstream faults.

Run from the project root:

    .venv/bin/python -m bench.soak [--minutes 10] [--clients 16] [--fault-rate 0.03]
                                   [--workers 1] [--state memory|redis]

It starts, on loopback only: the sandbox Moda API in this process, with faults injected at random
(a 503, a hang past the proxy's timeout, a connection cut); a legacy webhook receiver that verifies
signatures and refuses one event in ten once, so Moda's retries must bring it again; and the proxy
as its own process (`python -m proxy`). Clients then create tasks (half with a `callback_url`),
read them, wait on them with `Prefer: wait`, page through lists and read as `2026-05-01` clients,
for `--minutes`. `--workers N` runs the proxy as a supervisor with N workers; `--state redis` starts
a redis-server on loopback and shares the proxy's state through it. At the end it reports requests
served,
answers by kind, p50/p99 latency, webhook deliveries lost or duplicated (target 0), and the proxy's
memory (all its processes) after warm-up and at the end (target: at most 10% growth).
"""

import argparse
import asyncio
import contextlib
import json
import logging
import os
import random
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from bench.loopback import free_port, serve
from bench.redis_server import running_redis
from proxy.clock import SystemClock
from proxy.core.signing import verify
from proxy.sandbox.app import create_sandbox_app
from proxy.sandbox.settings import SandboxSettings

SECRET = "whsec_soak"
TERMINAL_EVENTS = {"job.completed", "job.failed", "job.dead_letter", "job.cancelled"}
WARM_UP_SECONDS = 30.0


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    answers: Counter[str] = field(default_factory=Counter)
    callbacks: dict[str, str] = field(default_factory=dict)  # job id -> client
    events: Counter[str] = field(default_factory=Counter)  # event id -> deliveries
    jobs_with_event: Counter[str] = field(default_factory=Counter)  # job id -> terminal events
    faults: Counter[str] = field(default_factory=Counter)
    refused_once: set[str] = field(default_factory=set)


def _faulty(rate: float, tally: Tally) -> Middleware:
    @web.middleware
    async def inject(request: web.Request, handler: Handler) -> web.StreamResponse:
        roll = random.random()
        if roll < rate / 3:
            tally.faults["503"] += 1
            body = {"error": {"type": "upstream_error", "code": "busy", "message": "injected"}}
            return web.json_response(body, status=503)
        if roll < 2 * rate / 3:
            tally.faults["hang"] += 1
            await asyncio.sleep(3)  # past the proxy's 2 s timeout
        elif roll < rate and request.transport is not None:
            tally.faults["cut"] += 1
            request.transport.close()
            return web.Response(status=500)
        return await handler(request)

    return inject


def _receiver(tally: Tally) -> web.Application:
    async def receive(request: web.Request) -> web.Response:
        body = await request.read()
        timestamp = int(request.headers.get("X-Webhook-Timestamp", "0"))
        if not verify(SECRET, timestamp, body, request.headers.get("X-Webhook-Signature", "")):
            tally.answers["webhook bad signature"] += 1
            return web.Response(status=401)
        event = json.loads(body)
        # One event in ten is refused once: Moda's retries, through the relay, must still bring it.
        if event["id"] not in tally.refused_once and random.random() < 0.1:
            tally.refused_once.add(event["id"])
            return web.Response(status=500)
        tally.events[event["id"]] += 1
        if event["type"] in TERMINAL_EVENTS:
            tally.jobs_with_event[event["data"]["job_id"]] += 1
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", receive)
    return app


def _rss_kib(pid: int) -> int:
    """The resident memory of a process and its children (a supervisor's workers)."""
    total = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            total = int(line.split()[1])
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return total + sum(_rss_kib(int(child)) for child in children)


@dataclass(frozen=True)
class ProxyOptions:
    workers: int
    redis_url: str | None


async def _start_proxy(
    sandbox_url: str, workdir: Path, options: ProxyOptions
) -> tuple[asyncio.subprocess.Process, str]:
    port, admin = free_port(), free_port()
    config = workdir / "config.yaml"
    state = f"state:\n  backend: redis\n  redis_url: {options.redis_url}\n"
    config.write_text(
        f"server:\n  workers: {options.workers}\n"
        "upstream:\n  timeout_seconds: 2\n"
        "webhooks:\n  allow_http_callbacks: true\n  allow_private_callback_hosts: true\n"
        "logging:\n  access_log: false\n" + (state if options.redis_url else "")
    )
    environ = {
        **os.environ,
        "MODA_PROXY_RELAY_SECRET": "soak-relay",
        "MODA_PROXY_WEBHOOK_SECRET": SECRET,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "proxy",
        "--config",
        str(config),
        "--upstream",
        sandbox_url,
        "--listen",
        f"127.0.0.1:{port}",
        "--admin-listen",
        f"127.0.0.1:{admin}",
        "--public-url",
        f"http://127.0.0.1:{port}",
        env=environ,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            # Refused until the proxy listens: keep asking.
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"http://127.0.0.1:{admin}/-/readyz") as response:
                    if response.status == 200:
                        return process, url
            await asyncio.sleep(0.1)
    raise RuntimeError("the proxy did not start")


class Client:
    def __init__(
        self, session: aiohttp.ClientSession, url: str, hook: str, tally: Tally, n: int
    ) -> None:
        self.session, self.url, self.hook, self.tally = session, url, hook, tally
        self.auth = {"Authorization": f"Bearer moda_live_soak_{n % 4}"}
        self.jobs: list[str] = []

    async def _call(
        self, kind: str, method: str, path: str, **kwargs: object
    ) -> dict[str, object] | None:
        started = time.monotonic()
        try:
            async with self.session.request(method, self.url + path, **kwargs) as response:  # type: ignore[arg-type]
                body = await response.read()
                self.tally.answers[f"{kind} {response.status}"] += 1
                self.tally.latencies.append(time.monotonic() - started)
                document = json.loads(body) if body else None
                return document if response.status < 300 and isinstance(document, dict) else None
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            self.tally.answers[f"{kind} {type(exc).__name__}"] += 1
            return None

    async def step(self) -> None:
        legacy = {**self.auth, "Moda-Version": "2026-04-12"}
        choice = random.random()
        if choice < 0.2 or not self.jobs:
            body: dict[str, object] = {"prompt": "soak"}
            if random.random() < 0.5:
                body["callback_url"] = self.hook
            job = await self._call("create", "POST", "/v1/tasks", json=body, headers=legacy)
            if job and isinstance(job.get("job_id"), str):
                self.jobs = [*self.jobs[-20:], str(job["job_id"])]
                if "callback_url" in body:
                    self.tally.callbacks[str(job["job_id"])] = "legacy"
        elif choice < 0.5:
            await self._call("get", "GET", f"/v1/tasks/{random.choice(self.jobs)}", headers=legacy)
        elif choice < 0.6:
            waiting = {**legacy, "Prefer": "wait=2"}
            await self._call(
                "wait", "GET", f"/v1/tasks/{random.choice(self.jobs)}", headers=waiting
            )
        elif choice < 0.85:
            offset = random.choice((0, 20, 40, 60))
            await self._call(
                "list", "GET", f"/v1/canvases?offset={offset}&limit=20", headers=legacy
            )
        else:
            canonical = {**self.auth, "Moda-Version": "2026-05-01"}
            await self._call("canonical", "GET", "/v1/canvases?limit=10", headers=canonical)


async def _drive(clients: list[Client], until: float) -> None:
    async def loop(client: Client) -> None:
        while time.monotonic() < until:
            await client.step()

    await asyncio.gather(*(loop(client) for client in clients))


async def _soak(minutes: float, count: int, fault_rate: float, options: ProxyOptions) -> None:
    tally = Tally()
    settings = SandboxSettings(
        queued_seconds=0.5,
        running_seconds=2,
        max_active_tasks=10_000,
        allow_http_callbacks=True,
        webhook_signing_secret=SECRET,
        webhook_retry_delays=(1.0, 5.0, 30.0),
    )
    sandbox_app = create_sandbox_app(settings, SystemClock())
    sandbox_app.middlewares.insert(0, _faulty(fault_rate, tally))
    sandbox, sandbox_url = await serve(sandbox_app)
    receiver, receiver_url = await serve(_receiver(tally))
    with tempfile.TemporaryDirectory() as workdir:
        process, proxy_url = await _start_proxy(sandbox_url, Path(workdir), options)
        try:
            timeout = aiohttp.ClientTimeout(total=30)
            async with aiohttp.ClientSession(
                timeout=timeout, connector=aiohttp.TCPConnector(limit=0)
            ) as session:
                clients = [
                    Client(session, proxy_url, f"{receiver_url}/hook", tally, n)
                    for n in range(count)
                ]
                started = time.monotonic()
                end = started + minutes * 60
                await _drive(clients, min(end, started + WARM_UP_SECONDS))
                rss_start = _rss_kib(process.pid)
                await _drive(clients, end)
                rss_end = _rss_kib(process.pid)
                # Tasks finish within ~3 s; retries take up to 36 s more.
                await asyncio.sleep(45)
        finally:
            process.send_signal(signal.SIGTERM)
            await process.wait()
            await receiver.cleanup()
            await sandbox.cleanup()
    state = "redis" if options.redis_url else "memory"
    print(f"proxy: {options.workers} worker(s), state.backend {state}")
    _report(tally, minutes, rss_start, rss_end)


def _report(tally: Tally, minutes: float, rss_start: int, rss_end: int) -> None:
    served = sum(tally.answers.values())
    expected = set(tally.callbacks)
    lost = [job for job in expected if tally.jobs_with_event[job] == 0]
    duplicated = [event for event, count in tally.events.items() if count > 1]
    latencies = sorted(tally.latencies)
    p50 = statistics.median(latencies) * 1000 if latencies else 0.0
    p99 = latencies[int(len(latencies) * 0.99)] * 1000 if latencies else 0.0
    growth = (rss_end - rss_start) / rss_start * 100 if rss_start else 0.0
    print(f"soak: {minutes:g} min, {served} requests ({served / (minutes * 60):.0f}/s)")
    print(f"faults injected upstream: {dict(tally.faults)}")
    for kind, count in sorted(tally.answers.items()):
        print(f"  {kind:<32} {count}")
    print(f"latency p50 {p50:.1f} ms, p99 {p99:.1f} ms (waits included)")
    print(
        f"webhooks: {len(expected)} tasks with a callback, {sum(tally.events.values())} deliveries,"
        f" {len(tally.refused_once)} refused once by the receiver and retried"
    )
    print(f"  lost {len(lost)} (target 0)   {'PASS' if not lost else 'FAIL'}")
    print(f"  duplicated {len(duplicated)} (target 0)   {'PASS' if not duplicated else 'FAIL'}")
    print(
        f"proxy memory: {rss_start} KiB after warm-up, {rss_end} KiB at the end, {growth:+.1f}% "
        f"(target <= +10%)   {'PASS' if growth <= 10 else 'FAIL'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--fault-rate", type=float, default=0.03)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--state", choices=("memory", "redis"), default="memory")
    args = parser.parse_args()
    # Injected cuts make the sandbox and its server log tracebacks; they are expected here.
    for name in ("aiohttp.server", "proxy.sandbox"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    asyncio.run(_run(args))


async def _run(args: argparse.Namespace) -> None:
    if args.state == "memory":
        await _soak(args.minutes, args.clients, args.fault_rate, ProxyOptions(args.workers, None))
        return
    async with running_redis() as redis_url:
        options = ProxyOptions(args.workers, redis_url)
        await _soak(args.minutes, args.clients, args.fault_rate, options)


if __name__ == "__main__":
    main()
