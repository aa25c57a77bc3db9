"""Hostile and unusual text through the real sign-off, on both storage backends: the record is made,
shows every answer (undrawable characters named, never dropped), and carries no images or links."""

from __future__ import annotations

import io
import json
import random
import re
import shutil
import unicodedata

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from eia.domain.signing import verify_pdf
from eia.extensions import db
from eia.models import ArchivedRecord, Assessment
from eia.services import archive, seals
from tests.conftest import PASSWORD, signed_in
from tests.journeys import act, complete_assessment, low_impact_analysis, save, start_assessment, submit

MARKUP = '<b>unclosed <img src="/etc/passwd"/> <a href="javascript:x">click</a> &D < > &amp; L&D'
MIXED = (
    "tab\there NEL\x85 CSI\x9b RTL \u202eevil\u202c combining e\u0301 a\u0308 family 👨\u200d👩\u200d👧 "
    "officer 👮 Welsh ŵ ŷ Polish ł ż CJK 平等"
)
MIXED_IN_PDF = (
    "tab here NEL[U+0085] CSI[U+009B] RTL [U+202E RIGHT-TO-LEFT OVERRIDE]evil"
    "[U+202C POP DIRECTIONAL FORMATTING] combining é ä family [U+1F468 MAN][U+200D ZERO WIDTH JOINER]"
    "[U+1F469 WOMAN][U+200D ZERO WIDTH JOINER][U+1F467 GIRL] officer [U+1F46E POLICE OFFICER] "
    "Welsh ŵ ŷ Polish ł ż CJK [U+5E73 CJK UNIFIED IDEOGRAPH-5E73][U+7B49 CJK UNIFIED IDEOGRAPH-7B49]"
)
ARABIC = "المساواة في الحقوق والواجبات لجميع المواطنين"
LONG_WORD = "Llanfairpwllgwyngyll" * 500  # 10,000 characters, no space to break at
LONG_ANSWER_LENGTH = 50_000


def _long_answer() -> str:
    words = ["equality", "custody", "officer", "ŵyr", "łódź", "impact", "evidence", "disproportionality"]
    chooser = random.Random(149)
    text = " ".join(chooser.choice(words) for _ in range(LONG_ANSWER_LENGTH // 5))
    return text[:LONG_ANSWER_LENGTH].strip()


@pytest.fixture(params=["database", "filesystem"])
def long_answers_app(request, make_app, tmp_path):
    """The standard definitions with the evidence answer allowed up to 60,000 characters (the form
    caps it at 10,000; an organisation may raise it, and the record must still be made)."""
    from eia.services.demo import seed

    definitions = tmp_path / "workflows"
    shutil.copytree(make_app().config["WORKFLOWS_DIR"], definitions)
    questionnaire = definitions / "questionnaire-eia.json"
    data = json.loads(questionnaire.read_text())
    for section in data["sections"]:
        for task in section["tasks"]:
            for page in task["pages"]:
                for question in page.get("questions", []):
                    if question["id"] == "evidence":
                        question["max_length"] = 60_000
    questionnaire.write_text(json.dumps(data))
    app = make_app(ARCHIVE_BACKEND=request.param, WORKFLOWS_DIR=definitions)
    with app.app_context():
        seed(PASSWORD)
    return app


def _page_texts(pdf: bytes) -> list[str]:
    """Each page's text without the running header and footer (they interrupt answers that flow on)."""
    running = re.compile(
        r"Equality Impact Assessment EIA-\d{4}-\d{4} version \d+|OFFICIAL|Page \d+ of \d+|"
        r"Signed record: verify with Due Regard before relying on a copy"
    )
    return [running.sub(" ", page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def _objects_of_kind(pdf: bytes) -> tuple[set[str], set[str]]:
    """Every XObject subtype reachable from the pages (forms recursively) and every annotation subtype."""
    reader = PdfReader(io.BytesIO(pdf))
    xobjects: set[str] = set()
    annotations: set[str] = set()

    def visit(resources):
        for xobject in (resources or {}).get("/XObject", {}).values():
            xobject = xobject.get_object()
            xobjects.add(xobject["/Subtype"])
            if xobject["/Subtype"] == "/Form":
                visit(xobject.get("/Resources"))

    for page in reader.pages:
        visit(page.get("/Resources"))
        for annotation in page.get("/Annots", []):
            annotation = annotation.get_object()
            annotations.add(annotation["/Subtype"])
            for appearance in annotation.get("/AP", {}).values():
                appearance = appearance.get_object()
                visit(appearance.get("/Resources"))
    return xobjects, annotations


def test_hostile_text_is_signed_off_and_shown_exactly(long_answers_app):
    app = long_answers_app
    author = signed_in(app, "author@example.org")
    assessment_id = start_assessment(author)
    long_answer = _long_answer()
    age = low_impact_analysis("age")
    age["evidence:age"] = {"has_evidence": "yes", "evidence": long_answer}
    age["engagement:age"] = {"engaged": "yes", "engagement": LONG_WORD}
    disability = low_impact_analysis("disability")
    disability["evidence:disability"] = {"has_evidence": "yes", "evidence": ARABIC}
    complete_assessment(author, assessment_id, title="Custody <b>unclosed & L&D", relevant={**age, **disability})
    save(author, assessment_id, "aims", {"aims": MARKUP, "affected": "both", "scope": MIXED})
    submit(author, assessment_id)
    approver = signed_in(app, "approver@example.org")
    act(approver, assessment_id, "start_review")
    act(approver, assessment_id, "approve", {"comment": "</para><para>injected & approved"})

    with app.app_context():
        assert db.session.get(Assessment, assessment_id).status == "approved"
        record = db.session.scalar(select(ArchivedRecord).where(ArchivedRecord.assessment_id == assessment_id))
        pdf = archive.archived_pdf(record)
        report = verify_pdf(pdf, seals.trust_for(db.session.get(Assessment, assessment_id).organisation_id))
        assert report.ok, report.problems
        stored = db.session.get(Assessment, assessment_id).answers
    assert stored["aims"]["scope"] == MIXED.replace("\r\n", "\n"), "the form stored the text as typed"

    pages = _page_texts(pdf)
    words = unicodedata.normalize("NFC", " ".join(" ".join(pages).split()))
    for expected in ["Custody <b>unclosed & L&D", MARKUP, MIXED_IN_PDF, "</para><para>injected & approved"]:
        assert expected in words, expected
    squashed = "".join(words.split())
    assert "".join(long_answer.split()) in squashed, "the 50,000-character answer is there in full"
    assert LONG_WORD in squashed, "the 10,000-character word is there in full"
    # Arabic is shaped (joined forms, compatibility-equivalent to the letters typed); see README on word order.
    shaped = unicodedata.normalize("NFKC", words)
    assert all(word in shaped for word in ARABIC.split())

    xobjects, annotations = _objects_of_kind(pdf)
    assert "/Image" not in xobjects
    assert annotations == {"/Widget"}, "the seal's field is the only annotation: no links"
    assert b"/URI" not in pdf and b"/JavaScript" not in pdf
    # About 60,000 characters of answers at ~3,800 a page, plus the cover, analysis and seal pages.
    assert len(pages) <= 30, len(pages)
