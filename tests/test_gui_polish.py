"""Fixes from the UX audit, each pinned by what the user does: keys, widths, banners, marks, bookmarks."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.gui_fakes import FakeReranker, final_result

pytest_plugins = ["tests.gui_support"]  # the GUI fixtures: make_window, gui_app, prefs_path

NO_CONFIG = (
    "Reranker unavailable, results are not reranked: /home/sam/models/my-model has no config.json: "
    "it is not a Hugging Face / sentence-transformers model folder."
)


def ask(qtbot, window, text: str) -> object:
    with qtbot.waitSignal(window.results_shown, timeout=10000, check_params_cb=final_result(window)) as blocker:
        qtbot.keyClicks(window.search_box, text)
        qtbot.keyClick(window.search_box, Qt.Key.Key_Return)
    return blocker.args[0]


def open_first(qtbot, window) -> None:
    qtbot.keyClick(window.search_box, Qt.Key.Key_Down)
    qtbot.keyClick(window.results_view, Qt.Key.Key_Return)
    assert window.detail.body.hasFocus()


# ---------------------------------------------------------------------- 1. Tab order
def test_forward_tab_visits_every_control_once_and_comes_back_to_the_search_box(qtbot, make_window):
    window = make_window()
    ask(qtbot, window, "boil water")
    detail = window.detail
    expected = [
        window.results_view,
        detail.body,
        detail.copy_button,
        detail.bookmark_button,
        detail.helpful_button,
        detail.not_helpful_button,
        window.topic_combo,
        window.recent_button,
        window.bookmarks_button,
    ]
    visited = []
    for _ in range(len(expected) + 3):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        if window.search_box.hasFocus():
            break
        visited.append(QApplication.focusWidget())
    assert window.search_box.hasFocus(), [type(w).__name__ for w in visited]
    assert visited == expected


# ---------------------------------------------------------------------- 2. the window keeps its width
def test_status_texts_never_make_the_window_wider(qtbot, make_window):
    from core.records import SearchResult

    window = make_window()
    window.resize(800, 500)
    qtbot.waitUntil(lambda: window.width() == 800)
    ask(qtbot, window, "boil water")
    slow = {"first_stage_ms": 1234.0, "rerank_ms": 98765.0, "reranked": 300.0, "total_ms": 99999.0}
    window.status.set_timings(SearchResult("boil water", [], True, None, "cpu", slow), 0.0)
    window.status.set_reranker("unavailable", NO_CONFIG.replace("my-model", "a-very-long-model-folder-name" * 4), None)
    qtbot.wait(50)
    assert window.width() == 800
    assert window.minimumSizeHint().width() <= 800
    label = window.timing_label
    assert label.text().startswith("Last query: first results 1.2 s")  # the whole text is kept ...
    if label.is_elided():  # ... and, when cut, it leads the tooltip
        assert label.full_tooltip().startswith(label.text())

    window.set_font_size(20)
    qtbot.wait(50)
    assert window.width() == 800


def test_a_passing_message_gets_room_to_be_read(qtbot, make_window):
    window = make_window()
    window.resize(800, 500)
    ask(qtbot, window, "boil water")
    message = "Feedback saved for training."
    window.statusBar().showMessage(message, 5000)
    qtbot.wait(50)
    status = window.status
    labels = (status.timing_label, status.embed_label, status.reranker_label, status.count_label)
    first = min(label.geometry().left() for label in labels if label.isVisible())
    assert first - 6 >= status.fontMetrics().horizontalAdvance(message)
    status.clearMessage()
    qtbot.wait(20)
    assert all(label.maximumWidth() > 10000 for label in labels)  # back to their whole texts


# ---------------------------------------------------------------------- 3. why the reranker is off
def test_reranker_reason_is_the_cause_without_the_generic_words():
    from app.status_bar import reranker_reason, short_reason

    assert reranker_reason(NO_CONFIG) == (
        "/home/sam/models/my-model has no config.json: it is not a Hugging Face / sentence-transformers model folder."
    )
    assert short_reason(reranker_reason(NO_CONFIG)) == "my-model has no config.json"
    installed = "No reranker model is installed: results are BM25 + embedding order, not reranked."
    assert reranker_reason(installed) == "No reranker model is installed."
    assert short_reason(reranker_reason(installed)) == "no reranker model is installed"
    assert reranker_reason("Reranker unavailable: out of memory") == "out of memory"
    assert reranker_reason("") == "No reranker model could be loaded."
    assert short_reason("ONNX Runtime could not load C:\\models\\x\\model.onnx: bad file") == (
        "ONNX Runtime could not load model.onnx"
    )


def test_without_a_reranker_the_real_reason_shows_in_the_status_bar_and_a_banner(qtbot, make_window):
    window = make_window(reranker=None, why=NO_CONFIG)
    assert window.reranker_label.text() == "Reranker unavailable: my-model has no config.json"
    assert "/home/sam/models/my-model has no config.json" in window.reranker_label.toolTip()
    result = ask(qtbot, window, "hypothermia shivering")
    assert not result.reranked
    assert window.banner.isVisible()
    text = window.banner.text()
    assert "not reranked" in text and "my-model has no config.json" in text
    assert window.banner.property("kind") == "info"


# ---------------------------------------------------------------------- 4. both notices
def test_a_shortened_question_says_so_also_when_no_answer_is_confident(qtbot, make_window):
    window = make_window(FakeReranker(scores=lambda q, ps: [-2.0] * len(ps)))
    long_question = ("how do I boil water safely " * 60).strip()
    assert len(long_question) > 1000
    with qtbot.waitSignal(window.results_shown, timeout=10000, check_params_cb=final_result(window)) as blocker:
        window.set_query(long_question)
    assert blocker.args[0].confident is False
    text = window.banner.text()
    assert "No confident answer" in text
    assert "shortened to its first 1,000 characters" in text
    assert window.banner.property("kind") == "warn"


# ---------------------------------------------------------------------- 5. Alt keys
def test_alt_o_copies_the_open_passage(qtbot, make_window):
    from PySide6.QtGui import QGuiApplication

    window = make_window()
    ask(qtbot, window, "purification tablets")
    open_first(qtbot, window)
    QGuiApplication.clipboard().setText("")
    qtbot.keyClick(window.detail.body, Qt.Key.Key_O, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: QGuiApplication.clipboard().text().startswith(window.detail.hit.title), timeout=2000)


def test_every_button_mnemonic_is_its_own_and_its_tooltip_and_help_say_so(qtbot, make_window):
    from app import shortcuts

    def mnemonic(text: str) -> str:
        found = re.search(r"&([^&])", text)
        return found.group(1).upper() if found else ""

    window = make_window(start=False)
    menus = {mnemonic(a.text()) for a in window.menuBar().actions()}
    detail = window.detail
    buttons = {
        detail.copy_button: shortcuts.COPY_PASSAGE,
        detail.bookmark_button: shortcuts.TOGGLE_BOOKMARK,
        detail.helpful_button: shortcuts.HELPFUL,
        detail.not_helpful_button: shortcuts.NOT_HELPFUL,
    }
    letters = [mnemonic(b.text()) for b in buttons]
    assert all(letters) and len(set(letters)) == len(letters)
    assert not set(letters) & menus, (letters, menus)
    for button, shortcut in buttons.items():
        alt = f"Alt+{mnemonic(button.text())}"
        assert alt in button.toolTip() and alt in shortcuts.keys_text(shortcut)
        assert re.findall(r"Alt\+\w", button.toolTip()) == [alt]


# ---------------------------------------------------------------------- 6. a mark can be changed
def test_a_helpful_mark_can_be_changed_to_not_helpful_and_replaces_it(qtbot, make_window, store):
    window = make_window()
    ask(qtbot, window, "how long should I boil water")
    open_first(qtbot, window)
    detail = window.detail
    qtbot.mouseClick(detail.helpful_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Saved: helpful" in detail.feedback_note.text())
    assert not detail.helpful_button.isEnabled()
    assert detail.not_helpful_button.isEnabled()  # a slip can be put right

    qtbot.mouseClick(detail.not_helpful_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Saved: not helpful" in detail.feedback_note.text())
    judgments = store.judgments()
    assert [(j["passage_id"], j["label"]) for j in judgments] == [(detail.hit.id, 0.0)]
    assert detail.helpful_button.isEnabled() and not detail.not_helpful_button.isEnabled()
    assert "changed" in window.statusBar().currentMessage()


# ---------------------------------------------------------------------- 7. timings in words
def test_timings_say_how_many_were_reranked_apart_from_the_time():
    from app.status_bar import StatusBar
    from core.records import SearchResult

    bar = StatusBar()
    timings = {"first_stage_ms": 12.0, "rerank_ms": 614.0, "reranked": 10.0, "total_ms": 640.0}
    bar.set_timings(SearchResult("q", [], True, None, "cpu", timings), 0.0)
    assert bar.timing_label.text() == "Last query: first results 12 ms, 10 reranked in 614 ms, total 640 ms"


# ---------------------------------------------------------------------- 8. the bookmarks list
def test_bookmarks_list_has_no_rank_confidence_or_stale_highlights(qtbot, make_window, store):
    window = make_window()
    ask(qtbot, window, "signal mirror aircraft")
    open_first(qtbot, window)
    passage_id = window.detail.hit.id
    assert "Match" in window.detail.meta_label.text()
    assert window.theme.match_bg.lower() in window.detail.body.toHtml().lower()  # the question's words lit
    qtbot.keyClick(window.detail.body, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: store.bookmarks() == [passage_id])

    qtbot.keyClick(window.detail.body, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "Bookmarks: 1 passage" in window.banner.text())
    assert window.detail.hit.id == passage_id
    meta = window.detail.meta_label.text()
    assert "Match" not in meta and "reranked" not in meta.lower() and "found #" not in meta
    assert window.detail.query == "" and window.detail.terms == frozenset()
    assert window.theme.match_bg.lower() not in window.detail.body.toHtml().lower()  # no words lit
    assert window.search_box.text() == ""  # the question asked is under Recent
    assert window.prefs.recent_queries[0] == "signal mirror aircraft"

    from app.results_model import ListingRole, RankRole

    index = window.model.index(0, 0)  # the delegate draws no rank and no "not reranked" meter for these
    assert index.data(ListingRole) == "bookmarks" and index.data(RankRole) == 0

    result = ask(qtbot, window, "signal mirror")  # typing searches again, drawn as results again
    assert result.reranked and window.model.index(0, 0).data(ListingRole) == "search"
    assert window.model.index(0, 0).data(RankRole) == 1


# ---------------------------------------------------------------------- 9. a question waiting for the corpus
def test_a_question_typed_while_the_corpus_opens_is_said_to_be_waiting(qtbot, make_window):
    window = make_window(start=False)
    qtbot.keyClicks(window.search_box, "debris hut")
    qtbot.keyClick(window.search_box, Qt.Key.Key_Return)
    assert window.banner.isVisible() and "runs as soon as it is open" in window.banner.text()
    with qtbot.waitSignal(window.results_shown, timeout=10000, check_params_cb=final_result(window)):
        window.start()
    assert "as soon as it is open" not in window.banner.text()

    from app.main_window import HINT

    window.search_box.clear()
    window.search_now()
    assert window.banner.text() == HINT


def test_in_a_small_window_the_passage_keeps_most_of_the_reading_pane(qtbot, make_window):
    from core.records import SearchHit

    window = make_window()
    window.resize(800, 500)
    long_source = "Survival Search editors, after " + "a very long guideline title, " * 12
    hit = SearchHit(
        "x-1",
        "A cold person who stops shivering is getting worse",
        "Shivering stops. " * 80,
        long_source,
        "",
        ["cold", "first-aid"],
        1.0,
        None,
        None,
    )
    window.detail.show_hit(hit, "shivering", frozenset({"shiver"}), False)
    qtbot.waitUntil(lambda: window.detail.care_note.isVisible())
    pane = window.detail
    assert pane.header_scroll.height() <= 0.4 * pane.height() + 1  # title, source and care note scroll instead
    assert pane.body.height() >= pane.header_scroll.height()
    window.resize(1300, 900)
    qtbot.waitUntil(
        lambda: (
            pane.header_scroll.height()
            >= pane.header.layout().totalHeightForWidth(pane.header_scroll.viewport().width())
            or pane.header_scroll.height() >= 0.4 * pane.height() - 1
        )
    )
