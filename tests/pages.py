"""A page-checking test client (after GOV.UK Notify's client_request).

Every HTML page fetched is parsed and checked: exactly one <h1>, unique ids, an "Error: " title
exactly when an error summary shows, every error-summary link pointing at an element that exists,
and every POST form carrying a CSRF token. Forms are submitted the way a browser would: with their
hidden fields (CSRF token, version) plus what the test types.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list = field(default_factory=list)
    parent: Element | None = None

    @property
    def text(self) -> str:
        parts = []
        for child in self.children:
            parts.append(child if isinstance(child, str) else child.text)
        return re.sub(r"\s+", " ", "".join(parts)).strip()

    def iter(self):
        for child in self.children:
            if isinstance(child, Element):
                yield child
                yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs) -> list[Element]:
        found = []
        for element in self.iter():
            if tag and element.tag != tag:
                continue
            if all(_attr_matches(element, key.rstrip("_"), value) for key, value in attrs.items()):
                found.append(element)
        return found

    def find(self, tag: str | None = None, **attrs) -> Element | None:
        found = self.find_all(tag, **attrs)
        return found[0] if found else None


def _attr_matches(element: Element, key: str, value: str) -> bool:
    if key == "class":
        return value in element.attrs.get("class", "").split()
    return element.attrs.get(key) == value


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {k: (v if v is not None else "") for k, v in attrs}, parent=self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Element(tag, {k: (v or "") for k, v in attrs}, parent=self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


class Page:
    def __init__(self, response) -> None:
        self.response = response
        self.status = response.status_code
        self.html = response.get_data(as_text=True)
        builder = _TreeBuilder()
        builder.feed(self.html)
        self.root = builder.root

    def __getattr__(self, name):
        return getattr(self.root, name)

    @property
    def title(self) -> str:
        element = self.root.find("title")
        return element.text if element else ""

    @property
    def h1(self) -> str:
        return self.root.find("h1").text

    @property
    def error_messages(self) -> list[str]:
        summary = self.root.find("div", class_="govuk-error-summary")
        return [a.text for a in summary.find_all("a")] if summary else []

    def text_of(self, **attrs) -> str:
        element = self.root.find(**attrs)
        assert element is not None, f"no element with {attrs}"
        return element.text

    def check(self) -> None:
        """The checks every HTML page must pass."""
        h1s = self.root.find_all("h1")
        assert len(h1s) == 1, f"expected exactly one <h1>, found {len(h1s)}"
        ids = [e.attrs["id"] for e in self.root.iter() if "id" in e.attrs]
        duplicates = {i for i in ids if ids.count(i) > 1}
        assert not duplicates, f"duplicate ids: {sorted(duplicates)}"
        summary = self.root.find("div", class_="govuk-error-summary")
        assert bool(summary) == self.title.startswith("Error: "), (
            f"title {self.title!r} must start with 'Error: ' exactly when an error summary shows"
        )
        if summary:
            for link in summary.find_all("a"):
                target = link.attrs.get("href", "")
                assert target.startswith("#") and target[1:] in ids, f"error summary link {target!r} has no target"
        for form in self.root.find_all("form"):
            method = form.attrs.get("method", "get").lower()
            names = [i.attrs.get("name") for i in form.find_all("input")]
            if method == "post" and "data-anonymous" not in form.attrs:
                assert "csrf_token" in names, f"form to {form.attrs.get('action')} has no CSRF token"
            elif method != "post":  # a search or filter form: it changes nothing, and a token must not leak into URLs
                assert method == "get" and "csrf_token" not in names, f"form to {form.attrs.get('action')}: bad method"
        assert self.root.find("html").attrs.get("lang") == "en-GB"

    def form(self, action: str | None = None, index: int = 0) -> Element:
        """The form posting to ``action``; by default the page's own form (no action attribute)."""
        forms = self.root.find_all("form")
        forms = [f for f in forms if f.attrs.get("action", "") == (action or "")]
        assert forms, f"no form with action {action!r}"
        return forms[index]

    @property
    def csrf_token(self) -> str:
        """The session's CSRF token, read from any form on the page (the sign-out form is on every page)."""
        token = self.root.find("input", name="csrf_token")
        assert token is not None, "no CSRF token on the page"
        return token.attrs["value"]

    def form_fields(self, form: Element) -> dict[str, str]:
        """Hidden inputs and current values, as a browser would send them (without buttons)."""
        values: dict[str, str | list[str]] = {}
        for element in form.iter():
            name = element.attrs.get("name")
            if not name or element.tag == "button":
                continue
            if element.tag == "input" and element.attrs.get("type") in ("radio", "checkbox"):
                if "checked" in element.attrs:
                    existing = values.get(name)
                    values[name] = (
                        [*existing, element.attrs["value"]]
                        if isinstance(existing, list)
                        else ([existing, element.attrs["value"]] if existing else element.attrs["value"])
                    )
                continue
            if element.tag == "input":
                values[name] = element.attrs.get("value", "")
            elif element.tag == "textarea":
                values[name] = "".join(c for c in element.children if isinstance(c, str)).lstrip("\n")
            elif element.tag == "select":
                selected = [o for o in element.find_all("option") if "selected" in o.attrs]
                values[name] = selected[0].attrs.get("value", "") if selected else ""
        return values


class PageClient:
    def __init__(self, client) -> None:
        self.client = client
        self.requests: list[tuple[str, str]] = []  # (method, url) of every request made: page loads and posts

    def get(self, url: str, status: int = 200, check: bool = True) -> Page:
        self.requests.append(("GET", url))
        response = self.client.get(url)
        response.close()  # as a server does once the body is sent (runs call_on_close work, e.g. email)
        assert response.status_code == status, f"GET {url}: expected {status}, got {response.status_code}"
        page = Page(response)
        if check and response.mimetype == "text/html" and not 300 <= status < 400:
            page.check()
        return page

    def post(self, url: str, data=None, status: int = 302, check: bool = True) -> Page:
        self.requests.append(("POST", url))
        response = self.client.post(url, data=data or {})
        response.close()
        assert response.status_code == status, (
            f"POST {url}: expected {status}, got {response.status_code}\n{response.get_data(as_text=True)[:3000]}"
        )
        page = Page(response)
        if check and response.mimetype == "text/html" and not 300 <= status < 400:
            page.check()
        return page

    def submit(
        self,
        url: str,
        data: dict | None = None,
        *,
        action: str | None = None,
        status: int = 302,
        button: tuple[str, str] | None = None,
        form_index: int = 0,
    ) -> Page:
        """GET ``url``, fill its form with ``data`` (kept hidden fields win nothing over data), POST it."""
        page = self.get(url)
        form = page.form(action, form_index)
        fields = page.form_fields(form)
        fields.update(data or {})
        if button:
            fields[button[0]] = button[1]
        target = form.attrs.get("action") or url
        return self.post(target, fields, status=status)

    def sign_in(self, email: str, password: str) -> None:
        self.submit("/sign-in", {"email": email, "password": password})

    def location(self, page: Page) -> str:
        return page.response.headers["Location"]
