"""Look and settings: theme and font size survive a restart; the model folder is checked when chosen."""

from __future__ import annotations

import logging

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from tests.gui_fakes import final_result

pytest_plugins = ["tests.gui_support"]  # the GUI fixtures: make_window, gui_app, prefs_path


def test_theme_and_font_size_are_kept_after_a_restart(qtbot, make_window, prefs_path):
    window = make_window(start=False)
    base_size = window.prefs.font_size
    qtbot.keyClick(window.search_box, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window.search_box, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.font().pointSize() == base_size + 2
    qtbot.keyClick(
        window.search_box, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    assert window.theme.name == "night"
    assert QApplication.palette().color(QPalette.ColorRole.Base).name() == "#000000"
    window.close()

    from app import themes

    themes.apply(QApplication.instance(), "light", 11)  # as a fresh process would start
    again = make_window(start=False)
    assert again is not window
    assert again.theme.name == "night" and again.theme_actions["night"].isChecked()
    assert QApplication.font().pointSize() == base_size + 2
    assert QApplication.palette().color(QPalette.ColorRole.Text).name() == themes.NIGHT.text

    again.theme_actions["dark"].trigger()
    qtbot.keyClick(again.search_box, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert again.prefs.theme == "dark" and again.prefs.font_size == 11


def test_settings_are_isolated_from_the_users(prefs_path, make_window):
    window = make_window(start=False)
    window.set_theme("dark")
    assert window.prefs.settings.fileName() == str(prefs_path)
    assert prefs_path.read_text().count("theme=dark") == 1


def test_night_theme_has_no_colour_but_red(gui_app):
    from PySide6.QtGui import QColor

    from app.themes import NIGHT

    for field in (
        "window",
        "base",
        "text",
        "dim",
        "accent",
        "match_bg",
        "match_fg",
        "selection_bg",
        "selection_fg",
        "warn_fg",
        "border",
    ):
        colour = QColor(getattr(NIGHT, field))
        assert colour.green() <= colour.red() * 0.3 + 2 and colour.blue() <= colour.red() * 0.3 + 2, field


def test_a_bad_model_folder_is_refused_when_chosen(qtbot, make_window, tmp_path):
    from app.settings_dialog import SettingsDialog

    window = make_window()
    dialog = SettingsDialog(window.prefs, window.ops, window.services.load_reranker, parent=window)
    qtbot.addWidget(dialog)
    (tmp_path / "not-a-model").mkdir()
    (tmp_path / "not-a-model" / "notes.txt").write_text("hello")
    dialog.set_folder(str(tmp_path / "not-a-model"))
    assert "no config.json" in dialog.folder_status.text()
    assert not dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
    dialog.set_folder("")
    assert dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()


def test_choosing_a_real_model_folder_loads_it_in_the_background_and_the_window_uses_it(
    qtbot, make_window, tiny_cross_encoder
):
    from app.settings_dialog import SettingsDialog
    from core.loading import load_reranker

    window = make_window(
        reranker=None,
        load_reranker=lambda folder, device: (
            load_reranker(folder, device) if folder else (None, "No reranker model is installed.")
        ),
    )
    assert window.reranker_state == "unavailable"
    dialog = SettingsDialog(window.prefs, window.ops, window.services.load_reranker, parent=window)
    qtbot.addWidget(dialog)
    dialog.device_combo.setCurrentIndex(dialog.device_combo.findData("cpu"))
    dialog.set_folder(str(tiny_cross_encoder))
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()  # not until it has loaded
    qtbot.waitUntil(lambda: dialog.loaded_reranker is not None, timeout=60000)
    assert ok.isEnabled() and "Loaded" in dialog.folder_status.text()
    dialog.results_spin.setValue(5)
    with qtbot.waitSignal(window.reranker_state_changed, timeout=10000, check_params_cb=lambda s: s == "ready"):
        window._settings_accepted(dialog)
    assert window.prefs.reranker_folder == str(tiny_cross_encoder)
    assert window.reranker_label.text() == "Reranker: ready on CPU"
    with qtbot.waitSignal(window.results_shown, timeout=10000, check_params_cb=final_result(window)) as blocker:
        qtbot.keyClicks(window.search_box, "boil water")
        qtbot.keyClick(window.search_box, Qt.Key.Key_Return)
    assert blocker.args[0].reranked and len(blocker.args[0].hits) <= 5


def test_check_corpus_menu_item_calls_the_core_check_when_there_is_one(qtbot, make_window):
    calls = []

    class Report:
        def summary(self) -> str:
            return "0 problems found"

    window = make_window(find_corpus_check=lambda: lambda store: calls.append(store) or Report())
    qtbot.waitUntil(window.check_corpus_action.isEnabled)
    window.check_corpus_action.trigger()
    qtbot.waitUntil(lambda: bool(window.messages.log) and window.messages.log[-1][1] == "Corpus check")
    assert calls == [window.store] and window.messages.log[-1][2] == "0 problems found"


def test_without_a_core_check_the_menu_item_is_disabled(make_window):
    window = make_window(find_corpus_check=lambda: None)
    assert not window.check_corpus_action.isEnabled()


def test_an_uncaught_exception_shows_a_crash_dialog_with_the_log_path(gui_app, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from app.crash import CrashHandler, setup_logging

    log_path = setup_logging(tmp_path)
    shown = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append((box.text(), box.detailedText())) or 0)
    try:
        raise RuntimeError("boom in a slot")
    except RuntimeError as exc:
        CrashHandler(log_path).handle(type(exc), exc, exc.__traceback__)
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert shown and str(log_path) in shown[0][0] and "boom in a slot" in shown[0][1]
    assert "boom in a slot" in log_path.read_text(encoding="utf-8")


@pytest.mark.parametrize("kind", ["ValidationError", "CorpusBusyError", "ModelError", "KeyError"])
def test_errors_become_clear_messages(kind):
    import core.errors as errors
    from app.messages import describe

    exc = getattr(errors, kind, None)
    exc = exc("explained") if exc else KeyError("x")
    title, text = describe(exc)
    assert title and text
    if kind == "KeyError":
        assert "log" in text and "safe" in text


def test_the_real_corpus_check_runs_from_the_menu(qtbot, make_window):
    from app.services import corpus_checker

    window = make_window(find_corpus_check=corpus_checker)
    qtbot.waitUntil(window.check_corpus_action.isEnabled)
    window.check_corpus_action.trigger()
    qtbot.waitUntil(lambda: bool(window.messages.log) and window.messages.log[-1][1] == "Corpus check", timeout=10000)
    assert "no problems found" in window.messages.log[-1][2]


def test_a_damaged_corpus_offers_recovery_and_starts_fresh(qtbot, gui_app, tmp_path, prefs_path):
    from app.main_window import MainWindow
    from app.preferences import Preferences
    from app.services import Services, default_services

    damaged = tmp_path / "corpus.sqlite"
    damaged.write_bytes(b"this is not a database at all" * 100)
    services = Services(
        open_engine=default_services(damaged).open_engine,
        load_reranker=lambda folder, device: (None, "No reranker model is installed."),
    )
    window = MainWindow(services, Preferences.at(prefs_path))
    qtbot.addWidget(window)
    window.messages.auto_choice = 0  # "Start from the built-in corpus" (there is no backup)
    window.show()
    window.start()
    qtbot.waitUntil(lambda: window.engine is not None, timeout=20000)
    kind, title, _ = window.messages.log[0]
    assert (kind, title) == ("choose", "The corpus is damaged")
    assert window.store.count() > 0
    assert any(p.name.startswith("corpus.sqlite.damaged") for p in tmp_path.iterdir())
    qtbot.waitUntil(lambda: window.ops.active == 0, timeout=10000)
