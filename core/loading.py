"""Load the models a search needs, turning every failure into a notice instead of a crash.

Which backend runs them:

- CUDA (``device`` auto with a GPU, or cuda): sentence-transformers / torch in fp16, the
  reranker scoring all candidates in one batch, warmed up at load;
- CPU: ONNX Runtime (reranker int8, bi-encoder fp32), which imports no torch; when that is
  unavailable (no onnxruntime, an export that fails), torch fp32, with the reason logged.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from . import paths
from .dense import DenseEncoder
from .errors import ModelError
from .model_folder import inspect_cross_encoder
from .reranker import Reranker, resolve_device

log = logging.getLogger(__name__)

Backend = Literal["auto", "onnx", "torch"]


def default_model_dir() -> Path | None:
    return paths.DEFAULT_MODEL_DIR if (paths.DEFAULT_MODEL_DIR / "config.json").is_file() else None


def load_reranker(
    folder: str | Path | None, device: str = "auto", backend: Backend = "auto"
) -> tuple[Reranker | None, str]:
    """The cross-encoder in ``folder`` (default: the shipped one), or None and why it is BM25-only."""
    target = Path(folder) if folder else default_model_dir()
    if target is None:
        return None, "No reranker model is installed: results are BM25 + embedding order, not reranked."
    try:
        inspect_cross_encoder(target)  # an unusable folder is reported as such, not as a backend failure
        resolved = resolve_device(device)
        if resolved == "cpu" and backend != "torch":
            from .onnx_backend import OnnxReranker

            try:
                return OnnxReranker(target), ""
            except ModelError as exc:
                if backend == "onnx":
                    raise
                log.warning("int8 ONNX reranker unavailable, using torch fp32 (slower): %s", exc)
        return Reranker(target, device=resolved), ""
    except ModelError as exc:
        log.warning("reranker unavailable: %s", exc)
        return None, f"Reranker unavailable, results are not reranked: {exc}"


def load_encoder(device: str = "auto", backend: Backend = "auto") -> tuple[DenseEncoder | None, str]:
    """The all-MiniLM-L6-v2 bi-encoder, or None and why dense candidates are off."""
    try:
        resolved = resolve_device(device)
        if resolved == "cpu" and backend != "torch":
            from .onnx_backend import OnnxDenseEncoder

            try:
                return OnnxDenseEncoder(), ""
            except ModelError as exc:
                if backend == "onnx" or paths.bi_encoder_dir() is None:
                    raise
                log.warning("ONNX embedding model unavailable, using torch (slower): %s", exc)
        return DenseEncoder(device=resolved), ""
    except ModelError as exc:
        log.warning("dense encoder unavailable: %s", exc)
        return None, str(exc)
