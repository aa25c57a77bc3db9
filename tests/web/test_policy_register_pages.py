"""The policy register's pages: the coverage view with its summary, filters and pagination, the Board's
coverage by department, adding and changing an entry (GOV.UK error summary), importing a CSV file (a bad
file is refused with row-and-column messages and nothing imported), starting an assessment from an entry
and linking an existing one."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from eia.extensions import db
from eia.models import Assessment, Department, PolicyRegisterEntry, PolicyRegisterLink, User
from eia.services import policy_register as register
from tests.factories import answered

ADMIN = "admin@example.org"
AUTHOR = "author@example.org"
APPROVER = "approver@example.org"
BOARD = "board@example.org"

GOOD_CSV = (
    "title,kind,department,owner,version,review_date,document_link\n"
    "Stop and search,Standard operating procedure,Operational Policing,Ch Insp Example,2.1,2027-03-31,"
    "https://intranet.example.org/sop/12\n"
    "Estate closure programme,change_programme,,Supt Example,1,2020-01-31,\n"
)


def _entries(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(PolicyRegisterEntry))


def _upload(client, content: bytes, status: int):
    token = client.get("/policy-register/import").csrf_token
    response = client.client.post(
        "/policy-register/import",
        data={"csrf_token": token, "file": (io.BytesIO(content), "register.csv")},
        content_type="multipart/form-data",
    )
    response.close()
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response


def _add(app, title: str, **changes) -> int:
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.email == ADMIN))
        return register.add(
            admin, {"title": title, "kind": "sop", "owner": "Owner", "document_version": "1", **changes}
        ).id


def test_an_approver_adds_an_entry_with_errors_shown_in_the_error_summary_then_fixes_them(client_for, demo):
    approver = client_for(APPROVER)
    page = approver.submit(
        "/policy-register/new",
        {
            "title": "",
            "kind": "",
            "owner": "Ch Insp Example",
            "document_version": "2",
            "review_date": ["31", "2", "2027"],
            "document_url": "javascript:alert(1)",
        },
        status=400,
    )
    assert page.title.startswith("Error: ")
    assert page.error_messages == [
        "Enter the title of the policy, procedure or programme",
        "Select what kind of document it is",
        "The review date must be a real date, for example 31 3 2027",
        "Enter the link as a full web address starting with https://, for example "
        "https://intranet.example.org/policies/stop-and-search.pdf",
    ]
    assert _entries(demo) == 0
    with demo.app_context():
        policing = db.session.scalar(select(Department).where(Department.name == "Operational Policing")).id
    done = approver.submit(
        "/policy-register/new",
        {
            "title": "Custody procedure",
            "kind": "sop",
            "department": str(policing),
            "owner": "Ch Insp Example",
            "document_version": "2",
            "review_date": ["31", "3", "2027"],
            "document_url": "https://intranet.example.org/custody",
        },
    )
    entry_page = approver.get(approver.location(done))
    assert entry_page.h1 == "Custody procedure"
    assert entry_page.text_of(id="coverage") == "No EIA"
    assert entry_page.find(id="document-link").attrs["href"] == "https://intranet.example.org/custody"

    edit_url = entry_page.find(id="edit-entry").attrs["href"]
    approver.submit(edit_url, {"document_version": "3", "review_date": ["1", "4", "2027"]})
    with demo.app_context():
        entry = db.session.scalar(select(PolicyRegisterEntry))
        assert (entry.document_version, entry.review_date.isoformat(), entry.department_id) == (
            "3",
            "2027-04-01",
            policing,
        )


def test_a_good_csv_is_imported_and_a_bad_one_is_refused_with_row_and_column_messages(client_for, demo):
    admin = client_for(ADMIN)
    page = admin.get("/policy-register/import")
    assert "Standard operating procedure" in page.text_of(id="import-columns")
    template = admin.client.get("/policy-register/template.csv")
    assert template.get_data(as_text=True).startswith("title,kind,department,owner,version,review_date,document_link")

    bad = GOOD_CSV + "Broken,spaceship,,Owner,1,yesterday,\n"
    response = _upload(admin, bad.encode(), 400)
    from tests.pages import Page

    refused = Page(response)
    refused.check()
    assert refused.error_messages == ["The file was not imported: it has 2 problems"]
    problems = [li.text for li in refused.find(id="import-problem-list").find_all("li")]
    assert problems[0].startswith("Row 4, column “kind”: “spaceship” is not a kind of document the service knows")
    assert problems[1].startswith("Row 4, column “review_date”: Enter the review date as a real date")
    assert _entries(demo) == 0, "nothing is half-imported"

    assert _upload(admin, b"", 400) and _entries(demo) == 0
    response = _upload(admin, GOOD_CSV.encode(), 302)
    assert response.headers["Location"].endswith("/policy-register/")
    listing = admin.get("/policy-register/")
    assert "Imported: 2 entries added, 0 updated" in listing.html
    assert listing.text_of(id="count-no_eia") == "2"
    assert listing.text_of(id="count-review_overdue") == "1"


def test_the_register_filters_and_paginates_and_the_board_sees_coverage_by_department(client_for, demo):
    with demo.app_context():
        policing = db.session.scalar(select(Department).where(Department.name == "Operational Policing")).id
    for number in range(23):
        _add(
            demo,
            f"Procedure {number:02d}",
            department=str(policing) if number % 2 else "",
            review_date="2020-01-01" if number == 4 else "",
        )
    board = client_for(BOARD)
    first = board.get("/policy-register/")
    assert first.text_of(id="results") == "Showing 1 to 20 of 23 entries"
    assert len(first.find(id="register-entries").find("tbody").find_all("tr")) == 20
    second = board.get("/policy-register/?page=2")
    assert second.text_of(id="results") == "Showing 21 to 23 of 23 entries"
    rows = [
        [cell.text for cell in tr.find_all()]
        for tr in first.find(id="coverage-by-department").find("tbody").find_all("tr")
    ]
    assert [row[:5] for row in rows] == [
        ["Operational Policing", "11", "0", "11", "0"],
        ["No department", "12", "0", "12", "1"],
    ]
    filtered = board.get(f"/policy-register/?department={policing}&kind=sop&status=no_eia")
    assert filtered.text_of(id="results") == "Showing 1 to 11 of 11 entries"
    overdue = board.get("/policy-register/?status=review_overdue")
    assert overdue.text_of(id="results") == "1 entry"
    forged = board.get("/policy-register/?status=forged&department=999999&page=x", status=400)
    assert forged.error_messages == ["Select a department from the list", "Select a coverage status from the list"]

    author = client_for(AUTHOR)
    page = author.get("/policy-register/")
    assert page.find(id="coverage-by-department") is None and page.find(id="add-entry") is None
    author.get("/policy-register/new", status=403)
    author.get("/policy-register/import", status=403)


def test_an_author_starts_an_assessment_from_an_entry_and_links_an_existing_one(client_for, demo):
    entry_id = _add(demo, "Drone deployment", kind="policy")
    other_id = _add(demo, "Roads policing")
    author = client_for(AUTHOR)
    page = author.get(f"/policy-register/{entry_id}")
    assert page.find(id="start-assessment") is not None
    started = author.submit(f"/policy-register/{entry_id}", action=f"/policy-register/{entry_id}/start")
    assert "/tasks" in author.location(started) or "/assessments/" in author.location(started)
    with demo.app_context():
        link = db.session.scalar(select(PolicyRegisterLink).where(PolicyRegisterLink.entry_id == entry_id))
        assessment = db.session.get(Assessment, link.assessment_id)
        assert (assessment.title, assessment.subject_type) == ("Drone deployment", "policy")
    assert author.get(f"/policy-register/{entry_id}").text_of(id="coverage") == "EIA in progress"

    existing = answered(demo, title="Speed enforcement")
    assessment_page = author.get(f"/assessments/{existing}")
    link_href = assessment_page.find(id="policy-register").find("a").attrs["href"]
    refused = author.submit(link_href, {"entry": ""}, status=400)
    assert refused.error_messages == ["Select the entry of the policy register this assesses"]
    author.submit(link_href, {"entry": str(other_id)})
    assert "Roads policing" in author.get(f"/assessments/{existing}").text_of(id="policy-register")
    assert author.get(f"/policy-register/{other_id}").text_of(id="coverage") == "EIA in progress"

    # Someone else's assessment cannot be linked by another author; another organisation's entry is not found.
    other_author = client_for("author2@example.org")
    token = other_author.get("/").csrf_token
    response = other_author.client.post(
        f"/policy-register/assessments/{existing}", data={"csrf_token": token, "entry": str(other_id)}
    )
    assert response.status_code == 404
    neighbour = client_for("author@neighbouring.example.org")
    neighbour.get(f"/policy-register/{entry_id}", status=404)
    token = neighbour.get("/").csrf_token
    assert neighbour.client.post(f"/policy-register/{entry_id}/start", data={"csrf_token": token}).status_code == 404
    admin_of_neighbour_entry = client_for(ADMIN)
    admin_of_neighbour_entry.get("/policy-register/2147483647", status=404)
    admin_of_neighbour_entry.get("/policy-register/99999999999/edit", status=404)


def test_the_register_is_linked_from_the_compliance_report_and_the_admin_page(client_for, demo):
    admin = client_for(ADMIN)
    assert admin.get("/compliance-report").find(id="policy-register-link") is not None
    assert admin.get("/admin/").find(id="policy-register-link") is not None
