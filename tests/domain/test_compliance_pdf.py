"""The compliance report PDF: charts and tables from plain figures; user text escaped, never dropped."""

from __future__ import annotations

from datetime import date

from eia.domain import compliance as c
from eia.domain.compliance_pdf import bar_chart, render_compliance_pdf
from tests.pdfs import pdf_words


def figures(**overrides) -> c.ComplianceFigures:
    relevance = tuple(c.Count(label, n) for (_, label), n in zip(c.RELEVANCE_LABELS, (2, 1, 0, 0, 3), strict=True))
    values = dict(
        organisation="Example Constabulary",
        scope="the whole organisation",
        start=date(2025, 4, 1),
        end=date(2026, 3, 31),
        as_at=date(2026, 11, 25),
        signed_off=6,
        by_department=(c.Count("Operational Policing", 4), c.Count("Crime <b>& Public</b> Protection", 2)),
        by_subject_type=(c.Count("Policy", 6),),
        outcomes=(c.Count("No major change", 6),),
        sent_to_board=2,
        board_reasons=(c.Count("R1: Residual adverse impact of medium or high for a characteristic", 2),),
        characteristics=(
            c.CharacteristicFigures("Age", relevance, 2, 1, 1),
            c.CharacteristicFigures("Race", relevance, 0, 0, 3),
        ),
        actions=(c.Count("Open", 3), c.Count("In progress", 1), c.Count("Done", 5), c.Count("Overdue", 1)),
        reviews_overdue=1,
        objectives=(
            c.ObjectiveFigures("EO1", "Trust \U0001f46e <img src='/etc/passwd'/>", (("EIA-2025-0001", "Tasers"),)),
        ),
        not_linked_to_an_objective=0,
    )
    return c.ComplianceFigures(**{**values, **overrides})


def test_the_pdf_has_every_figure_and_escapes_user_text():
    text = pdf_words(render_compliance_pdf(figures()))
    for expected in (
        "Equality impact assessments: 1 April 2025 to 31 March 2026",
        "Assessments signed off 6",
        "Sent to the Equality and Inclusion Board 2 (33%)",
        "Crime <b>& Public</b> Protection",
        "[U+1F46E POLICE OFFICER]",
        "<img src='/etc/passwd'/>",
        "EIA-2025-0001 Tasers",
        "Adverse impact before mitigation",
        "Actions: overdue 1",
    ):
        assert expected in text, expected


def test_an_empty_period_still_renders():
    text = pdf_words(
        render_compliance_pdf(
            figures(
                signed_off=0,
                by_department=(),
                by_subject_type=(),
                outcomes=(),
                sent_to_board=0,
                board_reasons=(),
                characteristics=(),
            )
        )
    )
    assert "No assessments were signed off in the period." in text
    assert "No assessment went to the Board." in text


def test_bars_are_labelled_with_their_numbers_first_at_the_top():
    chart = bar_chart([c.Count("First", 5), c.Count("Second", 12)]).contents[0]
    assert chart.categoryAxis.categoryNames == ["Second", "First"]
    assert chart.data == [[12, 5]] and chart.barLabelFormat == "%d"
    assert chart.valueAxis.valueStep == 3 and chart.valueAxis.valueMax == 12
