"""The auditor's archive: search with every filter, sorting, pagination, isolation between
organisations, hostile query syntax, the record page and its integrity panel, verifying an uploaded
file, and the register export. Assessments are made through the pages, as people make them."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from eia.clock import uk_today as today
from eia.extensions import db
from eia.models import Assessment, AssessmentSearch, AssessmentSearchText, AuditEvent
from eia.services import search
from tests import factories
from tests.insider import as_owner
from tests.journeys import (
    AN_ACTION,
    complete_assessment,
    high_impact_analysis,
    low_impact_analysis,
    save,
    start_assessment,
    submit,
)

INJECTED_TITLE = '=HYPERLINK("http://evil.example","Domestic abuse safeguarding")'


@dataclass
class Scenario:
    signed_off: int  # A: routine, signed off by the approver, review overdue
    board_approved: int  # B: adverse impact on race, approved by the Board
    draft: int  # C: another department's draft policy, with a formula for a title
    submitted: int  # E: continues despite adverse impact on sex, waiting for the approver
    neighbour: int  # D: the same title in another organisation


@pytest.fixture
def scenario(client_for, demo) -> Scenario:
    signed_off = factories.signed_off(demo, title="Body-worn video in custody")

    board_approved = factories.answered(
        demo,
        title="Stop and search refresh",
        outcome="adjust",
        relevant={**high_impact_analysis("race"), **low_impact_analysis("age")},
        actions=[AN_ACTION],
    )
    factories.save(
        demo,
        board_approved,
        "aims",
        {"aims": "Fewer searches in custody suites", "affected": "public", "scope": "Force-wide"},
    )
    factories.act(demo, board_approved, "submit", factories.AUTHOR)
    factories.act(demo, board_approved, "start_review", factories.APPROVER)
    factories.act(demo, board_approved, "approve", factories.APPROVER)
    factories.act(demo, board_approved, "board_approve", factories.BOARD)

    colleague = client_for("author2@example.org")
    draft = start_assessment(colleague)
    save(colleague, draft, "subject", {"title": INJECTED_TITLE, "subject_type": "policy"})

    submitted = factories.submitted(
        demo, title="Detention review", outcome="continue", relevant=high_impact_analysis("sex"), actions=[AN_ACTION]
    )

    neighbour_author = client_for("author@neighbouring.example.org")
    neighbour = start_assessment(neighbour_author)
    save(neighbour_author, neighbour, "subject", {"title": "Body-worn video in custody", "subject_type": "sop"})

    with demo.app_context():  # time passes: the signed-off assessment's review date goes by
        assessment = db.session.get(Assessment, signed_off)
        assessment.answers = {
            **assessment.answers,
            "review": {**assessment.answers["review"], "review_date": "2020-01-01"},
        }
        db.session.commit()
    result = demo.test_cli_runner().invoke(args=["search", "rebuild"])
    assert result.exit_code == 0 and "Indexed 5 assessment version(s)" in result.output, result.output
    return Scenario(signed_off, board_approved, draft, submitted, neighbour)


def _found(client, query: str = "", status: int = 200) -> list[int]:
    page = client.get(f"/archive/?{query}", status=status)
    table = page.find("table", id="result-table")
    links = table.find_all("a") if table else []
    return [int(a.attrs["href"].rsplit("/", 1)[1]) for a in links]


def test_every_filter_returns_exactly_the_matching_assessments(client_for, scenario):
    s = scenario
    auditor = client_for("auditor@example.org")
    with auditor.client.application.app_context():
        departments = {d.name: d.id for d in db.session.get(Assessment, s.signed_off).organisation.departments}
    day = today()
    expectations = {
        "": {s.signed_off, s.board_approved, s.draft, s.submitted},
        "q=body-worn": {s.signed_off},
        "q=custody": {s.signed_off, s.board_approved},
        'q="custody suites"': {s.board_approved},
        "q=searching": {s.board_approved, s.submitted},  # stemmed: search, searches, searching
        "q=domestic+abuse": {s.draft},
        "q=nothing-like-this": set(),
        f"department={departments['Operational Policing']}": {s.signed_off, s.board_approved, s.submitted},
        f"department={departments['Crime and Public Protection']}": {s.draft},
        "subject_type=policy": {s.draft},
        "subject_type=sop": {s.signed_off, s.board_approved, s.submitted},
        "characteristic=race": {s.board_approved},
        "characteristic=sex": {s.submitted},
        "characteristic=age": set(),
        "outcome=adjust": {s.board_approved},
        "outcome=continue": {s.submitted},
        "outcome=no_change": {s.signed_off},
        "status=approved": {s.signed_off, s.board_approved},
        "status=draft": {s.draft},
        "status=submitted": {s.submitted},
        "board=yes": {s.board_approved},
        "board=no": {s.signed_off, s.draft, s.submitted},
        "overdue=yes": {s.signed_off},
        f"decided_from={day.isoformat()}": {s.signed_off, s.board_approved},
        f"decided_to={day.isoformat()}": {s.signed_off, s.board_approved},
        f"decided_from={(day + timedelta(days=1)).isoformat()}": set(),
        f"decided_to={(day - timedelta(days=1)).isoformat()}": set(),
        "status=approved&board=no&q=video": {s.signed_off},
    }
    for query, expected in expectations.items():
        assert set(_found(auditor, query)) == expected, query
    with auditor.client.application.app_context():
        reference = db.session.get(Assessment, s.submitted).display_reference
    assert _found(auditor, f"q={reference}") == [s.submitted], "a reference is found (PostgreSQL split it oddly)"


def test_sorting_and_pagination(client_for, scenario, demo):
    s = scenario
    auditor = client_for("auditor@example.org")
    assert _found(auditor, "q=custody") == [s.signed_off, s.board_approved], "a title match ranks first"
    assert _found(auditor, "q=custody&sort=newest") == [s.board_approved, s.signed_off]
    assert _found(auditor, "sort=newest") == [s.board_approved, s.signed_off, s.submitted, s.draft], (
        "decided newest first, then the undecided, newest first"
    )
    assert _found(auditor, "sort=title") == [s.draft, s.signed_off, s.submitted, s.board_approved]
    assert _found(auditor, "sort=relevance") == _found(auditor, "sort=newest"), "no words: nothing to rank"

    demo.config["ARCHIVE_PAGE_SIZE"] = 3
    first = auditor.get("/archive/?sort=title")
    assert first.text_of(id="result-count") == "4 assessments found"
    pages = first.find("nav", class_="govuk-pagination")
    assert [a.text for a in pages.find_all("a", class_="govuk-pagination__link")][:2] == ["1", "2"]
    assert "sort=title" in pages.find("a", rel="next").attrs["href"]
    assert _found(auditor, "sort=title&page=2") == [s.board_approved]
    assert _found(auditor, "sort=title&page=9") == []
    assert "no results on page 9" in auditor.get("/archive/?sort=title&page=9").text_of(id="results")


def test_too_many_matches_to_rank_come_newest_first_and_the_page_says_so(client_for, scenario, demo):
    s = scenario
    auditor = client_for("auditor@example.org")
    demo.config["ARCHIVE_RANK_LIMIT"] = 2
    ranked = auditor.get("/archive/?q=custody")
    assert _found(auditor, "q=custody") == [s.signed_off, s.board_approved], (
        "two matches: ranked, the title match first"
    )
    assert ranked.find(id="not-ranked") is None and "Sorted by relevance." in ranked.text_of(id="results")

    demo.config["ARCHIVE_RANK_LIMIT"] = 1
    page = auditor.get("/archive/?q=custody")
    assert _found(auditor, "q=custody") == [s.board_approved, s.signed_off], "newest decision first"
    assert "too many assessments match to sort them by relevance" in page.text_of(id="not-ranked").lower()
    assert "Sorted by newest decision first." in page.text_of(id="results")
    assert page.text_of(id="result-count") == "More than 1 assessments found", "counting stops past the limit"
    register = auditor.client.get("/archive/register.csv?q=custody").get_data(as_text=True)
    assert [row[2] for row in list(csv.reader(io.StringIO(register.removeprefix("\ufeff"))))[1:]] == [
        "Stop and search refresh",
        "Body-worn video in custody",
    ], "the register comes in the order the page shows"
    for asked in ("sort=newest", "sort=title"):  # an order that was asked for needs no explanation
        assert auditor.get(f"/archive/?q=custody&{asked}").find(id="not-ranked") is None, asked


def test_matches_in_other_organisations_neither_stop_ranking_nor_show(client_for, scenario, demo):
    """The index counts every organisation's matches; past the limit, this organisation's are still
    counted exactly and ranked when they are few enough."""
    auditor = client_for("auditor@example.org")
    demo.config["ARCHIVE_RANK_LIMIT"] = 1  # body-worn matches here and in the neighbouring force
    page = auditor.get("/archive/?q=body-worn")
    assert _found(auditor, "q=body-worn") == [scenario.signed_off]
    assert page.text_of(id="result-count") == "1 assessment found"
    assert page.find(id="not-ranked") is None and "Sorted by relevance." in page.text_of(id="results")


def test_search_never_crosses_organisations(client_for, scenario):
    auditor = client_for("auditor@example.org")
    assert scenario.neighbour not in _found(auditor, "q=body-worn")
    assert auditor.get(f"/archive/{scenario.neighbour}", status=404)
    board = client_for("board@example.org")
    assert set(_found(board, "q=body-worn")) == {scenario.signed_off}
    board.get(f"/archive/{scenario.neighbour}", status=404)


@pytest.mark.parametrize("role, status", [("author", 403), ("approver", 403), ("board", 200), ("admin", 200)])
def test_only_auditors_the_board_and_admins_see_the_archive(client_for, demo, role, status):
    client = client_for(f"{role}@example.org")
    client.get("/archive/", status=status)
    client.get("/archive/verify", status=status)
    navigation = [a.text for a in client.get("/").find_all("a", class_="govuk-service-navigation__link")]
    assert ("Archive" in navigation) == (status == 200)


HOSTILE_QUERIES = [
    '"',
    '"unbalanced',
    "*",
    "custody*",
    "-",
    "-custody",
    "NEAR(custody video)",
    "(((",
    ")",
    "AND",
    "OR NOT",
    "custody OR",
    "'; DROP TABLE assessment; --",
    "\\",
    "^",
    "title:custody",
    "{custody video}",
    ":",
    "+",
    "%00",
    "\x00custody",
    "the",
    "a AND (b OR",
    "🚓 custody",
    "__",
]


def test_no_query_syntax_crashes_the_search(client_for, scenario):
    auditor = client_for("auditor@example.org")
    for query in HOSTILE_QUERIES:
        response = auditor.client.get("/archive/", query_string={"q": query})
        assert response.status_code == 200, query
    assert set(_found(auditor, "q=custody*")) == {scenario.signed_off, scenario.board_approved}
    assert set(_found(auditor, "q=-custody")) == {scenario.signed_off, scenario.board_approved}, "a dash is not NOT"


def test_bad_filters_are_explained_and_change_nothing(client_for, demo):
    auditor = client_for("auditor@example.org")
    page = auditor.get(
        "/archive/?status=nonsense&department=999999&decided_from=yesterday&decided_to=2026-01-01"
        "&page=0&sort=random&q=" + "x" * 201,
        status=400,
    )
    assert page.error_messages == [
        "Select a department from the list",
        "Select a status from the list",
        "Select a sort order from the list",
        "Search words must be 200 characters or fewer (you entered 201)",
        "Enter the start date as YYYY-MM-DD, for example 2026-10-01",
        "The page number must be a whole number from 1 to 100,000",
    ]
    page = auditor.get("/archive/?decided_from=2026-02-01&decided_to=2026-01-01", status=400)
    assert page.error_messages == ["The end date must be on or after the start date"]
    assert auditor.client.get("/archive/register.csv?status=nonsense").status_code == 400


# --- the record page -------------------------------------------------------------------------------


def test_the_record_page_shows_versions_trail_events_and_integrity_on_request(client_for, scenario, demo):
    auditor = client_for("auditor@example.org")
    page = auditor.get(f"/archive/{scenario.board_approved}")
    assert "Download signed PDF" in page.text_of(id="version-1")
    trail = page.text
    assert "Why it went on: Residual adverse impact of medium or high" in trail
    assert "by the Board by" in trail and "board_approve" not in page.text_of(id="decision-trail-entries")
    events = page.text_of(id="audit-table")
    assert "assessment.started" in events and "assessment.archived" in events
    assert page.find(id="record-check-1") is None, "nothing is checked until asked"
    with demo.app_context():
        events_before = db.session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1))

    checked = auditor.get(f"/archive/{scenario.board_approved}?check=integrity")
    assert checked.text_of(id="record-verdict-1") == "Intact"
    assert "Covers the whole file: Yes" in checked.text_of(id="record-check-1")
    assert checked.text_of(id="chain-verdict") == "Intact"
    again = auditor.get(f"/archive/{scenario.board_approved}?check=integrity")
    assert "recompute now" in again.text, "the chain result is reused while the head stands"
    auditor.get(f"/archive/{scenario.board_approved}?check=integrity&recheck=yes")
    with demo.app_context():
        assert db.session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1)) == events_before, (
            "checking writes nothing"
        )

    draft = auditor.get(f"/archive/{scenario.draft}?check=integrity")
    assert "no signed file to check" in draft.text
    auditor.get("/archive/2147483647", status=404)


def test_the_integrity_panel_reports_a_tampered_chain(client_for, scenario, demo):
    with demo.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "assessment.started").limit(1))
        with as_owner():
            event.canonical = event.canonical.replace("assessment.started", "assessment.tampered")
    auditor = client_for("auditor@example.org")
    page = auditor.get(f"/archive/{scenario.signed_off}?check=integrity&recheck=yes")
    assert page.text_of(id="chain-verdict") == "Problem found"
    assert page.find(id="chain-problems") is not None


# --- verifying an uploaded file ----------------------------------------------------------------------


def _upload(client, content: bytes, filename: str = "record.pdf", status: int = 200):
    page = client.get("/archive/verify")
    return client.post(
        "/archive/verify", {"csrf_token": page.csrf_token, "file": (io.BytesIO(content), filename)}, status=status
    )


def _unsigned_pdf() -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    document = canvas.Canvas(buffer)
    document.drawString(72, 720, "Not a signed record")
    document.save()
    return buffer.getvalue()


def test_verifying_an_untouched_an_altered_and_a_foreign_file(client_for, scenario, demo):
    auditor = client_for("auditor@example.org")
    signed = auditor.client.get(f"/assessments/{scenario.signed_off}/signed-record.pdf").get_data()

    page = _upload(auditor, signed)
    assert page.text_of(id="verdict").startswith("Authentic This is an archived record")
    assert page.find("a", id="verdict-record").attrs["href"] == f"/archive/{scenario.signed_off}"

    altered = bytearray(signed)
    position = (
        signed.index(b"Body-worn video in custody") if b"Body-worn video in custody" in signed else len(signed) // 2
    )
    altered[position] ^= 0x01
    page = _upload(auditor, bytes(altered))
    assert "Sealed with Example Constabulary's seal, but it does not match any record" in page.text_of(id="verdict")
    assert "altered after signing" in page.text_of(id="verdict-problems")

    appended = signed + b"\n% an incremental update\n"
    page = _upload(auditor, appended)
    assert "does not match any record" in page.text_of(id="verdict")

    assert "The file is not signed" in _upload(auditor, _unsigned_pdf()).text_of(id="verdict")
    for hostile in (
        signed[: len(signed) // 2],
        b"%PDF-1.7\n" + bytes(range(256)) * 40,
        b"GIF89a not a pdf",
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R /Size 99999999 >>",
    ):
        verdict = _upload(auditor, hostile).text_of(id="verdict")
        assert "Cannot verify" in verdict or "The file is not signed" in verdict, verdict

    with demo.app_context():
        results = [
            e.details["result"]
            for e in db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == "archive.file_verified").order_by(AuditEvent.seq)
            )
        ]
    assert results[:4] == ["authentic", "ours_not_archived", "ours_not_archived", "unsigned"]
    assert len(results) == 8, "every verification is audited"


def test_a_record_of_another_organisation_is_not_confirmed(client_for, scenario, demo):
    from eia.models import ArchivedRecord

    auditor = client_for("auditor@example.org")
    signed = auditor.client.get(f"/assessments/{scenario.signed_off}/signed-record.pdf").get_data()
    with demo.app_context():  # the record moves to the other organisation: its file is no longer ours
        record = db.session.scalar(select(ArchivedRecord).where(ArchivedRecord.assessment_id == scenario.signed_off))
        neighbour = db.session.get(Assessment, scenario.neighbour).organisation_id
        with as_owner():
            record.organisation_id = neighbour
    assert "does not match any record" in _upload(auditor, signed).text_of(id="verdict")


def test_upload_errors_are_explained(client_for, demo):
    auditor = client_for("auditor@example.org")
    page = auditor.get("/archive/verify")
    missing = auditor.post("/archive/verify", {"csrf_token": page.csrf_token}, status=400)
    assert missing.error_messages == ["Select a PDF file"]
    assert _upload(auditor, b"", status=400).error_messages == ["The selected file is empty"]
    # A small limit keeps the test client's request body in memory (larger ones spool to a file it never closes).
    limit = demo.config["MAX_CONTENT_LENGTH"] = 256 * 1024
    too_big = _upload(auditor, b"%PDF-" + b"0" * limit, status=413)
    assert too_big.error_messages == ["The selected file must be 256 KB or smaller"]


# --- the register export -----------------------------------------------------------------------------


def test_the_csv_register_has_the_matching_rows_and_no_live_formulas(client_for, scenario, demo):
    auditor = client_for("auditor@example.org")
    response = auditor.client.get("/archive/register.csv?status=approved&sort=title")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=eia-register-") and disposition.endswith(".csv")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).removeprefix("\ufeff"))))
    assert rows[0][:3] == ["Reference", "Version", "Title"]
    assert [row[2] for row in rows[1:]] == ["Body-worn video in custody", "Stop and search refresh"]
    header = rows[0]
    board_row = dict(zip(header, rows[2], strict=True))
    assert board_row["Went to the Board"] == "Yes"
    assert board_row["Rules that fired"].startswith("Residual adverse impact")
    assert board_row["Outcome"] == "Adjust the proposal"
    assert len(board_row["Archive SHA-256"]) == 64
    assert dict(zip(header, rows[1], strict=True))["Review date"] == "2020-01-01"

    everything = list(csv.reader(io.StringIO(auditor.client.get("/archive/register.csv").get_data(as_text=True))))
    titles = [row[2] for row in everything[1:]]
    assert "'" + INJECTED_TITLE in titles and INJECTED_TITLE not in titles
    for row in everything[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    with demo.app_context():
        exports = [
            e.details
            for e in db.session.scalars(
                select(AuditEvent).where(AuditEvent.action == "archive.register_exported").order_by(AuditEvent.seq)
            )
        ]
    assert [(e["format"], e["rows"]) for e in exports] == [("csv", 2), ("csv", 4)]


def test_the_xlsx_register_opens_with_the_matching_rows(client_for, scenario):
    auditor = client_for("auditor@example.org")
    response = auditor.client.get("/archive/register.xlsx?q=domestic")
    assert response.headers["Content-Disposition"].endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2
    title = sheet.cell(row=2, column=3)
    assert title.value == "'" + INJECTED_TITLE and title.data_type == "s", "text, never a formula"
    assert rows[1][5] == "Draft"


def test_the_search_row_follows_every_change(client_for, demo):
    author = client_for("author@example.org")
    auditor = client_for("auditor@example.org")
    assessment_id = start_assessment(author)
    assert set(_found(auditor, "q=untitled")) == {assessment_id}
    save(author, assessment_id, "subject", {"title": "Taser deployment review", "subject_type": "policy"})
    assert _found(auditor, "q=untitled") == []
    assert _found(auditor, "q=taser&status=draft") == [assessment_id]
    complete_assessment(author, assessment_id, title="Taser deployment review")
    submit(author, assessment_id)
    assert _found(auditor, "q=taser&status=submitted") == [assessment_id]
    assert _found(auditor, "q=taser&status=draft") == []


def test_rebuilding_the_index_writes_exactly_what_the_services_wrote(client_for, demo):
    """`eia search rebuild` inserts in batches; the services upsert one assessment at a time."""
    author = client_for("author@example.org")
    save(author, start_assessment(author), "subject", {"title": "Taser deployment review", "subject_type": "policy"})
    submitted = start_assessment(author)
    complete_assessment(
        author,
        submitted,
        title="Custody rota",
        outcome="continue",
        relevant=high_impact_analysis("age"),
        actions=[AN_ACTION],
    )
    submit(author, submitted)

    def rows():
        return [
            db.session.execute(select(model).order_by(model.assessment_id)).scalars().all()
            for model in (AssessmentSearch, AssessmentSearchText)
        ]

    def as_values(tables):
        return [[{c.key: getattr(row, c.key) for c in row.__table__.columns} for row in table] for table in tables]

    with demo.app_context():
        written = as_values(rows())
        assert search.rebuild() == len(written[0]) >= 2
        db.session.expire_all()
        assert as_values(rows()) == written
