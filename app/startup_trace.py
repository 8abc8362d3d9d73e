"""Start-up timings for ``scripts/measure_startup.py``: when the window painted, answered, got its model.

Enabled only by ``SURVIVAL_SEARCH_TRACE=FILE``: each event is one JSON line
``{"event": ..., "t": <unix time>}`` appended to FILE. With
``SURVIVAL_SEARCH_TRACE_QUERY=...`` the question is typed as soon as the corpus is
open, and the app quits once the reranked answer and the models are in.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

TRACE_ENV = "SURVIVAL_SEARCH_TRACE"
QUERY_ENV = "SURVIVAL_SEARCH_TRACE_QUERY"


class StartupTrace(QObject):
    def __init__(self, window: Any, path: Path, query: str) -> None:
        super().__init__(window)
        self.window = window
        self.path = path
        self.query = query
        self.seen: set[str] = set()
        window.search_box.installEventFilter(self)
        window.engine_ready.connect(self._engine_ready)
        window.results_shown.connect(self._results)
        window.reranker_state_changed.connect(self._reranker)
        window.embedding_finished.connect(lambda n: self.mark("embeddings_done", passages=n))

    def mark(self, event: str, **extra: object) -> None:
        if event in self.seen:
            return
        self.seen.add(event)
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"event": event, "t": time.time(), **extra}) + "\n")
        self._maybe_quit()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and "window_painted" not in self.seen:
            QTimer.singleShot(0, lambda: self.mark("window_painted"))
        return False

    def _engine_ready(self) -> None:
        self.mark("corpus_open", passages=self.window.store.count())
        if self.query:
            self.window.set_query(self.query, commit=False)

    def _results(self, result: Any, final: bool) -> None:
        if result.query != self.query:
            return
        self.mark("first_answer", reranked=result.reranked)
        if final and result.reranked:
            self.mark("reranked_answer", timings=result.timings_ms)

    def _reranker(self, state: str) -> None:
        if state in ("ready", "unavailable"):
            reranker = self.window.engine.reranker if self.window.engine is not None else None
            self.mark(
                "reranker_" + state,
                device=getattr(reranker, "device", None),
                backend=getattr(reranker, "backend", None),
                why=self.window.reranker_why,
            )

    def _maybe_quit(self) -> None:
        models_done = {"reranker_ready", "reranker_unavailable"} & self.seen and "embeddings_model_ready" in self.seen
        answered = (
            not self.query
            or "reranked_answer" in self.seen
            or ("first_answer" in self.seen and "reranker_unavailable" in self.seen)
        )
        if models_done and answered and "quit" not in self.seen:
            self.seen.add("quit")
            QTimer.singleShot(200, QApplication.instance().quit)


def install_if_asked(window: Any) -> StartupTrace | None:
    target = os.environ.get(TRACE_ENV)
    if not target:
        return None
    trace = StartupTrace(window, Path(target), os.environ.get(QUERY_ENV, ""))
    # the embedding model's state shows in a label; poll it so the trace can finish
    timer = QTimer(trace)
    timer.timeout.connect(
        lambda: (trace.mark("embeddings_model_ready") if window.embed_label.text() else None, trace._maybe_quit())
    )
    timer.start(100)
    return trace
