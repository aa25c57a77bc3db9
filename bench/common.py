"""Statistics, machine description and result files shared by the workloads."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (no interpolation: a reported p99 is a latency that happened)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


@dataclass
class Spread:
    """Median and [min-max] over repeated runs."""

    median: float
    low: float
    high: float
    runs: int

    @classmethod
    def of(cls, values: list[float]) -> Spread:
        return cls(statistics.median(values), min(values), max(values), len(values))

    def text(self, unit: str = "", digits: int = 2) -> str:
        return f"{self.median:.{digits}f}{unit} [{self.low:.{digits}f}-{self.high:.{digits}f}]"


@dataclass
class Result:
    """One workload's outcome: rows for the report, the ratio to its baseline and the target check."""

    workload: str
    title: str
    rows: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: str | None = None
    targets: list[dict] = field(default_factory=list)  # {"target": str, "value": str, "met": bool}

    def target(self, description: str, value: str, met: bool) -> None:
        self.targets.append({"target": description, "value": value, "met": met})


def git_sha() -> str:
    try:
        return subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kib = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    from importlib.metadata import version

    packages = {name: version(name) for name in ("flask", "sqlalchemy", "jinja2", "gunicorn", "reportlab", "pyhanko")}
    wrk = (
        subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split("[")[0].strip()
        if _has("wrk")
        else "not installed"
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "python": platform.python_version(),
        "os": platform.platform(),
        "packages": packages,
        "wrk": wrk,
        "git": git_sha(),
        "load_average_at_start": os.getloadavg(),
    }


def _has(program: str) -> bool:
    from shutil import which

    return which(program) is not None


def write_results(results: list[Result], info: dict, started: float) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(started))
    data = {
        "machine": info,
        "started": stamp,
        "seconds": round(time.time() - started, 1),
        "results": [asdict(r) for r in results],
    }
    (RESULTS / f"{stamp}.json").write_text(json.dumps(data, indent=2, default=str))
    markdown = RESULTS / f"{stamp}.md"
    markdown.write_text(report_markdown(data))
    return markdown


def report_markdown(data: dict) -> str:
    info = data["machine"]
    lines = [
        f"# Benchmark run {data['started']} (git {info['git']}, {data['seconds']} s)",
        "",
        f"{info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB; Python {info['python']}; "
        f"{info['wrk']}; load average at start {tuple(round(x, 2) for x in info['load_average_at_start'])}",
        "",
    ]
    for result in data["results"]:
        lines.append(f"## {result['title']}")
        lines.append("")
        if result["skipped"]:
            lines += [f"Skipped: {result['skipped']}", ""]
            continue
        if result["rows"]:
            headers = list(result["rows"][0])
            lines.append("| " + " | ".join(headers) + " |")
            lines.append("|" + "---|" * len(headers))
            lines += ["| " + " | ".join(str(row.get(h, "")) for h in headers) + " |" for row in result["rows"]]
            lines.append("")
        for target in result["targets"]:
            lines.append(f"- target {target['target']}: {target['value']} — {'met' if target['met'] else 'MISSED'}")
        lines += [f"- {note}" for note in result["notes"]]
        lines.append("")
    return "\n".join(lines)
