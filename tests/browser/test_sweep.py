"""Every page each demo role can reach, found by crawling, checked by axe-core; the error states;
the author journey by keyboard alone and with JavaScript off.

The crawl follows same-origin GET links from the dashboard, so pages added later (archive search,
reports, ...) are covered without changing this file. It is bounded: each URL shape
(ids and characteristics replaced) up to EXAMPLES_PER_SHAPE times, and at most MAX_PAGES pages per role.
"""

from __future__ import annotations

import random
import re
from collections import Counter, deque
from urllib.parse import urldefrag, urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import VIEWPORT, assert_accessible, axe_violations, beside_playwright, save_screenshot
from tests.browser.test_journeys import (
    AIMS,
    OUTCOME,
    RESPONSIBILITY,
    REVIEW,
    SUBJECT,
    board_decides,
    complete,
    sign_in,
    sign_out,
    start_new_assessment,
    with_the_board,
)
from tests.conftest import PASSWORD
from tests.journeys import low_impact_analysis

MAX_PAGES = 60
EXAMPLES_PER_SHAPE = 4  # records in different states show different links
ROLES = ["author@example.org", "approver@example.org", "board@example.org", "auditor@example.org", "admin@example.org"]
# Screenshots for the user guides (docs/guide-*.md): the first page of each URL shape named here, per
# role (with a selector: the first such page showing it).
GUIDE_SHOTS = {
    "author@example.org": {
        "/": "guide-author-dashboard",
        "/assessments/N/tasks": "guide-author-task-list",
        "/assessments/N/check-answers": "guide-author-check-answers",
    },
    "approver@example.org": {
        "/review": "guide-approver-queue",
        "/assessments/N/actions/return": "guide-approver-return",
    },
    "board@example.org": {
        "/board": "guide-board-queue",
        "/board/digest": "guide-board-digest",
        "/assessments/N/actions/board_approve_with_conditions": "guide-board-conditions",
    },
    "auditor@example.org": {
        "/": "guide-auditor-dashboard",
        "/assessments/N": ("guide-auditor-record", "#download-record"),
    },
}

# Where a crawl begins besides the home page, first: the auditor's home lists what is in progress before
# what was decided, so the signed-off records its guide shows are reached from the list filtered to them.
CRAWL_STARTS = {"auditor@example.org": ["/assessments?stage=signed_off"]}


@pytest.fixture
def sample_data(demo):
    """Each workflow scenario once, through the real pipeline, in the demo author's and approver's department."""
    from sqlalchemy import select

    from eia.dataset import SCENARIOS, ensure_cast, run_scenario
    from eia.extensions import db
    from eia.models import Organisation

    def run() -> None:
        with demo.app_context():
            organisation = db.session.scalar(select(Organisation).where(Organisation.slug == "example-constabulary"))
            cast = ensure_cast(organisation, PASSWORD)
            department = next(d for d in organisation.departments if d.name == "Operational Policing")
            rng = random.Random(7)
            # The crawl visits the newest few records of each kind: make those a signed-off one, one in
            # the approver's queue, one with the Board and a draft, so each state's page is checked.
            newest = ("approve", "submitted", "with_board", "draft")
            for scenario in [s for s in SCENARIOS if s not in newest] + list(newest):
                run_scenario(cast, rng, scenario, department_id=department.id)

    beside_playwright(run)
    return demo


DOCUMENTS = (".pdf", ".json", ".csv", ".xlsx")


def shape(path: str) -> str:
    """Pages that differ only in ids or characteristic (``screening:age``) are one shape."""
    return re.sub(r":[a-z_]+", ":X", re.sub(r"\d+", "N", path))


