"""The `eia` command: Flask's CLI for this app, plus the project's own commands."""

from __future__ import annotations

import logging
import os
import re
import sys
from contextlib import contextmanager

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from eia.extensions import db
from eia.models import ROLES, Department, Organisation, User


def _create_app(*_args) -> Flask:
    from config import ConfigurationError
    from eia import create_app

    try:
        return create_app()
    except ConfigurationError as error:  # a message for the operator, not a traceback
        click.echo(f"Error: {error}", err=True)
        sys.exit(1)


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """Due Regard: equality impact assessments."""


def init_app(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)


def _demo_password() -> str:
    password = os.environ.get("EIA_DEMO_PASSWORD")
    if not password:
        password = current_app.config["DEMO_PASSWORD_DEFAULT"]
        click.echo(f"EIA_DEMO_PASSWORD is not set: demo users get the password {password!r}")
    return password


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Create the demo organisations, users and signed-off assessments (idempotent: run it as often as you like)."""
    from eia.dataset import seed_demo_assessments, seed_demo_register
    from eia.services.demo import seed
    from eia.services.users import AccountError

    password = _demo_password()
    try:
        created = seed(password)
    except AccountError as error:
        raise click.ClickException(f"EIA_DEMO_PASSWORD cannot be used: {error}. Nothing was created.") from None
    created += seed_demo_assessments(password)
    created += seed_demo_register()
    click.echo(
        f"Demo data ready ({created} new records). Sign in as author@example.org, approver@example.org, "
        "board@example.org, auditor@example.org, admin@example.org or approver-board@example.org (two roles)."
    )


@click.group("users")
def users_group() -> None:
    """Manage user accounts."""


@users_group.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option(
    "--role",
    "roles",
    required=True,
    multiple=True,
    type=click.Choice(list(ROLES)),
    help="Repeat for a person with several roles: --role approver --role board",
)
@click.option("--organisation", "organisation_slug", required=True, help="Organisation slug, e.g. example-constabulary")
@click.option("--department", "department_name", help="Department name within the organisation")
@click.password_option("--password", help="Prompted for if not given")
@with_appcontext
def create_user_command(email, name, roles, organisation_slug, department_name, password) -> None:
    """Create a user account."""
    from eia.services.users import AccountError, create_user

    organisation = db.session.scalar(select(Organisation).where(Organisation.slug == organisation_slug))
    if organisation is None:
        raise click.ClickException(f"No organisation with slug {organisation_slug!r}")
    department = None
    if department_name:
        department = db.session.scalar(
            select(Department).where(Department.organisation_id == organisation.id, Department.name == department_name)
        )
        if department is None:
            raise click.ClickException(f"No department {department_name!r} in {organisation.name}")
    try:
        user = create_user(
            email=email, name=name, roles=roles, organisation=organisation, department=department, password=password
        )
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created {user.email} ({user.role_label}) in {organisation.name}")


def _user_by_email(email: str) -> User:
    from eia.services.users import normalise_email

    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise click.ClickException(f"No account uses the email {email}")
    return user


@users_group.command("identity")
@click.argument("email")
@with_appcontext
def show_identity_command(email) -> None:
    """Show the single sign-on identity linked to an account."""
    user = _user_by_email(email)
    if user.oidc_subject is None:
        click.echo(
            f"{user.email} is not linked to a single sign-on identity: its next single sign-on links it by "
            "verified email"
        )
    else:
        click.echo(f"{user.email} is linked to the identity {user.oidc_subject!r} at {user.oidc_issuer}")


@users_group.command("unlink-identity")
@click.argument("email")
@with_appcontext
def unlink_identity_command(email) -> None:
    """Unlink an account's single sign-on identity and end its sessions (audited)."""
    from eia.services.users import unlink_identity

    user = _user_by_email(email)
    unlinked = unlink_identity(user, actor=None)
    if unlinked is None:
        raise click.ClickException(f"{user.email} is not linked to a single sign-on identity")
    click.echo(
        f"Unlinked {user.email} from the identity {unlinked['subject']!r} at {unlinked['issuer']}; its sessions "
        "have ended. Its next single sign-on links it again by verified email."
    )


@users_group.command("reset-second-factor")
@click.argument("email")
@click.option("--reason", required=True, help="Why, for the audit log, e.g. 'lost phone, identity checked in person'")
@with_appcontext
def reset_second_factor_command(email, reason) -> None:
    """Remove an account's authenticator app and end its sessions (audited): for when the only
    administrator has lost theirs. They set it up again at their next sign-in."""
    from eia.services import second_factor

    user = _user_by_email(email)
    reason = " ".join(reason.split())
    if not reason:
        raise click.ClickException("Give the reason with --reason: it is kept in the audit log")
    if not user.has_second_factor:
        raise click.ClickException(f"{user.email} has no authenticator app set up")
    second_factor.remove(user, actor=None, reason=reason)
    click.echo(
        f"Removed the authenticator app of {user.email} and ended its sessions. It is set up again at the next sign-in."
    )


