"""The archived record's PDF on its own: escaping, undrawable characters, structure, fonts and the seal."""

from __future__ import annotations

import io
import json
import re
import subprocess
import unicodedata
from datetime import UTC, date, datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pypdf import PdfReader
from reportlab.platypus import Paragraph

from eia.domain import pdf
from eia.domain.findings import AimImpact, CharacteristicFinding, Condition, EvidenceGap, KeyFindings
from eia.domain.signing import PdfSealer, SealTrust, generate_organisation_identity, verify_pdf
from eia.domain.snapshot import (
    ActionRow,
    AssessmentSnapshot,
    CharacteristicSnapshot,
    ImpactRow,
    SnapshotSection,
    TrailEntry,
)

SIGNED_OFF = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)


def snapshot(**changes) -> AssessmentSnapshot:
    values = dict(
        reference="EIA-2026-0007",
        version=2,
        title="Custody handover",
        organisation="Example Constabulary",
        department="Operational Policing",
        subject_type="Standard operating procedure",
        author="Alex Author",
        owner="Inspector Ada Lovelace",
        status_label="Signed off",
        decision="Signed off by the accountable officer",
        decision_date=date(2027, 1, 10),
        signed_off_at=SIGNED_OFF,
        sections=(
            SnapshotSection("About the proposal", (("What are the aims?", "Improve transparency"),)),
            SnapshotSection("Outcome", (("Overall outcome", "No major change"),)),
        ),
        characteristics=(
            CharacteristicSnapshot(
                "Age",
                "High",
                "Young people are detained",
                (("Evidence", "Force data"),),
                (ImpactRow("Eliminate discrimination", "Negative", "High"),),
                "Low",
                "Justified",
            ),
            CharacteristicSnapshot(
                "Race",
                "Medium",
                "Stop data",
                (("Evidence", "Census"),),
                (ImpactRow("Advance equality of opportunity", "Positive", ""),),
                "None",
                "",
            ),
        ),
        outcome_label="No major change",
        actions=(ActionRow("Train supervisors", "All characteristics", "Ch Insp Jones", date(2027, 6, 1), "Open"),),
        review_date=date(2027, 11, 1),
        decision_trail=(
            TrailEntry(
                SIGNED_OFF,
                "Sam Approver",
                "Approver (accountable senior officer)",
                "Approve",
                "With approver",
                "Signed off",
                ("R1: Residual adverse impact",),
                "Content",
            ),
        ),
        audit_chain_head=(41, "ab" * 32),
    )
    return AssessmentSnapshot(**{**values, **changes})


@pytest.fixture(scope="module")
def sealer() -> PdfSealer:
    key_pem, cert_pem = generate_organisation_identity("Example Constabulary archive seal", "Example Constabulary")
    return PdfSealer(
        serialization.load_pem_private_key(key_pem, password=None), x509.load_pem_x509_certificate(cert_pem)
    )


def sealed(sealer: PdfSealer, record: AssessmentSnapshot) -> bytes:
    rendered = pdf.render_assessment_pdf(
        record,
        sealed_by="Example Constabulary (decision by Sam Approver)",
        certificate_sha256=sealer.certificate_fingerprint,
    )
    return sealer.seal(
        rendered.content,
        signer_name="Example Constabulary",
        reason=record.decision,
        location="Example Constabulary",
        seal_box=rendered.seal_box,
    )


def test_a_snapshot_stored_as_json_reads_back_equal():
    record = snapshot()
    stored = json.loads(json.dumps(record.to_dict()))
    assert stored["signed_off_at"] == "2026-11-25T11:00:00+00:00"
    assert stored["characteristics"][0]["impacts"][0] == {
        "aim_label": "Eliminate discrimination",
        "direction": "Negative",
        "level": "High",
    }
    assert AssessmentSnapshot.from_dict(stored) == record


