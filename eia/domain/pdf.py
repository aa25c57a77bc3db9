"""The archived record as a PDF: AssessmentSnapshot -> bytes, with reportlab. Pure: no Flask, no DB.

Every string from a user goes through ``markup()``: reportlab's Paragraph parses a mini-markup, so
unescaped text could embed server files (<img src>), add links, or crash the sign-off on an unclosed
tag. Characters the embedded font cannot draw are never silently dropped: they are written out as
their code point and Unicode name, e.g. "[U+1F46E POLICE OFFICER]"; so are invisible format
characters (bidirectional overrides, zero-width joiners), which could otherwise disguise the text.
Long answers are body paragraphs (tables split inside rows), so a 50,000-character answer flows over
pages instead of failing layout.

Text in a right-to-left script is shaped with HarfBuzz (uharfbuzz), so Arabic letters join; there
is no bidirectional reordering (reportlab needs rlbidi for that, which is not on PyPI), so the
words of a right-to-left run stay in the order they were typed, left to right.
"""

from __future__ import annotations

import functools
import io
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics, ttfonts
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

from eia.domain.findings import KeyFindings
from eia.domain.signing import SealBox
from eia.domain.snapshot import AssessmentSnapshot, CharacteristicSnapshot

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
# GOV.UK palette: text, secondary text, borders, and the colours of the impact directions.
BLACK, GREY, BORDER, LIGHT = (colors.HexColor(c) for c in ("#0b0c0c", "#505a5f", "#b1b4b6", "#f3f2f1"))
DIRECTION_COLOURS = {
    "Negative": colors.HexColor("#f4cdc6"),
    "Positive": colors.HexColor("#cce2d8"),
    "Neutral": colors.HexColor("#e8f1f8"),
}


# reportlab shapes with kern, liga and dlig; ligatures would turn "fi" into "ﬁ" in copied or extracted
# text, and DejaVu's discretionary "st" ligature looks archaic. HarfBuzz applies the required Arabic
# joining forms and the lam-alef ligature (rlig) whatever this says.
_SHAPING_FEATURES = {"kern": True, "liga": False, "dlig": False}
# Invisible characters drawn as nothing would hide what the text says; the soft hyphen is a
# harmless line-break hint from word processors.
_SHOWN_FORMAT_CHARACTERS = frozenset({"\u00ad"})


class RenderError(Exception):
    """The record could not be laid out as a PDF (the message is for operators)."""


@dataclass(frozen=True)
class PublicCopy:
    """What makes a rendering the public copy of a sealed record (eia.domain.publication)."""

    original_sha256: str  # the archived original's SHA-256: the copy is derived from it
    withheld: tuple[tuple[str, tuple[str, ...]], ...]  # (reason, the questions withheld for it)
    published_on: date
    check_address: str = ""  # where anyone can check a copy is genuine


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    seal_box: SealBox  # where the visible seal panel was drawn, for the signature field


@functools.cache
def _fonts() -> frozenset[int]:
    """Register the embedded fonts once; return the code points both can draw."""
    covered: set[int] | None = None
    for name, filename in ((REGULAR, "DejaVuSans.ttf"), (BOLD, "DejaVuSans-Bold.ttf")):
        font = TTFont(name, str(FONT_DIR / filename))
        pdfmetrics.registerFont(font)
        points = set(font.face.charToGlyph)
        covered = points if covered is None else covered & points
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD)
    if ttfonts.uharfbuzz is not None:
        ttfonts.shapeFragWord.__defaults__[0].update(_SHAPING_FEATURES)  # reportlab's only way to set them
    return frozenset(covered or ())


def _drawable(char: str, covered: frozenset[int]) -> bool:
    category = unicodedata.category(char)
    if category in ("Cc", "Cs", "Co", "Cn") or (category == "Cf" and char not in _SHOWN_FORMAT_CHARACTERS):
        return False
    return ord(char) in covered


def printable(text: str | None) -> str:
    """Text the embedded font can draw: any other character is written out by code point and name."""
    covered = _fonts()
    out: list[str] = []
    for char in (text or "").replace("\r\n", "\n").replace("\t", " "):
        if char == "\n" or _drawable(char, covered):
            out.append(char)
        else:
            name = unicodedata.name(char, "")
            out.append(f"[U+{ord(char):04X}{' ' + name if name else ''}]")
    return "".join(out)


def markup(text: str | None) -> str:
    """User text as safe Paragraph markup: printable, escaped, line breaks kept."""
    return escape(printable(text)).replace("\n", "<br/>")