@click.group("definitions")
def definitions_group() -> None:
    """Check the definitions in workflows/."""


@definitions_group.command("check")
@click.option("--directory", type=click.Path(file_okay=False), help="Defaults to the configured workflows folder")
def check_definitions(directory) -> None:
    """Validate every definition file; exit 1 listing each problem."""
    from pathlib import Path

    from config import Config
    from eia.services.definitions import definition_problems

    folder = Path(directory) if directory else Config.WORKFLOWS_DIR
    problems = definition_problems(folder)
    if problems:
        for problem in problems:
            click.echo(f"error: {problem}", err=True)
        sys.exit(1)
    click.echo(f"All definitions in {folder} are valid.")


@click.group("mail")
def mail_group() -> None:
    """Email queue."""


@mail_group.command("send")
@click.option(
    "--now",
    "ignore_backoff",
    is_flag=True,
    help="Retry failed emails now instead of waiting for their back-off (after fixing the mail server)",
)
@click.option("--limit", default=500, show_default=True, help="At most this many emails per run")
@with_appcontext
def send_mail(ignore_backoff, limit) -> None:
    """Send queued emails that are due (run it from cron; failures back off and are retried).

    Several may run at once (cron on every instance): each email is claimed before it is sent.
    """
    from eia.services.notifications import queue_status, send_pending

    sent, failed = send_pending(limit, ignore_backoff=ignore_backoff)
    status = queue_status()
    click.echo(
        f"Sent {sent} email(s); {failed} failed and will be retried. "
        f"{status['waiting']} waiting, {status['given_up']} given up after repeated failures."
    )
    if failed:
        sys.exit(1)


@click.group("reminders")
def reminders_group() -> None:
    """Reminders about actions and reviews."""


@reminders_group.command("send")
@click.option(
    "--days",
    default=14,
    show_default=True,
    type=click.IntRange(0, 366),
    help="Remind about what falls due within this many days (overdue items always)",
)
@click.option(
    "--date",
    "on_day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Act as if today were this day (YYYY-MM-DD), e.g. to catch up a missed run",
)
@with_appcontext
def send_reminders(days, on_day) -> None:
    """Email owners and authors about actions and reviews due soon or overdue; at most once a day each."""
    from eia.clock import uk_today
    from eia.services import reminders
    from eia.services.notifications import send_pending

    day = on_day.date() if on_day else uk_today()
    due = reminders.due_reminders(day, days)
    queued = 0
    # A bar when run by hand; nothing but the summary line from cron.
    with click.progressbar(due, label="Queueing reminders", hidden=not sys.stderr.isatty(), file=sys.stderr) as items:
        for reminder in items:
            queued += reminders.queue(reminder, day)
    sent = failed = 0
    while True:  # the outbox sends in batches
        batch_sent, batch_failed = send_pending()
        sent, failed = sent + batch_sent, failed + batch_failed
        if batch_sent == 0 or batch_failed:
            break
    click.echo(
        f"{day.isoformat()}: {len(due)} reminder(s) due, {queued} queued, {len(due) - queued} already sent today; "
        f"sent {sent} email(s), {failed} failed and will be retried by `eia mail send`."
    )
    if failed:
        sys.exit(1)


def _print_report(report, what: str) -> None:
    for note in report.notes:
        click.echo(f"note: {note}")
    for problem in report.problems:
        click.echo(f"PROBLEM: {problem}", err=True)
    if report.problems:
        click.echo(f"{what}: {len(report.problems)} problem(s) found in {report.checked} checked.", err=True)
        sys.exit(1)
    click.echo(f"{what}: all {report.checked} intact.")


@contextmanager
def _pyhanko_quiet():
    """pyHanko logs a warning with a traceback for every forged or untrusted signature it meets; the
    verify commands report each problem in their own words instead."""
    loggers = [logging.getLogger(name) for name in ("pyhanko", "pyhanko_certvalidator")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


@click.group("audit")
def audit_group() -> None:
    """The tamper-evident audit log."""


@audit_group.command("verify")
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.File("r"),
    help="A checkpoint exported earlier: also detects deletion of events recorded since",
)
@with_appcontext
def audit_verify(checkpoint_file) -> None:
    """Recompute the hash chain (a large log in a process per CPU); exit 1 listing each problem."""
    from eia.services import integrity

    try:
        checkpoint = integrity.load_checkpoint(checkpoint_file.read()) if checkpoint_file else None
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    with _pyhanko_quiet():
        report = integrity.verify_audit_chain(checkpoint, workers=integrity.EVERY_CPU)
    _print_report(report, "Audit events")