# --- escaping and undrawable characters ------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Welsh ŵ ŷ, Polish ł ż", "Welsh ŵ ŷ, Polish ł ż"),
        ("e\u0301 a\u0308", "e\u0301 a\u0308"),  # combining marks are drawn on their letter
        ("المساواة", "المساواة"),
        ("平等", "[U+5E73 CJK UNIFIED IDEOGRAPH-5E73][U+7B49 CJK UNIFIED IDEOGRAPH-7B49]"),
        ("👮", "[U+1F46E POLICE OFFICER]"),
        (
            "👨\u200d👩\u200d👧",
            "[U+1F468 MAN][U+200D ZERO WIDTH JOINER][U+1F469 WOMAN][U+200D ZERO WIDTH JOINER][U+1F467 GIRL]",
        ),
        ("a\u202eevil\u202c", "a[U+202E RIGHT-TO-LEFT OVERRIDE]evil[U+202C POP DIRECTIONAL FORMATTING]"),
        ("zero\u200bwidth", "zero[U+200B ZERO WIDTH SPACE]width"),
        ("nul\x00bell\x07", "nul[U+0000]bell[U+0007]"),
        ("next\x85csi\x9b", "next[U+0085]csi[U+009B]"),
        ("lone \ud800 surrogate", "lone [U+D800] surrogate"),
        ("private \ue000", "private [U+E000]"),
        ("soft\u00adhyphen", "soft\u00adhyphen"),
        ("tab\there\r\nline", "tab here\nline"),
        ("", ""),
        (None, ""),
    ],
)
def test_printable_keeps_what_the_font_draws_and_names_everything_else(text, expected):
    assert pdf.printable(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("<b>unclosed", "&lt;b&gt;unclosed"),
        ('<img src="/etc/passwd"/>', '&lt;img src="/etc/passwd"/&gt;'),
        ('<a href="javascript:x">x</a>', '&lt;a href="javascript:x"&gt;x&lt;/a&gt;'),
        ("L&D", "L&amp;D"),
        ("&amp; stays as typed", "&amp;amp; stays as typed"),
        ("<", "&lt;"),
        (">", "&gt;"),
        ("two\nlines", "two<br/>lines"),
    ],
)
def test_markup_escapes_user_text(text, expected):
    assert pdf.markup(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "<b>unclosed",
        '<img src="/etc/passwd"/>',
        '<a href="javascript:x">x</a>',
        "&D",
        "<",
        ">",
        "<para>",
        "</para>",
        "<![CDATA[",
        "&#0;",
    ],
)
def test_escaped_markup_always_parses_and_shows_the_text_literally(text):
    paragraph = Paragraph(pdf.markup(text), pdf._styles()["body"])
    assert "".join(fragment.text for fragment in paragraph.frags) == text


def test_only_right_to_left_text_is_shaped():
    assert pdf.needs_shaping("Custody المساواة")
    assert not pdf.needs_shaping("Custody ŵ ł 平等 e\u0301")


# --- structure of the sealed document ------------------------------------------------------------


def test_the_sealed_record_has_metadata_bookmarks_page_numbers_and_a_seal_covering_the_whole_file(sealer):
    content = sealed(sealer, snapshot())
    reader = PdfReader(io.BytesIO(content))

    meta = reader.metadata
    assert meta.title == "Equality Impact Assessment: Custody handover"
    assert meta.author == "Alex Author"
    assert meta.subject == "EIA-2026-0007 version 2: Signed off by the accountable officer"
    assert "Public Sector Equality Duty" in meta["/Keywords"] and "EIA-2026-0007" in meta["/Keywords"]

    def titles(outline):
        return [titles(item) if isinstance(item, list) else item.title for item in outline]

    assert titles(reader.outline) == [
        "Custody handover",
        "About the proposal",
        "Outcome",
        "Analysis by protected characteristic",
        ["Age", "Race"],
        "Action plan",
        "Decision trail",
        "Integrity",
    ]

    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text

    last = reader.pages[-1]
    assert "Digitally sealed record" in pages[-1]
    widgets = [annotation.get_object() for annotation in last.get("/Annots", [])]
    seal = next(w for w in widgets if w.get("/FT") == "/Sig")
    assert seal["/T"] == "OrganisationSeal"
    assert "/AP" in seal, "a visible field has an appearance (an empty one: the page draws the panel)"
    x1, y1, x2, y2 = (float(v) for v in seal["/Rect"])
    assert x2 - x1 > 400 and y2 - y1 > 50, "the field covers the visible seal panel"
    assert not any(reader.pages[i].get("/Annots") for i in range(len(reader.pages) - 1))

    report = verify_pdf(content, SealTrust.single("Example Constabulary", sealer.certificate_pem))
    assert report.ok, report.problems
    assert [s.coverage for s in report.signatures] == ["ENTIRE_FILE"]


def test_the_cover_reads_as_a_record_to_sign(sealer):
    first = PdfReader(io.BytesIO(sealed(sealer, snapshot()))).pages[0].extract_text()
    words = " ".join(first.split())
    for expected in [
        "Equality Impact Assessment",
        "Custody handover",
        "reference EIA-2026-0007 · version 2",
        "Decision Signed off by the accountable officer",
        "Signed off by Sam Approver, Approver (accountable senior officer)",
        "Signed off 25 November 2026 11:00 UTC",
        "Date of the decision on the policy 10 January 2027",
        "Review date 1 November 2027",
        "section 149, Equality Act 2010",
    ]:
        assert expected in words, expected
    assert "About the proposal" not in words, "the answers start on a page of their own"


