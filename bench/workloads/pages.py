"""W1: the main pages under gunicorn (2 sync workers) with wrk on loopback, each against the bare
Flask+Jinja page of the same byte size, interleaved (anchor, app, anchor, app ...)."""

from __future__ import annotations

import re

from bench.common import Result, Spread
from bench.dataset import PASSWORD, Dataset
from bench.server import Gunicorn, LoadRun, Session, load

TARGET_P99_MS = 15.0


def _targets(app: Gunicorn) -> list[tuple[str, str, Session]]:
    """(page, path, signed-in session) for each main page, found through the pages themselves."""
    author = Session(app.base, "author@example.org", PASSWORD)
    approver = Session(app.base, "approver@example.org", PASSWORD)
    board = Session(app.base, "board@example.org", PASSWORD)
    auditor = Session(app.base, "auditor@example.org", PASSWORD)
    signed_off = re.findall(r'href="(/assessments/\d+)"', auditor.get("/assessments?stage=signed_off"))
    return [
        ("dashboard (author)", "/", author),
        ("approver queue", "/review", approver),
        ("Board queue", "/board", board),
        ("task list", _draft_task_list(author), author),
        ("record page (signed off)", _signed_off_record(auditor, signed_off), auditor),
    ]


def _draft_task_list(author: Session) -> str:
    """The task list of one of the author's drafts; if their list shows none, start one as a person would."""
    dashboard = author.get("/assessments?stage=with_author&mine=yes")
    for row in re.findall(r"<li class=\"app-item-list__item\">.*?</li>", dashboard, re.DOTALL):
        link = re.search(r'href="(/assessments/\d+)"', row)
        if link and re.search(r">\s*Draft\s*<", row):
            return link.group(1) + "/tasks"
    return author.post("/assessments/", author.get("/"))


def _signed_off_record(auditor: Session, candidates: list[str]) -> str:
    for path in candidates:
        if "signed-record.pdf" in auditor.get(path):
            return path
    raise RuntimeError("no signed-off assessment found in the auditor's list")


def run(dataset: Dataset, log_dir, runs: int, seconds: float, log=print) -> Result:
    result = Result(
        "pages",
        f"Main pages under gunicorn (2 sync workers), wrk -t1 -c4 -d{seconds:g}s, "
        f"{runs} runs, vs a bare Flask+Jinja page of the same size ({dataset.assessments:,} assessments)",
    )
    app = Gunicorn("eia:create_app()", dataset.env, log_dir, "app")
    anchor = Gunicorn("bench.anchor:create_app()", dataset.env, log_dir, "anchor")
    try:
        for name, path, session in _targets(app):
            size = len(session.get(path).encode())
            anchor_path = f"/page/{size}"
            anchor_size = len(_plain_get(anchor.base + anchor_path))
            log(f"pages: {name} {path} ({size:,} bytes; anchor {anchor_size:,} bytes)")
            load(app, path, session.cookie_header, 2)  # warm-up
            load(anchor, anchor_path, None, 2)
            app_runs: list[LoadRun] = []
            anchor_runs: list[LoadRun] = []
            for _ in range(runs):
                anchor_runs.append(load(anchor, anchor_path, None, seconds))
                app_runs.append(load(app, path, session.cookie_header, seconds))
            result.rows.append(_row(name, size, app_runs, anchor_runs))
            p99 = Spread.of([r.server_p99_ms for r in app_runs])
            result.target(f"{name}: server p99 <= {TARGET_P99_MS:g} ms", p99.text(" ms"), p99.median <= TARGET_P99_MS)
    finally:
        app.stop()
        anchor.stop()
    result.notes.append(
        "server time = gunicorn's request time (%(D)s, from request read to response written) per "
        "request; client = wrk's latency on loopback; CPU = workers' utime+stime / requests"
    )
    return result


def _plain_get(url: str) -> bytes:
    import urllib.request

    with urllib.request.urlopen(url) as response:
        return response.read()


def _row(name: str, size: int, app: list[LoadRun], anchor: list[LoadRun]) -> dict:
    def spread(runs, attribute, digits=1, unit=""):
        return Spread.of([getattr(r, attribute) for r in runs]).text(unit, digits)

    def median(runs, attribute):
        return Spread.of([getattr(r, attribute) for r in runs]).median

    return {
        "page": name,
        "bytes": f"{size:,}",
        "app req/s": spread(app, "requests_per_second", 0),
        "anchor req/s": spread(anchor, "requests_per_second", 0),
        "app server p50 / p99 ms": f"{median(app, 'server_p50_ms'):.2f} / {spread(app, 'server_p99_ms', 2)}",
        "anchor server p50 / p99 ms": f"{median(anchor, 'server_p50_ms'):.2f} / {median(anchor, 'server_p99_ms'):.2f}",
        "client p99 ms (app)": f"{median(app, 'client_p99_ms'):.2f}",
        "CPU us/req app / anchor": f"{median(app, 'cpu_us_per_request'):.0f} / {median(anchor, 'cpu_us_per_request'):.0f}",
        "ratio req/s (anchor/app)": f"{median(anchor, 'requests_per_second') / median(app, 'requests_per_second'):.2f}x",
        "ratio p99 (app/anchor)": f"{median(app, 'server_p99_ms') / median(anchor, 'server_p99_ms'):.2f}x",
    }
