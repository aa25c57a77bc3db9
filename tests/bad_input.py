"""One corpus of hostile input, used against the questionnaire's forms and its JSON API alike.

Every case targets a question on the "aims" page (aims: textarea of at most 5,000 characters,
affected: radios public/staff/both, scope: textarea). ``refusal`` is the message the field gets
(the same words in the form's error summary and the API's problem ``errors``); ``None`` means the
value is legitimate text that is stored exactly and always shown escaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PAGE = "aims"
VALID = {"aims": "Safer events", "affected": "both", "scope": "Force-wide"}
NOT_IN_A_FORM = object()  # a JSON value a form cannot send (an object, a number)
WRONG_JSON_TYPE = "must be a string, a list of strings, or null"  # the API's shape check
UNREADABLE = "The aims of the proposal contains characters that could not be read: type them again"


@dataclass(frozen=True)
class BadInput:
    name: str
    field: str
    value: Any
    refusal: str | None  # None: stored and shown literally
    form_value: Any = None  # when a form sends it differently (None: as ``value``; NOT_IN_A_FORM: cannot)
    api_refusal: str | None = None  # when the API's message differs (its shape check comes first)

    def __str__(self) -> str:
        return self.name


VALUES = [
    BadInput(
        "oversized-aims",
        "aims",
        "x" * 5001,
        "The aims of the proposal must be 5,000 characters or fewer (you entered 5,001)",
    ),
    BadInput(
        "oversized-scope-multibyte",
        "scope",
        "é" * 5001,
        "Who is affected must be 5,000 characters or fewer (you entered 5,001)",
    ),
    BadInput(
        "list-for-text",
        "aims",
        ["one", "two"],
        "The aims of the proposal must be text",
        api_refusal="The aims of the proposal must be text",
    ),
    BadInput("list-for-choice", "affected", ["both", "staff"], "Select who it affects from the list"),
    BadInput("object-for-text", "aims", {"text": "x"}, None, form_value=NOT_IN_A_FORM, api_refusal=WRONG_JSON_TYPE),
    BadInput("number-for-choice", "affected", 3, None, form_value=NOT_IN_A_FORM, api_refusal=WRONG_JSON_TYPE),
    BadInput("boolean-for-text", "scope", True, None, form_value=NOT_IN_A_FORM, api_refusal=WRONG_JSON_TYPE),
    BadInput("unknown-choice", "affected", "everyone", "Select who it affects from the list"),
    BadInput("choice-label-not-value", "affected", "Both the public and staff", "Select who it affects from the list"),
    BadInput("nul", "aims", "before\x00after", "The aims of the proposal must not contain control characters"),
    BadInput("escape-c0", "aims", "red \x1b[31m text", "The aims of the proposal must not contain control characters"),
    BadInput("delete-c0", "scope", "a\x7fb", "Who is affected must not contain control characters"),
    BadInput(
        "lone-surrogate",
        "aims",
        "half \ud800 a pair",
        "The aims of the proposal must not contain control characters",
        form_value=NOT_IN_A_FORM,
    ),  # a form body is bytes: a lone surrogate cannot be encoded
    # Legitimate text that looks dangerous: kept exactly, escaped wherever it is shown. Bidi overrides
    # are kept too; the signed PDF shows them as visible [U+202E ...] marks (eia/domain/pdf.py).
    BadInput("script-tag", "aims", "<script>alert('aims')</script>", None),
    BadInput("img-onerror", "scope", '<img src=x onerror="alert(1)">', None),
    BadInput("javascript-url", "aims", "javascript:alert(document.cookie)", None),
    BadInput("template-syntax", "aims", "{{ config }} {% raw %} ${7*7}", None),
    BadInput("right-to-left-override", "aims", "invoice \u202egnp.exe", None),
]

# Raw bodies that are not UTF-8: the form field and the JSON string both carry bytes 0xFF 0xFE.
INVALID_UTF8 = b"caf\xff\xfe"

# Fields a browser never shows but an attacker can add; none of them may change anything.
HIDDEN_FIELDS = {
    "status": "approved",
    "owner_id": "1",
    "author_id": "1",
    "organisation_id": "2",
    "archive_id": "1",
    "id": "1",
}
FORGED_VERSION = 999  # a version the assessment never had: a conflict, never a save