FINDINGS = KeyFindings(
    characteristics=(
        CharacteristicFinding("Age", "Not relevant", False, (), "", False),
        CharacteristicFinding(
            "Race",
            "High",
            True,
            (
                AimImpact("Aim 1: eliminate discrimination", "Negative impact", "High", True),
                AimImpact("Aim 2: advance equality of opportunity", "Positive impact", "", False),
                AimImpact("Aim 3: foster good relations", "Neutral: no differential impact", "", False),
            ),
            "Medium",
            True,
        ),
    ),
    evidence_gaps=(EvidenceGap("Race", True, "No custody data by ethnicity before 2024"),),
    outcome="Continue despite adverse impact",
    outcome_justification="Public safety outweighs the remaining impact",
    legal_warnings=("Not a retrospective assessment: The decision date has passed.",),
    rules=("Residual adverse impact of medium or high for a characteristic",),
    conditions=(Condition("Board condition: Publish quarterly figures", "ACC Grace Hopper", "1 June 2027"),),
    rules_lead_to="With the Board",
    rules_recorded=True,
)


def test_the_first_page_summarises_the_key_findings(sealer):
    record = snapshot(findings=FINDINGS)
    reader = PdfReader(io.BytesIO(sealed(sealer, record)))
    first = " ".join(reader.pages[0].extract_text().split())

    for expected in [
        "Key findings",
        "Race",
        "High",
        "Aim 1: eliminate discrimination: Negative impact, high severity",
        "Screened out: Age (not relevant)",
        "Race: no evidence. No custody data by ethnicity before 2024",
        "Outcome: Continue despite adverse impact. Public safety outweighs the remaining impact",
        "Not a retrospective assessment: The decision date has passed.",
        "Sent to “with the board” because",
        "Residual adverse impact of medium or high",
        "Board condition: Publish quarterly figures",
        "ACC Grace Hopper",
        "1 June 2027",
    ]:
        assert expected in first, expected
    assert "L2R" not in first and "R1" not in first
    assert AssessmentSnapshot.from_dict(json.loads(json.dumps(record.to_dict()))) == record


def test_a_record_sealed_before_key_findings_existed_re_renders_without_them(sealer):
    stored = snapshot().to_dict()
    del stored["findings"]
    record = AssessmentSnapshot.from_dict(json.loads(json.dumps(stored)))
    assert record.findings is None
    assert "Key findings" not in PdfReader(io.BytesIO(sealed(sealer, record))).pages[0].extract_text()


def test_the_record_says_precisely_which_audit_event_it_follows(sealer):
    words = " ".join(PdfReader(io.BytesIO(sealed(sealer, snapshot()))).pages[-1].extract_text().split())
    assert (
        f"Audit log before this sign-off: the last event was number 41, with hash {'ab' * 32}. The events "
        "recording this decision and this signed record are the next ones in the log, from event 42."
    ) in words


def test_every_font_is_embedded(sealer, tmp_path):
    path = tmp_path / "record.pdf"
    path.write_bytes(sealed(sealer, snapshot(title="Arabic المساواة and Welsh ŵ")))
    listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    rows = listing.splitlines()[2:]
    assert rows, listing
    header = listing.splitlines()[0]
    emb = header.index("emb")
    assert all(row[emb : emb + 3].strip() == "yes" for row in rows), listing
    assert all("DejaVuSans" in row for row in rows), listing


def test_a_long_signer_name_wraps_inside_the_seal_panel(sealer):
    name = "Example Constabulary of the Very Long Name " * 8
    rendered = pdf.render_assessment_pdf(snapshot(), sealed_by=name, certificate_sha256="cd" * 32)
    words = " ".join(PdfReader(io.BytesIO(rendered.content)).pages[-1].extract_text().split())
    assert " ".join(name.split()) in words
    assert "cd" * 32 in words, "the fingerprint fits on one line"
    _, y1, _, y2 = rendered.seal_box.box
    assert y2 - y1 > 30 * 2.83, "the panel grew to hold the name"


def test_arabic_is_shaped_into_joined_forms_in_the_pdf():
    """Joined Arabic letters are presentation forms in the PDF text; word order is not reordered (README)."""
    rendered = pdf.render_assessment_pdf(
        snapshot(sections=(SnapshotSection("About", (("Aims", "المساواة"),)),)),
        sealed_by="x",
        certificate_sha256="cd" * 32,
    )
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(rendered.content)).pages)
    assert re.search("[\ufe70-\ufeff]", text), "contextual (joined) forms are used"
    assert "المساواة" in unicodedata.normalize("NFKC", text)


def test_a_layout_failure_is_a_render_error(monkeypatch):
    """Whatever reportlab raises while laying out becomes a RenderError naming the record (fault injected
    into reportlab itself: nothing we can type makes our layout fail)."""
    from reportlab.platypus import doctemplate

    def fail(self, flowables):
        raise doctemplate.LayoutError("Flowable too large on page 1")

    monkeypatch.setattr(doctemplate.BaseDocTemplate, "handle_flowable", fail)
    with pytest.raises(pdf.RenderError, match="EIA-2026-0007 version 2 could not be laid out: LayoutError"):
        pdf.render_assessment_pdf(snapshot(), sealed_by="x", certificate_sha256="cd" * 32)
