"""The policy register (eia.services.policy_register): entries checked field by field, the CSV import
(a good file; a bad file refused with every problem by row and column, and nothing written), assessments
linked to entries, and each entry's coverage in plain English."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from eia.clock import uk_today
from eia.extensions import db
from eia.models import Assessment, AuditEvent, Department, PolicyRegisterEntry, PolicyRegisterLink, User
from eia.services import policy_register as register
from eia.services import revisions
from eia.services.database import NotAllowed
from tests.factories import answered, signed_off

ADMIN = "admin@example.org"
AUTHOR = "author@example.org"


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _entry(title: str, **changes) -> dict:
    return {
        "title": title,
        "kind": "sop",
        "department": "",
        "owner": "Chief Inspector Example",
        "document_version": "1.0",
        "review_date": "",
        "document_url": "https://intranet.example.org/sop.pdf",
        **changes,
    }


def _counts() -> tuple[int, int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(PolicyRegisterEntry)),
        db.session.scalar(select(func.count()).select_from(PolicyRegisterLink)),
        db.session.scalar(select(func.count()).select_from(AuditEvent)),
    )


GOOD_CSV = (
    "\ufefftitle,kind,department,owner,version,review_date,document_link\r\n"
    "Stop and search,Standard operating procedure,Operational Policing,Ch Insp A. Example,2.1,2027-03-31,"
    "https://intranet.example.org/sop/12\r\n"
    "Estate closure programme,change_programme,,Supt B. Example,1,31/12/2026,\r\n"
    "\r\n"
    "Flexible working,policy,People and Organisational Development,HR lead,3.0,,\r\n"
).encode()


def test_a_good_file_adds_every_entry_in_one_audited_import_and_a_second_import_updates_by_title(demo):
    with demo.app_context():
        admin = _user(ADMIN)
        entries, links, events = _counts()
        result = register.import_csv(admin, GOOD_CSV)
        assert (result.added, result.updated) == (3, 0)
        assert _counts() == (entries + 3, links, events + 1)
        stop = db.session.scalar(select(PolicyRegisterEntry).where(PolicyRegisterEntry.title == "Stop and search"))
        assert (
            stop.kind,
            stop.department.name,
            stop.owner,
            stop.document_version,
            stop.review_date,
            stop.document_url,
        ) == (
            "sop",
            "Operational Policing",
            "Ch Insp A. Example",
            "2.1",
            date(2027, 3, 31),
            "https://intranet.example.org/sop/12",
        )
        estate = db.session.scalar(
            select(PolicyRegisterEntry).where(PolicyRegisterEntry.title == "Estate closure programme")
        )
        assert (estate.kind, estate.department, estate.review_date) == ("change_programme", None, date(2026, 12, 31))
        event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1))
        assert event.action == "policy_register.imported"

        again = register.import_csv(admin, b"title,kind,owner,version\nstop and search,sop,New owner,2.2\n")
        assert (again.added, again.updated) == (0, 1)
        db.session.refresh(stop)
        assert (stop.owner, stop.document_version) == ("New owner", "2.2")


def test_a_bad_file_is_refused_with_every_problem_by_row_and_column_and_nothing_is_written(demo):
    bad = (
        b"title,kind,department,owner,version,review_date,document_link\n"
        b"Fine entry,sop,,Owner,1,,\n"  # row 2 is good: it must not be imported either
        b",sop,,Owner,1,,\n"
        b"Unknown kind,spaceship,,Owner,1,,\n"
        b"Bad date,sop,,Owner,1,31/02/2027,\n"
        b"Bad link,sop,,Owner,1,,javascript:alert(1)\n"
        b"Fine entry,policy,,Owner,2,,\n"
        b"Nowhere,sop,Department of Silly Walks,,1,,\n"
    )
    with demo.app_context():
        before = _counts()
        with pytest.raises(register.ImportRefused) as refused:
            register.import_csv(_user(ADMIN), bad)
        problems = refused.value.problems
        assert problems[0] == "Row 3, column “title”: Enter the title of the policy, procedure or programme"
        assert problems[1].startswith(
            "Row 4, column “kind”: “spaceship” is not a kind of document the service knows: "
            "use one of Policy, Standard operating procedure"
        )
        assert problems[2].startswith("Row 5, column “review_date”: Enter the review date as a real date")
        assert problems[3].startswith("Row 6, column “document_link”: Enter the link as a full web address")
        assert problems[4] == "Row 7, column “title”: “Fine entry” is also on row 2: each entry may appear once"
        assert problems[5].startswith(
            "Row 8, column “department”: “Department of Silly Walks” is not one of the organisation's departments"
        )
        assert problems[6] == "Row 8, column “owner”: Enter the name of the document's owner"
        assert len(problems) == 7
        assert _counts() == before


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "The file is empty"),
        (b"\xff\xfe\x00t\x00i", "The file is not UTF-8 text"),
        (b"title,kind,owner\nA,sop,B\n", "Row 1: the file has no “version” column"),
        (b"title,kind,owner,version,colour\nA,sop,B,1,red\n", "Row 1: the column “colour” is not one the register has"),
        (b"title,kind,owner,version\n", "The file has a header row but no entries"),
        (b"title,kind,owner,version\nA,sop,B,1,extra\n", "Row 2: it has 5 cells but the header has 4 columns"),
    ],
)
def test_files_that_are_not_a_register_are_refused_in_plain_english(demo, content, message):
    with demo.app_context():
        before = _counts()
        with pytest.raises(register.ImportRefused) as refused:
            register.import_csv(_user(ADMIN), content)
        assert refused.value.problems[0].startswith(message)
        assert _counts() == before


def test_an_entry_is_checked_field_by_field_and_only_register_managers_change_it(demo):
    with demo.app_context():
        admin = _user(ADMIN)
        with pytest.raises(register.EntryInvalid) as invalid:
            register.add(
                admin,
                _entry(
                    "",
                    kind="",
                    owner="",
                    document_version="",
                    document_url="ftp://x",
                    review_date={"day": "31", "month": "2", "year": "2027"},
                ),
            )
        assert invalid.value.errors == {
            "title": "Enter the title of the policy, procedure or programme",
            "kind": "Select what kind of document it is",
            "owner": "Enter the name of the document's owner",
            "document_version": "Enter the document's version, for example 2.1",
            "review_date": "The review date must be a real date, for example 31 3 2027",
            "document_url": "Enter the link as a full web address starting with https://, for example "
            "https://intranet.example.org/policies/stop-and-search.pdf",
        }
        entry = register.add(admin, _entry("Custody SOP", review_date={"day": "1", "month": "4", "year": "2027"}))
        assert entry.review_date == date(2027, 4, 1)
        with pytest.raises(register.EntryInvalid, match="already has an entry"):
            register.add(admin, _entry("custody sop"))
        with pytest.raises(NotAllowed):
            register.add(_user(AUTHOR), _entry("Another"))
        with pytest.raises(NotAllowed):
            register.edit(_user(AUTHOR), entry.id, _entry("Renamed"))
        neighbour = _user("author@neighbouring.example.org")
        with pytest.raises(NotAllowed):
            register.get(neighbour, entry.id)


def test_coverage_says_for_each_entry_whether_it_has_a_current_eia(demo):
    today = uk_today()
    in_progress_id = answered(demo, title="Custody assessment")
    signed_off_id = signed_off(demo, title="Stop and search assessment")
    with demo.app_context():
        admin, author = _user(ADMIN), _user(AUTHOR)
        policing = db.session.scalar(select(Department).where(Department.name == "Operational Policing"))
        none = register.add(admin, _entry("No assessment yet", department=str(policing.id)))
        progress = register.add(admin, _entry("Custody", department=str(policing.id)))
        current = register.add(admin, _entry("Stop and search", document_version="2.1"))
        overdue = register.add(admin, _entry("Old policy", review_date=(today - timedelta(days=1)).isoformat()))
        due_today = register.add(admin, _entry("Due today", review_date=today.isoformat()))
        register.link(author, progress, db.session.get(Assessment, in_progress_id))  # the author links their own
        register.link(admin, current, db.session.get(Assessment, signed_off_id))

        statuses = {
            row.entry.title: (row.status_label, row.review_overdue)
            for row in register.covered([none, progress, current, overdue, due_today])
        }
        assert statuses == {
            "No assessment yet": ("No EIA", False),
            "Custody": ("EIA in progress", False),
            "Stop and search": ("Current EIA signed off", False),
            "Old policy": ("No EIA", True),
            "Due today": ("No EIA", False),
        }

        # A new version of the document: the signed-off EIA was for 2.1, and keeps saying so; an EIA in
        # progress is for the new version.
        register.edit(admin, current.id, _entry("Stop and search", document_version="3.0"))
        register.edit(admin, progress.id, _entry("Custody", department=str(policing.id), document_version="1.1"))
        assert register.entry_coverage(current).status_label == "EIA older than this version"
        assert register.entry_coverage(current).assessments[0]["document_version"] == "2.1"
        assert register.entry_coverage(progress).assessments[0]["document_version"] == "1.1"

        # The register counts the whole organisation; the Board sees coverage by department.
        board = _user("board@example.org")
        seen = register.register(board, register.Filters())
        assert seen.counts == {"no_eia": 3, "in_progress": 1, "current": 0, "older": 1, "review_overdue": 1}
        assert seen.by_department == [
            {"department": "Operational Policing", "entries": 2, "covered": 0, "not_covered": 2, "overdue": 0},
            {"department": "No department", "entries": 3, "covered": 0, "not_covered": 3, "overdue": 1},
        ]
        assert register.register(author, register.Filters()).by_department is None, "an author sees their own part"
        filtered = register.register(board, register.read_filters(board, {"status": "review_overdue"}))
        assert [row.entry.title for row in filtered.rows] == ["Old policy"]
        filtered = register.register(
            board, register.read_filters(board, {"department": str(policing.id), "status": "in_progress"})
        )
        assert [row.entry.title for row in filtered.rows] == ["Custody"]
        assert register.read_filters(board, {"status": "forged", "kind": "x"}).problems == {
            "status": "Select a coverage status from the list",
            "kind": "Select a kind of document from the list",
        }


def test_signing_off_the_new_version_makes_it_current_again_and_a_revision_stays_linked(demo):
    first = signed_off(demo, title="Public order")
    with demo.app_context():
        admin, author = _user(ADMIN), _user(AUTHOR)
        entry = register.add(admin, _entry("Public order", document_version="1"))
        register.link(admin, entry, db.session.get(Assessment, first))
        register.edit(admin, entry.id, _entry("Public order", document_version="2"))
        assert register.entry_coverage(entry).status == register.OLDER
        revision = revisions.start_revision(db.session.get(Assessment, first), author)
        assert register.entry_coverage(entry).status == register.IN_PROGRESS
        assert register.entry_of(revision).id == entry.id
        facts = register.entry_coverage(entry).assessments
        assert [fact["document_version"] for fact in facts] == ["1", "2"]


def test_starting_an_assessment_from_an_entry_links_it_with_its_kind_and_title(demo):
    with demo.app_context():
        admin, author = _user(ADMIN), _user(AUTHOR)
        entry = register.add(admin, _entry("Drone deployment", kind="policy", document_version="4"))
        events = _counts()[2]
        assessment = register.start_assessment(author, entry.id)
        assert (assessment.title, assessment.subject_type) == ("Drone deployment", "policy")
        assert register.entry_of(assessment).id == entry.id
        assert register.entry_coverage(entry).status_label == "EIA in progress"
        actions = list(
            db.session.scalars(select(AuditEvent.action).where(AuditEvent.seq > events).order_by(AuditEvent.seq))
        )
        assert actions == ["policy_register.assessment_linked", "assessment.started"]
        with pytest.raises(NotAllowed):
            register.start_assessment(admin, entry.id)  # only authors start assessments
        with pytest.raises(NotAllowed):
            register.link(_user("author2@example.org"), entry, assessment)  # not their assessment, not a manager


def test_two_people_adding_one_title_at_once_get_a_message_not_an_error(demo, monkeypatch):
    with demo.app_context():
        admin = _user(ADMIN)
        register.add(admin, _entry("Taser deployment"))
        before = _counts()
        monkeypatch.setattr(register, "_title_taken", lambda *args, **kwargs: False)  # as if both checked at once
        with pytest.raises(register.EntryInvalid, match="already has an entry with this title"):
            register.add(admin, _entry("Taser deployment"))
        assert _counts() == before


def test_a_register_manager_links_only_assessments_they_can_see(demo):
    elsewhere = answered(demo, author="author2@example.org", title="Victim contact")  # Crime and Public Protection
    with demo.app_context():
        entry = register.add(_user(ADMIN), _entry("Victim contact procedure"))
        with pytest.raises(NotAllowed):
            register.link(_user("approver@example.org"), entry, db.session.get(Assessment, elsewhere))
        register.link(_user(ADMIN), entry, db.session.get(Assessment, elsewhere))  # the administrator sees them all
        assert register.entry_coverage(entry).status == register.IN_PROGRESS


def test_an_approver_manages_the_entries_of_their_own_department_only(demo):
    with demo.app_context():
        approver = _user("approver@example.org")  # Operational Policing
        own, other = (
            db.session.scalar(select(Department.id).where(Department.name == name))
            for name in ("Operational Policing", "Crime and Public Protection")
        )
        mine = register.add(approver, _entry("Public order", department=str(own)))
        with pytest.raises(register.EntryInvalid) as refused:
            register.add(approver, _entry("Rape investigation", department=str(other)))
        assert refused.value.errors == {"department": "You can add or change entries of Operational Policing only"}
        with pytest.raises(register.EntryInvalid):
            register.add(approver, _entry("No department"))
        theirs = register.add(_user(ADMIN), _entry("Rape investigation", department=str(other)))
        with pytest.raises(NotAllowed):
            register.edit(approver, theirs.id, _entry("Rape investigation", department=str(own)))
        with pytest.raises(register.EntryInvalid):
            register.edit(approver, mine.id, _entry("Public order", department=str(other)))
        before = _counts()
        with pytest.raises(register.ImportRefused) as refused:
            register.import_csv(
                approver,
                (
                    b"title,kind,department,owner,version\n"
                    b"Public order,sop,Operational Policing,Owner,2\n"
                    b"Rape investigation,sop,Operational Policing,Owner,2\n"
                    b"Serious violence,sop,Crime and Public Protection,Owner,1\n"
                ),
            )
        assert refused.value.problems == [
            "Row 3, column “title”: “Rape investigation” is an entry of another department, which you cannot change",
            "Row 4, column “department”: You can add or change entries of Operational Policing only",
        ]
        assert _counts() == before
