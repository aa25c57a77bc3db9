"""Two app instances (separate gunicorn processes on two loopback ports) on one PostgreSQL database.

Concurrent decisions, sign-off races and edits from two tabs go through real HTTP: exactly one
winner each time, the other gets the conflict page with what they typed, nothing is lost, and the
audit chain never forks. Bounded: a few rounds, every wait has a deadline, the servers are stopped.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener

import pytest
from sqlalchemy import func, select

from eia.extensions import db
from eia.models import ArchivedRecord, Assessment, AuditEvent, Department, Transition, User
from eia.services import integrity
from eia.services.users import create_user
from eia.web.decisions import CONFLICT_MESSAGE as DECISION_CONFLICT
from eia.web.questionnaire import CONFLICT_MESSAGE as EDIT_CONFLICT
from tests.conftest import PASSWORD, POSTGRES_URL
from tests.journeys import act, complete_assessment, start_assessment, submit
from tests.pages import Page, PageClient

pytestmark = pytest.mark.postgres_only
ROOT = Path(__file__).resolve().parents[1]
START_DEADLINE = 90  # seconds for gunicorn to come up on a busy machine
ROUNDS = 2


class _Response:
    """Enough of a Flask test response for tests.pages.Page."""

    def __init__(self, status: int, headers, body: bytes) -> None:
        self.status_code, self.headers, self._body = status, headers, body
        self.mimetype = (headers.get("Content-Type") or "").split(";")[0].strip()

    def get_data(self, as_text: bool = False):
        return self._body.decode("utf-8") if as_text else self._body

    def close(self) -> None:
        pass


class _NoRedirects(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the test sees the 302 and its Location, as with Flask's test client


class HttpClient:
    """A cookie-keeping HTTP client for one browser tab against one instance."""

    def __init__(self, base_url: str, jar: CookieJar | None = None) -> None:
        self.base_url = base_url
        self.jar = jar or CookieJar()
        self.opener = build_opener(HTTPCookieProcessor(self.jar), _NoRedirects())

    def _open(self, method: str, url: str, data=None) -> _Response:
        body = urlencode(data or {}, doseq=True).encode() if method == "POST" else None
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
        request = Request(self.base_url + url, data=body, method=method, headers=headers)
        try:
            with self.opener.open(request, timeout=60) as response:
                return _Response(response.status, response.headers, response.read())
        except HTTPError as error:
            with error:
                return _Response(error.code, error.headers, error.read())

    def get(self, url: str) -> _Response:
        return self._open("GET", url)

    def post(self, url: str, data=None) -> _Response:
        return self._open("POST", url, data)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_serving(base_url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_DEADLINE
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if HttpClient(base_url).get("/sign-in").status_code == 200:
                return
        except (URLError, ConnectionError, OSError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"gunicorn did not start within {START_DEADLINE}s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def instances(demo, tmp_path):
    """Two gunicorn processes serving the test database; yields their base URLs."""
    with demo.app_context():
        approver = db.session.scalar(select(User).where(User.email == "approver@example.org"))
        department = db.session.get(Department, approver.department_id)
        create_user(
            email="approver2@example.org",
            name="Second Approver",
            roles=["approver"],
            organisation=approver.organisation,
            department=department,
            password=PASSWORD,
        )
    env = {
        **os.environ,
        "EIA_CONFIG": "development",
        "EIA_SECOND_FACTOR_REQUIRED": "0",  # approvers sign in with a password alone here
        "DATABASE_URL": POSTGRES_URL,
        "SECRET_KEY": "two-instances-test-secret-key-0123456789",
        "EIA_INSTANCE_DIR": str(tmp_path),  # shared: one signing identity, as production shares its key
        "MAIL_ENABLED": "0",
        "WEB_CONCURRENCY": "1",
        "ACCESS_LOG": str(tmp_path / "access.log"),
    }
    processes, urls = [], []
    try:
        for name in ("a", "b"):
            port = _free_port()
            log = tmp_path / f"gunicorn-{name}.log"
            with open(log, "wb") as output:
                processes.append(
                    (
                        subprocess.Popen(
                            [
                                str(Path(sys.executable).parent / "gunicorn"),
                                "--config",
                                "gunicorn.conf.py",
                                "--bind",
                                f"127.0.0.1:{port}",
                                "--graceful-timeout",
                                "5",
                                "eia:create_app()",
                            ],
                            cwd=ROOT,
                            env=env,
                            stdout=output,
                            stderr=subprocess.STDOUT,
                        ),
                        log,
                    )
                )
            urls.append(f"http://127.0.0.1:{port}")
        for (process, log), url in zip(processes, urls, strict=True):
            _wait_until_serving(url, process, log)
        yield urls
    finally:
        for process, _log in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process, _log in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _tab(base_url: str, email: str) -> PageClient:
    tab = PageClient(HttpClient(base_url))
    tab.sign_in(email, PASSWORD)
    return tab


def _loaded(tab: PageClient, url: str, typed: dict) -> tuple[str, dict]:
    """Load a form (GET) as a browser tab does, and fill it in; posting comes later."""
    page = tab.get(url)
    form = page.form()
    return form.attrs.get("action") or url, {**page.form_fields(form), **typed}


def _race(*posts) -> list[Page]:
    """POST each (tab, url, fields) at the same moment, from its own thread."""
    start = threading.Barrier(len(posts), timeout=60)
    results: list = [None] * len(posts)

    def run(index, tab, url, fields):
        start.wait()
        response = tab.client.post(url, fields)
        results[index] = Page(response)

    threads = [threading.Thread(target=run, args=(i, *post)) for i, post in enumerate(posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(result is not None for result in results), "a request did not finish"
    for result in results:
        if result.response.mimetype == "text/html" and result.status != 302:
            result.check()
    return results


def _one_winner(results: list[Page]) -> tuple[Page, Page]:
    statuses = sorted(r.status for r in results)
    assert statuses == [302, 409], statuses
    winner = next(r for r in results if r.status == 302)
    loser = next(r for r in results if r.status == 409)
    return winner, loser


def _submitted(base_url: str) -> int:
    author = _tab(base_url, "author@example.org")
    assessment_id = start_assessment(author)
    complete_assessment(author, assessment_id)
    submit(author, assessment_id)
    return assessment_id


def _chain_is_whole(app) -> None:
    with app.app_context():
        forks = db.session.execute(
            select(AuditEvent.prev_hash).group_by(AuditEvent.prev_hash).having(func.count() > 1)
        ).all()
        assert forks == [], "two events name the same predecessor: the chain forked"
        report = integrity.verify_audit_chain()
        assert report.ok, report.problems


def test_concurrent_decisions_on_two_instances_have_exactly_one_winner(demo, instances):
    a, b = instances
    first, second = _tab(a, "approver@example.org"), _tab(b, "approver2@example.org")
    for _round in range(ROUNDS):
        assessment_id = _submitted(a)
        act(first, assessment_id, "start_review")
        base = f"/assessments/{assessment_id}/actions"
        results = _race(
            (first, *_loaded(first, f"{base}/approve", {"comment": "Fine by me"})),
            (second, *_loaded(second, f"{base}/return", {"comment": "Needs the custody data"})),
        )
        winner, loser = _one_winner(results)
        assert DECISION_CONFLICT in loser.html
        typed = "Fine by me" if loser is results[0] else "Needs the custody data"
        assert loser.text_of(id="comment") == typed, "the loser's typed comment is kept"
        with demo.app_context():
            assessment = db.session.get(Assessment, assessment_id)
            decisions = db.session.scalars(
                select(Transition.action).where(
                    Transition.assessment_id == assessment_id, Transition.action.in_(["approve", "return"])
                )
            ).all()
            assert len(decisions) == 1 and assessment.status == ("approved" if decisions == ["approve"] else "returned")
            archived = db.session.scalar(
                select(func.count()).select_from(ArchivedRecord).where(ArchivedRecord.assessment_id == assessment_id)
            )
            assert archived == (1 if decisions == ["approve"] else 0)
            audited = db.session.scalars(
                select(AuditEvent.action).where(
                    AuditEvent.object_id == str(assessment_id),
                    AuditEvent.action.in_(["assessment.approve", "assessment.return"]),
                )
            ).all()
            assert audited == [f"assessment.{decisions[0]}"]
    _chain_is_whole(demo)


def test_sign_off_races_archive_exactly_once(demo, instances):
    a, b = instances
    first, second = _tab(a, "approver@example.org"), _tab(b, "approver2@example.org")
    for _round in range(ROUNDS):
        assessment_id = _submitted(b)
        act(second, assessment_id, "start_review")
        url = f"/assessments/{assessment_id}/actions/approve"
        _one_winner(
            _race((first, *_loaded(first, url, {"comment": "A"})), (second, *_loaded(second, url, {"comment": "B"})))
        )
        with demo.app_context():
            records = db.session.scalars(
                select(ArchivedRecord).where(ArchivedRecord.assessment_id == assessment_id)
            ).all()
            assert len(records) == 1
            assert integrity.verify_archived_record(records[0]) == []
            assert (
                db.session.scalar(
                    select(func.count())
                    .select_from(AuditEvent)
                    .where(AuditEvent.action == "assessment.archived", AuditEvent.object_id == str(assessment_id))
                )
                == 1
            )
    _chain_is_whole(demo)


def test_edits_from_two_tabs_on_two_instances_the_later_save_gets_a_conflict_page_keeping_its_answers(demo, instances):
    a, b = instances
    author_a = _tab(a, "author@example.org")
    author_b = PageClient(HttpClient(b, author_a.client.jar))  # the same browser, a second tab, the other instance
    assessment_id = start_assessment(author_a)
    url = f"/assessments/{assessment_id}/pages/aims"
    answers = {"affected": "both", "scope": "Force-wide", "intent": "continue"}

    # one after the other: the later save loses, and sees its own words again
    tab1 = _loaded(author_a, url, {**answers, "aims": "Written in the first tab"})
    tab2 = _loaded(author_b, url, {**answers, "aims": "Written in the second tab"})
    assert author_a.post(*tab1).status == 302
    page = author_b.post(*tab2, status=409)
    assert EDIT_CONFLICT in page.html and page.text_of(id="aims") == "Written in the second tab"

    # at the same moment: exactly one is saved, the other keeps its words
    for round_number in range(ROUNDS):
        texts = (f"Round {round_number}, tab one", f"Round {round_number}, tab two")
        results = _race(
            (author_a, *_loaded(author_a, url, {**answers, "aims": texts[0]})),
            (author_b, *_loaded(author_b, url, {**answers, "aims": texts[1]})),
        )
        _winner, loser = _one_winner(results)
        won, lost = (texts[1], texts[0]) if loser is results[0] else texts
        assert loser.text_of(id="aims") == lost
        with demo.app_context():
            assert db.session.get(Assessment, assessment_id).answers["aims"]["aims"] == won
    _chain_is_whole(demo)
