"""The search window driven with real keys and clicks: question, results, reading, feedback."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer

from tests.gui_fakes import FakeReranker, final_result, reversed_scores

pytest_plugins = ["tests.gui_support"]  # the GUI fixtures: make_window, gui_app, prefs_path


def type_question(qtbot, window, text: str, *, enter: bool = True) -> object:
    with qtbot.waitSignal(window.results_shown, timeout=10000, check_params_cb=final_result(window)) as blocker:
        qtbot.keyClicks(window.search_box, text)
        if enter:
            qtbot.keyClick(window.search_box, Qt.Key.Key_Return)
    return blocker.args[0]


def test_type_a_question_arrow_to_a_result_open_it_and_mark_it_helpful(qtbot, make_window, store):
    window = make_window()
    assert window.search_box.hasFocus()
    result = type_question(qtbot, window, "how long should I boil water")
    assert result.reranked
    assert window.model.rowCount() >= 2
    assert window.model.hit(0).id == "s-001"

    qtbot.keyClick(window.search_box, Qt.Key.Key_Down)
    assert window.results_view.hasFocus()
    assert window.results_view.currentIndex().row() == 0
    qtbot.keyClick(window.results_view, Qt.Key.Key_Down)
    chosen = window.model.hit(1)
    qtbot.keyClick(window.results_view, Qt.Key.Key_Return)
    assert window.detail.hit.id == chosen.id
    assert window.detail.body.hasFocus()
    assert chosen.title in window.detail.title_label.text()

    qtbot.mouseClick(window.detail.helpful_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(store.judgments()) == 1)
    judgment = store.judgments()[0]
    assert judgment["query"] == "how long should I boil water"
    assert judgment["passage_id"] == chosen.id
    assert judgment["label"] == 1.0 and judgment["origin"] == "gui"
    qtbot.waitUntil(lambda: "Saved" in window.detail.feedback_note.text())
    assert not window.detail.helpful_button.isEnabled()

    qtbot.keyClick(window.detail.body, Qt.Key.Key_Escape)
    assert window.search_box.hasFocus()
    assert window.prefs.recent_queries[0] == "how long should I boil water"


def test_not_helpful_stores_a_zero_label(qtbot, make_window, store):
    window = make_window()
    type_question(qtbot, window, "signal mirror aircraft")
    qtbot.keyClick(window.search_box, Qt.Key.Key_Down)
    qtbot.keyClick(window.results_view, Qt.Key.Key_Return)
    qtbot.mouseClick(window.detail.not_helpful_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(store.judgments()) == 1)
    assert store.judgments()[0]["label"] == 0.0


def test_results_appear_as_you_type_without_enter(qtbot, make_window):
    window = make_window()
    type_question(qtbot, window, "snake bite", enter=False)
    assert window.model.hit(0).title == "Snake bite first aid"
    assert window.prefs.recent_queries == []  # typing alone does not fill the history


def test_first_stage_then_reranked_order_in_place_keeping_the_selection(qtbot, make_window):
    window = make_window(FakeReranker(delay=0.6, scores=reversed_scores))
    with qtbot.waitSignal(window.results_shown, timeout=5000, check_params_cb=lambda _r, final: not final):
        qtbot.keyClicks(window.search_box, "water boil tablets")
        qtbot.keyClick(window.search_box, Qt.Key.Key_Return)
    assert not window.model.reranked
    first_order = [h.id for h in window.model.hits()]
    assert len(first_order) >= 2
    window.results_view.setFocus()
    window.results_view.setCurrentIndex(window.model.index(0, 0))
    picked = first_order[0]
    with qtbot.waitSignal(window.results_shown, timeout=5000, check_params_cb=final_result(window)):
        pass
    assert window.model.reranked
    new_order = [h.id for h in window.model.hits()]
    assert new_order != first_order  # the reranker reversed the order ...
    assert (
        window.results_view.currentIndex().data(Qt.ItemDataRole.UserRole + 5) == picked
    )  # ... the cursor stayed on the passage
    assert window.detail.hit.id == picked


def test_the_event_loop_keeps_turning_while_a_slow_reranker_works(qtbot, make_window):
    window = make_window(FakeReranker(delay=1.2))
    ticks = []
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    with qtbot.waitSignal(window.results_shown, timeout=10000, check_params_cb=final_result(window)):
        qtbot.keyClicks(window.search_box, "fire ferro rod")
        qtbot.keyClick(window.search_box, Qt.Key.Key_Return)
        shown_at = len(ticks)
    timer.stop()
    assert len(ticks) - shown_at >= 30  # ~60 ticks of 20 ms fit in 1.2 s; a frozen loop gets none
    assert window.model.reranked


def test_no_confident_answer_shows_the_banner(qtbot, make_window):
    window = make_window(FakeReranker(scores=lambda q, ps: [-2.0] * len(ps)))  # confidence 12%: below 50%
    result = type_question(qtbot, window, "boil water")
    assert result.confident is False
    assert window.banner.isVisible()
    assert window.banner.text() == "No confident answer; closest passages:"


def test_a_top_answer_near_zero_confidence_says_the_library_has_no_answer(qtbot, make_window):
    from core.search import Calibration

    window = make_window(FakeReranker(scores=lambda q, ps: [-6.0] * len(ps)))  # confidence 0.2%: below 2%
    result = type_question(qtbot, window, "boil water")
    assert result.confident is False  # a model without a fitted confidence scale: only "not confident"
    assert window.banner.text() == "No confident answer; closest passages:"
    window.engine.calibration = Calibration(calibrated=True)  # as the shipped model's folder says
    window.search_box.clear()
    type_question(qtbot, window, "boil water in a pot")
    assert window.banner.text().startswith("Nothing in the library seems to answer this")


def test_confident_top_answer_stands_out(qtbot, make_window):
    from app.results_model import IsTopRole

    window = make_window()
    result = type_question(qtbot, window, "boil water rolling minute")
    assert result.confident
    assert window.model.index(0, 0).data(IsTopRole) is True
    assert window.model.index(1, 0).data(IsTopRole) is False
    assert not window.banner.isVisible()


def test_without_a_reranker_the_status_bar_says_bm25_only_and_why(qtbot, make_window):
    window = make_window(reranker=None)
    assert window.reranker_state == "unavailable"
    assert window.reranker_label.text() == "Reranker unavailable: no reranker model is installed"
    assert "No reranker model is installed" in window.reranker_label.toolTip()
    assert "BM25" in window.reranker_label.toolTip()
    result = type_question(qtbot, window, "hypothermia shivering")
    assert not result.reranked
    assert window.model.hit(0).title == "Hypothermia signs"
    assert "Last query" in window.timing_label.text()


def test_status_bar_shows_count_ready_on_cpu_and_timings(qtbot, make_window):
    window = make_window()
    assert window.count_label.text() == "8 passages"
    assert window.reranker_label.text() == "Reranker: ready on CPU"
    type_question(qtbot, window, "north shadow stick")
    assert "rerank" in window.timing_label.text()


def test_topic_filter(qtbot, make_window):
    window = make_window()
    index = window.topic_combo.findData("cold")
    assert index > 0 and "(1)" in window.topic_combo.itemText(index)
    window.topic_combo.setCurrentIndex(index)
    result = type_question(qtbot, window, "signs")
    assert result.hits and all("cold" in h.topics for h in result.hits)


def test_no_match_says_so(qtbot, make_window):
    window = make_window()
    type_question(qtbot, window, "xylophone zeppelin")
    assert window.model.rowCount() == 0
    assert "No passage matches" in window.banner.text()


def test_esc_and_ctrl_l_bring_the_keyboard_back_to_the_box(qtbot, make_window):
    window = make_window()
    type_question(qtbot, window, "debris hut")
    qtbot.keyClick(window.search_box, Qt.Key.Key_Down)
    assert window.results_view.hasFocus()
    qtbot.keyClick(window.results_view, Qt.Key.Key_Escape)
    assert window.search_box.hasFocus()
    qtbot.keyClick(window.search_box, Qt.Key.Key_Down)
    qtbot.keyClick(window.results_view, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.search_box.hasFocus()
    assert window.search_box.selectedText() == "debris hut"
    qtbot.keyClick(window.search_box, Qt.Key.Key_Escape)
    assert window.search_box.text() == ""


def test_bookmark_a_passage_and_list_bookmarks(qtbot, make_window, store):
    window = make_window()
    type_question(qtbot, window, "signal mirror")
    qtbot.keyClick(window.search_box, Qt.Key.Key_Down)
    qtbot.keyClick(window.results_view, Qt.Key.Key_Return)
    passage_id = window.detail.hit.id
    qtbot.keyClick(window.detail.body, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: store.bookmarks() == [passage_id])
    assert "Bookmarked" in window.detail.bookmark_button.text()
    qtbot.keyClick(window.results_view, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "Bookmarks: 1 passage" in window.banner.text())
    assert window.model.rowCount() == 1 and window.model.hit(0).id == passage_id


def test_copy_puts_the_passage_and_source_on_the_clipboard(qtbot, make_window):
    from PySide6.QtGui import QGuiApplication

    window = make_window()
    type_question(qtbot, window, "purification tablets")
    qtbot.mouseClick(window.detail.copy_button, Qt.MouseButton.LeftButton)
    copied = QGuiApplication.clipboard().text()
    assert copied.startswith(window.detail.hit.title) and "Source: Test source" in copied


def test_recent_questions_menu_runs_a_question_again(qtbot, make_window):
    window = make_window()
    type_question(qtbot, window, "snake bite")
    window.search_box.clear()
    window.recent_menu.aboutToShow.emit()
    action = next(a for a in window.recent_menu.actions() if "snake bite" in a.text())
    with qtbot.waitSignal(window.results_shown, timeout=5000, check_params_cb=final_result(window)):
        action.trigger()
    assert window.search_box.text() == "snake bite"


def test_help_menu_lists_the_shortcuts(qtbot, make_window):
    window = make_window(start=False)
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    listing = next(a.menu() for a in help_menu.actions() if a.menu() is not None)
    texts = [a.text() for a in listing.actions()]
    assert any("Ctrl+L" in t for t in texts) and any("Esc" in t for t in texts) and any("Ctrl+E" in t for t in texts)


def test_highlighted_snippet_marks_stems_of_the_query(qtbot, make_window):
    window = make_window()
    type_question(qtbot, window, "boiling water")
    text, spans = window.model.snippet_for(0, 400)
    marked = {text[s:e].lower() for s, e in spans}
    assert "boil" in marked and "water" in marked
    assert window.detail.body.toPlainText().startswith("Bring water to a rolling boil")


def test_f1_opens_the_shortcuts_table(qtbot, make_window):
    from app.help_dialog import ShortcutsDialog

    window = make_window(start=False)
    qtbot.keyClick(window.search_box, Qt.Key.Key_F1)
    dialog = window.findChild(ShortcutsDialog)
    assert dialog is not None and dialog.isVisible()
    keys = [dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount())]
    assert "Ctrl+L or Ctrl+F" in keys and "Esc" in keys
    dialog.reject()


def test_a_question_typed_before_the_corpus_is_open_runs_when_it_opens(qtbot, make_window):
    window = make_window(start=False)
    qtbot.keyClicks(window.search_box, "debris hut")
    qtbot.keyClick(window.search_box, Qt.Key.Key_Return)
    assert window.engine is None
    with qtbot.waitSignal(window.results_shown, timeout=10000, check_params_cb=final_result(window)):
        window.start()
    assert window.model.hit(0).title == "Debris hut"


def test_a_new_question_shows_its_first_results_while_the_last_one_is_still_reranked(qtbot, make_window):
    import time

    window = make_window(FakeReranker(delay=1.5))
    with qtbot.waitSignal(window.results_shown, timeout=5000, check_params_cb=lambda _r, final: not final):
        qtbot.keyClicks(window.search_box, "boil water")
        qtbot.keyClick(window.search_box, Qt.Key.Key_Return)
    window.search_box.clear()
    started = time.perf_counter()
    with qtbot.waitSignal(
        window.results_shown, timeout=5000, check_params_cb=lambda r, final: r.query == "snake bite" and not final
    ):
        qtbot.keyClicks(window.search_box, "snake bite")
        qtbot.keyClick(window.search_box, Qt.Key.Key_Return)
    assert time.perf_counter() - started < 1.0  # not stuck behind the 1.5 s rerank of "boil water"
    assert window.model.hit(0).title == "Snake bite first aid"
    with qtbot.waitSignal(window.results_shown, timeout=10000, check_params_cb=lambda r, final: final):
        pass
    assert window.model.query == "snake bite" and window.model.reranked


def test_a_first_aid_passage_reminds_to_call_for_help_and_others_do_not(qtbot, make_window):
    window = make_window()
    type_question(qtbot, window, "shivering or boiling water")
    first_aid = next(r for r in range(window.model.rowCount()) if "first-aid" in window.model.hit(r).topics)
    window.open_result(window.model.index(first_aid, 0))
    assert window.detail.care_note.isVisible() and "emergency number" in window.detail.care_note.text()
    other = next(r for r in range(window.model.rowCount()) if "first-aid" not in window.model.hit(r).topics)
    window.open_result(window.model.index(other, 0))
    assert not window.detail.care_note.isVisible()
