"""The archived record as a PDF: AssessmentSnapshot -> bytes, with reportlab. Pure: no Flask, no DB.

Every string from a user goes through ``markup()``: reportlab's Paragraph parses a mini-markup, so
unescaped text could embed server files (<img src>), add links, or crash the sign-off on an unclosed
tag. Characters the embedded font cannot draw are never silently dropped: they are written out as
their code point and Unicode name, e.g. "[U+1F46E POLICE OFFICER]". Long answers are body paragraphs
(tables split inside rows), so a 50,000-character answer flows over pages instead of failing layout.
"""

from __future__ import annotations

import functools
import io
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from eia.domain.signing import SealBox
from eia.domain.snapshot import AssessmentSnapshot, CharacteristicSnapshot

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
# GOV.UK palette: text, secondary text, borders, and the colours of the impact directions.
BLACK, GREY, BORDER, LIGHT = (colors.HexColor(c) for c in ("#0b0c0c", "#505a5f", "#b1b4b6", "#f3f2f1"))
DIRECTION_COLOURS = {"Negative": colors.HexColor("#f4cdc6"), "Positive": colors.HexColor("#cce2d8"),
                     "Neutral": colors.HexColor("#e8f1f8")}


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    seal_box: SealBox  # where the visible seal panel was drawn, for the signature field


@functools.cache
def _fonts() -> frozenset[int]:
    """Register the embedded fonts once; return the code points both can draw."""
    covered = None
    for name, filename in ((REGULAR, "DejaVuSans.ttf"), (BOLD, "DejaVuSans-Bold.ttf")):
        font = TTFont(name, str(FONT_DIR / filename))
        pdfmetrics.registerFont(font)
        points = set(font.face.charToGlyph)
        covered = points if covered is None else covered & points
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD)
    return frozenset(covered)


def printable(text: str | None) -> str:
    """Text the embedded font can draw: any other character is written out by code point and name."""
    covered = _fonts()
    out: list[str] = []
    for char in (text or "").replace("\r\n", "\n").replace("\t", " "):
        if char == "\n" or (ord(char) in covered and unicodedata.category(char) not in ("Cc", "Cs")):
            out.append(char)
        else:
            name = unicodedata.name(char, "")
            out.append(f"[U+{ord(char):04X}{' ' + name if name else ''}]")
    return "".join(out)


def markup(text: str | None) -> str:
    """User text as safe Paragraph markup: printable, escaped, line breaks kept."""
    return escape(printable(text)).replace("\n", "<br/>")


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=REGULAR, fontSize=10, leading=14, textColor=BLACK, alignment=TA_LEFT,
                          spaceAfter=4)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=11, textColor=GREY),
        "cell": ParagraphStyle("cell", parent=base, fontSize=9, leading=12, spaceAfter=0),
        "cell_bold": ParagraphStyle("cell_bold", parent=base, fontName=BOLD, fontSize=9, leading=12, spaceAfter=0),
        "label": ParagraphStyle("label", parent=base, fontName=BOLD, spaceBefore=6, spaceAfter=1),
        "caption": ParagraphStyle("caption", parent=base, fontSize=12, leading=16, textColor=GREY, spaceAfter=2),
        "title": ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=24, leading=30, spaceAfter=10),
        "h1": ParagraphStyle("h1", parent=base, fontName=BOLD, fontSize=17, leading=22, spaceBefore=10, spaceAfter=8),
        "h2": ParagraphStyle("h2", parent=base, fontName=BOLD, fontSize=13, leading=17, spaceBefore=10, spaceAfter=4),
    }


class _Heading(Paragraph):
    """A heading that becomes a bookmark (outline entry) at its level."""

    def __init__(self, text: str, style: ParagraphStyle, level: int) -> None:
        super().__init__(markup(text), style)
        self.outline_title = text
        self.outline_level = level


class _SealPanel(Flowable):
    """The visible seal: drawn here with the embedded font; its position becomes the signature field."""

    HEIGHT = 30 * mm

    def __init__(self, lines: list[tuple[str, str]], placed: list[SealBox]) -> None:
        super().__init__()
        self.lines = lines
        self.placed = placed

    def wrap(self, available_width, available_height):
        self.width = available_width
        return available_width, self.HEIGHT

    def draw(self) -> None:
        canvas = self.canv
        canvas.setStrokeColor(BLACK)
        canvas.setLineWidth(1.5)
        canvas.setFillColor(LIGHT)
        canvas.rect(0, 0, self.width, self.HEIGHT, stroke=1, fill=1)
        y = self.HEIGHT - 7 * mm
        canvas.setFillColor(BLACK)
        canvas.setFont(BOLD, 11)
        canvas.drawString(4 * mm, y, "Digitally sealed record")
        for label, value in self.lines:
            y -= 5 * mm
            canvas.setFont(BOLD, 8.5)
            canvas.drawString(4 * mm, y, label)
            canvas.setFont(REGULAR, 8.5)
            canvas.drawString(42 * mm, y, printable(value))
        x, y = canvas.absolutePosition(0, 0)
        self.placed.append(SealBox(page=canvas.getPageNumber() - 1,
                                   box=(int(x), int(y), int(x + self.width), int(y + self.HEIGHT))))