def needs_shaping(text: str) -> bool:
    """Right-to-left letters must be shaped (joined); shaping costs ~10x, so only text that has them is."""
    return ttfonts.uharfbuzz is not None and any(unicodedata.bidirectional(c) in ("R", "AL") for c in text)


def _style_for(text: str, style: ParagraphStyle) -> ParagraphStyle:
    return ParagraphStyle(f"{style.name}-shaped", parent=style, shaping=1) if needs_shaping(text) else style


def _paragraph(text: str, style: ParagraphStyle) -> Paragraph:
    """A Paragraph of ready markup (every user string in it already passed through ``markup()``)."""
    return Paragraph(text, _style_for(text, style))


Styles = dict[str, ParagraphStyle]


def _styles() -> Styles:
    base = ParagraphStyle(
        "body", fontName=REGULAR, fontSize=10, leading=14, textColor=BLACK, alignment=TA_LEFT, spaceAfter=4
    )
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=11, textColor=GREY),
        "cell": ParagraphStyle("cell", parent=base, fontSize=9, leading=12, spaceAfter=0),
        "cell_bold": ParagraphStyle("cell_bold", parent=base, fontName=BOLD, fontSize=9, leading=12, spaceAfter=0),
        "label": ParagraphStyle("label", parent=base, fontName=BOLD, spaceBefore=6, spaceAfter=1, keepWithNext=1),
        "caption": ParagraphStyle("caption", parent=base, fontSize=12, leading=16, textColor=GREY, spaceAfter=2),
        "title": ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=24, leading=30, spaceAfter=10),
        "h1": ParagraphStyle("h1", parent=base, fontName=BOLD, fontSize=17, leading=22, spaceBefore=10, spaceAfter=8),
        "h2": ParagraphStyle("h2", parent=base, fontName=BOLD, fontSize=13, leading=17, spaceBefore=10, spaceAfter=4),
        "seal_label": ParagraphStyle("seal_label", parent=base, fontName=BOLD, fontSize=8.5, leading=11, spaceAfter=2),
        "seal_value": ParagraphStyle("seal_value", parent=base, fontSize=8.5, leading=11, spaceAfter=2),
    }


class _Heading(Paragraph):
    """A heading that becomes a bookmark (outline entry) at its level."""

    def __init__(self, text: str, style: ParagraphStyle, level: int) -> None:
        safe = markup(text)
        super().__init__(safe, _style_for(safe, style))
        self.outline_title = text
        self.outline_level = level


class _SealPanel(Flowable):
    """The visible seal: drawn here with the embedded font; its position becomes the signature field.

    Values are wrapped paragraphs, so a long name grows the panel instead of running off the page.
    """

    PADDING = 4 * mm
    LABEL_WIDTH = 38 * mm
    TITLE_HEIGHT = 9 * mm

    def __init__(self, lines: list[tuple[str, str]], placed: list[SealBox], styles: Styles) -> None:
        super().__init__()
        self.rows = [
            (_paragraph(markup(label), styles["seal_label"]), _paragraph(markup(value), styles["seal_value"]))
            for label, value in lines
        ]
        self.placed = placed

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = available_width
        value_width = available_width - self.LABEL_WIDTH - 2 * self.PADDING
        self.heights = [
            max(
                label.wrap(self.LABEL_WIDTH - 2 * mm, available_height)[1], value.wrap(value_width, available_height)[1]
            )
            for label, value in self.rows
        ]
        self.height = self.TITLE_HEIGHT + sum(self.heights) + 2 * self.PADDING
        return available_width, self.height

    def draw(self) -> None:
        canvas = self.canv
        canvas.setStrokeColor(BLACK)
        canvas.setLineWidth(1.5)
        canvas.setFillColor(LIGHT)
        canvas.rect(0, 0, self.width, self.height, stroke=1, fill=1)
        y = self.height - self.PADDING - 4 * mm
        canvas.setFillColor(BLACK)
        canvas.setFont(BOLD, 11)
        canvas.drawString(self.PADDING, y, "Digitally sealed record")
        y = self.height - self.PADDING - self.TITLE_HEIGHT
        for (label, value), height in zip(self.rows, self.heights, strict=True):
            y -= height
            label.drawOn(canvas, self.PADDING, y + height - label.height)
            value.drawOn(canvas, self.PADDING + self.LABEL_WIDTH, y + height - value.height)
        x, y = canvas.absolutePosition(0, 0)
        self.placed.append(
            SealBox(page=canvas.getPageNumber() - 1, box=(int(x), int(y), int(x + self.width), int(y + self.height)))
        )


