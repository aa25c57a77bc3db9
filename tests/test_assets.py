"""The vendored GOV.UK Frontend: pinned, served, and unbranded (not a GOV.UK service)."""

from __future__ import annotations

import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[1] / "eia" / "static"
# The footer crest is styled by the CSS but never rendered: our footer has no crest (no crown).
UNUSED_CSS_URLS = {"/assets/images/govuk-crest.svg"}


def test_govuk_frontend_version_is_pinned():
    assert (STATIC / "govuk-frontend" / "VERSION").read_text().strip() == "6.3.0"


def test_vendored_files_are_served(anonymous):
    for path in ("govuk-frontend/eia.min.css", "govuk-frontend/govuk-frontend.min.js", "eia.js", "favicon.svg"):
        response = anonymous.client.get(f"/assets/{path}")
        assert response.status_code == 200, path
        response.close()


def test_every_url_in_the_css_is_served_or_knowingly_unused(anonymous):
    css = (STATIC / "govuk-frontend" / "eia.min.css").read_text()
    urls = set(re.findall(r'url\("?([^")]+)"?\)', css))
    for url in urls - UNUSED_CSS_URLS:
        response = anonymous.client.get(url)
        assert response.status_code == 200, url
        response.close()


def test_unbranded_no_gds_transport_and_no_crown(anonymous):
    css = (STATIC / "govuk-frontend" / "eia.min.css").read_text()
    assert "GDS Transport" not in css
    page = anonymous.get("/sign-in")
    assert "govuk-crest" not in page.html and "crown" not in page.html.lower()
