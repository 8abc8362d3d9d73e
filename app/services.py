"""What the window needs from ``core``, passed in (never imported as a global).

:func:`default_services` opens the real corpus and loads the real models, with
every heavy import done inside the functions, which the window only ever calls on
worker threads: the window appears before numpy, SQLite, torch or a model is
touched. Tests build :class:`Services` with a small store and fake models.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.search import SearchEngine

LoadReranker = Callable[[str | None, str], tuple[Any, str]]  # (folder or None, device) -> (reranker, why not)
LoadEncoder = Callable[[str], tuple[Any, str]]  # device -> (encoder, why not)
EmbedMissing = Callable[..., int]  # (store, encoder, progress=, cancelled=) -> count


@dataclass
class Services:
    """Factories the window calls on worker threads."""

    open_engine: Callable[[str], SearchEngine]  # recovery: "none" | "restore-latest" | "start-fresh"
    load_reranker: LoadReranker | None = None
    load_encoder: LoadEncoder | None = None
    embed_missing: EmbedMissing | None = None
    find_corpus_check: Callable[[], Callable[[Any], Any] | None] | None = None  # the "Check corpus" function, if any
    train_from_feedback: Callable[..., Any] | None = None  # (store, base, output, **options) -> report
    feedback_summary: Callable[[Any], Any] | None = None  # store -> counts of the user's marks


def _open_engine(db: str | Path | None, recovery: str = "none") -> SearchEngine:
    from core.safety import open_or_recover
    from core.search import SearchEngine

    store = open_or_recover(db, recovery=recovery)  # type: ignore[arg-type]
    try:
        return SearchEngine(store)
    except BaseException:
        store.close()
        raise


def _load_reranker(folder: str | None, device: str) -> tuple[Any, str]:
    from core.loading import load_reranker

    return load_reranker(folder or None, device)


def _load_encoder(device: str) -> tuple[Any, str]:
    from core.loading import load_encoder

    return load_encoder(device)


def _embed_missing(store: Any, encoder: Any, **kwargs: Any) -> int:
    from core.dense import embed_missing

    return embed_missing(store, encoder, **kwargs)


def _train_from_feedback(store: Any, base: Path, output: Path, **options: Any) -> Any:
    from core.training import train_from_feedback

    return train_from_feedback(store, base, output, **options)


def _feedback_summary(store: Any) -> Any:
    from core.training import feedback_summary

    return feedback_summary(store)


def corpus_checker() -> Callable[[Any], Any] | None:
    """``core.safety.check_corpus`` with repair (it backs up first), for the "Check corpus" menu item."""
    try:
        from core.safety import check_corpus
    except ImportError:
        return None
    return functools.partial(check_corpus, repair=True)


def default_services(db: str | Path | None = None) -> Services:
    return Services(
        open_engine=lambda recovery="none": _open_engine(db, recovery),
        load_reranker=_load_reranker,
        load_encoder=_load_encoder,
        embed_missing=_embed_missing,
        find_corpus_check=corpus_checker,
        train_from_feedback=_train_from_feedback,
        feedback_summary=_feedback_summary,
    )