def _numbered_canvas(header: str) -> type:
    """A canvas that writes the running header and "Page X of Y" once the page count is known."""

    class NumberedCanvas(rl_canvas.Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

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
    def afterFlowable(self, flowable: Any) -> None:  # noqa: N802 (reportlab's name)
        if isinstance(flowable, _Heading):
            key = f"h{id(flowable)}"
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(flowable.outline_title, key, level=flowable.outline_level, closed=False)


def _table(
    rows: list[list[Any]], widths: list[float], header: bool = True, shading: Sequence[tuple[Any, ...]] = ()
) -> Table:
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


def _cell(text: str, styles: Styles, bold: bool = False) -> Paragraph:
    return _paragraph(markup(text), styles["cell_bold" if bold else "cell"])


def _date(value: date | datetime | None, with_time: bool = False) -> str:
    if value is None:
        return "Not given"
    day = f"{value.day} {value:%B %Y}"  # "1 June 2027", the GOV.UK style
    return f"{day} {value:%H:%M} UTC" if with_time and isinstance(value, datetime) else day


def _answers(rows: Iterable[tuple[str, str]], styles: Styles) -> list[Any]:
    """Question and answer pairs as label + body paragraphs: answers of any length flow over pages."""
    flowables: list[Any] = []
    for label, value in rows:
        flowables.append(_paragraph(markup(label), styles["label"]))  # kept with the answer's first lines
        flowables.append(_paragraph(markup(value), styles["body"]))
    return flowables


def _characteristic(item: CharacteristicSnapshot, styles: Styles) -> list[Any]:
    flowables: list[Any] = [CondPageBreak(60 * mm), _Heading(item.name, styles["h2"], level=1)]
    flowables.append(_paragraph(f"<b>Relevance:</b> {markup(item.relevance or 'Not answered')}", styles["body"]))
    if item.reason:
        flowables.append(_paragraph(f"<b>Reason:</b> {markup(item.reason)}", styles["body"]))
    if item.impacts:
        rows = [[_cell(h, styles, bold=True) for h in ("Aim", "Likely impact", "Level")]]
        shading = []
        for index, impact in enumerate(item.impacts, start=1):
            rows.append(
                [
                    _cell(impact.aim_label, styles),
                    _cell(impact.direction, styles),
                    _cell(impact.level or "Not applicable", styles),
                ]
            )
            if impact.direction in DIRECTION_COLOURS:
                shading.append(("BACKGROUND", (1, index), (1, index), DIRECTION_COLOURS[impact.direction]))
        flowables += [
            Spacer(1, 2 * mm),
            _table(rows, [CONTENT_WIDTH * 0.55, CONTENT_WIDTH * 0.25, CONTENT_WIDTH * 0.20], shading=shading),
        ]
    flowables += _answers(item.rows, styles)
    if item.residual_level:
        flowables.append(
            _paragraph(f"<b>Residual impact after mitigation:</b> {markup(item.residual_level)}", styles["body"])
        )
    if item.justification:
        flowables.append(_paragraph(f"<b>Justification:</b> {markup(item.justification)}", styles["body"]))
    return flowables


def _key_findings(findings: KeyFindings, styles: Styles) -> list[Any]:
    """The summary on the first page: the same findings the decision pages opened with (eia.domain.findings)."""
    flowables: list[Any] = [_Heading("Key findings", styles["h1"], level=0)]
    if findings.screened_in:
        rows = [
            [
                _cell(h, styles, bold=True)
                for h in ("Characteristic", "Relevance", "Likely impact on each aim", "After mitigation")
            ]
        ]
        shading = []
        for index, item in enumerate(findings.screened_in, start=1):
            impacts = "<br/>".join(
                f"{markup(i.aim)}: {'<b>' if i.adverse else ''}{markup(i.direction or 'Not answered')}"
                f"{markup(', ' + i.level.lower() + ' severity') if i.level else ''}{'</b>' if i.adverse else ''}"
                for i in item.impacts
            )
            rows.append(
                [
                    _cell(item.name, styles, bold=True),
                    _cell(item.relevance or "Not answered", styles),
                    _paragraph(impacts, styles["cell"]),
                    _cell(item.residual or "Not answered", styles),
                ]
            )
            if item.residual_adverse:
                shading.append(("BACKGROUND", (3, index), (3, index), DIRECTION_COLOURS["Negative"]))
        flowables.append(_table(rows, [w * CONTENT_WIDTH for w in (0.18, 0.15, 0.52, 0.15)], shading=shading))
    else:
        flowables.append(_paragraph("No characteristic was screened in for a full analysis.", styles["body"]))
    if findings.screened_out:
        flowables.append(
            _paragraph(
                "<b>Screened out:</b> "
                + "; ".join(
                    f"{markup(item.name)} ({markup((item.relevance or 'not screened').lower())})"
                    for item in findings.screened_out
                ),
                styles["body"],
            )
        )
    if findings.evidence_gaps:
        flowables.append(_paragraph("Evidence gaps", styles["label"]))
        for gap in findings.evidence_gaps:
            lead = "no evidence. " if gap.no_evidence else ""
            flowables.append(
                _paragraph(f"<b>{markup(gap.characteristic)}:</b> {lead}{markup(gap.gaps)}", styles["body"])
            )
    else:
        flowables.append(_paragraph("<b>Evidence gaps:</b> none recorded.", styles["body"]))
    outcome = markup(findings.outcome or "Not answered")
    if findings.outcome_justification:
        outcome += f". {markup(findings.outcome_justification)}"
    flowables.append(_paragraph(f"<b>Outcome:</b> {outcome}", styles["body"]))
    if findings.legal_warnings:
        flowables.append(_paragraph("Legal check warnings", styles["label"]))
        flowables += [_paragraph(f"• {markup(line)}", styles["body"]) for line in findings.legal_warnings]
    else:
        flowables.append(_paragraph("<b>Legal checks:</b> it passed every legal check of due regard.", styles["body"]))
    if findings.rules:
        flowables.append(_paragraph(f"Sent to “{markup(findings.rules_lead_to.lower())}” because", styles["label"]))
        flowables += [_paragraph(f"• {markup(rule)}", styles["body"]) for rule in findings.rules]
    else:
        flowables.append(_paragraph("<b>Escalation:</b> no escalation rule applied.", styles["body"]))
    if findings.conditions:
        flowables.append(_paragraph("Conditions", styles["label"]))
        rows = [[_cell(h, styles, bold=True) for h in ("Condition", "Owner", "Due")]]
        rows += [
            [_cell(c.text, styles), _cell(c.owner or "Not given", styles), _cell(c.due or "Not given", styles)]
            for c in findings.conditions
        ]
        flowables.append(_table(rows, [w * CONTENT_WIDTH for w in (0.56, 0.24, 0.20)]))
    return flowables


def _cover_table(snapshot: AssessmentSnapshot, styles: Styles, public_copy: PublicCopy | None = None) -> Table:
    """The record's facts at a glance: one a row, or two a row when the key findings must start on page 1."""
    decider = snapshot.decision_trail[-1] if snapshot.decision_trail else None
    cover = [
        ("Status", snapshot.status_label),
        ("Decision", snapshot.decision),
        ("Signed off by", f"{decider.actor}, {decider.role}" if decider else "Not recorded"),
        ("Signed off", _date(snapshot.signed_off_at, with_time=True)),
        ("Date of the decision on the policy", _date(snapshot.decision_date)),
        ("Overall outcome", snapshot.outcome_label or "Not answered"),
        ("Subject type", snapshot.subject_type or "Not answered"),
        ("Department", snapshot.department or "None"),
        *([] if public_copy else [("Author", snapshot.author)]),
        ("Policy owner", snapshot.owner or "Not answered"),
        ("Review date", _date(snapshot.review_date)),
        *([("Published", _date(public_copy.published_on))] if public_copy else []),
    ]
    if snapshot.findings is None:
        return _table(
            [[_cell(k, styles, bold=True), _cell(v, styles)] for k, v in cover],
            [CONTENT_WIDTH * 0.38, CONTENT_WIDTH * 0.62],
            header=False,
        )
    pairs = [cover[i : i + 2] + [("", "")] * (2 - len(cover[i : i + 2])) for i in range(0, len(cover), 2)]
    return _table(
        [
            [_cell(text, styles, bold=column % 2 == 0) for column, text in enumerate(k for pair in row for k in pair)]
            for row in pairs
        ],
        [w * CONTENT_WIDTH for w in (0.17, 0.33, 0.17, 0.33)],
        header=False,
    )


def _introduction(snapshot: AssessmentSnapshot, public_copy: PublicCopy | None) -> str:
    if public_copy:
        return (
            f"This is the copy that {markup(snapshot.organisation)} published of its record of the due regard it had "
            "to the aims of the Public Sector Equality Duty (section 149, Equality Act 2010) for this proposal. It is "
            "made from the signed record, which is kept unchanged. Answers that are not published read "
            "“Withheld”, with the reason; “What was withheld” lists them."
        )
    return (
        f"This is {markup(snapshot.organisation)}'s record of the due regard it had to the aims of the "
        "Public Sector Equality Duty (section 149, Equality Act 2010) for this proposal: every answer, "
        "the impact on each protected characteristic, the action plan and the full decision trail, "
        "exactly as the decision-maker saw them when it was signed off."
    )


def _withheld(public_copy: PublicCopy | None, styles: Styles) -> list[Any]:
    """The public copy's list of what was withheld, by reason (nothing for the signed record)."""
    if public_copy is None:
        return []
    flowables: list[Any] = [CondPageBreak(40 * mm), _Heading("What was withheld", styles["h1"], level=0)]
    if not public_copy.withheld:
        flowables.append(
            _paragraph("Nothing was withheld: every answer of the signed record is published.", styles["body"])
        )
        return flowables
    rows = [[_cell("Reason", styles, bold=True), _cell("Answers withheld", styles, bold=True)]]
    rows += [[_cell(reason, styles), _cell("\n".join(questions), styles)] for reason, questions in public_copy.withheld]
    flowables.append(_table(rows, [CONTENT_WIDTH * 0.4, CONTENT_WIDTH * 0.6]))
    return flowables


def _derivation(public_copy: PublicCopy | None, styles: Styles) -> list[Any]:
    """Which signed record the public copy is made from, and where to check it (nothing for the signed record)."""
    if public_copy is None:
        return []
    flowables: list[Any] = [
        _paragraph(
            f"<b>Made from the signed record</b> whose SHA-256 is {markup(public_copy.original_sha256)}. "
            "That record is kept unchanged.",
            styles["body"],
        )
    ]
    if public_copy.check_address:
        flowables.append(
            _paragraph(f"<b>Check this copy is genuine</b> at {markup(public_copy.check_address)}.", styles["body"])
        )
    return flowables


def render_assessment_pdf(
    snapshot: AssessmentSnapshot,
    *,
    sealed_by: str,
    certificate_sha256: str,
    public_copy: PublicCopy | None = None,
) -> RenderedPdf:
    """Render the record; the last page carries the seal panel that the signature field is placed on.

    With ``public_copy`` it is the published copy: it says so, lists what was withheld and why, and
    names the original it derives from by its SHA-256."""
    _fonts()
    styles = _styles()
    story: list[Any] = [
        _paragraph(
            "Equality Impact Assessment: public copy" if public_copy else "Equality Impact Assessment",
            styles["caption"],
        ),
        _Heading(snapshot.title, styles["title"], level=0),
        _paragraph(
            f"{markup(snapshot.organisation)} · reference {markup(snapshot.reference)} · version {snapshot.version}",
            styles["caption"],
        ),
        Spacer(1, 6 * mm),
    ]
    story.append(_cover_table(snapshot, styles, public_copy))
    if snapshot.findings is not None:
        story += [Spacer(1, 4 * mm), *_key_findings(snapshot.findings, styles)]
    introduction = _introduction(snapshot, public_copy)
    story += [
        Spacer(1, 8 * mm),
        _paragraph(introduction, styles["body"]),
        _paragraph(
            "It is sealed with the organisation's digital signature (see Integrity, on the last page): "
            "any change to this file breaks the seal.",
            styles["body"],
        ),
        PageBreak(),
    ]

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
        rows += [
            [
                _cell(a.action, styles),
                _cell(a.characteristic, styles),
                _cell(a.owner, styles),
                _cell(_date(a.due_date), styles),
                _cell(a.status, styles),
            ]
            for a in snapshot.actions
        ]
        story.append(_table(rows, [w * CONTENT_WIDTH for w in (0.40, 0.17, 0.17, 0.14, 0.12)]))
    else:
        story.append(_paragraph("No actions were planned.", styles["body"]))

    if snapshot.legal_checks:
        story += [CondPageBreak(40 * mm), _Heading("Legal checks at sign-off", styles["h1"], level=0)]
        rows = [[_cell("Check", styles, bold=True), _cell("Result", styles, bold=True)]]
        rows += [[_cell(check, styles), _cell(result, styles)] for check, result in snapshot.legal_checks]
        story.append(_table(rows, [CONTENT_WIDTH * 0.6, CONTENT_WIDTH * 0.4]))

    if snapshot.question_comments:
        story += [CondPageBreak(40 * mm), _Heading("Comments on questions", styles["h1"], level=0)]
        rows = [[_cell("Question", styles, bold=True), _cell("Comments", styles, bold=True)]]
        rows += [[_cell(question, styles), _cell(thread, styles)] for question, thread in snapshot.question_comments]
        story.append(_table(rows, [CONTENT_WIDTH * 0.4, CONTENT_WIDTH * 0.6]))

    story += _withheld(public_copy, styles)

    trail_heading = "Decision" if public_copy else "Decision trail"
    story += [CondPageBreak(50 * mm), _Heading(trail_heading, styles["h1"], level=0)]
    for entry in snapshot.decision_trail:
        story.append(
            KeepTogether(
                [
                    _paragraph(
                        f"{markup(entry.action_label)}: {markup(entry.from_state)} to {markup(entry.to_state)}",
                        styles["label"],
                    ),
                    _paragraph(
                        f"{_date(entry.at, with_time=True)} by {markup(entry.actor)}, {markup(entry.role)}",
                        styles["small"],
                    ),
                ]
            )
        )
        if entry.rules_fired:
            story.append(
                _paragraph(
                    "<b>Rules that fired:</b> " + "; ".join(markup(r) for r in entry.rules_fired), styles["body"]
                )
            )
        if entry.comment:
            story.append(_paragraph(f"<b>Comment:</b> {markup(entry.comment)}", styles["body"]))
        if entry.conditions:
            story.append(
                _paragraph("<b>Conditions:</b> " + "; ".join(markup(c) for c in entry.conditions), styles["body"])
            )
        for reason in entry.section_reasons:
            story.append(_paragraph(f"<b>To change:</b> {markup(reason)}", styles["body"]))

    # The integrity statement and the seal panel stay together on the last page.
    integrity: list[Any] = [_Heading("Integrity", styles["h1"], level=0)]
    if snapshot.audit_chain_head:
        seq, entry_hash = snapshot.audit_chain_head
        integrity.append(
            _paragraph(
                f"<b>Audit log before this sign-off:</b> the last event was number {seq}, with hash "
                f"{markup(entry_hash)}. The events recording this decision and this signed record are the next ones "
                f"in the log, from event {seq + 1}.",
                styles["body"],
            )
        )
    integrity += _derivation(public_copy, styles)
    integrity.append(
        _paragraph(
            "The seal below is a PAdES digital signature over this whole file. Any change to the file, "
            "however small, invalidates it. Check it with <b>eia archive verify</b>, or any PDF reader "
            "that trusts the organisation's certificate.",
            styles["body"],
        )
    )
    placed: list[SealBox] = []
    integrity.append(
        _SealPanel(
            [
                ("Sealed by", sealed_by),
                ("Reason", snapshot.decision),
                ("Signed off", _date(snapshot.signed_off_at, with_time=True)),
                ("Certificate SHA-256", certificate_sha256),
            ],
            placed,
            styles,
        )
    )
    story.append(KeepTogether(integrity))

    buffer = io.BytesIO()
    document = _RecordDocument(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"Equality Impact Assessment: {snapshot.title}",
        author=snapshot.author,
        subject=f"{snapshot.reference} version {snapshot.version}: {snapshot.decision}",
        keywords=[
            "Equality Impact Assessment",
            "Public Sector Equality Duty",
            snapshot.organisation,
            snapshot.reference,
        ],
        creator="Due Regard",
        lang="en-GB",
        displayDocTitle=1,
        initialFontName=REGULAR,
    )
    frame = Frame(MARGIN, MARGIN, CONTENT_WIDTH, PAGE_HEIGHT - 2 * MARGIN, id="body")
    document.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    header = f"Equality Impact Assessment {snapshot.reference} version {snapshot.version}"
    try:
        document.build(story, canvasmaker=_numbered_canvas(header))
    except Exception as error:  # reportlab raises LayoutError, ValueError, KeyError...: all mean "no PDF"
        raise RenderError(
            f"the record of {snapshot.reference} version {snapshot.version} could not be laid out: "
            f"{type(error).__name__}: {error}"
        ) from error
    return RenderedPdf(content=buffer.getvalue(), seal_box=placed[-1])
