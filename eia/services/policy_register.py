"""The policy register: an organisation's policies, standard operating procedures and change programmes,
each linked to its equality impact assessments, and the coverage view that shows which lack a current one.

An entry's kind is one of the definitions library's subject types (workflows/subject-types.json), never a
list written here. Whether a linked assessment is signed off or still in progress is read from the
workflow it pinned (a state that ends the assessment's life, and whether it ends it signed off), never
from a state's id. Every change is one transaction with its audit event; an import is one transaction
for the whole file, so a file with any bad row changes nothing.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import case, func, not_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from eia.clock import uk_today
from eia.domain.capabilities import MANAGE_POLICY_REGISTER, VIEW_POLICY_REGISTER, WRITE_ASSESSMENTS
from eia.extensions import db
from eia.models import Assessment, Department, PolicyRegisterEntry, PolicyRegisterLink, User
from eia.services import access, assessments, audit
from eia.services.database import NotAllowed, unit_of_work
from eia.services.definitions import SubjectType, library, state_condition

PER_PAGE = 20
MAX_IMPORT_ROWS = 2000
LENGTHS = {"title": 200, "owner": 200, "document_version": 40, "document_url": 500}

# --- coverage statuses, as people read them ----------------------------------------------------------

NO_EIA = "no_eia"
IN_PROGRESS = "in_progress"
CURRENT = "current"
OLDER = "older"
REVIEW_OVERDUE = "review_overdue"
STATUSES = {
    NO_EIA: "No EIA",
    IN_PROGRESS: "EIA in progress",
    CURRENT: "Current EIA signed off",
    OLDER: "EIA older than this version",
    REVIEW_OVERDUE: "Review overdue",
}
STATUS_TAGS = {NO_EIA: "red", IN_PROGRESS: "blue", CURRENT: "green", OLDER: "orange", REVIEW_OVERDUE: "red"}


class EntryInvalid(ValueError):
    """What is wrong with an entry, field by field (plain English)."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = dict(errors)


class ImportRefused(ValueError):
    """What is wrong with a file: each message names its row and column. Nothing was imported."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


# --- who may do what -----------------------------------------------------------------------------------


def _require(user: User, capability: str) -> None:
    if not user.can(capability):
        raise NotAllowed(capability)


def kinds() -> tuple[SubjectType, ...]:
    """The kinds an entry may be: the subject types of the definitions library."""
    return library().subject_types


def kind_label(value: str) -> str:
    kind = library().subject_type(value)
    return kind.label if kind else "A kind no longer offered"


def get(user: User, entry_id: int) -> PolicyRegisterEntry:
    """The entry if it is in the user's organisation and they may see the register; NotAllowed otherwise."""
    _require(user, VIEW_POLICY_REGISTER)
    entry = db.session.get(PolicyRegisterEntry, entry_id)
    if entry is None or entry.organisation_id != user.organisation_id:
        raise NotAllowed("not in this organisation")
    return entry


def manages_department(user: User, department_id: int | None) -> bool:
    """Whether ``user`` may add or change entries of this department (None: entries of no department). Those
    who see the whole organisation manage all of it; others (an approver) their own department's."""
    if not user.can(MANAGE_POLICY_REGISTER):
        return False
    return access.sees_whole_organisation(user) or (department_id is not None and department_id == user.department_id)


def may_edit(user: User, entry: PolicyRegisterEntry) -> bool:
    return entry.organisation_id == user.organisation_id and manages_department(user, entry.department_id)


def _outside_department(user: User) -> str:
    department = user.department
    if department is None:
        return "You can add or change entries of your own department only, and your account has no department"
    return f"You can add or change entries of {department.name} only"


# --- validating an entry (the form and the import share this) -------------------------------------------


