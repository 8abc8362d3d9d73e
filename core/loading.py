"""Load the models a search needs, turning every failure into a notice instead of a crash."""

from __future__ import annotations

import logging
from pathlib import Path

from . import paths
from .dense import DenseEncoder
from .errors import ModelError
from .reranker import Reranker

log = logging.getLogger(__name__)


def default_model_dir() -> Path | None:
    return paths.DEFAULT_MODEL_DIR if (paths.DEFAULT_MODEL_DIR / "config.json").is_file() else None


def load_reranker(folder: str | Path | None, device: str = "auto") -> tuple[Reranker | None, str]:
    """The cross-encoder in ``folder`` (default: the shipped one), or None and why it is BM25-only."""
    target = Path(folder) if folder else default_model_dir()
    if target is None:
        return None, "No reranker model is installed: results are BM25 + embedding order, not reranked."
    try:
        return Reranker(target, device=device), ""
    except ModelError as exc:
        log.warning("reranker unavailable: %s", exc)
        return None, f"Reranker unavailable, results are not reranked: {exc}"


def load_encoder(device: str = "auto") -> tuple[DenseEncoder | None, str]:
    try:
        return DenseEncoder(device=device), ""
    except ModelError as exc:
        log.warning("dense encoder unavailable: %s", exc)
        return None, str(exc)
