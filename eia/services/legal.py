"""The legal checks (eia.domain.legal_checks) applied to an assessment's effective answers."""

from __future__ import annotations

from datetime import date

from eia.clock import uk_today
from eia.domain import legal_checks
from eia.models import Assessment
from eia.services.assessments import current_path
from eia.services.definitions import definitions_of


def evaluate(assessment: Assessment, signed_off_on: date | None = None) -> list[legal_checks.CheckResult]:
    """Every check's result now; with ``signed_off_on``, as at sign-off (the decision-date check included)."""
    path = current_path(assessment)
    questionnaire = definitions_of(assessment).questionnaire
    covered = questionnaire.applicable_characteristics(assessment.characteristic_ids)
    relevant = questionnaire.relevant_characteristics(path)
    context = legal_checks.CheckContext(
        answers=path.answers,
        covered=tuple(covered),
        relevant=tuple(relevant),
        today=uk_today(),
        bindings=questionnaire.bindings,
        signed_off_on=signed_off_on,
    )
    return legal_checks.evaluate(context)


def recorded(assessment: Assessment) -> list[dict]:
    """The results recorded with the latest transition that recorded any (sign-off, else submission)."""
    for transition in reversed(assessment.transitions):
        if "legal_checks" in (transition.details or {}):
            return transition.details["legal_checks"]
    return []
