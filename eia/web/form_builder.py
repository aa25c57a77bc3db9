"""Question definitions -> WTForms fields rendered with GOV.UK widgets.

Forms here only render and read raw input; validation is the domain's (eia.domain.questionnaire),
so the browser, the API and the tests all get the same rules and messages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovCheckboxesInput,
    GovRadioInput,
    GovSelect,
    GovTextInput,
)
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import DateField, Field, RadioField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from eia.domain.questionnaire import Choice, LaidOutQuestion, Page, Question, choices_for
from eia.web.forms import DateInput, VersionedForm


def _choices(question: Question, options: Mapping[str, list[Choice]]) -> list[SelectChoice]:
    return [SelectChoice(c.value, c.label) for c in choices_for(question, options)]


def _text(question, label, options):
    return StringField(label, description=question.hint or "", widget=GovTextInput())


def _textarea(question, label, options):
    return TextAreaField(label, description=question.hint or "", widget=GovCharacterCount())


def _radios(question, label, options):
    return RadioField(
        label,
        description=question.hint or "",
        choices=_choices(question, options),
        widget=GovRadioInput(),
        validate_choice=False,
    )


def _checkboxes(question, label, options):
    return SelectMultipleField(
        label,
        description=question.hint or "",
        choices=_choices(question, options),
        widget=GovCheckboxesInput(),
        validate_choice=False,
    )


def _select(question, label, options):
    return SelectField(
        label,
        description=question.hint or "",
        choices=[SelectChoice("", "Choose"), *_choices(question, options)],
        widget=GovSelect(),
        validate_choice=False,
    )


def _date(question, label, options):
    return DateField(label, description=question.hint or "", format="%d %m %Y", widget=DateInput())


FIELD_FACTORIES: dict[str, Callable[[Question, str, Mapping[str, list[Choice]]], Field]] = {
    "text": _text,
    "textarea": _textarea,
    "radios": _radios,
    "checkboxes": _checkboxes,
    "select": _select,
    "date": _date,
}


def build_form(
    page: Page,
    questions: list[Question],
    options: Mapping[str, list[Choice]],
    stored: Mapping[str, Any],
    version: int,
    formdata: MultiDict | None = None,
    prefix: str = "",
) -> VersionedForm:
    """A form for ``questions``, showing ``formdata`` if given (a re-shown POST) or else ``stored``.
    ``prefix`` names its fields apart from other pages' on the same screen ("screening-age-relevance")."""

    class PageForm(VersionedForm):
        pass

    for question in questions:
        setattr(PageForm, question.id, FIELD_FACTORIES[question.type](question, page.fill(question.label), options))
    data = {question.id: _initial(question, stored.get(question.id)) for question in questions}
    form = PageForm(formdata=formdata, data={**data, "version": str(version)}, prefix=prefix)
    for question in questions:
        if question.suggestions_from:
            getattr(form, question.id).suggestions = options.get(question.suggestions_from, [])
    if formdata is not None:
        form.version.data = formdata.get("version", "")
    return form


def _initial(question: Question, value: Any) -> Any:
    if question.type == "date" and value:
        return date.fromisoformat(value)
    return value


def submitted_values(questions: list[Question], formdata: MultiDict, prefix: str = "") -> dict[str, Any]:
    """Raw values for the domain's validation, as the browser sent them."""
    values: dict[str, Any] = {}
    for question in questions:
        name = f"{prefix}-{question.id}" if prefix else question.id
        if question.type == "checkboxes":
            values[question.id] = formdata.getlist(name)
        elif question.type == "date":
            parts = (formdata.getlist(name) + ["", "", ""])[:3]
            values[question.id] = dict(zip(("day", "month", "year"), parts, strict=True))
        else:  # one value; a field sent twice goes to the domain as a list, which it refuses
            sent = formdata.getlist(name)
            values[question.id] = sent if len(sent) > 1 else formdata.get(name)
    return values


def field_prefix(page: Page) -> str:
    """What the fields of ``page`` are named after when several pages share one screen."""
    return page.id.replace(":", "-")


def attach_errors(form: VersionedForm, errors: Mapping[str, str]) -> list[dict[str, str]]:
    """Put the domain's messages on the fields and return the error summary's list.

    Summary links go to the first input of each question (the day input for dates), as GOV.UK asks.
    """
    summary = []
    for question_id, message in errors.items():
        field = getattr(form, question_id, None)
        if field is None:
            summary.append({"text": message, "href": "#main-content"})
            continue
        field.errors = [message]
        anchor = f"{field.id}-day" if isinstance(field, DateField) else field.id
        summary.append({"text": message, "href": f"#{anchor}"})
    return summary


def render_layout(form: VersionedForm, layout: list[LaidOutQuestion], *, choice_hints: bool = True) -> Markup:
    """The page's questions as GOV.UK components, reveals nested under their radio options.
    ``choice_hints=False`` leaves the options' hints out (a screen that explains them once for all)."""
    return Markup("\n").join(
        _render(form, laid.question, laid.revealed, size="m", choice_hints=choice_hints)
        + Markup("").join(_render_after(form, laid.question, values, child) for values, child in laid.revealed_after)
        for laid in layout
    )


def _render(
    form: VersionedForm,
    question: Question,
    revealed: Mapping[str, tuple[Question, ...]],
    size: str,
    choice_hints: bool = True,
) -> Markup:
    field = getattr(form, question.id)
    params: dict[str, Any] = {}
    if question.type in ("radios", "checkboxes", "date"):
        params["fieldset"] = {"legend": {"text": field.label.text, "classes": f"govuk-fieldset__legend--{size}"}}
    else:
        params["label"] = {"text": field.label.text, "classes": f"govuk-label--{size}"}
    if question.type == "textarea" and question.max_length:
        params["maxlength"] = question.max_length
    if question.type == "text":
        params["spellcheck"] = True
    suggestions = getattr(field, "suggestions", None)
    if suggestions is not None:  # typed freely, or picked from the list the browser offers as you type
        params["attributes"] = {"list": f"{field.id}-suggestions", "autocomplete": "off"}
        params["spellcheck"] = False
    if question.type in ("radios", "checkboxes"):
        hints = {c.value: c.hint for c in question.choices if c.hint} if choice_hints else {}
        items = []
        for choice in field.choices:
            item: dict[str, Any] = {}
            if choice.value in hints:
                item["hint"] = {"text": hints[choice.value]}
            if choice.value in revealed:
                item["conditional"] = {
                    "html": Markup("").join(_render(form, child, {}, size="s") for child in revealed[choice.value])
                }
            items.append(item)
        if any(items):
            params["items"] = items
    if suggestions:
        options = Markup("").join(
            Markup('<option value="{}">{}</option>').format(c.value, c.label) for c in suggestions
        )
        return field(params=params) + Markup('<datalist id="{}-suggestions">{}</datalist>').format(field.id, options)
    return field(params=params)


def _render_after(form: VersionedForm, parent: Question, values: tuple[str, ...], question: Question) -> Markup:
    """A question that several options of ``parent`` reveal, right after its radio group (one field,
    so it cannot sit under each option). Shown without JavaScript; eia.js hides it while none of
    those options is chosen. The server ignores it then, whatever it holds."""
    return Markup('<div class="app-reveal-after" data-reveal-parent="{}" data-reveal-values="{}">{}</div>').format(
        getattr(form, parent.id).name, " ".join(values), _render(form, question, {}, size="s")
    )
