"""GUI test fixtures (loaded with ``pytest_plugins``): a started window on the sample corpus with fake models."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.gui_fakes import FakeReranker


@pytest.fixture
def prefs_path(tmp_path: Path) -> Path:
    """An isolated settings file (never the user's QSettings)."""
    return tmp_path / "settings" / "settings.ini"


@pytest.fixture
def gui_app(qapp: Any) -> Iterator[Any]:
    """The QApplication, reset to the default look after the test."""
    from app import themes

    yield qapp
    themes.apply(qapp, "light", 11)


@pytest.fixture
def make_window(qtbot: Any, gui_app: Any, store: Any, prefs_path: Path) -> Callable[..., Any]:
    """Build, show and start a MainWindow on the sample corpus; waits until the reranker settled."""
    from PySide6.QtWidgets import QMessageBox

    from app import themes
    from app.main_window import MainWindow
    from app.preferences import Preferences
    from app.services import Services, _feedback_summary, _train_from_feedback
    from core.dense import embed_missing
    from core.search import SearchEngine

    def make(
        reranker: Any = "default",
        encoder: Any = None,
        *,
        why: str = "No reranker model is installed: results are BM25 + embedding order, not reranked.",
        load_reranker: Any = None,
        find_corpus_check: Any = None,
        start: bool = True,
    ) -> MainWindow:
        if reranker == "default":
            reranker = FakeReranker()
        prefs = Preferences.at(prefs_path)
        services = Services(
            open_engine=lambda recovery="none": SearchEngine(store, persist_index=False),
            load_reranker=load_reranker or (lambda folder, device: (reranker, "" if reranker is not None else why)),
            load_encoder=(lambda device: (encoder, "")) if encoder is not None else None,
            embed_missing=embed_missing,
            find_corpus_check=find_corpus_check,
            train_from_feedback=_train_from_feedback,
            feedback_summary=_feedback_summary,
        )
        themes.apply(gui_app, prefs.theme, prefs.font_size)
        window = MainWindow(services, prefs, debounce_ms=40)
        window.messages.auto_answer = QMessageBox.StandardButton.Discard  # never block on a question
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)  # shortcuts only reach the active window
        if start:
            window.start()
            qtbot.waitUntil(lambda: window.engine is not None and window.reranker_state != "loading", timeout=10000)
            qtbot.waitUntil(lambda: window.ops.active == 0, timeout=10000)
        return window

    return make