def crawl(page: Page, base: str, email: str) -> list[str]:
    """Visit every same-origin GET link reachable from the dashboard; axe on each. Returns the paths."""
    starts = CRAWL_STARTS.get(email, []) + ["/"]
    queue, seen_shapes, visited = deque(starts), Counter(shape(start) for start in starts), []
    shots = dict(GUIDE_SHOTS.get(email, {}))
    while queue and len(visited) < MAX_PAGES:
        path = queue.popleft()
        response = page.goto(path)
        assert response is not None and response.status == 200, (
            f"{email}: GET {path} answered {response and response.status}"
        )
        visited.append(path)
        violations = axe_violations(page)
        if shot := shots.get(shape(path)):
            name, selector = shot if isinstance(shot, tuple) else (shot, None)
            if selector is None or page.locator(selector).count():
                del shots[shape(path)]
                save_screenshot(page, name)
        assert violations == [], f"{email}: axe found problems on {path}: {violations}"
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            url, _fragment = urldefrag(href)
            parts = urlsplit(url)
            if f"{parts.scheme}://{parts.netloc}" != base or parts.path.startswith("/assets/"):
                continue
            if parts.path.endswith(DOCUMENTS):  # downloads and API documents: checked by their own tests, not rendered
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target not in queue and target not in visited and seen_shapes[shape(target)] < EXAMPLES_PER_SHAPE:
                seen_shapes[shape(target)] += 1
                queue.append(target)
    assert shots == {}, f"{email}: the crawl never reached the page of {sorted(shots.values())}"
    return visited


def test_every_reachable_page_passes_axe_for_every_role(sample_data, browser, live_server):
    visited = {}
    for email in ROLES:
        context = browser.new_context(base_url=live_server, viewport=VIEWPORT)
        page = context.new_page()
        page.set_default_timeout(10_000)
        sign_in(page, email)
        visited[email] = crawl(page, live_server, email)
        context.close()
    # The crawl really went somewhere for each role (a broken link check would pass on an empty site).
    assert any(p.startswith("/assessments/") for p in visited["author@example.org"])
    assert "/review" in visited["approver@example.org"]
    assert "/board" in visited["board@example.org"]
    assert any(re.fullmatch(r"/assessments/\d+", p) for p in visited["auditor@example.org"])
    assert any(p.startswith("/admin") for p in visited["admin@example.org"])


def test_error_states_pass_axe(sample_data, page: Page):
    sign_in(page, "author@example.org")
    assessment_url = start_new_assessment(page)
    page.goto(f"{assessment_url}/pages/aims")
    page.get_by_role("button", name="Save and continue", exact=True).click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Error: "))
    assert_accessible(page, "guide-author-page-errors")
    sign_out(page)

    sign_in(page, "approver@example.org")
    page.goto("/review")
    page.locator("table a").first.click()
    page.get_by_role("link", name=re.compile("^Return")).first.click()
    page.get_by_role("button", name=re.compile("^Return"), exact=False).click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter a comment")
    assert_accessible(page, "guide-approver-comment-error")
    page.get_by_label("Comment").fill("Add the custody figures for 2025")
    page.get_by_role("button", name=re.compile("^Return")).click()
    expect(page.locator("#status")).to_contain_text("Returned")


# --- keyboard only ---------------------------------------------------------------------------------


