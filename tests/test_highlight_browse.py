"""Snippets and highlights (core.highlight) and the corpus table's rows (core.browse)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from core.browse import passage_rows
from core.highlight import match_spans, query_terms, snippet


def test_stems_match_so_boiling_lights_up_boil_and_boiled():
    text = "Boiled water is safe. Boil it for a minute; boiling longer wastes fuel."
    spans = match_spans(text, query_terms("boiling water"))
    assert [text[s:e] for s, e in spans] == ["Boiled", "water", "Boil", "boiling"]


def test_stop_words_are_never_highlighted():
    assert match_spans("How do I do it", query_terms("how do I")) == []


def test_snippet_centres_on_the_matches_and_marks_cut_ends():
    text = (
        ("Unrelated words about the weather. " * 20)
        + "Purify the water with tablets. "
        + ("More filler text here. " * 20)
    )
    piece, spans = snippet(text, query_terms("purify water tablets"), 120)
    assert piece.startswith("…") and piece.endswith("…")
    assert "Purify the water with tablets" in piece
    assert {piece[s:e].lower() for s, e in spans} >= {"purify", "water", "tablets"}
    assert len(piece) <= 120 + 4


@given(st.text(max_size=400), st.text(max_size=40), st.integers(min_value=20, max_value=300))
def test_snippet_spans_always_point_inside_the_snippet(text, query, size):
    piece, spans = snippet(text, query_terms(query), size)
    for start, end in spans:
        assert 0 <= start < end <= len(piece)


def test_rows_filter_by_words_and_topic(store):
    rows = passage_rows(store)
    assert [r.id for r in rows][:3] == ["s-001", "s-002", "s-003"] and len(rows) == 8
    assert not hasattr(rows[0], "text")
    assert [r.id for r in passage_rows(store, "water boil")] == ["s-001"]
    assert {r.id for r in passage_rows(store, topic="first-aid")} == {"s-003", "s-007"}
    assert passage_rows(store, "100%") == [] and passage_rows(store, "a_b") == []
