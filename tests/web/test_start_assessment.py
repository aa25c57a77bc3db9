"""Starting an assessment: the author says what is assessed first, which chooses its questions and route."""

from __future__ import annotations

from eia.extensions import db
from eia.models import Assessment
from tests.journeys import start_assessment


def test_the_author_chooses_what_is_assessed_before_anything_is_created(client_for, demo):
    author = client_for("author@example.org")
    start = author.get("/")
    link = next(a for a in start.find_all("a") if a.text.strip() == "Start a new assessment")
    page = author.get(link.attrs["href"])
    assert page.h1 == "What are you assessing?"
    labels = [label.text.strip() for label in page.find_all("label")]
    assert "Standard operating procedure" in labels and "Workforce or HR decision" in labels
    with demo.app_context():
        assert db.session.query(Assessment).count() == 0, "opening the page creates nothing"

    refused = author.submit("/assessments/new", {}, action="/assessments/", status=400)
    assert refused.error_messages == ["Select what you are assessing"]
    unknown = author.submit("/assessments/new", {"subject_type": "martian"}, action="/assessments/", status=400)
    assert unknown.error_messages == ["Select what you are assessing"]
    with demo.app_context():
        assert db.session.query(Assessment).count() == 0

    assessment_id = start_assessment(author, "workforce")
    subject = author.get(f"/assessments/{assessment_id}/pages/subject")
    chosen = subject.find("input", name="subject_type", checked="")
    assert chosen is not None and chosen.attrs["value"] == "workforce"
