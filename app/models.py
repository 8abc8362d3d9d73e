"""The models behind the window: loading the reranker and the embedding model, and embedding new passages.

Everything runs through :mod:`app.ops`: loading on the ``models`` lane, swapping a
model into the engine on the ``search`` lane (never under a running search),
embedding on the ``embed`` lane with progress and cancellation. The window only
listens to the signals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from .ops import Job, Ops
from .services import Services

if TYPE_CHECKING:
    from core.search import SearchEngine


class ModelManager(QObject):
    """Loads models into a search engine in the background and keeps embeddings up to date."""

    reranker_changed = Signal(str, str)  # state (loading | ready | unavailable), why
    encoder_changed = Signal(str, str)  # state (on | off), why
    embedding_progress = Signal(int, int)  # done, total
    embedding_finished = Signal(int)  # passages embedded
    embedding_failed = Signal(object)  # the exception

    def __init__(self, services: Services, ops: Ops, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.ops = ops
        self.engine: SearchEngine | None = None
        self.reranker_state = "loading"
        self.reranker_why = ""
        self.encoder: Any = None
        self._embed_job: Job | None = None
        self._embed_again = False
        self._stopped = False

    @property
    def reranker(self) -> Any:
        return self.engine.reranker if self.engine is not None else None

    @property
    def embedding(self) -> bool:
        return self._embed_job is not None

    def attach(self, engine: SearchEngine) -> None:
        self.engine = engine

    def load_all(self, folder: str | None, device: str) -> None:
        """The reranker first (it decides the order), then the embedding model."""
        if self.services.load_reranker is None:
            self._set_reranker("unavailable", "Reranking is turned off in this window.")
        else:
            self.load_reranker(folder, device)
        load_encoder = self.services.load_encoder
        if load_encoder is None:
            return
        self.ops.run(
            lambda: load_encoder(device),
            lane="models",
            name="load the embedding model",
            on_done=self._encoder_loaded,
            on_error=lambda exc: self.encoder_changed.emit("off", str(exc)),
        )

    # ------------------------------------------------------------------ reranker
    def load_reranker(self, folder: str | None, device: str) -> None:
        load = self.services.load_reranker
        if load is None:
            return
        self._set_reranker("loading", "")
        self.ops.run(
            lambda: load(folder, device),
            lane="models",
            name="load the reranker",
            on_done=lambda loaded: self.install_reranker(*loaded),
            on_error=lambda exc: self.install_reranker(None, f"Reranker unavailable: {exc}"),
        )

    def install_reranker(self, reranker: Any, why: str = "") -> None:
        """Make ``reranker`` (or none, because ``why``) the engine's, between two searches."""
        engine = self.engine
        if engine is None:
            return
        self.ops.run(
            lambda: engine.set_reranker(reranker, why),
            lane="search",
            name="switch the reranker",
            on_done=lambda _: self._set_reranker(
                "ready" if reranker is not None else "unavailable", why if reranker is None else ""
            ),
        )

    def _set_reranker(self, state: str, why: str) -> None:
        if state == "unavailable" and not why:
            why = "No reranker model could be loaded."
        self.reranker_state, self.reranker_why = state, why
        self.reranker_changed.emit(state, why)

    # ------------------------------------------------------------------ embeddings
    def _encoder_loaded(self, loaded: tuple[Any, str]) -> None:
        encoder, why = loaded
        engine = self.engine
        if encoder is None or engine is None:
            self.encoder_changed.emit("off", why)
            return
        self.ops.run(
            lambda: engine.set_encoder(encoder),
            lane="search",
            name="switch the embedding model",
            on_done=lambda _: self._encoder_installed(encoder),
        )

    def _encoder_installed(self, encoder: Any) -> None:
        self.encoder = encoder
        self.encoder_changed.emit("on", "")
        self.start_embedding()

    def start_embedding(self) -> None:
        """Embed passages that have no vector yet (search keeps working); once at a time."""
        embed = self.services.embed_missing
        if self.encoder is None or embed is None or self.engine is None or self._stopped:
            return
        if self._embed_job is not None:
            self._embed_again = True
            return
        store, encoder = self.engine.store, self.encoder
        self._embed_job = self.ops.run(
            lambda ctx: embed(store, encoder, progress=lambda d, t: ctx.progress(d, t), cancelled=ctx.cancelled),
            lane="embed",
            name="compute embeddings",
            context=True,
            on_progress=lambda done, total, _text: self.embedding_progress.emit(done, total),
            on_done=self._embedded,
            on_error=self._embedding_failed,
        )

    def _embedded(self, count: int) -> None:
        self._embed_job = None
        self.embedding_finished.emit(count)
        if self._embed_again:
            self._embed_again = False
            self.start_embedding()

    def _embedding_failed(self, exc: BaseException) -> None:
        self._embed_job = None
        self.embedding_failed.emit(exc)

    def stop(self) -> None:
        """Cancel the embedding under way and start no new one (the window is closing)."""
        self._stopped = True
        if self._embed_job is not None:
            self._embed_job.cancel()
