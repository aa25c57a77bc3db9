"""Security headers (ASVS 3.4, 14.3.2) on every page, for every role, errors included."""

from __future__ import annotations

import pytest

from config import ProductionConfig
from tests.journeys import start_assessment
from tests.pages import Page

ROLE_USERS = [
    "author@example.org",
    "approver@example.org",
    "board@example.org",
    "auditor@example.org",
    "admin@example.org",
]
CSP_DIRECTIVES = [
    "default-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
]


def _get_urls(app, assessment_id: int) -> list[str]:
    values = {"assessment_id": assessment_id, "page_id": "subject"}
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or not set(rule.arguments) <= set(values):
            continue
        urls.append(rule.build({k: values[k] for k in rule.arguments}, append_unknown=False)[1])
    return urls


def check_headers(response, *, authenticated: bool, public: bool = False) -> None:
    """``public``: a page of the public register, the same for everyone: cacheable, and without the app's script."""
    csp = response.headers["Content-Security-Policy"]
    for directive in CSP_DIRECTIVES:
        assert directive in csp, f"{directive} missing"
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in response.headers  # only in production, over HTTPS
    if public:
        assert response.headers["Cache-Control"].startswith("public, max-age=") and "Set-Cookie" not in response.headers
    elif authenticated:
        assert "no-store" in response.headers["Cache-Control"]
    if response.mimetype != "text/html" or 300 <= response.status_code < 400:
        return
    nonce = csp.split("'nonce-", 1)[1].split("'", 1)[0]
    page = Page(response)
    scripts = page.find_all("script")
    assert scripts or public, "every page loads the app's script (the public register's need none)"
    for script in scripts:
        if "src" not in script.attrs:  # an inline script runs only with this response's nonce
            assert script.attrs.get("nonce") == nonce, f"inline script without the nonce: {script.text[:60]}"
    for element in page.root.iter():  # CSP blocks these, so none may be relied on
        assert "style" not in element.attrs, f"inline style on <{element.tag}>"
        assert not any(name.startswith("on") for name in element.attrs), f"inline handler on <{element.tag}>"
        assert not element.attrs.get("href", "").lower().startswith("javascript:")


def test_every_page_for_every_role(client_for, demo):
    author = client_for("author@example.org")
    assessment_id = start_assessment(author)
    checked = 0
    for email in ROLE_USERS:
        client = author if email == "author@example.org" else client_for(email)
        for url in _get_urls(demo, assessment_id):
            response = client.client.get(url)
            check_headers(response, authenticated=True, public=url.startswith("/public/"))
            checked += 1
    assert checked >= 40


@pytest.mark.parametrize("url", ["/sign-in", "/no-such-page", "/assessments/99999"])
def test_anonymous_and_error_pages(anonymous, url):
    response = anonymous.client.get(url)
    assert response.status_code in (200, 302, 404)
    check_headers(response, authenticated=False)


@pytest.mark.parametrize(
    "url", ["/public/", "/public/check-a-document", "/public/register.json", "/public/register.atom"]
)
def test_public_register_pages(anonymous, url):
    response = anonymous.client.get(url)
    assert response.status_code == 200
    check_headers(response, authenticated=False, public=True)


def test_production_sends_hsts(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://unused.invalid/eia")
    from eia import create_app

    # Production refuses SQLite; the sign-in page needs no database, so an unreachable server will do.
    app = create_app(
        ProductionConfig,
        SECRET_KEY="x" * 40,
        SQLALCHEMY_DATABASE_URI="postgresql://unused.invalid/eia",
        INSTANCE_DIR=tmp_path,
    )
    response = app.test_client().get("/sign-in", base_url="https://eia.example")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-session" and app.config["SESSION_COOKIE_SECURE"]