def tab_to(page: Page, predicate: str, *, limit: int = 250) -> None:
    """Press Tab until ``predicate`` (a JS expression over ``el``, the focused element) holds."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return !!el && ({predicate}); }})()"):
            return
    raise AssertionError(f"Tab never reached an element where {predicate}")


def keyboard_fill(page: Page, answers: dict) -> None:
    """Answer a page with the keyboard: Tab to each field, type; Space to tick; arrows within a radio group."""
    for name, value in answers.items():
        kind = page.locator(f"[name='{name}']").first.evaluate("e => e.type || e.tagName.toLowerCase()")
        if kind == "radio":
            tab_to(page, f"el.name === '{name}'")
            page.keyboard.press("Space")
            for _ in range(10):
                if page.evaluate(f"document.querySelector(\"input[name='{name}']:checked\")?.value") == value:
                    break
                page.keyboard.press("ArrowDown")
            else:
                raise AssertionError(f"could not choose {value} for {name}")
        elif kind == "checkbox":
            for chosen in value:
                tab_to(page, f"el.name === '{name}' && el.value === '{chosen}'")
                page.keyboard.press("Space")
        elif isinstance(value, list):  # date parts
            for index, part in enumerate(value):
                tab_to(
                    page, f"el.name === '{name}' && [...document.getElementsByName('{name}')].indexOf(el) === {index}"
                )
                page.keyboard.type(part)
        else:
            tab_to(page, f"el.name === '{name}'")
            page.keyboard.type(value)


def press_button(page: Page, text: str) -> None:
    """Tab to the button and press Enter; returns when the page it submits to has loaded."""
    tab_to(page, f"(el.tagName === 'BUTTON' || el.type === 'submit') && el.textContent.trim().startsWith({text!r})")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def keyboard_answer(page: Page, assessment_url: str, page_id: str, answers: dict) -> None:
    page.goto(f"{assessment_url}/pages/{page_id}")
    keyboard_fill(page, answers)
    press_button(page, "Save and continue")
    errors = page.locator(".govuk-error-summary")
    assert errors.count() == 0, f"{page_id}: {errors.inner_text()}"


def test_author_completes_an_assessment_with_the_keyboard_only(demo, page: Page):
    sign_in(page, "author@example.org")
    tab_to(page, "el.tagName === 'A' && el.textContent.trim() === 'Start a new assessment'")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    keyboard_fill(page, {"subject_type": SUBJECT["subject_type"]})
    press_button(page, "Continue")
    expect(page).to_have_url(re.compile(r"/assessments/\d+/tasks$"))
    assessment_url = page.url.removesuffix("/tasks")
    characteristics = [
        link.get_attribute("href").rsplit("#screening-", 1)[1]
        for link in page.locator("a[href*='/all/screening#screening-']").all()
    ]
    keyboard_answer(page, assessment_url, "subject", {**SUBJECT, "title": "Keyboard only"})
    keyboard_answer(page, assessment_url, "responsibility", RESPONSIBILITY)
    keyboard_answer(page, assessment_url, "aims", AIMS)
    keyboard_answer(page, assessment_url, "objectives", {"objectives": ["EO2"]})
    for characteristic in characteristics:
        relevance = "high" if characteristic == "age" else "none"
        keyboard_answer(
            page, assessment_url, f"screening:{characteristic}", {"relevance": relevance, "reason": "Because"}
        )
    for page_id, answers in low_impact_analysis("age").items():
        keyboard_answer(page, assessment_url, page_id, answers)
    keyboard_answer(page, assessment_url, "outcome", OUTCOME)
    page.goto(f"{assessment_url}/pages/action_plan")
    press_button(page, "I have finished")
    keyboard_answer(page, assessment_url, "review", REVIEW)
    page.goto(f"{assessment_url}/check-answers")
    press_button(page, "Submit for approval")
    expect(page.locator(".govuk-panel__title")).to_contain_text("Assessment submitted")


def test_author_journey_works_without_javascript(demo, browser, live_server):
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, "author@example.org")
    assessment_url = complete(
        page, low_impact_analysis("disability"), title="Without JavaScript", check_accessibility=False
    )
    page.goto(f"{assessment_url}/check-answers")
    page.get_by_role("button", name="Submit for approval", exact=True).click()
    expect(page.locator(".govuk-panel__title")).to_contain_text("Assessment submitted")
    context.close()


def test_the_board_and_the_auditor_work_without_javascript(client_for, browser, live_server):
    assessment_id = with_the_board(client_for, "Without JavaScript")
    context = browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    board_decides(page, assessment_id, "Return to the author")
    page.locator("#section-analysis-race").fill("Say how each use is reviewed")
    page.get_by_label("Comment").fill("More detail please")
    page.get_by_role("button", name="Return to the author", exact=True).click()
    expect(page.locator("#status")).to_contain_text("Returned")
    sign_out(page)

    sign_in(page, "auditor@example.org")
    page.get_by_role("link", name="Archive", exact=True).click()
    page.get_by_label("Words in the title or answers").fill("without javascript")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("#result-count")).to_have_text("1 assessment found")
    page.get_by_role("link", name="Check whether a PDF is an authentic record").click()
    page.get_by_role("button", name="Check the file", exact=True).click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select a PDF file")
    context.close()