def _numbered_canvas(header: str):
    """A canvas that writes the running header and "Page X of Y" once the page count is known."""

    class NumberedCanvas(rl_canvas.Canvas):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab's name)
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont(REGULAR, 8)
                self.setFillColor(GREY)
                self.drawString(MARGIN, PAGE_HEIGHT - 11 * mm, printable(header))
                self.drawRightString(PAGE_WIDTH - MARGIN, PAGE_HEIGHT - 11 * mm, "OFFICIAL")
                self.drawRightString(PAGE_WIDTH - MARGIN, 10 * mm, f"Page {self._pageNumber} of {total}")
                self.drawString(MARGIN, 10 * mm, "Signed record: verify with Due Regard before relying on a copy")
                super().showPage()
            super().save()

    return NumberedCanvas


class _RecordDocument(BaseDocTemplate):
    def afterFlowable(self, flowable) -> None:  # noqa: N802 (reportlab's name)
        if isinstance(flowable, _Heading):
            key = f"h{id(flowable)}"
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(flowable.outline_title, key, level=flowable.outline_level, closed=False)


def _table(rows: list[list], widths: list[float], header: bool = True, shading: list[tuple] = ()) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0, splitInRow=1, hAlign="LEFT")
    style = [
        ("FONTNAME", (0, 0), (-1, -1), REGULAR),  # else Table emits an unembedded Helvetica
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.5, BORDER),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
    ]
    if header:
        style += [("LINEBELOW", (0, 0), (-1, 0), 1.2, BLACK)]
    table.setStyle(TableStyle(style + list(shading)))
    return table


def _cell(text: str, styles, bold: bool = False) -> Paragraph:
    return Paragraph(markup(text), styles["cell_bold" if bold else "cell"])


def _date(value: date | datetime | None, with_time: bool = False) -> str:
    if value is None:
        return "Not given"
    if with_time and isinstance(value, datetime):
        return value.strftime("%d %B %Y %H:%M UTC")
    return value.strftime("%d %B %Y")


def _answers(rows, styles) -> list:
    """Question and answer pairs as label + body paragraphs: answers of any length flow over pages."""
    flowables = []
    for label, value in rows:
        flowables.append(KeepTogether([Paragraph(markup(label), styles["label"])]))
        flowables.append(Paragraph(markup(value), styles["body"]))
    return flowables


def _characteristic(item: CharacteristicSnapshot, styles) -> list:
    flowables: list = [CondPageBreak(60 * mm), _Heading(item.name, styles["h2"], level=1)]
    flowables.append(Paragraph(f"<b>Relevance:</b> {markup(item.relevance or 'Not answered')}", styles["body"]))
    if item.reason:
        flowables.append(Paragraph(f"<b>Reason:</b> {markup(item.reason)}", styles["body"]))
    if item.impacts:
        rows = [[_cell(h, styles, bold=True) for h in ("Aim", "Likely impact", "Level")]]
        shading = []
        for index, impact in enumerate(item.impacts, start=1):
            rows.append([_cell(impact.aim_label, styles), _cell(impact.direction, styles),
                         _cell(impact.level or "Not applicable", styles)])
            if impact.direction in DIRECTION_COLOURS:
                shading.append(("BACKGROUND", (1, index), (1, index), DIRECTION_COLOURS[impact.direction]))
        flowables += [Spacer(1, 2 * mm), _table(rows, [CONTENT_WIDTH * 0.55, CONTENT_WIDTH * 0.25,
                                                       CONTENT_WIDTH * 0.20], shading=shading)]
    flowables += _answers(item.rows, styles)
    if item.residual_level:
        flowables.append(Paragraph(f"<b>Residual impact after mitigation:</b> {markup(item.residual_level)}",
                                   styles["body"]))
    if item.justification:
        flowables.append(Paragraph(f"<b>Justification:</b> {markup(item.justification)}", styles["body"]))
    return flowables