@dataclass(frozen=True)
class EntryValues:
    title: str
    kind: str
    department_id: int | None
    owner: str
    document_version: str
    review_date: date | None
    document_url: str


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DATE_FORMATS = (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$"))


def _text(raw: Any) -> str:
    return raw.strip() if isinstance(raw, str) else ""


def _date_from_text(raw: str) -> date | None:
    """A date typed as 2027-03-31 or 31/03/2027; None if it is not a real date in either form."""
    for number, pattern in enumerate(_DATE_FORMATS):
        match = pattern.match(raw)
        if match:
            parts = [int(part) for part in match.groups()]
            year, month, day = parts if number == 0 else (parts[2], parts[1], parts[0])
            try:
                return date(year, month, day)
            except ValueError:
                return None
    return None


def _date_from_parts(parts: Mapping[str, Any]) -> tuple[date | None, str | None]:
    day, month, year = (_text(parts.get(name)) for name in ("day", "month", "year"))
    if not (day or month or year):
        return None, None
    if not (day and month and year):
        return None, "The review date must include a day, month and year"
    if not (day.isdigit() and month.isdigit() and year.isdigit() and len(year) == 4):
        return None, "The review date must be a real date, for example 31 3 2027"
    try:
        return date(int(year), int(month), int(day)), None
    except ValueError:
        return None, "The review date must be a real date, for example 31 3 2027"


def url_problem(url: str) -> str | None:
    """Why ``url`` is not a link people can follow to the document, or None."""
    example = "for example https://intranet.example.org/policies/stop-and-search.pdf"
    if len(url) > LENGTHS["document_url"]:
        return f"The link must be {LENGTHS['document_url']} characters or fewer"
    if _CONTROL.search(url) or " " in url:
        return f"The link must be a web address with no spaces, {example}"
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return f"Enter the link as a full web address starting with https://, {example}"
    return None


def _plain_text(raw: Any, name: str, missing: str, limit: int) -> tuple[str, str | None]:
    """A one-line text field, and what is wrong with it: ``name`` as a sentence names it ("The title")."""
    value = _text(raw)
    if not value:
        return value, missing
    if len(value) > limit:
        return value, f"{name} must be {limit} characters or fewer"
    if _CONTROL.search(value):
        return value, f"{name} must be plain text on one line"
    return value, None


def _kind(raw: Any) -> tuple[SubjectType | None, str | None]:
    typed = _text(raw)
    if not typed:
        return None, "Select what kind of document it is"
    chosen = next((k for k in kinds() if typed.casefold() in (k.value.casefold(), k.label.casefold())), None)
    if chosen is None:
        return None, (
            f"“{typed[:60]}” is not a kind of document the service knows: use one of "
            + ", ".join(k.label for k in kinds())
        )
    return chosen, None


def _departments(organisation_id: int) -> list[Department]:
    return list(
        db.session.scalars(
            select(Department).where(Department.organisation_id == organisation_id).order_by(Department.name)
        )
    )


def _department(departments: list[Department], raw: Any, by: str) -> tuple[Department | None, str | None]:
    typed = _text(raw)
    if not typed:
        return None, None
    if by == "id":
        found = next((d for d in departments if str(d.id) == typed), None)
        return found, None if found else "Select a department from the list"
    found = next((d for d in departments if d.name.casefold() == typed.casefold()), None)
    if found:
        return found, None
    if not departments:
        return None, "The organisation has no departments yet: leave the department empty"
    return None, (
        f"“{typed[:60]}” is not one of the organisation's departments: use one of "
        + ", ".join(d.name for d in departments)
    )


def _review_date(raw: Any) -> tuple[date | None, str | None]:
    if isinstance(raw, Mapping):
        return _date_from_parts(raw)
    typed = _text(raw)
    if not typed:
        return None, None
    found = _date_from_text(typed)
    if found is None:
        return None, f"Enter the review date as a real date written 2027-03-31 or 31/03/2027, not “{typed[:30]}”"
    return found, None


def check(
    organisation_id: int,
    raw: Mapping[str, Any],
    *,
    department_by: str = "id",
    departments: list[Department] | None = None,
) -> EntryValues:
    """The entry's values, or EntryInvalid with a message per field. ``department_by``: whether the
    department is given by its id (a form's select) or its name (a CSV file); the kind may be given by
    its value or its label. ``review_date`` is text (2027-03-31 or 31/03/2027) or a form's day, month
    and year."""
    title, title_problem = _plain_text(
        raw.get("title"), "The title", "Enter the title of the policy, procedure or programme", LENGTHS["title"]
    )
    kind, kind_problem = _kind(raw.get("kind"))
    department, department_problem = _department(
        _departments(organisation_id) if departments is None else departments, raw.get("department"), department_by
    )
    owner, owner_problem = _plain_text(
        raw.get("owner"), "The owner's name", "Enter the name of the document's owner", LENGTHS["owner"]
    )
    version, version_problem = _plain_text(
        raw.get("document_version"),
        "The version",
        "Enter the document's version, for example 2.1",
        LENGTHS["document_version"],
    )
    review_date, review_problem = _review_date(raw.get("review_date"))
    url = _text(raw.get("document_url"))
    problems = {
        "title": title_problem,
        "kind": kind_problem,
        "department": department_problem,
        "owner": owner_problem,
        "document_version": version_problem,
        "review_date": review_problem,
        "document_url": url_problem(url) if url else None,
    }
    errors = {name: problem for name, problem in problems.items() if problem}
    if errors:
        raise EntryInvalid(errors)
    return EntryValues(
        title=title,
        kind=kind.value,
        department_id=department.id if department else None,
        owner=owner,
        document_version=version,
        review_date=review_date,
        document_url=url,
    )


def _title_taken(organisation_id: int, title: str, except_id: int | None = None) -> bool:
    query = select(PolicyRegisterEntry.id).where(
        PolicyRegisterEntry.organisation_id == organisation_id, func.lower(PolicyRegisterEntry.title) == title.lower()
    )
    if except_id is not None:
        query = query.where(PolicyRegisterEntry.id != except_id)
    return db.session.scalar(query.limit(1)) is not None


def _details(entry: PolicyRegisterEntry) -> dict[str, Any]:
    return {
        "title": entry.title,
        "kind": entry.kind,
        "department_id": entry.department_id,
        "owner": entry.owner,
        "document_version": entry.document_version,
        "review_date": entry.review_date.isoformat() if entry.review_date else None,
        "document_url": entry.document_url,
    }


def _in_progress() -> Any:
    """SQL: the assessment's own workflow has not ended its life (never a state's id)."""
    return state_condition(Assessment.definitions_sha256, Assessment.status, lambda state: not state.final)


def _apply(entry: PolicyRegisterEntry, values: EntryValues) -> None:
    """Write ``values`` over ``entry``. A new version of the document is what its assessments still in
    progress are for; a signed-off assessment keeps the version it was for."""
    if entry.id is not None and values.document_version != entry.document_version:
        in_progress = db.session.scalars(
            select(PolicyRegisterLink)
            .join(Assessment, PolicyRegisterLink.assessment_id == Assessment.id)
            .where(PolicyRegisterLink.entry_id == entry.id, _in_progress())
        ).all()
        for link in in_progress:
            link.document_version = values.document_version
    entry.title, entry.kind, entry.department_id = values.title, values.kind, values.department_id
    entry.owner, entry.document_version = values.owner, values.document_version
    entry.review_date, entry.document_url = values.review_date, values.document_url


# --- writes ------------------------------------------------------------------------------------------------


def add(user: User, raw: Mapping[str, Any]) -> PolicyRegisterEntry:
    _require(user, MANAGE_POLICY_REGISTER)
    values = check(user.organisation_id, raw)
    if not manages_department(user, values.department_id):
        raise EntryInvalid({"department": _outside_department(user)})
    if _title_taken(user.organisation_id, values.title):
        raise EntryInvalid({"title": "The register already has an entry with this title"})
    try:
        with unit_of_work():
            entry = PolicyRegisterEntry(organisation_id=user.organisation_id)
            _apply(entry, values)
            db.session.add(entry)
            db.session.flush()
            audit.record(
                "policy_register.entry_added",
                actor=user,
                object_type="policy_register_entry",
                object_id=entry.id,
                details=_details(entry),
            )
    except IntegrityError:  # someone added one with this title at the same moment
        raise EntryInvalid({"title": "The register already has an entry with this title"}) from None
    return entry


def edit(user: User, entry_id: int, raw: Mapping[str, Any]) -> PolicyRegisterEntry:
    _require(user, MANAGE_POLICY_REGISTER)
    entry = get(user, entry_id)
    if not may_edit(user, entry):
        raise NotAllowed("another department's entry")
    values = check(user.organisation_id, raw)
    if not manages_department(user, values.department_id):
        raise EntryInvalid({"department": _outside_department(user)})
    if _title_taken(user.organisation_id, values.title, except_id=entry.id):
        raise EntryInvalid({"title": "The register already has another entry with this title"})
    try:
        with unit_of_work():
            before = _details(entry)
            _apply(entry, values)
            after = _details(entry)
            audit.record(
                "policy_register.entry_changed",
                actor=user,
                object_type="policy_register_entry",
                object_id=entry.id,
                details={
                    "changed": {
                        key: {"from": before[key], "to": after[key]} for key in after if before[key] != after[key]
                    }
                },
            )
    except IntegrityError:
        raise EntryInvalid({"title": "The register already has another entry with this title"}) from None
    return entry


def link(user: User, entry: PolicyRegisterEntry, assessment: Assessment) -> PolicyRegisterLink:
    """Record that ``assessment`` assesses ``entry`` (moving it from another entry, if it was linked to one).
    Its author or someone who manages the register may; both must be of the same organisation."""
    if entry.organisation_id != assessment.organisation_id or entry.organisation_id != user.organisation_id:
        raise NotAllowed("another organisation")
    if not access.can_view(user, assessment) or not may_link(user, assessment):
        raise NotAllowed("may not link")
    with unit_of_work():
        made = _link(user, entry, assessment)
    return made


def _link(user: User | None, entry: PolicyRegisterEntry, assessment: Assessment) -> PolicyRegisterLink:
    existing = db.session.scalar(select(PolicyRegisterLink).where(PolicyRegisterLink.assessment_id == assessment.id))
    before = existing.entry_id if existing else None
    if existing is None:
        existing = PolicyRegisterLink(
            assessment_id=assessment.id,
            entry_id=entry.id,
            document_version=entry.document_version,
            linked_by_id=user.id if user else None,
        )
        db.session.add(existing)
    elif existing.entry_id != entry.id:
        existing.entry_id = entry.id
        existing.document_version = entry.document_version
        existing.linked_by_id = user.id if user else None
    db.session.flush()
    audit.record(
        "policy_register.assessment_linked",
        actor=user,
        object_type="policy_register_entry",
        object_id=entry.id,
        details={
            "assessment_id": assessment.id,
            "reference": assessment.reference,
            "document_version": existing.document_version,
            "moved_from": before,
        },
    )
    return existing


def start_assessment(user: User, entry_id: int) -> Assessment:
    """A new assessment of the entry: its kind and title, linked to the entry, in one transaction."""
    entry = get(user, entry_id)
    if not user.can(WRITE_ASSESSMENTS):
        raise NotAllowed("Only policy authors start assessments")
    kind = entry.kind if library().subject_type(entry.kind) is not None else None
    return assessments.start(user, kind, title=entry.title, then=lambda assessment: _link(user, entry, assessment))


def link_revision(previous: Assessment, revision: Assessment, actor: User) -> None:
    """A revision assesses the same entry as the version it revises (inside the revision's transaction)."""
    linked = db.session.scalar(select(PolicyRegisterLink).where(PolicyRegisterLink.assessment_id == previous.id))
    if linked is not None:
        _link(actor, linked.entry, revision)


# --- the CSV import ------------------------------------------------------------------------------------------

# Column name in the file -> field, and whether every row must fill it. The order is the template's.
COLUMNS = {
    "title": ("title", True),
    "kind": ("kind", True),
    "department": ("department", False),
    "owner": ("owner", True),
    "version": ("document_version", True),
    "review_date": ("review_date", False),
    "document_link": ("document_url", False),
}
FIELD_COLUMNS = {field_name: column for column, (field_name, _required) in COLUMNS.items()}


@dataclass
class ImportResult:
    added: int = 0
    updated: int = 0


def _header_name(cell: str) -> str:
    return re.sub(r"[\s\-]+", "_", cell.strip().lower())


def _header_problems(number: int, header: list[str], names: list[str]) -> list[str]:
    problems = []
    unknown = [cell.strip() for cell, name in zip(header, names, strict=True) if name not in COLUMNS]
    if len(unknown) == 1:
        problems.append(
            f"Row {number}: the column “{unknown[0][:40]}” is not one the register has; the "
            "columns are " + ", ".join(COLUMNS)
        )
    elif unknown:
        problems.append(
            f"Row {number}: the columns "
            + ", ".join(f"“{cell[:40]}”" for cell in unknown)
            + " are not ones the register has; the columns are "
            + ", ".join(COLUMNS)
        )
    repeated = sorted(name for name, count in Counter(n for n in names if n in COLUMNS).items() if count > 1)
    problems.extend(f"Row {number}: the column “{name}” appears more than once" for name in repeated)
    missing = [column for column, (_field, required) in COLUMNS.items() if required and column not in names]
    problems.extend(f"Row {number}: the file has no “{column}” column, which every entry needs" for column in missing)
    return problems


def _rows(content: bytes) -> list[tuple[int, list[str]]]:
    """The file's non-blank rows with their numbers, or ImportRefused if it is not CSV text."""
    if not content.strip():
        raise ImportRefused(["The file is empty: it needs a header row and at least one row of entries"])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused(["The file is not UTF-8 text: save it from your spreadsheet as “CSV UTF-8”"]) from None
    if "\x00" in text:
        raise ImportRefused(["The file is not a CSV file: save it from your spreadsheet as “CSV UTF-8”"])
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        raise ImportRefused(
            ["The file is not a CSV file the service can read: save it from your spreadsheet as “CSV UTF-8”"]
        ) from None
    rows = [(number, row) for number, row in enumerate(rows, start=1) if any(cell.strip() for cell in row)]
    if not rows:
        raise ImportRefused(["The file is empty: it needs a header row and at least one row of entries"])
    return rows


def read_csv(content: bytes, organisation_id: int) -> list[tuple[int, EntryValues]]:
    """Every row as entry values with its row number (the header is row 1, as a spreadsheet shows it),
    or ImportRefused listing every problem by row and column."""
    rows = _rows(content)
    header_number, header = rows[0]
    names = [_header_name(cell) for cell in header]
    if problems := _header_problems(header_number, header, names):
        raise ImportRefused(problems)
    entries = rows[1:]
    if not entries:
        raise ImportRefused(["The file has a header row but no entries"])
    if len(entries) > MAX_IMPORT_ROWS:
        raise ImportRefused([f"The file has {len(entries)} entries: import at most {MAX_IMPORT_ROWS} at a time"])

    problems: list[str] = []
    departments = _departments(organisation_id)
    read: list[tuple[int, EntryValues]] = []
    first_row_of_title: dict[str, int] = {}
    for number, row in entries:
        if len(row) > len(names):
            problems.append(f"Row {number}: it has {len(row)} cells but the header has {len(names)} columns")
            continue
        cells = dict(zip(names, row + [""] * (len(names) - len(row)), strict=True))
        raw = {COLUMNS[name][0]: value for name, value in cells.items()}
        try:
            values = check(organisation_id, raw, department_by="name", departments=departments)
        except EntryInvalid as invalid:
            problems.extend(
                f"Row {number}, column “{FIELD_COLUMNS[field_name]}”: {message}"
                for field_name, message in invalid.errors.items()
            )
            continue
        key = values.title.casefold()
        if key in first_row_of_title:
            problems.append(
                f"Row {number}, column “title”: “{values.title[:60]}” is also on row "
                f"{first_row_of_title[key]}: each entry may appear once"
            )
            continue
        first_row_of_title[key] = number
        read.append((number, values))
    if problems:
        raise ImportRefused(problems)
    return read


def import_csv(user: User, content: bytes) -> ImportResult:
    """Add each row as an entry, or update the entry with its title: the whole file in one transaction, or
    nothing (ImportRefused) if any row is wrong."""
    _require(user, MANAGE_POLICY_REGISTER)
    rows = read_csv(content, user.organisation_id)
    existing = {
        entry.title.casefold(): entry
        for entry in db.session.scalars(
            select(PolicyRegisterEntry).where(PolicyRegisterEntry.organisation_id == user.organisation_id)
        )
    }
    problems = []
    for number, values in rows:
        if not manages_department(user, values.department_id):
            problems.append(f"Row {number}, column “department”: {_outside_department(user)}")
        elif (entry := existing.get(values.title.casefold())) is not None and not may_edit(user, entry):
            problems.append(
                f"Row {number}, column “title”: “{values.title[:60]}” is an entry of another department, "
                "which you cannot change"
            )
    if problems:
        raise ImportRefused(problems)
    result = ImportResult()
    try:
        _import_rows(user, rows, existing, result)
    except IntegrityError:  # an entry with one of these titles was added while the file was being read
        raise ImportRefused(
            [
                "Someone added an entry with one of these titles while the file was being imported: "
                "nothing was imported, so upload the file again"
            ]
        ) from None
    return result


def _import_rows(
    user: User, rows: list[tuple[int, EntryValues]], existing: dict[str, PolicyRegisterEntry], result: ImportResult
) -> None:
    with unit_of_work():
        added, updated = [], []
        for _number, values in rows:
            entry = existing.get(values.title.casefold())
            if entry is None:
                entry = PolicyRegisterEntry(organisation_id=user.organisation_id)
                _apply(entry, values)
                db.session.add(entry)
                added.append(entry)
            else:
                _apply(entry, values)
                updated.append(entry)
        db.session.flush()
        result.added, result.updated = len(added), len(updated)
        audit.record(
            "policy_register.imported",
            actor=user,
            object_type="organisation",
            object_id=user.organisation_id,
            details={"added": [e.id for e in added], "updated": [e.id for e in updated]},
        )


def csv_template() -> str:
    """The header row and one example row, for people to fill in."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    first_kind = kinds()[0].label if kinds() else ""
    writer.writerow(
        [
            "Stop and search",
            first_kind,
            "",
            "Chief Inspector A. Example",
            "2.1",
            "2027-03-31",
            "https://intranet.example.org/policies/stop-and-search.pdf",
        ]
    )
    return out.getvalue()


# --- coverage --------------------------------------------------------------------------------------------------


@dataclass
class Covered:
    """An entry and its coverage: its status in plain English, whether its review is overdue, and the
    assessments linked to it."""

    entry: PolicyRegisterEntry
    status: str
    review_overdue: bool
    assessments: list[dict[str, Any]] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return STATUSES[self.status]

    @property
    def statuses(self) -> list[str]:
        return [self.status] + ([REVIEW_OVERDUE] if self.review_overdue else [])


def status_of(document_version: str, links: Iterable[Mapping[str, Any]]) -> str:
    """The coverage of an entry at ``document_version`` from its assessments' facts (each: the version it
    is for, whether signed off, whether its life has ended)."""
    links = list(links)
    if any(link["signed_off"] and link["document_version"] == document_version for link in links):
        return CURRENT
    if any(not link["final"] for link in links):
        return IN_PROGRESS
    if any(link["signed_off"] for link in links):
        return OLDER
    return NO_EIA


def _link_facts(entry_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    signed_off = state_condition(Assessment.definitions_sha256, Assessment.status, lambda state: state.signed_off)
    final = state_condition(Assessment.definitions_sha256, Assessment.status, lambda state: state.final)
    facts: dict[int, list[dict[str, Any]]] = {entry_id: [] for entry_id in entry_ids}
    if not entry_ids:
        return facts
    query = (
        select(
            PolicyRegisterLink.entry_id,
            PolicyRegisterLink.document_version,
            Assessment.id,
            Assessment.reference,
            Assessment.version_number,
            Assessment.title,
            Assessment.decided_at,
            case((signed_off, True), else_=False),
            case((final, True), else_=False),
        )
        .join(Assessment, PolicyRegisterLink.assessment_id == Assessment.id)
        .where(PolicyRegisterLink.entry_id.in_(entry_ids))
        .order_by(Assessment.created_at, Assessment.id)
    )
    for (
        entry_id,
        version,
        assessment_id,
        reference,
        number,
        title,
        decided_at,
        is_signed_off,
        is_final,
    ) in db.session.execute(query):
        facts[entry_id].append(
            {
                "document_version": version,
                "assessment_id": assessment_id,
                "title": title,
                "reference": reference if number == 1 else f"{reference} v{number}",
                "decided_at": decided_at,
                "signed_off": bool(is_signed_off),
                "final": bool(is_final),
            }
        )
    return facts


def covered(entries: list[PolicyRegisterEntry], today: date | None = None) -> list[Covered]:
    today = today or uk_today()
    facts = _link_facts([entry.id for entry in entries])
    return [
        Covered(
            entry=entry,
            status=status_of(entry.document_version, facts[entry.id]),
            review_overdue=entry.review_date is not None and entry.review_date < today,
            assessments=facts[entry.id],
        )
        for entry in entries
    ]


@dataclass
class Filters:
    department_id: int | None = None
    kind: str | None = None
    status: str | None = None
    page: int = 1
    problems: dict[str, str] = field(default_factory=dict)

    def args(self, **changes: Any) -> dict[str, Any]:
        values = {"department": self.department_id, "kind": self.kind, "status": self.status, "page": self.page}
        values.update(changes)
        if values["page"] == 1:
            del values["page"]
        return {key: value for key, value in values.items() if value not in (None, "")}


def read_filters(user: User, args: Mapping[str, str]) -> Filters:
    """The filters from an address's query: a value that is not one of the options is named, not obeyed."""
    filters = Filters()
    department = (args.get("department") or "").strip()
    if department:
        ids = {str(d.id): d.id for d in user.organisation.departments}
        if department in ids:
            filters.department_id = ids[department]
        else:
            filters.problems["department"] = "Select a department from the list"
    kind = (args.get("kind") or "").strip()
    if kind:
        if library().subject_type(kind) is not None:
            filters.kind = kind
        else:
            filters.problems["kind"] = "Select a kind of document from the list"
    status = (args.get("status") or "").strip()
    if status:
        if status in STATUSES:
            filters.status = status
        else:
            filters.problems["status"] = "Select a coverage status from the list"
    page = (args.get("page") or "").strip()
    filters.page = int(page) if page.isdigit() and 0 < int(page) < 1_000_000 else 1
    return filters


