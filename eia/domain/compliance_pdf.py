"""The annual compliance report as a PDF with bar charts drawn by reportlab's own graphics. Pure.

It reuses the signed record's fonts, styles and escaping (eia.domain.pdf): every label that came
from a person goes through ``markup()`` or ``printable()``. Each chart is followed by a table of the
same figures, and every bar carries its number, so nothing is said by colour or length alone.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import CondPageBreak, Flowable, Frame, PageTemplate, Paragraph, Spacer

from eia.domain.compliance import CharacteristicFigures, ComplianceFigures, Count
from eia.domain.pdf import (
    CONTENT_WIDTH,
    GREY,
    MARGIN,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    REGULAR,
    _cell,
    _fonts,
    _Heading,
    _RecordDocument,
    _styles,
    _table,
    markup,
    printable,
)

BAR_COLOUR = colors.HexColor("#1d70b8")  # GOV.UK blue
CHART_LABEL_WIDTH = 62 * mm
MAX_CHART_LABEL = 38


def _day(value: date) -> str:
    return f"{value.day} {value.strftime('%B %Y')}"


def _short(label: str) -> str:
    label = printable(label)
    return label if len(label) <= MAX_CHART_LABEL else label[: MAX_CHART_LABEL - 1] + "…"


def bar_chart(counts: Sequence[Count]) -> Drawing:
    """One horizontal bar per count, first at the top, each labelled with its number."""
    bar_height = 7 * mm
    height = len(counts) * bar_height
    drawing = Drawing(CONTENT_WIDTH, height + 10 * mm)
    chart = HorizontalBarChart()
    chart.x, chart.y = CHART_LABEL_WIDTH, 7 * mm
    chart.width, chart.height = CONTENT_WIDTH - CHART_LABEL_WIDTH - 12 * mm, height
    ordered = list(reversed(counts))  # the chart draws its first category at the bottom
    chart.data = [[count.count for count in ordered]]
    chart.categoryAxis.categoryNames = [_short(count.label) for count in ordered]
    chart.categoryAxis.labels.fontName = REGULAR
    chart.categoryAxis.labels.fontSize = 8
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -3
    top = max([count.count for count in counts] + [1])
    step = max(1, math.ceil(top / 5))
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = (
        0,
        step * math.ceil(top / step),
        step,
    )
    chart.valueAxis.labels.fontName = REGULAR
    chart.valueAxis.labels.fontSize = 8
    chart.bars[0].fillColor = BAR_COLOUR
    chart.bars[0].strokeColor = None
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName = REGULAR
    chart.barLabels.fontSize = 8
    chart.barLabels.boxAnchor = "w"
    chart.barLabels.dx = 3
    drawing.add(chart)
    return drawing


def _figure(
    title: str,
    counts: Sequence[Count],
    styles: dict[str, ParagraphStyle],
    column: str,
    empty: str,
    counted: str = "Assessments",
) -> list[Flowable]:
    """A heading, the chart and the same figures as a table."""
    flowables: list[Flowable] = [CondPageBreak(60 * mm), _Heading(title, styles["h2"], level=1)]
    if not counts:
        return flowables + [Paragraph(markup(empty), styles["body"])]
    rows = [[_cell(column, styles, bold=True), _cell(counted, styles, bold=True)]]
    rows += [[_cell(count.label, styles), _cell(str(count.count), styles)] for count in counts]
    return flowables + [bar_chart(counts), _table(rows, [CONTENT_WIDTH * 0.8, CONTENT_WIDTH * 0.2])]


def _page_furniture(header: str) -> Callable[[Canvas, Any], None]:
    def draw(canvas: Canvas, document: Any) -> None:
        canvas.saveState()
        canvas.setFont(REGULAR, 8)
        canvas.setFillColor(GREY)
        canvas.drawString(MARGIN, PAGE_HEIGHT - 11 * mm, printable(header))
        canvas.drawRightString(PAGE_WIDTH - MARGIN, 10 * mm, f"Page {document.page}")
        canvas.restoreState()

    return draw


def render_compliance_pdf(figures: ComplianceFigures) -> bytes:
    _fonts()
    styles = _styles()
    period = f"{_day(figures.start)} to {_day(figures.end)}"
    story: list[Flowable] = [
        Paragraph("Public Sector Equality Duty: information to demonstrate compliance", styles["caption"]),
        _Heading(f"Equality impact assessments: {period}", styles["title"], level=0),
        Paragraph(
            f"{markup(figures.organisation)} · {markup(figures.scope)} · actions and reviews as at "
            f"{_day(figures.as_at)}",
            styles["caption"],
        ),
        Spacer(1, 4 * mm),
    ]
    summary = [
        ("Assessments signed off", str(figures.signed_off)),
        ("Sent to the Equality and Inclusion Board", f"{figures.sent_to_board} ({figures.board_share})"),
        ("Reviews overdue", str(figures.reviews_overdue)),
        ("Not linked to an equality objective", str(figures.not_linked_to_an_objective)),
    ] + [(f"Actions: {count.label.lower()}", str(count.count)) for count in figures.actions]
    story.append(
        _table(
            [[_cell(k, styles, bold=True), _cell(v, styles)] for k, v in summary],
            [CONTENT_WIDTH * 0.7, CONTENT_WIDTH * 0.3],
            header=False,
        )
    )

    story += [_Heading("Assessments", styles["h1"], level=0)]
    story += _figure("By department", figures.by_department, styles, "Department", "None were signed off.")
    story += _figure(
        "By kind of proposal", figures.by_subject_type, styles, "Kind of proposal", "None were signed off."
    )
    story += _figure("Outcomes", figures.outcomes, styles, "Outcome", "None were signed off.")
    story += _figure(
        "Why assessments went to the Board",
        figures.board_reasons,
        styles,
        "Escalation rule",
        "No assessment went to the Board.",
    )
    story += _figure("Actions from signed-off assessments", list(figures.actions), styles, "Status", "", "Actions")

    story += [CondPageBreak(80 * mm), _Heading("By protected characteristic", styles["h1"], level=0)]
    if figures.characteristics:
        first = CONTENT_WIDTH * 0.3
        relevance = [count.label for count in figures.characteristics[0].relevance]
        tables: tuple[tuple[str, list[str], Callable[[CharacteristicFigures], list[int]]], ...] = (
            ("Relevance (number of assessments)", relevance, lambda ch: [count.count for count in ch.relevance]),
            (
                "Adverse impact and evidence (number of assessments)",
                ["Adverse impact before mitigation", "Adverse impact remaining", "Evidence gaps"],
                lambda ch: [ch.adverse_impact, ch.residual_adverse, ch.evidence_gaps],
            ),
        )
        for title, columns, values in tables:
            rows = [[_cell(h, styles, bold=True) for h in ["Characteristic", *columns]]]
            rows += [
                [_cell(ch.name, styles), *(_cell(str(v), styles) for v in values(ch))] for ch in figures.characteristics
            ]
            story += [
                _Heading(title, styles["h2"], level=1),
                _table(rows, [first] + [(CONTENT_WIDTH - first) / len(columns)] * len(columns)),
            ]
        for title, attribute in (
            ("Adverse impact before mitigation", "adverse_impact"),
            ("Evidence gaps", "evidence_gaps"),
        ):
            counts = [Count(ch.name, getattr(ch, attribute)) for ch in figures.characteristics]
            story += [CondPageBreak(90 * mm), _Heading(title, styles["h2"], level=1), bar_chart(counts)]
    else:
        story.append(Paragraph("No assessments were signed off in the period.", styles["body"]))

    story += [CondPageBreak(60 * mm), _Heading("Equality objectives", styles["h1"], level=0)]
    for objective in figures.objectives:
        story.append(Paragraph(f"<b>{markup(objective.code)}: {markup(objective.title)}</b>", styles["body"]))
        if objective.assessments:
            story.append(
                Paragraph(
                    "; ".join(f"{markup(ref)} {markup(title)}" for ref, title in objective.assessments), styles["body"]
                )
            )
        else:
            story.append(Paragraph("No assessment signed off in the period is linked to it.", styles["small"]))

    buffer = io.BytesIO()
    document = _RecordDocument(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"Equality compliance report {period}: {figures.organisation}",
        author=figures.organisation,
        subject="Public Sector Equality Duty: information to demonstrate compliance",
        creator="Due Regard",
        lang="en-GB",
        displayDocTitle=1,
        initialFontName=REGULAR,
    )
    frame = Frame(MARGIN, MARGIN, CONTENT_WIDTH, PAGE_HEIGHT - 2 * MARGIN, id="body")
    furniture = _page_furniture(f"{figures.organisation}: equality compliance report, {period}")
    document.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=furniture)])
    document.build(story)
    return buffer.getvalue()
