"""The user guides' figures: each one a guide shows is in docs/images, is a screenshot a browser test takes
(`make guide-screenshots` copies them there), and is no bigger than the test window."""

from __future__ import annotations

import ast
import re
import struct
from pathlib import Path

from tests.browser.conftest import GUIDE_PREFIX, VIEWPORT

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
IMAGES = DOCS / "images"


def _shown_in_guides() -> set[str]:
    return {
        name
        for guide in DOCS.glob("*.md")
        for name in re.findall(r"!\[[^\]]*\]\(images/([^)]+)\.png\)", guide.read_text())
    }


def _screenshot_names_in_browser_tests() -> set[str]:
    """The string literals naming guide screenshots in tests/browser (names are written out, so they can be found)."""
    return {
        node.value
        for source in (ROOT / "tests" / "browser").glob("*.py")
        for node in ast.walk(ast.parse(source.read_text()))
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.fullmatch(rf"{GUIDE_PREFIX}[a-z0-9-]+", node.value)
    }


def test_every_figure_in_the_guides_is_a_guide_screenshot_a_browser_test_takes():
    shown = _shown_in_guides()
    assert shown, "the guides show no screenshots: is the pattern out of date?"
    assert {name for name in shown if not name.startswith(GUIDE_PREFIX)} == set()
    assert shown - _screenshot_names_in_browser_tests() == set(), "figures no browser test takes"
    assert _screenshot_names_in_browser_tests() - shown == set(), "guide screenshots no guide shows"


def test_the_images_are_the_figures_and_window_sized():
    assert {image.stem for image in IMAGES.iterdir()} == _shown_in_guides()
    for image in IMAGES.iterdir():
        header = image.read_bytes()[:24]
        assert header[:8] == b"\x89PNG\r\n\x1a\n", image.name
        assert struct.unpack(">II", header[16:24]) == (VIEWPORT["width"], VIEWPORT["height"]), image.name