@dataclass
class Register:
    rows: list[Covered]
    total: int
    page: int
    pages: int
    counts: dict[str, int]  # every entry of the organisation, by status (and review overdue)
    entries: int  # every entry of the organisation
    by_department: list[dict[str, Any]] | None  # for those who see the whole organisation

    @property
    def first_shown(self) -> int:
        return (self.page - 1) * PER_PAGE + 1 if self.total else 0

    @property
    def last_shown(self) -> int:
        return min(self.page * PER_PAGE, self.total)


def register(user: User, filters: Filters, today: date | None = None) -> Register:
    """The register as ``user`` sees it: the summary over the whole organisation, the rows the filters
    choose (a page of them), and, for those who see every department, coverage by department."""
    _require(user, VIEW_POLICY_REGISTER)
    everything = db.session.scalars(
        select(PolicyRegisterEntry)
        .options(joinedload(PolicyRegisterEntry.department))
        .where(PolicyRegisterEntry.organisation_id == user.organisation_id)
        .order_by(func.lower(PolicyRegisterEntry.title), PolicyRegisterEntry.id)
    ).all()
    all_covered = covered(list(everything), today)
    counts = {status: 0 for status in STATUSES}
    for row in all_covered:
        for status in row.statuses:
            counts[status] += 1
    chosen = [
        row
        for row in all_covered
        if (filters.department_id is None or row.entry.department_id == filters.department_id)
        and (filters.kind is None or row.entry.kind == filters.kind)
        and (filters.status is None or filters.status in row.statuses)
    ]
    pages = max(1, math.ceil(len(chosen) / PER_PAGE))
    page = min(filters.page, pages)
    shown = chosen[(page - 1) * PER_PAGE : page * PER_PAGE]
    by_department = by_department_table(all_covered) if access.sees_whole_organisation(user) else None
    return Register(
        rows=shown,
        total=len(chosen),
        page=page,
        pages=pages,
        counts=counts,
        entries=len(all_covered),
        by_department=by_department,
    )


