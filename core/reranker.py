"""Cross-encoder reranking: a model folder scored on CUDA (fp16) or CPU.

The torch backend is sentence-transformers' ``CrossEncoder``; it is imported
only when a model is loaded, so the rest of the app starts without torch. On a
CPU the app prefers the int8 ONNX Runtime backend (``core.onnx_backend``);
``core.loading`` chooses. Whether a GPU exists is decided without importing
torch wherever the installed torch cannot have one (a CPU build).
"""

from __future__ import annotations

import importlib.util
import logging
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from . import paths
from .errors import ModelError
from .model_folder import inspect_cross_encoder
from .pair_tokens import PairBatch, PairTokenizer

log = logging.getLogger(__name__)

DEFAULT_BATCH = 32
CUDA_WARM_UP_PAIRS = 64  # one full-size batch at load, so the first query meets warm kernels


def passage_input(title: str, text: str) -> str:
    """The passage side of a (query, passage) pair, as the reranker sees it in training and search."""
    return f"{title}. {text}" if title else text


def resolve_device(requested: str = "auto") -> str:
    """'cuda' when asked for or available (auto), else 'cpu'; refuses 'cuda' with no GPU."""
    requested = (requested or "auto").lower()
    if requested not in ("auto", "cpu", "cuda", "gpu"):
        raise ModelError(f"Unknown device {requested!r}: use auto, cpu or cuda.")
    if requested == "cpu":
        return "cpu"
    if not torch_may_see_a_gpu():
        if requested in ("cuda", "gpu"):
            raise ModelError("A GPU (CUDA) was asked for, but none is available; use --device cpu or auto.")
        return "cpu"
    import torch

    if torch.cuda.is_available():
        return "cuda"
    if requested in ("cuda", "gpu"):
        raise ModelError("A GPU (CUDA) was asked for, but none is available; use --device cpu or auto.")
    return "cpu"


def torch_may_see_a_gpu() -> bool:
    """False when torch is surely CPU-only (not installed, a CPU build, no NVIDIA device), without importing it.

    ``import torch`` costs seconds; the CPU path must not pay that just to learn there is no GPU.
    """
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.origin:
        return False
    try:
        version = (Path(spec.origin).parent / "version.py").read_text(encoding="utf-8")
    except OSError:
        return True  # an unusual layout: let torch answer
    builds = dict(re.findall(r"^(cuda|hip)\b[^=\n]*=\s*(.+?)\s*$", version, re.M))
    if builds and all(value == "None" for value in builds.values()):
        return False
    rocm = builds.get("hip", "None") != "None"
    if sys.platform.startswith("linux") and not rocm and not any(Path("/dev").glob("nvidia[0-9]*")):
        return False
    return True


class Reranker:
    """A loaded cross-encoder: ``score(query, passages)`` returns one relevance logit per passage."""

    def __init__(self, folder: str | Path, device: str = "auto", max_length: int | None = None) -> None:
        paths.force_offline()
        info = inspect_cross_encoder(folder)
        self.folder = info.path
        self.name = info.path.name
        self.device = resolve_device(device)
        self.max_length = max_length or info.max_length
        started = time.perf_counter()
        try:
            import torch
            from sentence_transformers import CrossEncoder

            # load straight into the precision it will run in (the shipped weights are stored in fp16)
            dtype = torch.float16 if self.device == "cuda" else torch.float32
            self.model = CrossEncoder(
                str(info.path),
                device=self.device,
                max_length=self.max_length,
                local_files_only=True,
                model_kwargs={"dtype": dtype},
            )
            self._pairs = PairTokenizer(info.path, self.max_length)
            # the direct path feeds the one transformer module; prompts or extra modules go through predict
            self._direct = len(self.model) == 1 and not getattr(self.model, "prompts", None)
        except ModelError:
            raise
        except Exception as exc:  # any load failure becomes one clear message
            raise ModelError(f"Could not load the cross-encoder in {info.path}: {exc}") from exc
        # fp16 on a GPU; fp32 on a CPU, where half precision is several times slower (weights may ship in fp16)
        if self.device == "cuda":
            self.model.half()
        else:
            self.model.float()
        # CUDA: every candidate in one batch (halved only on out-of-memory); CPU: batches of 32
        self.batch_size: int | None = None if self.device == "cuda" else DEFAULT_BATCH
        self.load_seconds = time.perf_counter() - started
        try:
            self.warm_up()
        except Exception as exc:  # e.g. a tokenizer that does not match the weights: the folder is unusable
            raise ModelError(f"The cross-encoder in {info.path} loads but fails on a test input: {exc}") from exc

    @property
    def backend(self) -> str:
        return "torch-fp16" if self.device == "cuda" else "torch-fp32"

    def warm_up(self) -> None:
        if self.device == "cuda":  # a full-size batch: kernels and allocator ready for the first query
            passage = "a passage long enough to look like the real ones " * 20
            self.score("warm up the model", [passage] * CUDA_WARM_UP_PAIRS)
        self.score("warm up", ["a short passage to warm the model up"])

    def score(self, query: str, passages: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """One logit per passage: inputs from the pair tokenizer, sorted by length, one batch on CUDA."""
        if not passages:
            return np.zeros(0, dtype=np.float32)
        if not self._direct:
            return self.predict_scores(query, passages, batch_size)
        batch = self._pairs.encode(query, passages)
        order = np.argsort(batch.lengths, kind="stable")
        scores = np.zeros(len(passages), dtype=np.float32)
        size = batch_size or self.batch_size or len(passages)
        start = 0
        while start < len(order):
            rows = order[start : start + size]
            try:
                scores[rows] = self._forward(batch.rows(rows))
            except RuntimeError as exc:
                if "out of memory" not in str(exc).lower() or self.device != "cuda":
                    raise
                size = self._smaller_batch_after_oom(size)
                self.batch_size = size  # remembered: the next question does not run out of memory again
                continue
            start += len(rows)
        return scores

    def _forward(self, part: PairBatch) -> np.ndarray:
        import torch

        device = self.model.device
        features = {name: torch.from_numpy(values).to(device) for name, values in part.feeds().items()}
        with torch.inference_mode():
            logits = self.model(features)["scores"]
        return logits.reshape(len(part.lengths), -1)[:, 0].float().cpu().numpy()

    def forget_passages(self) -> None:
        """Drop the kept passage tokens (the bench times a new query's candidates this way)."""
        self._pairs.forget()

    def predict_scores(self, query: str, passages: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """The same logits through ``CrossEncoder.predict``: the reference the fast path is tested and timed against."""
        if not passages:
            return np.zeros(0, dtype=np.float32)
        scores = self.model.predict(
            [(query, p) for p in passages],
            batch_size=batch_size or self.batch_size or len(passages),
            show_progress_bar=False,
            activation_fn=_identity(),
            convert_to_numpy=True,
        )
        return np.asarray(scores, dtype=np.float32).reshape(-1)

    def _smaller_batch_after_oom(self, size: int) -> int:
        self._recover_from_oom()
        if size > 1:
            log.warning("CUDA out of memory: retrying with batch size %d", max(1, size // 2))
            return max(1, size // 2)
        log.warning("CUDA out of memory even at batch size 1: moving the reranker to the CPU")
        self.model.to("cpu").float()
        self.device = "cpu"
        self.batch_size = DEFAULT_BATCH
        return DEFAULT_BATCH

    def _recover_from_oom(self) -> None:
        import torch

        torch.cuda.empty_cache()


def _identity():  # noqa: ANN202 - a torch module built lazily
    import torch

    return torch.nn.Identity()
