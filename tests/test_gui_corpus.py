"""The corpus editor driven with real keys and clicks: add, edit, delete and undo, import, export."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QPushButton

from tests.gui_fakes import final_result

pytest_plugins = ["tests.gui_support"]  # the GUI fixtures: make_window, gui_app, prefs_path


def open_editor(qtbot, window):
    qtbot.keyClick(window.search_box, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    dialog = window._corpus_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(lambda: dialog.model.rowCount() > 0)
    return dialog


def answer(window, button):
    window.messages.auto_answer = button


def search(qtbot, window, text):
    window.search_box.clear()
    with qtbot.waitSignal(window.results_shown, timeout=10000, check_params_cb=final_result(window)) as blocker:
        qtbot.keyClicks(window.search_box, text)
        qtbot.keyClick(window.search_box, Qt.Key.Key_Return)
    return blocker.args[0]


def test_add_a_passage_in_the_dialog_and_find_it_from_the_search_box(qtbot, make_window, store):
    window = make_window()
    dialog = open_editor(qtbot, window)
    assert dialog.count_label.text() == "8 passages"
    qtbot.mouseClick(dialog.new_button, Qt.MouseButton.LeftButton)
    assert dialog.editor.title_edit.hasFocus()
    qtbot.keyClicks(dialog.editor.title_edit, "Quinzhee snow shelter")
    qtbot.keyClicks(dialog.editor.source_edit, "My notes")
    qtbot.keyClicks(dialog.editor.text_edit, "Pile snow into a mound, let it sinter for two hours, then hollow it out.")
    dialog.editor.set_topic("shelter")
    assert dialog.editor.dirty
    with qtbot.waitSignal(dialog.changed, timeout=5000):
        qtbot.keyClick(dialog.editor.text_edit, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not dialog.editor.dirty
    added = [p for p in store.iter_passages() if p.title == "Quinzhee snow shelter"]
    assert len(added) == 1 and added[0].topics == ["shelter"] and added[0].source == "My notes"
    qtbot.waitUntil(lambda: dialog.count_label.text() == "9 passages")
    qtbot.waitUntil(lambda: dialog.current_id() == added[0].id)

    result = search(qtbot, window, "sinter snow mound")
    assert result.hits[0].id == added[0].id
    qtbot.waitUntil(lambda: window.count_label.text() == "9 passages")


def test_empty_title_is_refused_with_a_message_and_the_edit_is_kept(qtbot, make_window, store):
    window = make_window()
    dialog = open_editor(qtbot, window)
    qtbot.mouseClick(dialog.new_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(dialog.editor.text_edit, "Text without a title.")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    kind, title, text = window.messages.log[-1]
    assert kind == "warning" and title == "Not saved" and "no title" in text
    assert dialog.editor.dirty and dialog.editor.text_edit.toPlainText() == "Text without a title."
    assert store.count() == 8


def test_edit_a_passage_and_search_finds_the_new_words(qtbot, make_window, store):
    window = make_window()
    dialog = open_editor(qtbot, window)
    qtbot.keyClicks(dialog.filter_box, "debris")
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1)
    dialog.table.setFocus()
    qtbot.keyClick(dialog.table, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: dialog.editor.title_edit.text() == "Debris hut")
    passage_id = dialog.editor.passage_id
    dialog.editor.text_edit.selectAll()
    qtbot.keyClicks(dialog.editor.text_edit, "A debris hut needs a thick mattress of spruce boughs underneath.")
    with qtbot.waitSignal(dialog.changed, timeout=5000):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "spruce boughs" in store.get(passage_id).text
    result = search(qtbot, window, "spruce boughs mattress")
    assert result.hits[0].id == passage_id


def test_delete_with_confirmation_then_undo(qtbot, make_window, store):
    window = make_window()
    dialog = open_editor(qtbot, window)
    dialog.select_id("s-006")
    qtbot.waitUntil(lambda: dialog.editor.passage_id == "s-006")
    answer(window, QMessageBox.StandardButton.No)
    qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
    assert store.get("s-006") is not None  # "No" deletes nothing
    answer(window, QMessageBox.StandardButton.Yes)
    dialog.table.setFocus()
    with qtbot.waitSignal(dialog.changed, timeout=5000):
        qtbot.keyClick(dialog.table, Qt.Key.Key_Delete)
    assert store.get("s-006") is None
    assert window.messages.log[-1][0] == "ask"
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 7)
    assert "Deleted 1 passage" in dialog.status_label.text()
    assert not search(qtbot, window, "signal mirror aircraft").hits or all(h.id != "s-006" for h in window.model.hits())

    assert dialog.undo_button.isEnabled()
    with qtbot.waitSignal(dialog.changed, timeout=5000):
        qtbot.mouseClick(dialog.undo_button, Qt.MouseButton.LeftButton)
    assert store.get("s-006").title == "Signal mirror"
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 8)
    assert not dialog.undo_button.isEnabled()
    assert search(qtbot, window, "signal mirror aircraft").hits[0].id == "s-006"


def test_import_a_folder_with_a_report(qtbot, make_window, store, tmp_path):
    folder = tmp_path / "manuals"
    (folder / "sub").mkdir(parents=True)
    (folder / "knots.md").write_text(
        "# Knots\n\nThe bowline makes a fixed loop that will not slip or jam under load.\n", encoding="utf-8"
    )
    (folder / "sub" / "ice.txt").write_text(
        "Test river ice with an axe every few steps; clear blue ice is the strongest.\n", encoding="utf-8"
    )
    (folder / "photo.md").write_bytes(b"\x89PNG\x00\x00binary")
    window = make_window()
    dialog = open_editor(qtbot, window)
    with qtbot.waitSignal(dialog.changed, timeout=10000):
        dialog.import_paths([str(folder)])
    report = dialog.last_import
    assert report.added == 2 and report.files == 3 and len(report.errors) == 1
    kind, title, text = window.messages.log[-1]
    assert kind == "warning" and title == "Import finished with problems" and "2 passages added" in text
    assert "photo.md" in text and "binary" in text  # the reason in the text, not only under "Show Details"
    assert "binary" in window.messages.boxes[-1].detailedText()
    assert store.count() == 10
    assert search(qtbot, window, "bowline loop").hits[0].title.startswith("Knots")


def test_import_can_be_cancelled_and_imports_nothing(qtbot, make_window, store, tmp_path, monkeypatch):
    import core.importers as importers

    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(60):
        (folder / f"note{n:02d}.txt").write_text(
            f"Note number {n} about tarp shelters and guy lines.\n", encoding="utf-8"
        )
    slow = importers.passages_from_document
    monkeypatch.setattr(importers, "passages_from_document", lambda *a: (time.sleep(0.05), slow(*a))[1])
    window = make_window()
    dialog = open_editor(qtbot, window)
    dialog.import_paths([str(folder)])
    qtbot.waitUntil(lambda: dialog._progress is not None and dialog._progress.isVisible(), timeout=5000)  # after 600 ms
    assert dialog._progress.value() >= 1
    cancel = dialog._progress.findChild(QPushButton)
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.import_job is None, timeout=10000)
    assert dialog.last_import.cancelled
    assert window.messages.log[-1][1] == "Import cancelled"
    assert store.count() == 8


def test_export_writes_every_passage(qtbot, make_window, tmp_path):
    import json

    window = make_window()
    dialog = open_editor(qtbot, window)
    dest = tmp_path / "out.jsonl"
    dialog.export_to(str(dest))
    qtbot.waitUntil(lambda: bool(window.messages.log) and window.messages.log[-1][1] == "Export finished")
    rows = [json.loads(line) for line in dest.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 8 and rows[0]["id"] == "s-001"


def test_closing_with_unsaved_edits_asks(qtbot, make_window, store):
    window = make_window()
    dialog = open_editor(qtbot, window)
    qtbot.mouseClick(dialog.new_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(dialog.editor.title_edit, "Half written")
    answer(window, QMessageBox.StandardButton.Cancel)
    qtbot.keyClick(dialog.editor.title_edit, Qt.Key.Key_Escape)
    assert dialog.isVisible() and dialog.editor.dirty
    assert window.messages.log[-1] == ("ask", "Unsaved changes", window.messages.log[-1][2])
    dialog.close()
    assert dialog.isVisible()
    answer(window, QMessageBox.StandardButton.Discard)
    dialog.close()
    assert not dialog.isVisible()
    assert store.count() == 8


def test_switching_passage_with_unsaved_edits_can_be_cancelled(qtbot, make_window):
    window = make_window()
    dialog = open_editor(qtbot, window)
    dialog.select_id("s-001")
    qtbot.waitUntil(lambda: dialog.editor.passage_id == "s-001")
    qtbot.keyClick(dialog.editor.title_edit, Qt.Key.Key_End)
    qtbot.keyClicks(dialog.editor.title_edit, " (edited)")
    answer(window, QMessageBox.StandardButton.Cancel)
    dialog.select_id("s-002")
    assert dialog.current_id() == "s-001"
    assert dialog.editor.title_edit.text() == "Boiling water (edited)"


def test_table_model_is_fast_with_100k_rows(qtbot, gui_app, qtmodeltester):
    from PySide6.QtWidgets import QTableView

    from app.passage_table import PassageTableModel
    from core.browse import PassageRow

    rows = [
        PassageRow(f"p-{n:06d}", f"Passage {n}", f"source {n % 97}", ["water"], "user", "2026-01-01T00:00:00")
        for n in range(100_000)
    ]
    small = PassageTableModel()
    small.set_rows(rows[:50])
    qtmodeltester.check(small)

    started = time.perf_counter()
    model = PassageTableModel()
    model.set_rows(rows)
    view = QTableView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.show()
    view.scrollToBottom()
    model.sort(1, Qt.SortOrder.DescendingOrder)
    qtbot.wait(10)
    elapsed = time.perf_counter() - started
    assert model.rowCount() == 100_000
    assert elapsed < 3.0, f"100k rows took {elapsed:.2f} s"


def test_new_passages_are_embedded_in_the_background_while_search_works(qtbot, make_window, store):
    from core.dense import EMBEDDING_MODEL
    from tests.gui_fakes import FakeEncoder

    window = make_window(encoder=FakeEncoder())
    qtbot.waitUntil(lambda: not store.passages_missing_embeddings(EMBEDDING_MODEL), timeout=10000)
    qtbot.waitUntil(lambda: window.embed_label.text() == "Embeddings: on")
    dialog = open_editor(qtbot, window)
    qtbot.mouseClick(dialog.new_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(dialog.editor.title_edit, "Tarp ridgeline")
    qtbot.keyClicks(dialog.editor.text_edit, "Tie a taut ridgeline between two trees and drape the tarp over it.")
    with qtbot.waitSignal(window.embedding_finished, timeout=10000, check_params_cb=lambda n: n == 1):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not store.passages_missing_embeddings(EMBEDDING_MODEL)
    result = search(qtbot, window, "taut ridgeline tarp")
    assert result.hits[0].title == "Tarp ridgeline" and result.hits[0].dense_rank is not None


def test_another_programs_import_shows_when_the_app_is_active_again(qtbot, make_window, store):
    """`survival-search import` or a second window adds a passage: count, results and table catch up."""
    from core.store import CorpusStore

    window = make_window()
    dialog = open_editor(qtbot, window)
    qtbot.waitUntil(lambda: dialog.count_label.text() == "8 passages")
    other = CorpusStore(store.path, create_from_builtin=False)
    try:
        added = other.add_passage("Quinzhee", "Pile snow into a mound, let it sinter, then hollow it out.")
    finally:
        other.close()
    result = search(qtbot, window, "quinzhee sinter")  # a search catches up first (and refreshes nothing)
    assert result.hits[0].id == added.id
    window._application_state_changed(Qt.ApplicationState.ApplicationActive)  # back from the other program
    qtbot.waitUntil(lambda: window.count_label.text() == "9 passages")
    qtbot.waitUntil(lambda: dialog.count_label.text() == "9 passages")
    assert "changed by another program" in window.statusBar().currentMessage()


def test_opening_says_what_a_built_in_library_update_did(qtbot, make_window, store):
    from core.builtin_update import BuiltinUpdate

    store.builtin_update = BuiltinUpdate(corrected=["s-001", "s-002"], kept_edited=["s-003"])
    window = make_window()
    message = window.statusBar().currentMessage()
    assert message == (
        "Built-in library updated: 2 passages corrected. 1 passage you edited was kept as you wrote it."
    )
    assert window.banner.isVisible() and window.banner.text() == message
