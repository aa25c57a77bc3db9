"""The database goes away mid-request (research notes F2): a clear 503 page that keeps what the user
typed, a rolled-back transaction, an audit chain that still verifies, and a retry that succeeds."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, func, select, text

from eia.extensions import db
from eia.models import Assessment, AuditEvent
from eia.services.demo import seed
from eia.services.integrity import verify_audit_chain
from eia.web.errors import UNAVAILABLE_DETAIL
from tests.conftest import PASSWORD, POSTGRES_URL, _make_app
from tests.journeys import start_assessment
from tests.pages import Page, PageClient

ANSWERS = {"aims": "Fewer repeat detentions\nand safer handovers", "affected": "both", "scope": "All custody suites"}


@contextmanager
def writes_blocked(app):
    """Another connection holds the write lock, as a stuck transaction or a long migration would."""
    if POSTGRES_URL:
        engine = create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.connect() as connection:
            connection.execute(text("LOCK TABLE audit_event IN EXCLUSIVE MODE"))  # reads still work
            yield
            connection.rollback()
        engine.dispose()
    else:
        with app.app_context():
            path = db.engine.url.database
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("BEGIN EXCLUSIVE")  # in WAL mode readers carry on; writers wait, then fail
        yield
        connection.execute("ROLLBACK")
        connection.close()


def _state(app, assessment_id):
    with app.app_context():
        report = verify_audit_chain()
        return (
            db.session.get(Assessment, assessment_id).answers.get("aims"),
            db.session.scalar(select(func.count()).select_from(AuditEvent)),
            report.ok,
        )


def _author_on_the_aims_page(make_app, lock_timeout_ms: int):
    """A signed-in author with a new assessment's aims page filled in, not yet sent."""
    app = make_app(DATABASE_LOCK_TIMEOUT_MS=lock_timeout_ms)
    with app.app_context():
        seed(PASSWORD)
    author = PageClient(app.test_client())
    author.sign_in("author@example.org", PASSWORD)
    assessment_id = start_assessment(author)
    url = f"/assessments/{assessment_id}/pages/aims"
    form = author.get(url)
    return app, author, assessment_id, url, {**form.form_fields(form.form()), **ANSWERS, "intent": "continue"}


def test_a_locked_database_gives_a_503_that_keeps_the_answers_and_a_retry_saves_them(make_app):
    app, author, assessment_id, url, fields = _author_on_the_aims_page(make_app, lock_timeout_ms=200)
    before = _state(app, assessment_id)

    with writes_blocked(app):
        page = author.post(url, fields, status=503)
    assert page.h1 == "Sorry, the service is unavailable"
    assert UNAVAILABLE_DETAIL in page.html
    assert page.response.headers["Retry-After"] == "30"
    assert _state(app, assessment_id) == before  # rolled back: no answers, no audit event, chain intact
    assert before[2] is True

    retry = page.form_fields(page.find("form", action=url))
    assert retry["aims"] == ANSWERS["aims"] and retry["version"] == fields["version"]
    assert retry["csrf_token"]
    author.post(url, retry, status=302)  # the lock has gone: the same answers save
    answers, events, chain_ok = _state(app, assessment_id)
    assert answers["aims"] == ANSWERS["aims"] and events > before[1] and chain_ok


def test_an_unreachable_database_at_sign_in_keeps_the_email_but_never_echoes_the_password(tmp_path):
    if POSTGRES_URL:
        missing = (
            POSTGRES_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + "/no_such_database"
        )
    else:
        missing = f"sqlite:///{tmp_path}/no-such-folder/eia.db"
    app = _make_app(missing, tmp_path)
    client = PageClient(app.test_client())
    page = client.submit("/sign-in", {"email": "author@example.org", "password": PASSWORD}, status=503)
    assert page.h1 == "Sorry, the service is unavailable"
    assert "author@example.org" in page.html and PASSWORD not in page.html


@pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL (a server whose connections can be killed)")
def test_a_connection_killed_mid_save_rolls_back_and_the_retry_succeeds(make_app):
    """The save is waiting inside its transaction when its server process is terminated."""
    app, author, assessment_id, url, fields = _author_on_the_aims_page(make_app, lock_timeout_ms=60_000)
    before = _state(app, assessment_id)

    engine = create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    results: list = []
    with engine.connect() as blocker:
        blocker.execute(text("LOCK TABLE audit_event IN EXCLUSIVE MODE"))
        save = threading.Thread(target=lambda: results.append(author.client.post(url, data=fields)))
        save.start()
        with engine.connect() as killer:
            waiting = None
            while waiting is None and save.is_alive():  # until the save is queued behind the lock
                waiting = killer.execute(
                    text(
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                        "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                    )
                ).scalar()
            killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": waiting})
        save.join()
        blocker.rollback()
    engine.dispose()

    response = results[0]
    assert response.status_code == 503
    assert _state(app, assessment_id) == before
    page = Page(response)
    author.post(url, page.form_fields(page.find("form", action=url)), status=302)
    answers, events, chain_ok = _state(app, assessment_id)
    assert answers["aims"] == ANSWERS["aims"] and events > before[1] and chain_ok
