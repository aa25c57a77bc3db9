"""Publication in the browser: the approver chooses what to withhold, checks and publishes; the public
reads the register, the page, the PDF, the JSON and the feed without signing in, never sees a withheld
answer, gets no cookie and cacheable answers, and can check a document; withdrawal shows."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from eia.extensions import db
from eia.models import Publication
from tests.factories import APPROVER, BOARD
from tests.pdfs import pdf_words
from tests.services.test_publication import (
    OWNER,
    REASON,
    SECRET,
    publish_with_secret_withheld,
    signed_off_with_secret,
)

PUBLIC_GETS = (
    "/public/",
    "/public/?q=body",
    "/public/register.json",
    "/public/register.atom",
    "/public/check-a-document",
)


@pytest.fixture
def published(demo):
    return publish_with_secret_withheld(demo)


def _urls(publication_id: int) -> list[str]:
    return [
        *PUBLIC_GETS,
        f"/public/assessments/{publication_id}",
        f"/public/assessments/{publication_id}/public-copy.pdf",
    ]


def test_the_approver_chooses_what_to_withhold_checks_and_publishes(client_for, demo):
    assessment_id = signed_off_with_secret(demo)
    approver = client_for(APPROVER)
    page = approver.get(f"/assessments/{assessment_id}")
    assert page.find("a", id="publish-link") is not None
    overview = approver.get(f"/assessments/{assessment_id}/publication")
    assert "not published yet" in overview.text_of(id="publication-status")
    form = approver.get(f"/assessments/{assessment_id}/publication/withhold")
    selects = {s.attrs["name"]: s for s in form.root.find_all("select")}
    secret_field = next(name for name, s in selects.items() if SECRET in form.text_of(id=s.attrs["id"] + "-hint"))
    check = approver.submit(f"/assessments/{assessment_id}/publication/withhold", {secret_field: REASON})
    assert approver.location(check).endswith(f"/assessments/{assessment_id}/publication/check")
    check = approver.get(f"/assessments/{assessment_id}/publication/check")
    assert check.text_of(id="withheld-count").startswith("1 answer will be withheld")
    assert REASON in check.text and SECRET in check.text, "the person publishing sees what they withhold"
    approver.submit(
        f"/assessments/{assessment_id}/publication/check", action=f"/assessments/{assessment_id}/publication/publish"
    )
    overview = approver.get(f"/assessments/{assessment_id}/publication")
    assert "Published" in overview.text_of(id="publication-status")
    with demo.app_context():
        item = db.session.scalar(select(Publication))
        assert item.redactions == [{"question": item.redactions[0]["question"], "reason": REASON}]
    public = demo.test_client().get(f"/public/assessments/{item.id}").get_data(as_text=True)
    assert f"Withheld: {REASON}" in public and SECRET not in public


def test_an_author_cannot_publish_and_is_not_offered_it(client_for, demo):
    assessment_id = signed_off_with_secret(demo)
    author = client_for("author@example.org")
    assert author.get(f"/assessments/{assessment_id}").find("a", id="publish-link") is None
    assert (
        author.get(f"/assessments/{assessment_id}/publication").text_of(id="publication-status")
        == "You cannot publish this assessment."
    )
    token = author.get("/").csrf_token
    author.post(f"/assessments/{assessment_id}/publication/publish", {"csrf_token": token})
    with demo.app_context():
        assert db.session.scalar(select(Publication)) is None


def test_the_public_reads_the_register_and_never_sees_a_withheld_answer(anonymous, published):
    _, publication_id = published
    sign_in = anonymous.get("/sign-in")
    assert sign_in.find("a", id="public-register").attrs["href"] == "/public/"
    register = anonymous.get("/public/")
    assert "Body-worn video in custody" in register.text_of(id="register")
    page = anonymous.get(f"/public/assessments/{publication_id}")
    assert f"Withheld: {REASON}" in page.text and "Withheld: Names an officer or member of staff" in page.text
    assert REASON in page.text_of(id="withheld-list")
    pdf = anonymous.client.get(f"/public/assessments/{publication_id}/public-copy.pdf")
    assert pdf.mimetype == "application/pdf"
    feed = anonymous.client.get("/public/register.atom")
    assert feed.mimetype == "application/atom+xml" and b"<entry>" in feed.data
    listing = json.loads(anonymous.client.get("/public/register.json").data)
    assert listing["total"] == 1 and listing["assessments"][0]["reference"]
    searched = anonymous.get("/public/?q=Zebrafish")
    assert searched.text_of(id="result-count") == "0 assessments found"
    for secret in (SECRET, OWNER, "Zebrafish", "Marlowe"):
        assert secret not in register.text and secret not in page.text, secret
        assert secret not in pdf_words(pdf.data), secret
        assert secret.encode() not in feed.data and secret not in json.dumps(listing), secret


def test_public_responses_set_no_cookie_and_honour_if_none_match(anonymous, client_for, published):
    _, publication_id = published
    signed_in = client_for(BOARD)
    for client in (anonymous.client, signed_in.client):
        for url in _urls(publication_id):
            response = client.get(url)
            assert response.status_code == 200, url
            assert "Set-Cookie" not in response.headers, url
            assert response.headers["Cache-Control"] == "public, max-age=300", url
            etag = response.headers["ETag"]
            again = client.get(url, headers={"If-None-Match": etag})
            assert again.status_code == 304 and not again.data and "Set-Cookie" not in again.headers, url
        response = client.post(
            "/public/check-a-document",
            data={"file": (io.BytesIO(b"%PDF-1.7 x"), "a.pdf")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 200 and "Set-Cookie" not in response.headers
    # the signed-in person's own pages still never cache
    assert signed_in.client.get("/").headers["Cache-Control"] == "no-store"


def test_check_a_document_says_genuine_and_not_after_one_byte_is_flipped(anonymous, published):
    _, publication_id = published
    content = anonymous.client.get(f"/public/assessments/{publication_id}/public-copy.pdf").data
    anonymous.get("/public/check-a-document")

    def check(data: bytes):
        response = anonymous.client.post(
            "/public/check-a-document", data={"file": (io.BytesIO(data), "eia.pdf")}, content_type="multipart/form-data"
        )
        from tests.pages import Page

        page = Page(response)
        page.check()
        return page.text_of(id="result")

    assert "Genuine This is a published document" in check(content)
    flipped = bytearray(content)
    flipped[len(flipped) // 2] ^= 0x01
    assert "Not a published document" in check(bytes(flipped))
    assert "Genuine" not in check(b"not a pdf at all")
    empty = anonymous.client.post("/public/check-a-document", data={}, content_type="multipart/form-data")
    assert empty.status_code == 400 and b"Select a PDF file" in empty.data


def test_withdrawing_shows_on_the_register_and_stops_the_pdf(client_for, anonymous, demo, published):
    assessment_id, publication_id = published
    content = anonymous.client.get(f"/public/assessments/{publication_id}/public-copy.pdf").data
    board = client_for(BOARD)
    refused = board.submit(
        f"/assessments/{assessment_id}/publication",
        {"reason": ""},
        action=f"/assessments/{assessment_id}/publication/withdraw",
        status=400,
    )
    assert refused.error_messages == ["Enter why you are withdrawing it"]
    board.submit(
        f"/assessments/{assessment_id}/publication",
        {"reason": "Replaced by version 2"},
        action=f"/assessments/{assessment_id}/publication/withdraw",
    )
    assert "Withdrawn" in board.get(f"/assessments/{assessment_id}/publication").text_of(id="publication-status")
    register = anonymous.get("/public/")
    assert "Withdrawn" in register.text_of(id="register")
    page = anonymous.get(f"/public/assessments/{publication_id}")
    assert "withdrawn on" in page.text_of(id="withdrawn-notice")
    assert anonymous.client.get(f"/public/assessments/{publication_id}/public-copy.pdf").status_code == 410
    response = anonymous.client.post(
        "/public/check-a-document", data={"file": (io.BytesIO(content), "eia.pdf")}, content_type="multipart/form-data"
    )
    assert b"it has been withdrawn" in response.data
    assert json.loads(anonymous.client.get("/public/register.json").data)["assessments"][0]["withdrawn_on"]


def test_check_a_document_refuses_a_file_too_large_in_plain_english(anonymous, demo):
    # A small limit keeps the test client's request body in memory (larger ones spool to a file it never closes).
    limit = demo.config["MAX_CONTENT_LENGTH"] = 256 * 1024
    too_big = io.BytesIO(b"%PDF-" + b"x" * limit)
    response = anonymous.client.post(
        "/public/check-a-document", data={"file": (too_big, "big.pdf")}, content_type="multipart/form-data"
    )
    assert response.status_code == 413 and b"The selected file must be 256 KB or smaller" in response.data
    assert "Set-Cookie" not in response.headers
    assert anonymous.client.get("/public/?page=abc&q=" + "x" * 5000).status_code == 200
    assert anonymous.client.get("/public/assessments/99999").status_code == 404
