"""Fixtures and fakes for the GUI tests: a window on the sample corpus with fake models.

The fakes are deliberately tiny: a reranker that scores by shared words (or in a
fixed order, or slowly) and a bag-of-words encoder, so no test loads torch
unless it means to.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.tokenizer import tokenize


class FakeReranker:
    """Scores a passage by the query words it shares (2 per word, minus 1), optionally slowly."""

    def __init__(self, delay: float = 0.0, device: str = "cpu", scores: Callable[[str, list[str]], list[float]] | None = None) -> None:
        self.device = device
        self.folder = None
        self.name = "fake-reranker"
        self.delay = delay
        self.calls = 0
        self._scores = scores

    def score(self, query: str, passages: list[str]) -> np.ndarray:
        self.calls += 1
        if self.delay:
            time.sleep(self.delay)
        if self._scores is not None:
            return np.asarray(self._scores(query, list(passages)), dtype=np.float32)
        terms = set(tokenize(query))
        return np.asarray([2.0 * len(terms & set(tokenize(p))) - 1.0 for p in passages], dtype=np.float32)


def reversed_scores(_query: str, passages: list[str]) -> list[float]:
    """A reranker that turns the first-stage order upside down."""
    return [float(i) for i in range(len(passages))]


class FakeEncoder:
    """Bag-of-hashed-words unit vectors with the real model's name and width."""

    name = "all-MiniLM-L6-v2"
    device = "cpu"

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in tokenize(text):
                out[row, int(hashlib.md5(word.encode()).hexdigest(), 16) % 384] += 1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else out[row]
        return out

    def encode_query(self, query: str) -> np.ndarray:
        return self.encode([query])[0]


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
    from app.services import Services
    from core.dense import embed_missing
    from core.guarded_engine import GuardedSearchEngine

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
            open_engine=lambda recovery="none": GuardedSearchEngine(store, persist_index=False),
            load_reranker=load_reranker or (lambda folder, device: (reranker, "" if reranker is not None else why)),
            load_encoder=(lambda device: (encoder, "")) if encoder is not None else None,
            embed_missing=embed_missing,
            find_corpus_check=find_corpus_check,
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


def final_result(window: Any) -> Callable[[Any, bool], bool]:
    """A ``check_params_cb`` for ``results_shown`` that waits for the final (not first-stage) result."""
    return lambda _result, final: bool(final)
