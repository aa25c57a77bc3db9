"""The bare baseline for page workloads: Flask + Jinja2 and nothing else (no database, no login,
no GOV.UK macros), rendering a page of a requested byte size from a GOV.UK-like layout."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, render_template

ROW_TEXT = "Stop and search grounds recording standard, Operational Policing"


def create_app() -> Flask:
    app = Flask(__name__, template_folder=str(Path(__file__).parent / "templates"))

    def rendered(rows: int) -> str:
        return render_template(
            "page.html",
            title="Assessments",
            rows=[
                {"reference": f"EIA-2026-{n:05d}", "title": ROW_TEXT, "status": "Signed off", "updated": "3 March 2026"}
                for n in range(rows)
            ],
        )

    @app.get("/page/<int:size>")
    def page(size: int):
        if "row_bytes" not in app.config:  # measured once: the empty layout, and what one row adds
            empty, hundred = len(rendered(0).encode()), len(rendered(100).encode())
            app.config["row_bytes"] = (empty, (hundred - empty) / 100)
        empty, row = app.config["row_bytes"]
        return rendered(max(0, round((size - empty) / row)))

    return app
