"""The public register: no sign-in, no session cookie, cacheable.

Every response here is the same for everyone: it reads no session and the Flask session is never
saved (so no Set-Cookie, whoever asks), and a GET carries an ETag and ``Cache-Control: public`` so a
proxy or CDN can serve it; a matching If-None-Match gets 304. Pages use their own base template,
which shows nothing about the person asking.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, abort, current_app, g, jsonify, render_template, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from eia.domain import publication as domain
from eia.extensions import csrf
from eia.services import publication

bp = Blueprint("public", __name__, url_prefix="/public")
MAX_AGE = 300  # seconds a proxy or CDN may serve a page before asking again


def init_app(app: Flask) -> None:
    """Never save (or set) the session on a public response."""
    base = type(app.session_interface)

    class PublicAwareSessionInterface(base):
        def save_session(self, app, session, response):
            if g.get("public_response"):
                return None
            return super().save_session(app, session, response)

    app.session_interface = PublicAwareSessionInterface()


@bp.before_request
def _public() -> None:
    g.public_response = True


def _cacheable(response: Response, max_age: int = MAX_AGE) -> Response:
    g.public_cacheable = True  # eia.security leaves these Cache-Control headers alone
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.add_etag()
    return response.make_conditional(request)


def _page_number() -> int:
    value = request.args.get("page", "1")
    return int(value) if value.isdigit() and len(value) < 7 else 1


def _filters() -> dict[str, str]:
    return {
        "query": request.args.get("q", "")[:200],
        "department": request.args.get("department", "")[:200],
        "subject_type": request.args.get("subject_type", "")[:200],
    }


@bp.get("/")
def register():
    filters = _filters()
    found = publication.register(**filters, page=_page_number())
    args = {
        key: value
        for key, value in (
            ("q", filters["query"]),
            ("department", filters["department"]),
            ("subject_type", filters["subject_type"]),
        )
        if value
    }
    pagination = None
    if found.pages > 1:
        pagination = {
            "items": [
                {"number": n, "href": url_for(".register", **args, page=n), "current": n == found.page}
                for n in range(1, found.pages + 1)
            ]
        }
        if found.page > 1:
            pagination["previous"] = {"href": url_for(".register", **args, page=found.page - 1)}
        if found.page < found.pages:
            pagination["next"] = {"href": url_for(".register", **args, page=found.page + 1)}
    response = Response(render_template("public/register.html", found=found, filters=filters, pagination=pagination))
    return _cacheable(response)


@bp.get("/assessments/<id:publication_id>")
def published(publication_id: int):
    item = publication.get_published(publication_id) or abort(404)
    snapshot = None if item.withdrawn_at else publication.public_snapshot(item)
    response = Response(
        render_template(
            "public/published.html",
            item=item,
            snapshot=snapshot,
            redactions=domain.redactions_by_reason(item.redactions),
        )
    )
    return _cacheable(response)


@bp.get("/assessments/<id:publication_id>/public-copy.pdf")
def published_pdf(publication_id: int):
    item = publication.get_published(publication_id) or abort(404)
    if item.withdrawn_at:
        abort(410)
    response = Response(publication.public_pdf(item), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{publication.download_name(item)}"'
    response.set_etag(item.sha256)  # the content's own hash
    g.public_cacheable = True
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response.make_conditional(request)


def _entry(item) -> dict:
    entry = {
        "title": item.title,
        "reference": item.reference,
        "version": item.version_number,
        "organisation": item.organisation_name,
        "department": item.department,
        "subject_type": item.subject_type,
        "published_on": item.published_at.isoformat(),
        "withdrawn_on": item.withdrawn_at.isoformat() if item.withdrawn_at else None,
        "url": url_for(".published", publication_id=item.id, _external=True),
    }
    if not item.withdrawn_at:
        entry |= {
            "pdf": url_for(".published_pdf", publication_id=item.id, _external=True),
            "sha256": item.sha256,
            "original_sha256": item.original_sha256,
        }
    return entry


@bp.get("/register.json")
def register_json():
    found = publication.register(**_filters(), page=_page_number(), per_page=100)
    response = jsonify(
        {
            "total": found.total,
            "page": found.page,
            "pages": found.pages,
            "assessments": [_entry(item) for item in found.items],
        }
    )
    return _cacheable(response)


@bp.get("/register.atom")
def feed():
    items = publication.newest()
    response = Response(render_template("public/feed.xml", items=items), mimetype="application/atom+xml")
    return _cacheable(response)


def _size_label(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


def _check_page(result=None, errors=None, status: int = 200):
    limit = _size_label(current_app.config["MAX_CONTENT_LENGTH"])
    return render_template("public/check.html", result=result, errors=errors or [], limit=limit), status


@bp.route("/check-a-document", methods=["GET", "POST"])
@csrf.exempt  # it changes nothing, and a token would need a session: no cookie is ever set here
def check_document():
    if request.method == "GET":
        body, status = _check_page()
        return _cacheable(Response(body, status))
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _check_page(errors=[{"text": "Select a PDF file", "href": "#file"}], status=400)
    content = upload.read()
    if not content:
        return _check_page(errors=[{"text": "The selected file is empty", "href": "#file"}], status=400)
    return _check_page(result={"match": publication.find_by_content(content), "name": upload.filename})


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error):
    limit = _size_label(current_app.config["MAX_CONTENT_LENGTH"])
    return _check_page(errors=[{"text": f"The selected file must be {limit} or smaller", "href": "#file"}], status=413)
