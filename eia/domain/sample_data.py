"""Realistic, seeded sample assessments for demos and benchmarks (pure: no Flask, no database).

Everything is drawn from one ``random.Random``, so the same seed gives the same data. Answers are
produced in the form the questionnaire stores them (ISO dates, choice values), so they can be saved
through the real services or inserted in bulk; ``tests/domain/test_sample_data.py`` checks they
pass the questionnaire's own validation.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

SUBJECTS = [
    "stop and search",
    "custody detention",
    "body-worn video",
    "domestic abuse response",
    "special constable recruitment",
    "firearms licensing",
    "hate crime reporting",
    "fleet replacement",
    "response shift pattern",
    "flexible working",
    "neighbourhood policing",
    "public order deployment",
    "missing persons investigation",
    "digital evidence handling",
    "control room call triage",
    "drone deployment",
    "live facial recognition",
    "youth diversion",
    "victim contact",
    "interpreter services",
    "uniform and kit",
    "officer fitness test",
    "promotion process",
    "police station closure",
    "front counter opening hours",
    "mental health street triage",
    "road policing",
    "Taser deployment",
    "cyber crime reporting",
    "county lines enforcement",
    "rape and serious sexual offences investigation",
    "anti-social behaviour orders",
    "vetting",
    "wellbeing support",
    "workplace adjustments",
    "community messaging",
    "independent advisory group",
    "translation of public notices",
    "mobile data terminals",
    "strip search",
]
KINDS = ["policy", "procedure", "review", "pilot", "programme", "refresh", "guidance", "standard", "contract", "change"]
SUBJECT_TYPES_FOR_KIND = {
    "policy": "policy",
    "procedure": "sop",
    "guidance": "sop",
    "standard": "sop",
    "review": "decision",
    "pilot": "change_programme",
    "programme": "change_programme",
    "refresh": "policy",
    "contract": "procurement",
    "change": "service_change",
}
OPENINGS = [
    "The proposal changes how",
    "This assessment covers how",
    "The force intends to revise how",
    "Following the inspection report, we will change how",
    "The pilot tests whether",
]
ACTORS = [
    "officers",
    "staff",
    "call handlers",
    "supervisors",
    "custody sergeants",
    "neighbourhood teams",
    "the public",
    "victims and witnesses",
    "young people",
    "detained people",
    "applicants",
    "community groups",
]
VERBS = ["record", "review", "deploy", "refer", "assess", "contact", "support", "prioritise", "escalate", "explain"]
OBJECTS = [
    "decisions",
    "encounters",
    "requests",
    "cases",
    "reports",
    "complaints",
    "grounds for a search",
    "safeguarding concerns",
    "adjustments",
    "outcomes",
]
EVIDENCE_SOURCES = [
    "force management information",
    "the national stop and search dataset",
    "Home Office statistics",
    "the annual staff survey",
    "HMICFRS findings",
    "complaints data",
    "the local census profile",
    "custody records",
    "our public confidence survey",
    "the independent advisory group's report",
]
ENGAGEMENT = [
    "the staff support networks",
    "the independent advisory group",
    "community leaders",
    "the youth panel",
    "the disability reference group",
    "the Police Federation and Unison",
    "victims' services",
    "local faith groups",
    "the LGBT+ network",
    "the women's network",
]
MITIGATIONS = [
    "supervisor review of every use",
    "quarterly scrutiny by the independent advisory group",
    "mandatory training before roll-out",
    "an easy-read version and interpreters on request",
    "monitoring of outcomes by characteristic",
    "a named single point of contact",
    "reasonable adjustments offered up front",
    "community engagement before each deployment",
]
NAMES = [
    "Ada Lovelace",
    "Grace Hopper",
    "Alan Turing",
    "Mary Seacole",
    "Noor Inayat Khan",
    "Walter Tull",
    "Rosalind Franklin",
    "Olaudah Equiano",
    "Sophia Duleep Singh",
    "Ignatius Sancho",
    "Dorothy Hodgkin",
    "Fanny Eaton",
    "Sake Dean Mahomed",
    "Anne Lister",
    "Lilian Bader",
    "Karen Sparck Jones",
]
RANKS = ["Inspector", "Chief Inspector", "Superintendent", "Head of", "Sergeant"]
SENIOR_RANKS = ["ACC", "Chief Superintendent", "Director", "Deputy Chief Constable"]
LIKELY_RELEVANT = ["age", "disability", "race", "sex", "religion_belief"]


@dataclass(frozen=True)
class Profile:
    """Which route the assessment takes: ``routine`` signs off without the Board; the others fire a rule."""

    name: str
    board_requested: bool = False
    adverse: bool = False
    continue_despite: bool = False
    missing_evidence: bool = False


PROFILES = {
    "routine": Profile("routine"),
    "adverse": Profile("adverse", adverse=True),
    "continue": Profile("continue", adverse=True, continue_despite=True),
    "missing_evidence": Profile("missing_evidence", missing_evidence=True),
    "board_requested": Profile("board_requested", board_requested=True),
}
# A realistic mix: most assessments are routine and approved by the accountable officer alone.
PROFILE_WEIGHTS = {"routine": 76, "adverse": 10, "continue": 3, "missing_evidence": 6, "board_requested": 5}


def pick_profile(rng: random.Random) -> Profile:
    return PROFILES[rng.choices(list(PROFILE_WEIGHTS), weights=list(PROFILE_WEIGHTS.values()))[0]]


def title(rng: random.Random) -> tuple[str, str]:
    """A title and its subject type."""
    kind = rng.choice(KINDS)
    subject = rng.choice(SUBJECTS)
    text = f"{subject[0].upper()}{subject[1:]} {kind}"
    if rng.random() < 0.3:
        text += f" {rng.randint(2019, 2027)}"
    return text, SUBJECT_TYPES_FOR_KIND[kind]


def sentence(rng: random.Random) -> str:
    return f"{rng.choice(OPENINGS)} {rng.choice(ACTORS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}."


def paragraph(rng: random.Random, sentences: tuple[int, int] = (2, 5)) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(*sentences)))


def person(rng: random.Random, ranks: list[str]) -> str:
    return f"{rng.choice(ranks)} {rng.choice(NAMES)}"


def answers(
    rng: random.Random,
    *,
    profile: Profile,
    characteristics: list[tuple[str, tuple[str, ...]]],
    department_id: int,
    objective_codes: list[str],
    today: date,
    title_and_type: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """A complete set of stored answers. ``characteristics`` are (id, aims) pairs the assessment covers."""
    text, subject_type = title_and_type or title(rng)
    ids = [c for c, _aims in characteristics]
    likely = [c for c in ids if c in LIKELY_RELEVANT]
    relevant = set(rng.sample(likely, k=min(len(likely), rng.randint(1, 3))))
    if rng.random() < 0.25:
        relevant.add(rng.choice(ids))
    result: dict[str, Any] = {
        "subject": {"title": text, "subject_type": subject_type, "department": str(department_id)},
        "responsibility": {
            "owner": person(rng, RANKS),
            "senior_responsible_officer": person(rng, SENIOR_RANKS),
            "decision_date": (today + timedelta(days=rng.randint(20, 200))).isoformat(),
        },
        "aims": {
            "aims": paragraph(rng),
            "affected": rng.choice(["public", "staff", "both"]),
            "scope": f"About {rng.randint(2, 90) * 100:,} people a year. " + sentence(rng),
        },
    }
    result["objectives"] = {
        "objectives": sorted(rng.sample(objective_codes, k=min(len(objective_codes), rng.randint(1, 2))))
    }
    negative_somewhere = False
    adverse_target = rng.choice(sorted(relevant)) if profile.adverse else None
    missing_target = rng.choice(sorted(relevant)) if profile.missing_evidence else None
    for characteristic, aims in characteristics:
        if characteristic not in relevant:
            result[f"screening:{characteristic}"] = {
                "relevance": "none",
                "reason": f"No link found between the proposal and {characteristic.replace('_', ' ')}.",
            }
            continue
        result[f"screening:{characteristic}"] = {
            "relevance": rng.choice(["high", "medium", "medium", "low", "unknown"]),
            "reason": paragraph(rng, (1, 2)),
        }
        if characteristic == missing_target:
            result[f"evidence:{characteristic}"] = {
                "has_evidence": "no",
                "gaps": "No data is recorded yet. " + sentence(rng),
            }
        else:
            result[f"evidence:{characteristic}"] = {
                "has_evidence": "yes",
                "evidence": f"From {rng.choice(EVIDENCE_SOURCES)}: " + paragraph(rng, (2, 4)),
            }
        if characteristic == missing_target and rng.random() < 0.5:
            result[f"engagement:{characteristic}"] = {
                "engaged": "no",
                "no_engagement_reason": "Engagement is planned. " + sentence(rng),
            }
        else:
            result[f"engagement:{characteristic}"] = {
                "engaged": "yes",
                "engagement": f"We consulted {rng.choice(ENGAGEMENT)}. " + sentence(rng),
            }
        impact: dict[str, Any] = {}
        adverse_here = characteristic == adverse_target
        for aim in aims:
            direction = (
                "negative"
                if adverse_here and aim == aims[0]
                else rng.choices(["positive", "neutral", "negative"], weights=[4, 5, 1])[0]
            )
            impact[f"{aim}_direction"] = direction
            if direction == "negative":
                negative_somewhere = True
                impact[f"{aim}_level"] = (
                    "high" if adverse_here and rng.random() < 0.4 else rng.choice(["low", "medium"])
                )
        impact["description"] = paragraph(rng, (1, 3))
        result[f"impact:{characteristic}"] = impact
        negative_here = "negative" in impact.values()
        residual: dict[str, Any] = {}
        if negative_here:
            residual["mitigation"] = f"{rng.choice(MITIGATIONS).capitalize()}; {rng.choice(MITIGATIONS)}."
        level = (
            rng.choice(["medium", "high"])
            if adverse_here
            else ("low" if negative_here and rng.random() < 0.5 else "none")
        )
        residual["residual_level"] = level
        if level != "none":
            residual["justification"] = (
                "Legitimate aim of public safety; the means are proportionate and less "
                "discriminatory alternatives were considered and rejected. " + sentence(rng)
            )
        result[f"residual:{characteristic}"] = residual
    if profile.continue_despite:
        outcome = {"outcome": "continue", "outcome_justification": "Objectively justified: " + sentence(rng)}
    else:
        outcome = {"outcome": "adjust" if negative_somewhere else rng.choice(["no_change", "no_change", "adjust"])}
    outcome["changes_made"] = "We added " + rng.choice(MITIGATIONS) + "."
    outcome["board_review_requested"] = "yes" if profile.board_requested else "no"
    if profile.board_requested:
        outcome["board_review_reason"] = "High public interest and media scrutiny expected."
    result["outcome"] = outcome
    relevant_ids = sorted(relevant)
    items = [
        {
            "action": f"{rng.choice(MITIGATIONS).capitalize()}.",
            "characteristic": rng.choice(relevant_ids + ["all"]),
            "owner": person(rng, RANKS),
            "due_date": (today + timedelta(days=rng.randint(30, 300))).isoformat(),
        }
        for _ in range(rng.randint(1, 3) if negative_somewhere else rng.randint(0, 2))
    ]
    if missing_target:  # the duty of inquiry: an evidence gap needs an action to fill it (legal check L8P)
        decision_date = date.fromisoformat(result["responsibility"]["decision_date"])
        items.append(
            {
                "action": f"Collect {missing_target.replace('_', ' ')} data from {rng.choice(EVIDENCE_SOURCES)}.",
                "characteristic": missing_target,
                "owner": person(rng, RANKS),
                "due_date": (decision_date - timedelta(days=rng.randint(1, 15))).isoformat(),
            }
        )
    result["action_plan"] = {"items": items, "done": True}
    result["review"] = {
        "monitoring": "Quarterly review of " + rng.choice(EVIDENCE_SOURCES) + ".",
        "review_date": (today + timedelta(days=rng.randint(180, 540))).isoformat(),
    }
    return result
