"""The API tokens page in chromium, with axe-core: empty, an error, a new token shown once, revoked."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import assert_accessible
from tests.browser.test_journeys import sign_in

pytestmark = pytest.mark.browser


def test_create_and_revoke_a_token(page: Page):
    sign_in(page, "auditor@example.org")
    page.get_by_role("link", name="API tokens", exact=True).click()
    assert_accessible(page, "api-tokens-empty")
    page.get_by_role("button", name="Create token", exact=True).click()
    assert page.title().startswith("Error: ")
    assert_accessible(page, "api-tokens-error")
    page.get_by_label("Name").fill("Weekly register export")
    page.get_by_role("button", name="Create token", exact=True).click()
    secret = page.locator("#token-secret").inner_text()
    assert re.fullmatch(r"eia_[\w-]{40,}", secret)
    assert_accessible(page, "guide-api-tokens")
    page.get_by_role("button", name=re.compile("Revoke")).click()
    assert page.get_by_text("Revoked", exact=True).is_visible()
    assert secret not in page.content()
    assert_accessible(page, "api-tokens-revoked")