@audit_group.command("checkpoint")
@click.option("--output", type=click.File("w"), default="-", help="Where to write it (default: standard output)")
@with_appcontext
def audit_checkpoint(output) -> None:
    """Export a signed statement of the chain head; keep it outside this system. With
    EIA_AUDIT_CHECKPOINT_DIR set it is also kept there, and every verification then uses the newest."""
    import json

    from eia.services import integrity

    try:
        checkpoint, kept_at = integrity.write_checkpoint()
    except (ValueError, OSError) as error:
        raise click.ClickException(str(error)) from None
    output.write(json.dumps(checkpoint, indent=2) + "\n")
    click.echo(
        f"Checkpoint of audit event {checkpoint['seq']} written{f' and kept at {kept_at}' if kept_at else ''}.",
        err=True,
    )


@audit_group.command("role-grants")
@click.option("--application-role", default="eia_app", show_default=True, help="The role the application connects as")
@click.option("--owner-role", default="eia_owner", show_default=True, help="The role that owns the tables")
def audit_role_grants(application_role: str, owner_role: str) -> None:
    """Print the PostgreSQL role split that lets the application only add to and read the audit log
    and the archive (see docs/security.md)."""
    from eia.services.append_only import role_grants

    for role in (application_role, owner_role):
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", role):
            raise click.BadParameter(f"{role!r} is not a plain role name (lower-case letters, digits, underscores)")
    click.echo(role_grants(application_role, owner_role))


@click.group("archive")
def archive_group() -> None:
    """The archive of signed PDFs."""


@archive_group.command("verify")
@with_appcontext
def archive_verify() -> None:
    """Check every archived file's hash and signature; exit 1 listing each problem."""
    from eia.services import integrity

    with _pyhanko_quiet():
        report = integrity.verify_archive()
    _print_report(report, "Archived records")


@archive_group.command("renew")
@click.option(
    "--older-than-days",
    type=click.IntRange(min=0),
    help="Timestamp again a record whose newest timestamp is older than this (default EIA_RENEW_OLDER_THAN_DAYS, 730)",
)
@click.option(
    "--expiring-within-days",
    type=click.IntRange(min=0),
    help="... or whose newest timestamp's authority certificate expires within this many days "
    "(default EIA_RENEW_EXPIRING_DAYS, 180)",
)
@with_appcontext
def archive_renew(older_than_days, expiring_within_days) -> None:
    """Add a document timestamp (PAdES B-LTA) to every archived record that is due; each renewal is audited.

    Run it on a schedule (see docs/seals.md). Exit 1 if any record could not be renewed.
    """
    from eia.services import renewal

    try:
        with _pyhanko_quiet():
            report = renewal.renew(older_than_days, expiring_within_days)
    except renewal.RenewalError as error:
        raise click.ClickException(str(error)) from None
    for line in report.renewed:
        click.echo(f"renewed: {line}")
    for line in report.failed:
        click.echo(f"FAILED: {line}", err=True)
    click.echo(
        f"Archived records: {len(report.renewed)} renewed, {len(report.failed)} failed, "
        f"{report.checked - len(report.renewed) - len(report.failed)} not due, of {report.checked}."
    )
    if report.failed:
        sys.exit(1)


@click.group("seal")
def seal_group() -> None:
    """Each organisation's seal: the key and certificate its archived records are sealed with."""


def _organisation(slug: str | None) -> Organisation:
    if slug is None:
        organisations = list(db.session.scalars(select(Organisation).order_by(Organisation.slug)))
        if len(organisations) == 1:
            return organisations[0]
        raise click.ClickException(
            "Name the organisation with --organisation: one of " + ", ".join(o.slug for o in organisations)
        )
    organisation = db.session.scalar(select(Organisation).where(Organisation.slug == slug))
    if organisation is None:
        raise click.ClickException(f"No organisation with slug {slug!r}")
    return organisation


_ORGANISATION_OPTION = click.option(
    "--organisation",
    "organisation_slug",
    help="Organisation slug, e.g. example-constabulary (needed when there are several)",
)


