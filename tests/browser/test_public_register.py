"""The public register in a browser, by someone who never signs in: sign-in page -> register -> a
published assessment's page and PDF -> "Check a document" says genuine, and not after one byte is
flipped; every page passes axe. And the approver's pages for choosing what to withhold."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_accessible, beside_playwright
from tests.browser.test_journeys import sign_in
from tests.services.test_publication import REASON, SECRET, publish_with_secret_withheld, signed_off_with_secret


def _check(page: Page, name: str, content: bytes) -> str:
    page.goto("/public/check-a-document")
    page.get_by_label("PDF file").set_input_files({"name": name, "mimeType": "application/pdf", "buffer": content})
    page.get_by_role("button", name="Check the document").click()
    assert_accessible(page)
    return page.locator("#result").inner_text()


def test_the_public_finds_reads_and_checks_a_published_assessment(demo, page: Page):
    beside_playwright(lambda: publish_with_secret_withheld(demo))
    page.goto("/sign-in")
    page.context.clear_cookies()  # the sign-in form's own session: from here on, public pages only
    page.get_by_role("link", name="read the published equality impact assessments").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Published equality impact assessments")
    assert_accessible(page)
    page.get_by_role("link", name="Body-worn video in custody").click()
    assert_accessible(page)
    expect(page.locator("main")).to_contain_text(f"Withheld: {REASON}")
    assert SECRET not in page.content()
    pdf_href = page.get_by_role("link", name=re.compile("Download the sealed PDF")).get_attribute("href")
    response = page.request.get(pdf_href)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    content = response.body()
    assert page.context.cookies() == [], "no public page set a cookie"
    assert "Genuine" in _check(page, "copy.pdf", content)
    flipped = bytearray(content)
    flipped[len(flipped) // 3] ^= 0x01
    assert "Not a published document" in _check(page, "changed.pdf", bytes(flipped))
    assert page.context.cookies() == []


def test_the_approvers_publishing_pages_pass_axe(demo, page: Page):
    assessment_id = beside_playwright(lambda: signed_off_with_secret(demo))
    sign_in(page, "approver@example.org")
    page.goto(f"/assessments/{assessment_id}")
    page.get_by_role("link", name="Publish it on the public register").click()
    assert_accessible(page)
    page.get_by_role("button", name="Choose what to withhold").click()
    assert_accessible(page)
    page.locator("select").first.select_option(label=f"Withhold: {REASON}")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check what will be published")
    assert_accessible(page)
    page.get_by_role("button", name="Publish").click()
    expect(page.locator("#publication-status")).to_contain_text("Published")
    assert_accessible(page)