def by_department_table(rows: list[Covered]) -> list[dict[str, Any]]:
    """Per department (and entries with none): entries, covered (a current signed-off EIA), not covered, overdue."""
    table: dict[str, dict[str, Any]] = {}
    for row in rows:
        name = row.entry.department.name if row.entry.department else "No department"
        line = table.setdefault(name, {"department": name, "entries": 0, "covered": 0, "not_covered": 0, "overdue": 0})
        line["entries"] += 1
        line["covered" if row.status == CURRENT else "not_covered"] += 1
        line["overdue"] += row.review_overdue
    return [table[name] for name in sorted(table, key=lambda n: (n == "No department", n.lower()))]


def entry_coverage(entry: PolicyRegisterEntry, today: date | None = None) -> Covered:
    return covered([entry], today)[0]


def linkable_assessments(user: User, entry: PolicyRegisterEntry) -> list[Assessment]:
    """Assessments the user may link to ``entry``: ones they can see, not already linked to it, newest first
    (their own only, unless they manage the register)."""
    query = access.visible_assessments(user).where(
        not_(Assessment.id.in_(select(PolicyRegisterLink.assessment_id).where(PolicyRegisterLink.entry_id == entry.id)))
    )
    if not user.can(MANAGE_POLICY_REGISTER):
        query = query.where(Assessment.author_id == user.id)
    return list(db.session.scalars(query.order_by(Assessment.updated_at.desc()).limit(200)))


def entries_for_linking(user: User) -> list[PolicyRegisterEntry]:
    return list(
        db.session.scalars(
            select(PolicyRegisterEntry)
            .where(PolicyRegisterEntry.organisation_id == user.organisation_id)
            .order_by(func.lower(PolicyRegisterEntry.title))
        )
    )


def entry_of(assessment: Assessment) -> PolicyRegisterEntry | None:
    return db.session.scalar(
        select(PolicyRegisterEntry).join(PolicyRegisterLink).where(PolicyRegisterLink.assessment_id == assessment.id)
    )


def may_link(user: User, assessment: Assessment) -> bool:
    return user.can(MANAGE_POLICY_REGISTER) or (user.can(WRITE_ASSESSMENTS) and assessment.author_id == user.id)
