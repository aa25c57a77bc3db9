"""Serving under gunicorn (the project's gunicorn.conf.py: sync workers, gc.freeze after boot) and
driving it with wrk over loopback. Every process started here is stopped by its PID."""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bench.common import ROOT, percentile

USER_AGENT = "due-regard-bench/1"  # the same for sign-in and for wrk: sessions are bound to it
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """``app`` served by 2 sync workers; an access log of server times (microseconds) per request."""

    def __init__(self, app: str, env: dict[str, str], log_dir: Path, name: str, workers: int = 2) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.access_log = log_dir / f"{name}-access.log"
        self.access_log.unlink(missing_ok=True)
        self.error_log = log_dir / f"{name}-error.log"
        self.process = subprocess.Popen(
            [
                GUNICORN,
                "--config",
                str(ROOT / "gunicorn.conf.py"),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--access-logformat",
                "%(D)s %(s)s",
                "--access-logfile",
                str(self.access_log),
                "--error-logfile",
                str(self.error_log),
                app,
            ],
            env={**env, "PYTHONPATH": str(ROOT)},
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait_until_serving()

    def _wait_until_serving(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: see {self.error_log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    if len(self.worker_pids()) >= 1:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not start within {timeout} s")

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def cpu_seconds(self) -> float:
        total = 0
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime + stime
        return total / CLOCK_TICKS

    def log_offset(self) -> int:
        return self.access_log.stat().st_size if self.access_log.exists() else 0

    def server_times_ms(self, offset: int) -> list[float]:
        with open(self.access_log, "rb") as handle:
            handle.seek(offset)
            lines = handle.read().decode().splitlines()
        statuses = {line.split()[1] for line in lines if line.strip()}
        if statuses - {"200"}:
            raise RuntimeError(f"non-200 responses during a benchmark run: {sorted(statuses)}")
        return [int(line.split()[0]) / 1000 for line in lines if line.strip()]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Session:
    """A signed-in browser-like client (cookies, the same User-Agent as wrk)."""

    def __init__(self, base: str, email: str, password: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.opener.addheaders = [("User-Agent", USER_AGENT)]
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', self.get("/sign-in")).group(1)
        data = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": password}).encode()
        with self.opener.open(self.base + "/sign-in", data=data) as response:
            if "/sign-in" in response.url:
                raise RuntimeError(f"could not sign in as {email}")

    def post(self, path: str, page_with_form: str) -> str:
        """Submit the CSRF-protected form posting to ``path``; returns the path it redirected to."""
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page_with_form).group(1)
        data = urllib.parse.urlencode({"csrf_token": token}).encode()
        with self.opener.open(self.base + path, data=data) as response:
            return urllib.parse.urlsplit(response.url).path

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path) as response:
            return response.read().decode()

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


@dataclass
class LoadRun:
    requests_per_second: float
    client_p50_ms: float
    client_p99_ms: float
    server_p50_ms: float
    server_p99_ms: float
    server_max_ms: float
    cpu_us_per_request: float
    requests: int


_WRK_LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def load(server: Gunicorn, path: str, cookie: str | None, seconds: float, connections: int = 4) -> LoadRun:
    """One bounded wrk run (1 thread, ``connections`` connections) with server-side timings."""
    offset, cpu_before = server.log_offset(), server.cpu_seconds()
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency", "-H", f"User-Agent: {USER_AGENT}"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(
        command + [server.base + path], capture_output=True, text=True, check=True, timeout=seconds + 30
    ).stdout
    time.sleep(0.2)  # let the workers finish writing their access log lines
    cpu = server.cpu_seconds() - cpu_before
    times = server.server_times_ms(offset)
    latencies = {m.group(1): _ms(m.group(2), m.group(3)) for m in _WRK_LATENCY.finditer(output)}
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    return LoadRun(
        rps,
        latencies.get("50", float("nan")),
        latencies.get("99", float("nan")),
        percentile(times, 0.50),
        percentile(times, 0.99),
        max(times),
        cpu / len(times) * 1e6,
        len(times),
    )
