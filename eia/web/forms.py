"""Static forms and widget fixes for govuk-frontend-wtf."""

from __future__ import annotations

from flask import abort
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovPasswordInput, GovSubmitInput, GovTextInput
from wtforms import EmailField, HiddenField, PasswordField, StringField, SubmitField


class DateInput(GovDateInput):
    """GovDateInput with two fixes: a POST without the date no longer crashes (it unpacks three
    parts), and the wrapper carries no invalid ``required`` attribute."""

    def __call__(self, field, **kwargs):
        kwargs["required"] = False
        return super().__call__(field, **kwargs)

    def map_gov_params(self, field, **kwargs):
        if field.raw_data is not None:
            field.raw_data = (list(field.raw_data) + ["", "", ""])[:3]
        params = super().map_gov_params(field, **kwargs)
        params["attributes"].pop("required", None)
        return params


class SignInForm(FlaskForm):
    email = EmailField("Email address", widget=GovTextInput())
    password = PasswordField("Password", widget=GovPasswordInput())
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class VersionedForm(FlaskForm):
    """A form acting on an assessment: it carries the version the user saw, so a concurrent
    change is caught instead of overwritten."""

    version = HiddenField()

    def expected_version(self) -> int | None:
        value = (self.version.data or "").strip()
        return int(value) if value.isdigit() else -1  # a forged or missing version never matches


def require_valid_form() -> None:
    """Answer 400 to a POST whose form does not validate (its CSRF token is missing or wrong)."""
    if not VersionedForm().validate_on_submit():
        abort(400)


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", widget=GovPasswordInput())
    new_password = PasswordField("New password", widget=GovPasswordInput())
    submit = SubmitField("Change password", widget=GovSubmitInput())


class SecondFactorForm(FlaskForm):
    code = StringField("Code", widget=GovTextInput())
    submit = SubmitField("Continue", widget=GovSubmitInput())
