"""The equality and human rights questionnaire: the full equality analysis, and questions about each
Convention right only when the proposal engages it."""

from __future__ import annotations

import pytest

from eia.domain import questionnaire as q
from tests.questionnaires import STATUTORY, about, analysis, conclusion, load, problems, screened

ARTICLE_PAGES = {
    "article_2": ["absolute_rights"],
    "article_3": ["absolute_rights"],
    "article_4": ["absolute_rights"],
    "article_5": ["liberty"],
    "article_6": ["fair_trial"],
    "article_8": ["private_life"],
    "article_9": ["belief"],
    "article_10": ["expression_assembly"],
    "article_11": ["expression_assembly"],
    "article_14": ["discrimination_rights"],
    "protocol_1_article_1": ["property"],
}
QUALIFIED = {"article_8", "article_9", "article_10", "article_11", "article_14", "protocol_1_article_1"}
JUSTIFICATION = ["legal_basis", "legitimate_aim", "proportionality"]


@pytest.fixture(scope="module")
def eqhria() -> q.Questionnaire:
    return load("questionnaire-eqhria.json")


def base() -> dict:
    return {
        **about(),
        "subject": {**about()["subject"], "title": "Stop and search: use of body-worn video"},
        "powers": {"powers": ["stop_search", "data_technology"], "powers_detail": "All response and patrol officers"},
        **screened("none", race="high"),
        **analysis("race"),
        **conclusion(),
    }


def engaging(*articles: str) -> dict:
    return {**base(), "rights_engaged": {"engages_rights": "yes", "articles": list(articles)}}


def human_rights_pages(path: q.Path) -> list[str]:
    return [
        page.id
        for page in path.pages
        if page.task_id in {task.id for task in path.tasks if task.section.id == "human_rights"}
    ]


def test_every_article_named_in_the_brief_can_be_chosen(eqhria):
    path = q.path(eqhria, {}, STATUTORY)
    articles = next(x for x in path.page("rights_engaged").definition.questions if x.id == "articles")
    assert set(ARTICLE_PAGES) <= {choice.value for choice in articles.choices}
    assert all(choice.hint for choice in articles.choices)


def test_no_rights_engaged_asks_only_why(eqhria):
    answers = {**base(), "rights_engaged": {"engages_rights": "no"}}
    path = q.path(eqhria, answers, STATUTORY)
    assert human_rights_pages(path) == ["rights_engaged"]
    assert problems(eqhria, answers) == [("rights_engaged", "Enter why it engages no rights")]
    answers["rights_engaged"]["no_rights_reason"] = "An internal rota change: no power is used on anyone"
    assert problems(eqhria, answers) == []


@pytest.mark.parametrize("article", sorted(ARTICLE_PAGES))
def test_each_article_brings_its_own_questions_and_no_others(eqhria, article):
    path = q.path(eqhria, engaging(article), STATUTORY)
    expected = [
        "rights_engaged",
        *ARTICLE_PAGES[article],
        *(JUSTIFICATION if article in QUALIFIED else []),
        "human_rights_conclusion",
    ]
    assert human_rights_pages(path) == expected


@pytest.mark.parametrize(
    "article, asked",
    [
        ("article_2", ["article_2_risk", "article_2_prevention"]),
        ("article_3", ["article_3_risk", "article_3_prevention"]),
        ("article_4", ["article_4_protection"]),
        ("article_10", ["expression_restriction", "facilitation"]),
        ("article_11", ["assembly_restriction", "facilitation"]),
    ],
)
def test_a_shared_page_asks_only_about_the_articles_engaged(eqhria, article, asked):
    path = q.path(eqhria, engaging(article), STATUTORY)
    (page_id,) = ARTICLE_PAGES[article]
    assert [x.id for x in path.visible_questions(path.page(page_id))] == asked


def test_absolute_rights_ask_how_the_risk_is_prevented_and_need_no_justification(eqhria):
    answers = engaging("article_2", "article_3")
    assert problems(eqhria, answers) == [("absolute_rights", "Not started"), ("human_rights_conclusion", "Not started")]
    answers["absolute_rights"] = {"article_2_risk": "Restraint during a search", "article_2_prevention": "Training"}
    assert ("absolute_rights", "Enter how the risk to life is prevented") not in problems(eqhria, answers)
    assert ("absolute_rights", "Enter how inhuman or degrading treatment is prevented") in problems(eqhria, answers)


def test_liberty_asks_the_grounds_and_duration_of_detention(eqhria):
    answers = {**engaging("article_5"), "liberty": {}}
    assert problems(eqhria, answers)[:3] == [
        ("liberty", "Select the grounds for detention"),
        ("liberty", "Enter how long someone can be held"),
        ("liberty", "Enter how people can challenge their detention"),
    ]