def render_assessment_pdf(snapshot: AssessmentSnapshot, *, sealed_by: str, certificate_sha256: str) -> RenderedPdf:
    """Render the record; the last page carries the seal panel that the signature field is placed on."""
    _fonts()
    styles = _styles()
    story: list = [
        Paragraph("Equality Impact Assessment", styles["caption"]),
        _Heading(snapshot.title, styles["title"], level=0),
        Paragraph(f"{markup(snapshot.organisation)} · reference {markup(snapshot.reference)} · "
                  f"version {snapshot.version}", styles["caption"]),
        Spacer(1, 6 * mm),
    ]
    cover = [
        ("Status", snapshot.status_label),
        ("Decision", snapshot.decision),
        ("Signed off", _date(snapshot.signed_off_at, with_time=True)),
        ("Date of the decision on the policy", _date(snapshot.decision_date)),
        ("Overall outcome", snapshot.outcome_label or "Not answered"),
        ("Subject type", snapshot.subject_type or "Not answered"),
        ("Department", snapshot.department or "None"),
        ("Author", snapshot.author),
        ("Owner", snapshot.owner or "Not answered"),
        ("Review date", _date(snapshot.review_date)),
    ]
    story.append(_table([[_cell(k, styles, bold=True), _cell(v, styles)] for k, v in cover],
                        [CONTENT_WIDTH * 0.35, CONTENT_WIDTH * 0.65], header=False))

    for section in snapshot.sections:
        story += [CondPageBreak(50 * mm), _Heading(section.title, styles["h1"], level=0)]
        story += _answers(section.rows, styles)

    if snapshot.characteristics:
        story += [PageBreak(), _Heading("Analysis by protected characteristic", styles["h1"], level=0)]
        for item in snapshot.characteristics:
            story += _characteristic(item, styles)

    story += [CondPageBreak(50 * mm), _Heading("Action plan", styles["h1"], level=0)]
    if snapshot.actions:
        rows = [[_cell(h, styles, bold=True) for h in ("Action", "Characteristic", "Owner", "Due", "Status")]]
        rows += [[_cell(a.action, styles), _cell(a.characteristic, styles), _cell(a.owner, styles),
                  _cell(_date(a.due_date), styles), _cell(a.status, styles)] for a in snapshot.actions]
        story.append(_table(rows, [w * CONTENT_WIDTH for w in (0.40, 0.17, 0.17, 0.14, 0.12)]))
    else:
        story.append(Paragraph("No actions were planned.", styles["body"]))

    if snapshot.legal_checks:
        story += [CondPageBreak(40 * mm), _Heading("Legal checks at sign-off", styles["h1"], level=0)]
        rows = [[_cell("Check", styles, bold=True), _cell("Result", styles, bold=True)]]
        rows += [[_cell(check, styles), _cell(result, styles)] for check, result in snapshot.legal_checks]
        story.append(_table(rows, [CONTENT_WIDTH * 0.6, CONTENT_WIDTH * 0.4]))

    story += [CondPageBreak(50 * mm), _Heading("Decision trail", styles["h1"], level=0)]
    for entry in snapshot.decision_trail:
        story.append(KeepTogether([
            Paragraph(f"{markup(entry.action_label)}: {markup(entry.from_state)} to {markup(entry.to_state)}",
                      styles["label"]),
            Paragraph(f"{_date(entry.at, with_time=True)} by {markup(entry.actor)} ({markup(entry.role)})",
                      styles["small"]),
        ]))
        if entry.rules_fired:
            story.append(Paragraph("<b>Rules that fired:</b> " + "; ".join(markup(r) for r in entry.rules_fired),
                                   styles["body"]))
        if entry.comment:
            story.append(Paragraph(f"<b>Comment:</b> {markup(entry.comment)}", styles["body"]))

    story += [CondPageBreak(70 * mm), _Heading("Integrity", styles["h1"], level=0)]
    if snapshot.audit_chain_head:
        seq, entry_hash = snapshot.audit_chain_head
        story.append(Paragraph(f"Audit log head when signed: event {seq}, hash {markup(entry_hash)}", styles["small"]))
    story.append(Paragraph("The seal below is a PAdES digital signature over this whole file. Any change to the file, "
                           "however small, invalidates it.", styles["small"]))
    placed: list[SealBox] = []
    story.append(_SealPanel([
        ("Sealed by", sealed_by),
        ("Reason", snapshot.decision),
        ("Signed off", _date(snapshot.signed_off_at, with_time=True)),
        ("Certificate SHA-256", certificate_sha256[:32] + "…"),
    ], placed))

    buffer = io.BytesIO()
    document = _RecordDocument(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=MARGIN,
        title=f"Equality Impact Assessment: {snapshot.title}", author=snapshot.author,
        subject=f"{snapshot.reference} version {snapshot.version}: {snapshot.decision}",
        keywords=["Equality Impact Assessment", "Public Sector Equality Duty", snapshot.organisation,
                  snapshot.reference],
        creator="Due Regard", lang="en-GB", displayDocTitle=1, initialFontName=REGULAR,
    )
    frame = Frame(MARGIN, MARGIN, CONTENT_WIDTH, PAGE_HEIGHT - 2 * MARGIN, id="body")
    document.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    header = f"Equality Impact Assessment {snapshot.reference} version {snapshot.version}"
    document.build(story, canvasmaker=_numbered_canvas(header))
    return RenderedPdf(content=buffer.getvalue(), seal_box=placed[-1])
