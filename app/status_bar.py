"""The status bar: passage count, reranker state (with why), embedding progress, last query's timings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QWidget

from . import themes

if TYPE_CHECKING:
    from core.records import SearchResult


def format_ms(value: float) -> str:
    return f"{value / 1000:.1f} s" if value >= 1000 else f"{value:.0f} ms"


class StatusBar(QStatusBar):
    """Permanent labels on the right, passing messages on the left."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.timing_label = QLabel("")
        self.embed_label = QLabel("")
        self.embed_bar = QProgressBar()
        self.embed_bar.setMaximumWidth(140)
        self.embed_bar.setMaximumHeight(14)
        self.embed_bar.setTextVisible(False)
        self.embed_bar.hide()
        self.reranker_label = QLabel("Reranker: loading…")
        self.count_label = QLabel("Opening the corpus…")
        for widget in (self.timing_label, self.embed_label, self.embed_bar, self.reranker_label, self.count_label):
            self.addPermanentWidget(widget)

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
            short = (why.split(":")[0] if why else "no model").rstrip(".").lower()
            label.setText(f"Reranker unavailable: BM25 only ({short[:60]})")
            label.setToolTip(why or "No reranker model could be loaded.")
            label.setProperty("state", "off")
            if why:
                self.showMessage(why, 15000)
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
            self.showMessage(f"Embedded {count:,} new passage(s).", 5000)

    def embedding_failed(self, exc: BaseException) -> None:
        self.embed_bar.hide()
        self.embed_label.setText("Embeddings: stopped")
        self.embed_label.setToolTip(f"Computing embeddings failed: {exc}")

    def set_timings(self, result: SearchResult, first_stage_ms: float) -> None:
        t = result.timings_ms
        parts = [f"first results {format_ms(t.get('first_stage_ms', first_stage_ms))}"]
        if "rerank_ms" in t:
            parts.append(f"reranking {int(t.get('reranked', 0))} {format_ms(t['rerank_ms'])}")
        parts.append(f"total {format_ms(t.get('total_ms', 0.0))}")
        self.timing_label.setText("Last query: " + ", ".join(parts))
        self.timing_label.setToolTip("\n".join(f"{k}: {v:.1f}" for k, v in sorted(t.items())))