def test_personal_data_questions_only_when_it_uses_personal_data(eqhria):
    without = {
        **engaging("article_8"),
        "private_life": {"intrusion": "Recording people searched", "uses_personal_data": "no"},
    }
    assert "personal_data" not in human_rights_pages(q.path(eqhria, without, STATUTORY))
    with_data = {**without, "private_life": {**without["private_life"], "uses_personal_data": "yes"}}
    path = q.path(eqhria, with_data, STATUTORY)
    assert human_rights_pages(path)[:3] == ["rights_engaged", "private_life", "personal_data"]
    layout = {item.question.id: item for item in q.page_layout(path, path.page("personal_data"))}
    assert [x.id for x in layout["dpia"].revealed["yes"]] == ["dpia_reference"]
    assert [x.id for x in layout["dpia"].revealed["no"]] == ["no_dpia_reason"]


def complete_human_rights() -> dict:
    return {
        **engaging(
            "article_2",
            "article_3",
            "article_5",
            "article_6",
            "article_8",
            "article_9",
            "article_10",
            "article_11",
            "article_14",
            "protocol_1_article_1",
        ),
        "absolute_rights": {
            "article_2_risk": "Restraint of a person in crisis during a search",
            "article_2_prevention": "Officer safety training; medical assessment; IOPC referral",
            "article_3_risk": "A search in public exposing intimate areas",
            "article_3_prevention": "More thorough searches only out of public view",
        },
        "liberty": {
            "detention_grounds": ["suspicion"],
            "detention_duration": "Only as long as the search takes",
            "detention_safeguards": "Grounds given before the search; a record offered",
        },
        "fair_trial": {"fair_trial_safeguards": "Footage retained as unused material and disclosed"},
        "private_life": {"intrusion": "Recording people during a search", "uses_personal_data": "yes"},
        "personal_data": {
            "personal_data": "Video and audio of the person searched and bystanders",
            "retention": "31 days unless evidential (MoPI)",
            "dpia": "yes",
            "dpia_reference": "DPIA-2026-014, 3 March 2026",
        },
        "belief": {
            "belief_restriction": "Head coverings",
            "belief_respect": "Removed out of public view by an officer of the same sex",
        },
        "expression_assembly": {
            "expression_restriction": "Recording at protests",
            "assembly_restriction": "None expected",
            "facilitation": "Cameras are not switched on for peaceful protest alone",
        },
        "discrimination_rights": {
            "differential_treatment": "Black people are searched 4 times as often",
            "differential_monitoring": "Quarterly data to the community scrutiny panel",
        },
        "property": {"property_interference": "Items found in a search", "property_safeguards": "Receipts given"},
        "legal_basis": {"legal_basis": "PACE s1 and Code A; Data Protection Act 2018 Part 3", "law_clear": "yes"},
        "legitimate_aim": {
            "legitimate_aims": ["disorder_crime", "rights_of_others"],
            "pressing_need": "Complaints about searches fell by a third with cameras",
            "effectiveness": "Footage settles disputes about what happened",
        },
        "proportionality": {
            "less_intrusive": "Audio only, rejected",
            "fair_balance": "Short retention limits the intrusion",
            "safeguards": "Cameras on for every search",
            "recording": "Search record and footage",
            "use_review": "Supervisors review 10% of footage monthly",
        },
        "human_rights_conclusion": {
            "compatible": "with_changes",
            "compatibility_reasons": "With the safeguards listed",
            "legal_advice": "yes",
            "legal_advice_summary": "Force solicitor, April 2026: lawful",
        },
    }


def test_a_complete_equality_and_human_rights_assessment_can_be_submitted(eqhria):
    assert problems(eqhria, complete_human_rights()) == []


def test_compatible_with_changes_needs_an_action(eqhria):
    answers = {**complete_human_rights(), **screened("none"), "action_plan": {"items": [], "done": True}}
    assert problems(eqhria, answers) == [
        ("action_plan", "Add at least one action: the assessment found a negative impact")
    ]
    answers["human_rights_conclusion"] = {**answers["human_rights_conclusion"], "compatible": "yes"}
    assert problems(eqhria, answers) == []


def test_an_unclear_law_asks_how_it_will_be_made_clear(eqhria):
    answers = complete_human_rights()
    answers["legal_basis"] = {**answers["legal_basis"], "law_clear": "no"}
    assert problems(eqhria, answers) == [("legal_basis", "Enter how you will make the rules clear")]


def test_withdrawing_an_article_hides_its_answers_but_keeps_them(eqhria):
    answers = complete_human_rights()
    answers["rights_engaged"] = {"engages_rights": "yes", "articles": ["article_2"]}
    path = q.path(eqhria, answers, STATUTORY)
    assert "liberty" not in path.answers and "legal_basis" not in path.answers
    assert answers["liberty"]["detention_duration"]
    assert [x.id for x in path.visible_questions(path.page("absolute_rights"))] == [
        "article_2_risk",
        "article_2_prevention",
    ]
    assert problems(eqhria, answers) == []