@seal_group.command("show")
@_ORGANISATION_OPTION
@with_appcontext
def seal_show(organisation_slug) -> None:
    """List every certificate the organisation has sealed with, and when each was in use (audited)."""
    from eia.services import seals

    organisation = _organisation(organisation_slug)
    periods = seals.show(organisation)
    if not periods:
        click.echo(f"{organisation.name} has no seal yet: its first sign-off makes one (or run `eia seal rotate`).")
        return
    click.echo(f"Seals of {organisation.name}, oldest first:")
    for period in periods:
        until = period.in_use_until.strftime("%d %B %Y %H:%M UTC") if period.in_use_until else "now (in use)"
        click.echo(
            f"- {period.subject}\n  SHA-256 {period.certificate_sha256}\n"
            f"  valid {period.not_before:%d %B %Y} to {period.not_after:%d %B %Y}; "
            f"in use {period.in_use_from:%d %B %Y %H:%M UTC} to {until}\n  private key: {period.key_source}"
        )
    if seals.key_missing(organisation.id):
        click.echo(
            "The key of the seal in use is not on this server: restore it from the key backup, or run "
            "`eia seal rotate`.",
            err=True,
        )


@seal_group.command("rotate")
@_ORGANISATION_OPTION
@with_appcontext
def seal_rotate(organisation_slug) -> None:
    """Start a new key and certificate for new records; the old certificate keeps older records verifiable."""
    from eia.domain.signing import SigningKeyError
    from eia.services import seals

    organisation = _organisation(organisation_slug)
    try:
        period = seals.rotate(organisation)
    except (seals.SealError, SigningKeyError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"{organisation.name} now seals with {period.subject} (SHA-256 {period.certificate_sha256}); "
        f"the private key is the {period.key_source}: back it up. Older records still verify."
    )


@click.group("search")
def search_group() -> None:
    """The archive search index."""


@search_group.command("rebuild")
@with_appcontext
def search_rebuild() -> None:
    """Re-index every assessment (after upgrading, or to repair the index)."""
    from eia.services import search

    click.echo(f"Indexed {search.rebuild()} assessment version(s).")


@click.command("export")
@click.option(
    "--output",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="The bundle to write, e.g. bundle.zip",
)
@with_appcontext
def export_command(output) -> None:
    """Write a backup bundle: every table's rows, the archived PDFs, the audit head, a manifest."""
    from pathlib import Path

    from eia.services.backup import export_bundle

    manifest = export_bundle(Path(output))
    rows = sum(manifest["counts"].values())
    pdfs = sum(1 for name in manifest["members"] if name.startswith("archive/"))
    head = manifest["audit_head"]
    click.echo(
        f"Wrote {output}: {rows} rows in {len(manifest['counts'])} tables, {pdfs} archived PDF(s), "
        f"audit chain head {head['seq'] if head else 'none'}."
    )


@click.command("import")
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_command(bundle) -> None:
    """Restore a bundle into this EMPTY instance, then verify the audit chain and the archive."""
    from pathlib import Path

    from eia.services.backup import BundleError, import_bundle

    try:
        report = import_bundle(Path(bundle))
    except BundleError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Restored {sum(report.counts.values())} rows from {bundle}.")
    for note in report.notes:
        click.echo(f"note: {note}")
    for name, result in (("Audit events", report.audit), ("Archived records", report.archive)):
        for problem in result.problems:
            click.echo(f"PROBLEM: {problem}", err=True)
        click.echo(f"{name}: {len(result.problems)} problem(s) in {result.checked} checked.")
    if not report.ok:
        sys.exit(1)


@click.group("dev")
def dev_group() -> None:
    """Development and benchmarking tools."""


@dev_group.command("generate")
@click.option("--assessments", "count", type=click.IntRange(min=1), required=True, help="How many to add")
@click.option("--organisation", "organisation_slug", default="example-constabulary", show_default=True)
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same answers and routes")
@with_appcontext
def dev_generate(count, organisation_slug, seed) -> None:
    """Add realistic assessments: a sample through the real pipeline (signed PDFs), the rest in bulk.

    Users missing from a department (an author, an approver) and a Board member are created with the
    demo password.
    """
    from eia.dataset import generate

    organisation = db.session.scalar(select(Organisation).where(Organisation.slug == organisation_slug))
    if organisation is None:
        raise click.ClickException(
            f"No organisation with slug {organisation_slug!r} (run `eia seed-demo` for the demo ones)"
        )
    password = _demo_password()
    with click.progressbar(length=count, label=f"Generating {count:,} assessments") as bar:
        made = generate(organisation, count, seed, password, progress=bar.update)
    click.echo(f"Added {made:,} assessments to {organisation.name}.")


COMMANDS = (
    seed_demo,
    dev_group,
    users_group,
    definitions_group,
    mail_group,
    reminders_group,
    audit_group,
    archive_group,
    seal_group,
    search_group,
    export_command,
    import_command,
)
# Checking definitions must work even when they are too broken for the app to start.
main.add_command(definitions_group)
