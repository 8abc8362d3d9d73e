"""The status bar: passage count, reranker state (with why), embedding progress, last query's timings."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QProgressBar, QStatusBar, QWidget

from core.records import count_noun

from . import themes
from .elided_label import ElidedLabel

if TYPE_CHECKING:
    from core.records import SearchResult


QWIDGETSIZE_MAX = (1 << 24) - 1
MESSAGE_SHARE = 0.6  # a passing message gets up to this share of the bar; the labels give way
_GENERIC_PREFIXES = ("reranker unavailable, results are not reranked:", "reranker unavailable:")


def format_ms(value: float) -> str:
    return f"{value / 1000:.1f} s" if value >= 1000 else f"{value:.0f} ms"


def reranker_reason(why: str) -> str:
    """The cause in ``why``, without the generic words around it ("Reranker unavailable: …, not reranked")."""
    text = " ".join(why.split())
    lowered = text.lower()
    for prefix in _GENERIC_PREFIXES:
        if lowered.startswith(prefix):
            text = text[len(prefix) :].strip()
            break
    head, sep, _ = text.partition(": results are")
    if sep:
        text = head.rstrip(".") + "."
    return text or "No reranker model could be loaded."


def _last_path_part(token: str) -> str:
    core = token.rstrip(".,;:)")
    if len(core) > 1 and ("/" in core or "\\" in core):
        parts = [p for p in re.split(r"[\\/]", core) if p]
        if parts:
            return parts[-1] + token[len(core) :]
    return token


def short_reason(reason: str) -> str:
    """The first clause of ``reason``, paths cut to their last part: fits a status bar."""
    clause = reason.split(": ")[0].strip().rstrip(".")
    words = [_last_path_part(w) for w in clause.split()]
    if words and words[0][:1].isupper() and words[0][1:].islower():  # "No model…" -> "no model…", not "ONNX"
        words[0] = words[0].lower()
    return " ".join(words)


class StatusBar(QStatusBar):
    """Permanent labels on the right, passing messages on the left."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.timing_label = ElidedLabel("")
        self.embed_label = ElidedLabel("")
        self.embed_bar = QProgressBar()
        self.embed_bar.setMaximumWidth(140)
        self.embed_bar.setMaximumHeight(14)
        self.embed_bar.setTextVisible(False)
        self.embed_bar.hide()
        self.reranker_label = ElidedLabel("Reranker: loading…")
        self.count_label = ElidedLabel("Opening the corpus…")
        self.labels = (self.timing_label, self.embed_label, self.reranker_label, self.count_label)
        for widget in (self.timing_label, self.embed_label, self.embed_bar, self.reranker_label, self.count_label):
            self.addPermanentWidget(widget)
        self.messageChanged.connect(self._make_room)

    # ------------------------------------------------------------------ room for passing messages
    def _make_room(self, message: str = "") -> None:
        """While a passing message shows, cap the labels (longest first) so that the message fits."""
        if not message:
            for label in self.labels:
                label.setMaximumWidth(QWIDGETSIZE_MAX)
            return
        labels = [label for label in self.labels if label.isVisible()]
        wanted = min(self.fontMetrics().horizontalAdvance(message) + 24, int(self.width() * MESSAGE_SHARE))
        children = self.findChildren(QWidget, "", Qt.FindChildOption.FindDirectChildrenOnly)
        others = sum(w.width() + 6 for w in children if w.isVisible() and w not in labels)  # grip, progress bar
        room = self.width() - wanted - others - 6 * len(labels)
        hints = sorted(label.sizeHint().width() for label in labels)
        cap = room  # water-filling: labels narrower than the cap keep their width, the others share the rest
        for i, hint in enumerate(hints):
            share = room // max(1, len(hints) - i)
            if hint > share:
                cap = share
                break
            room -= hint
        for label in labels:
            label.setMaximumWidth(max(label.minimumSizeHint().width(), cap))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.currentMessage():
            self._make_room(self.currentMessage())

    def set_count(self, count: int) -> None:
        self.count_label.setText(f"{count:,} passage{'s' if count != 1 else ''}")

    def set_reranker(self, state: str, why: str, reranker: Any) -> None:
        label = self.reranker_label
        if state == "loading":
            label.setText("Reranker: loading…")
            label.setToolTip("The cross-encoder is loading; results are in first-stage order meanwhile.")
            label.setProperty("state", "")
        elif state == "ready":
            where = "GPU" if getattr(reranker, "device", "cpu") == "cuda" else "CPU"
            name = getattr(reranker, "name", "") or "model"
            backend = getattr(reranker, "backend", "")
            label.setText(f"Reranker: ready on {where}")
            label.setToolTip(f"Cross-encoder {name} on the {where} ({backend}): {getattr(reranker, 'folder', '')}")
            label.setProperty("state", "ready")
        else:
            reason = reranker_reason(why)
            label.setText(f"Reranker unavailable: {short_reason(reason)}")
            label.setToolTip(
                f"{reason}\n\nResults are in first-stage order (BM25, with embeddings when on), not reranked. "
                "Choose a model folder in Corpus ▸ Settings (Ctrl+,)."
            )
            label.setProperty("state", "off")
            if why:
                self.showMessage(f"Not reranked: {reason}", 15000)
        themes.repolish(label)

    def set_encoder(self, state: str, why: str) -> None:
        if state == "on":
            self.embed_label.setText("Embeddings: on")
            self.embed_label.setToolTip("Dense (all-MiniLM-L6-v2) candidates are fused with BM25.")
        else:
            self.embed_label.setText("Embeddings: off")
            self.embed_label.setToolTip(why or "No embedding model: BM25 alone finds candidates.")

    def embedding_progress(self, done: int, total: int) -> None:
        self.embed_bar.setMaximum(max(1, total))
        self.embed_bar.setValue(done)
        self.embed_bar.show()
        self.embed_label.setText(f"Embedding passages {done:,}/{total:,}")
        self.embed_label.setToolTip("New passages get their vectors in the background; BM25 finds them meanwhile.")

    def embedding_finished(self, count: int) -> None:
        self.embed_bar.hide()
        self.embed_label.setText("Embeddings: on")
        if count:
            self.showMessage(f"Embedded {count_noun(count, 'new passage')}.", 5000)

    def embedding_failed(self, exc: BaseException) -> None:
        self.embed_bar.hide()
        self.embed_label.setText("Embeddings: stopped")
        self.embed_label.setToolTip(f"Computing embeddings failed: {exc}")

    def set_timings(self, result: SearchResult, first_stage_ms: float) -> None:
        t = result.timings_ms
        parts = [f"first results {format_ms(t.get('first_stage_ms', first_stage_ms))}"]
        if "rerank_ms" in t:
            parts.append(f"{int(t.get('reranked', 0))} reranked in {format_ms(t['rerank_ms'])}")
        parts.append(f"total {format_ms(t.get('total_ms', 0.0))}")
        self.timing_label.setText("Last query: " + ", ".join(parts))
        self.timing_label.setToolTip("\n".join(f"{k}: {v:.1f}" for k, v in sorted(t.items())))
