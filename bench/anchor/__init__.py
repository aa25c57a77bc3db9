"""The bare baseline for page workloads: Flask + Jinja2 and nothing else (no database, no login,
no GOV.UK macros), rendering a page of a requested byte size from a GOV.UK-like layout."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, render_template

ROW_TEXT = "Stop and search grounds recording standard, Operational Policing"


def create_app() -> Flask:
    app = Flask(__name__, template_folder=str(Path(__file__).parent / "templates"))

    @app.get("/page/<int:size>")
    def page(size: int):
        # The layout is ~1.4 KB; each row ~190 bytes: enough rows to reach the requested size.
        rows = [{"reference": f"EIA-2026-{n:05d}", "title": ROW_TEXT, "status": "Signed off", "updated": "3 March 2026"}
                for n in range(max(0, (size - 1400) // 190))]
        return render_template("page.html", rows=rows, title="Assessments")

    return app
