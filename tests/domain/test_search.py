"""The search query parser and spreadsheet cell neutralising, alone."""

from __future__ import annotations

import pytest

from eia.domain.search import MAX_QUERY_LENGTH, QueryError, neutralise_cell, parse_query


@pytest.mark.parametrize(
    "typed, engine_text",
    [
        ("custody", '"custody"'),
        ("Body-worn video", '"body worn" "video"'),
        ('"stop and search" race', '"stop and search" "race"'),
        ('"unbalanced quote', '"unbalanced" "quote"'),
        ("NEAR(a b) OR -c AND d*", '"near a" "b" "or" "c" "and" "d"'),
        ("((( ))) * - ^ : {}", ""),
        ("café naïve Ŵ", '"café" "naïve" "ŵ"'),
        ("custody custody", '"custody"'),
        ("", ""),
    ],
)
def test_only_words_reach_the_engines(typed, engine_text):
    assert parse_query(typed).engine_text == engine_text


def test_too_long_or_too_many_words_is_an_error_not_a_truncation():
    with pytest.raises(QueryError, match="200 characters or fewer"):
        parse_query("a" * (MAX_QUERY_LENGTH + 1))
    with pytest.raises(QueryError, match="20 search words"):
        parse_query(" ".join(f"w{i}" for i in range(21)))


@pytest.mark.parametrize(
    "value, expected",
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Plain title", "Plain title"),
        ("", ""),
        (3, 3),
        (None, None),
    ],
)
def test_cells_a_spreadsheet_would_run_get_an_apostrophe(value, expected):
    assert neutralise_cell(value) == expected
