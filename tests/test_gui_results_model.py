"""The results model: a refined order moves rows (never a reset), so selections follow passages."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QItemSelectionModel, QPersistentModelIndex

from app.results_model import IdRole, ResultsModel
from core.records import SearchHit, SearchResult


def hit(pid: str) -> SearchHit:
    return SearchHit(pid, f"Title {pid}", f"Text of {pid} about water.", "src", "", [], 0.0, None, None)


def result(ids: list[str], reranked: bool = False) -> SearchResult:
    return SearchResult("water", [hit(i) for i in ids], reranked, None, "cpu", {}, confident=reranked or None)


def test_model_is_consistent_through_refinements(qtmodeltester, qapp):
    model = ResultsModel()
    model.set_result(result(["a", "b", "c", "d"]), frozenset({"water"}))
    qtmodeltester.check(model)
    model.set_result(result(["d", "x", "b", "a"], reranked=True), frozenset({"water"}))
    qtmodeltester.check(model)
    assert [h.id for h in model.hits()] == ["d", "x", "b", "a"]


def test_a_persistent_index_follows_its_passage(qapp):
    model = ResultsModel()
    model.set_result(result(["a", "b", "c", "d"]), frozenset())
    selection = QItemSelectionModel(model)
    selection.setCurrentIndex(model.index(2, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect)
    resets = []
    model.modelReset.connect(lambda: resets.append(1))
    model.set_result(result(["c", "e", "a"], reranked=True), frozenset())
    assert not resets
    assert selection.currentIndex().data(IdRole) == "c" and selection.currentIndex().row() == 0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from("abcdefghij"), unique=True, min_size=1, max_size=8),
    st.lists(st.sampled_from("abcdefghij"), unique=True, min_size=1, max_size=8),
)
def test_any_refinement_ends_in_the_new_order_with_indexes_following(qapp, before, after):
    model = ResultsModel()
    model.set_result(result(before), frozenset())
    watched = {pid: QPersistentModelIndex(model.index(row, 0)) for row, pid in enumerate(before)}
    model.set_result(result(after, reranked=True), frozenset())
    assert [h.id for h in model.hits()] == after
    for pid, index in watched.items():
        if pid in after:
            assert index.isValid() and index.data(IdRole) == pid
        else:
            assert not index.isValid()
