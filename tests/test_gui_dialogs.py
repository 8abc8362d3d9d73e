"""The dialogs and the night theme as a UX audit found them: keys, wording, contrast, what fits on screen."""

from __future__ import annotations

from types import SimpleNamespace

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QStyle,
    QStyleOptionButton,
    QVBoxLayout,
    QWidget,
)

pytest_plugins = ["tests.gui_support"]  # the GUI fixtures: make_window, gui_app, prefs_path


def open_editor(qtbot, window):
    qtbot.keyClick(window.search_box, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    dialog = window._corpus_dialog
    qtbot.waitUntil(lambda: dialog.model.rowCount() > 0)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    return dialog


def red_only(colour: QColor) -> bool:
    """What night mode allows: a red, or black (the rule of test_night_theme_has_no_colour_but_red)."""
    return colour.green() <= colour.red() * 0.3 + 2 and colour.blue() <= colour.red() * 0.3 + 2


def contrast(a: str, b: str) -> float:
    def luminance(colour: str) -> float:
        c = QColor(colour)
        channels = [v / 255 for v in (c.red(), c.green(), c.blue())]
        r, g, b = (v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def night(gui_app):
    from app import themes

    return themes.apply(gui_app, "night", 11)


def shown(qtbot, widget):
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    qtbot.waitUntil(widget.isActiveWindow)
    return widget


# ---------------------------------------------------------------- corpus editor
def test_tab_leaves_the_passages_table(qtbot, make_window):
    window = make_window()
    dialog = open_editor(qtbot, window)
    dialog.table.setFocus()
    qtbot.keyClick(dialog.table, Qt.Key.Key_Tab)
    assert not dialog.table.hasFocus()  # not the next cell: the next control


def test_saving_an_empty_form_names_both_the_title_and_the_text(qtbot, make_window, store):
    window = make_window()
    dialog = open_editor(qtbot, window)
    qtbot.mouseClick(dialog.new_button, Qt.MouseButton.LeftButton)
    qtbot.keyClick(dialog.editor.title_edit, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    kind, title, text = window.messages.log[-1]
    assert (kind, title) == ("warning", "Not saved") and "no title and no text" in text
    assert dialog.editor.title_edit.hasFocus() and store.count() == 8


def test_a_failed_export_says_so_in_the_status_line(qtbot, make_window, tmp_path):
    window = make_window()
    dialog = open_editor(qtbot, window)
    dialog.export_to(str(tmp_path / "no-such-folder" / "out.jsonl"))
    qtbot.waitUntil(lambda: bool(window.messages.log) and window.messages.log[-1][0] == "error")
    assert "Exporting" not in dialog.status_label.text()
    assert dialog.status_label.text() == "Export failed: no file was written."


def test_an_import_with_nothing_imported_says_so_and_why(qtbot, make_window, store, tmp_path):
    (tmp_path / "bad.csv").write_text("title;body\nno;text column\n", encoding="utf-8")
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    window = make_window()
    dialog = open_editor(qtbot, window)
    dialog.import_paths([str(tmp_path / "bad.csv")])
    qtbot.waitUntil(lambda: dialog.import_job is None and dialog.last_import is not None)
    kind, title, text = window.messages.log[-1]
    assert (kind, title) == ("warning", "Nothing was imported")
    assert text.startswith("1 file could not be imported:\n• ") and "'text' column" in text  # the reason itself
    assert text.endswith("Nothing was imported.") and "the others were" not in text
    assert "(s)" not in text + dialog.status_label.text()
    assert dialog.status_label.text() == "1 file read, 0 passages added, 0 duplicates skipped, 1 problem."

    dialog.import_paths([str(tmp_path / "bad.csv"), str(tmp_path / "empty.txt")])
    qtbot.waitUntil(lambda: dialog.import_job is None and len(dialog.last_import.errors) == 2)
    assert window.messages.log[-1][2].startswith("2 files could not be imported:")
    assert store.count() == 8


def test_import_summary_counts_in_words():
    from app.corpus_dialog import import_problems, import_summary
    from core.records import ImportReport

    assert import_summary(ImportReport(files=1, added=1)) == "1 file read, 1 passage added, 0 duplicates skipped"
    many = ImportReport(files=6, added=4, skipped_duplicates=2, errors=[f"f{n}.md: empty" for n in range(5)])
    assert import_summary(many) == "6 files read, 4 passages added, 2 duplicates skipped, 5 problems"
    text = import_problems(many)
    assert "• f2.md: empty" in text and "• f3.md" not in text and "and 2 more" in text
    assert text.endswith("The other files were imported: 4 passages added, 2 duplicates skipped.")


# ---------------------------------------------------------------- recent questions
def test_a_very_long_question_is_kept_short_in_the_recent_list(tmp_path):
    from app.preferences import MAX_RECENT_CHARS, Preferences

    prefs = Preferences.at(tmp_path / "settings.ini")
    prefs.add_recent_query("how do I " + "purify water " * 400)
    prefs.add_recent_query("  boil   water ")
    long = prefs.recent_queries[1]
    assert len(long) <= MAX_RECENT_CHARS and long.endswith("purify…")
    assert prefs.recent_queries[0] == "boil water"


# ---------------------------------------------------------------- settings
def test_the_model_folder_label_is_the_fields_buddy(qtbot, make_window):
    from app.settings_dialog import SettingsDialog

    window = make_window()
    dialog = shown(qtbot, SettingsDialog(window.prefs, window.ops, window.services.load_reranker, parent=window))
    label = next(x for x in dialog.findChildren(QLabel) if x.text() == "Reranker &model folder")
    assert label.buddy() is dialog.folder_edit
    dialog.device_combo.setFocus()
    qtbot.keyClick(dialog, Qt.Key.Key_M, Qt.KeyboardModifier.AltModifier)
    assert dialog.folder_edit.hasFocus()


def test_settings_say_when_the_saved_model_folder_failed_to_load(qtbot, make_window, tmp_path):
    from app.settings_dialog import SettingsDialog

    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("not a model")
    window = make_window()
    window.prefs.reranker_folder = str(tmp_path / "notes")
    dialog = SettingsDialog(window.prefs, window.ops, window.services.load_reranker, parent=window)
    qtbot.addWidget(dialog)
    text = dialog.folder_status.text()
    assert text.startswith("This folder failed to load:") and "no config.json" in text and "Using" not in text
    assert dialog.folder_status.objectName() == "errorNote"

    told = SettingsDialog(window.prefs, window.ops, None, parent=window, current_problem="the weights are damaged.")
    qtbot.addWidget(told)
    assert "failed to load: the weights are damaged. Results are not reranked" in told.folder_status.text()


def test_the_folder_status_has_room_for_every_line(qtbot, gui_app, prefs_path, tmp_path):
    from app.preferences import Preferences
    from app.settings_dialog import SettingsDialog

    night(gui_app)
    prefs = Preferences.at(prefs_path)
    prefs.reranker_folder = str(tmp_path / "a-folder-name-that-goes-on" / "and-on-for-a-while" / "missing")
    dialog = shown(qtbot, SettingsDialog(prefs, SimpleNamespace(), None))
    status = dialog.folder_status
    assert status.heightForWidth(status.width()) > status.fontMetrics().height() * 2  # it wraps
    assert status.height() >= status.heightForWidth(status.width())  # and every line shows


# ---------------------------------------------------------------- night theme
def test_night_texts_have_at_least_4_5_to_1_contrast():
    from app.themes import NIGHT as t

    for text, background in (
        (t.text, t.base), (t.text, t.button), (t.dim, t.window), (t.dim, t.alt_base), (t.dim, t.top_bg),
        (t.warn_fg, t.warn_bg), (t.match_fg, t.match_bg), (t.selection_fg, t.selection_bg),
        (t.accent, t.window), (t.accent_text, t.accent),
    ):  # fmt: skip
        assert contrast(text, background) >= 4.5, (text, background)
    assert contrast(t.outline, t.window) >= 3  # the edge of a field or a check box
    for colour in (t.disabled, t.outline):
        assert red_only(QColor(colour))


def test_night_dialogs_have_no_blue_icon_and_no_coloured_buttons(qtbot, gui_app):
    night(gui_app)
    ok = QMessageBox.StandardButton.Ok
    box = shown(qtbot, QMessageBox(QMessageBox.Icon.Information, "About", "Offline answers", ok))
    assert box.button(ok).icon().isNull()
    icon = box.iconPixmap().toImage()
    pixels = [icon.pixelColor(x, y) for x in range(icon.width()) for y in range(icon.height())]
    assert any(p.alpha() and p.red() > 150 for p in pixels)  # an icon, drawn in red
    assert all(red_only(p) for p in pixels if p.alpha())
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    qtbot.addWidget(buttons)
    assert all(b.icon().isNull() for b in buttons.buttons())


def test_night_fields_and_unticked_boxes_have_a_visible_edge(qtbot, gui_app):
    night(gui_app)
    page = QWidget()
    layout = QVBoxLayout(page)
    edit, box = QLineEdit("Boiling water"), QCheckBox("water")
    layout.addWidget(edit)
    layout.addWidget(box)
    shown(qtbot, page)
    field = edit.grab().toImage()
    assert field.pixelColor(0, field.height() // 2).red() > 100  # the left edge of the field
    option = QStyleOptionButton()
    option.initFrom(box)
    indicator = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
    image = box.grab().toImage()
    edge = [image.pixelColor(x, indicator.center().y()) for x in range(indicator.left(), indicator.center().x())]
    assert any(p.red() > 100 for p in edge) and all(red_only(p) for p in edge)


def test_night_caret_is_red_and_steady(qtbot, gui_app):
    from app import themes

    theme = night(gui_app)
    edit = shown(qtbot, QLineEdit("friend is shivering"))
    edit.setFocus()
    caret = themes.caret_rect(edit)
    assert caret is not None
    x, y = int(caret.left()), int(caret.center().y())
    colours = set()
    for _ in range(6):  # longer than Qt's blink: its own caret would be gone in some of them
        colours.add(edit.grab().toImage().pixelColor(x, y).name())
        qtbot.wait(200)
    assert colours == {theme.text}

    themes.apply(gui_app, "light", 11)
    assert themes.caret_rect(edit) is not None  # the rect is known; only night mode paints over Qt's caret


# ---------------------------------------------------------------- training
def fake_train(store, base, output, **options):
    output.mkdir(parents=True)
    return SimpleNamespace(seconds=1.0, device="cpu", steps=3, positives=1, negatives=1, output=output)


def train_dialog(qtbot, window, store, base, output):
    from app.services import _feedback_summary
    from app.train_dialog import TrainDialog

    dialog = TrainDialog(window.ops, store, base, output, fake_train, _feedback_summary, parent=window)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.summary is not None)
    return dialog


def test_training_starts_from_the_shipped_model_when_the_saved_folder_failed(qtbot, make_window, tmp_path):
    from core.loading import default_model_dir

    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("not a model")
    window = make_window(reranker=None)  # the saved folder did not load: no reranker in use
    window.prefs.reranker_folder = str(tmp_path / "notes")
    window.train_action.trigger()
    dialog = window.train_dialog
    qtbot.waitUntil(lambda: dialog.summary is not None)
    assert dialog.base_folder == default_model_dir()
    text = dialog.base_label.text().replace("\u200b", "")  # zero-width spaces: a long path may wrap
    assert "failed to load" in text and "no config.json" in text and str(tmp_path / "notes") in text
    if default_model_dir() is not None:
        assert text.startswith("The shipped model (") and "starts from the shipped model instead" in text
    dialog.reject()


def test_very_few_marks_are_warned_about_and_the_new_model_is_not_the_default(
    qtbot, make_window, store, tmp_path, tiny_cross_encoder
):
    store.add_judgment("how long to boil water", "s-001", 1.0)
    store.add_judgment("how long to boil water", "s-006", 0.0)
    window = make_window()
    dialog = train_dialog(qtbot, window, store, tiny_cross_encoder, tmp_path / "few")
    assert dialog.few_marks and "That is very few" in dialog.marks_label.text()
    assert dialog.train_button.isEnabled()  # allowed: the user decides
    dialog.train_button.click()
    qtbot.waitUntil(lambda: dialog.report is not None)
    assert "may rank worse" in dialog.status_label.text()
    assert not dialog.use_button.isHidden() and not dialog.use_button.isDefault() and dialog.close_button.isDefault()
    dialog.reject()

    questions = ["boil water", "hypothermia", "fire", "shelter", "signal"]
    for question in questions:
        for number in range(1, 5):
            store.add_judgment(question, f"s-00{number}", 1.0 if number == 1 else 0.0)
    dialog = train_dialog(qtbot, window, store, tiny_cross_encoder, tmp_path / "enough")
    assert not dialog.few_marks and "very few" not in dialog.marks_label.text()
    dialog.train_button.click()
    qtbot.waitUntil(lambda: dialog.report is not None)
    assert "may rank worse" not in dialog.status_label.text() and dialog.use_button.isDefault()
    dialog.reject()


def test_a_start_folder_that_is_not_a_model_is_refused(qtbot, make_window, store, tmp_path, tiny_cross_encoder):
    window = make_window()
    dialog = train_dialog(qtbot, window, store, tiny_cross_encoder, tmp_path / "out")
    assert dialog.base_label.text().replace("\u200b", "") == f"The model you search with ({tiny_cross_encoder})"
    dialog.set_base(tmp_path)
    assert dialog.base_folder is None and "cannot be used" in dialog.base_label.text()
    dialog.reject()


# ---------------------------------------------------------------- help
def test_the_shortcuts_list_shows_every_row_without_scrolling(qtbot, make_window):
    from app.help_dialog import ShortcutsDialog

    window = make_window(start=False)
    dialog = shown(qtbot, ShortcutsDialog(window))
    table = dialog.table
    assert table.verticalScrollBar().maximum() == 0 and table.horizontalScrollBar().maximum() == 0
    last = table.visualRect(table.model().index(table.rowCount() - 1, 1))
    assert table.viewport().rect().contains(last)
    assert [table.item(r, 1).text() for r in range(table.rowCount() - 3, table.rowCount())] == [
        "Settings", "Keyboard shortcuts", "Quit",
    ]  # fmt: skip


def test_every_reading_pane_button_key_is_listed(qtbot, make_window):
    from app.help_dialog import ShortcutsDialog

    window = make_window(start=False)
    dialog = ShortcutsDialog(window)
    qtbot.addWidget(dialog)
    keys = " ".join(dialog.table.item(r, 0).text() for r in range(dialog.table.rowCount()))
    buttons = window.detail.findChildren(QPushButton)
    mnemonics = {QKeySequence.mnemonic(b.text()).toString() for b in buttons} - {""}
    assert {"Alt+B", "Alt+L", "Alt+N"} <= mnemonics
    for mnemonic in mnemonics:
        assert mnemonic in keys, mnemonic
    assert "Ctrl+Shift+C" in keys

