"""The API tokens page in chromium, with axe-core: empty, an error, a new token shown once, revoked."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import assert_accessible
from tests.browser.test_journeys import sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_create_and_revoke_a_token(page: Page):
    sign_in(page, "auditor@example.org")
    page.get_by_role("link", name="API tokens", exact=True).click()
    assert_accessible(page, "api-tokens-empty")
    page.get_by_role("button", name="Create token", exact=True).click()
    expect(page).to_have_title(re.compile("^Error: "))
    assert_accessible(page, "api-tokens-error")
    page.get_by_label("Name").fill("Weekly register export")
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Create token", exact=True).click()
    secret = page.locator("#token-secret").inner_text()
    assert re.fullmatch(r"eia_[\w-]{40,}", secret)
    assert_accessible(page, "guide-api-tokens")
    page.get_by_role("button", name=re.compile("Revoke")).click()
    expect(
        page.get_by_text("Revoked: revoked by its owner", exact=True)
    ).to_be_visible()  # waits for the page after the redirect
    assert secret not in page.content()
    assert_accessible(page, "api-tokens-revoked")
