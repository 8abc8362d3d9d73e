"""The CPU fast path: cross-encoder and bi-encoder through ONNX Runtime, no torch at query time.

Only ``onnxruntime``, ``tokenizers`` and numpy are imported here. Inputs are
token-budgeted (a (query, passage) pair is truncated to ``max_length`` tokens,
longest part first, as sentence-transformers does), sorted by length so each
batch carries little padding, and run with one thread per core.

Both classes keep the interface of their torch counterparts (they subclass
them for that, without running their constructors), so ``SearchEngine`` and
``embed_missing`` use either without knowing which.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from . import paths
from .dense import EMBEDDING_MODEL, DenseEncoder, bi_encoder_folder
from .errors import ModelError
from .model_folder import inspect_cross_encoder, read_json
from .onnx_export import Kind, Precision, ensure_onnx
from .pair_tokens import PairBatch, PairTokenizer, load_tokenizer, pad_id_of
from .reranker import Reranker

log = logging.getLogger(__name__)

# (query, passage) tokens the CPU reranker reads. Measured with the shipped model on the dev set: 192 tokens
# cut 20% of FM 3-05.70 passages short and cost 0.001 nDCG@10 against 256 (both within 0.004 of fp32), and
# rerank 10-15% faster, which brings 20 candidates under 350 ms and an answer at 10k passages under 400 ms.
CPU_TOKEN_BUDGET = 192
RERANK_BATCH = 8  # pairs per run: measured fastest here among 4/8/16/32 once sorted by length
EMBED_BATCH = 32


def cpu_threads() -> int:
    """Cores this process may use (its affinity mask where the platform has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


class _OnnxModel:
    """An ONNX Runtime session plus the folder's tokenizer, fed length-sorted padded batches."""

    def __init__(self, folder: Path, kind: Kind, precision: Precision, max_length: int, cache: Path | None) -> None:
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise ModelError(f"The fast CPU path needs onnxruntime ({exc}).") from exc
        model_file = ensure_onnx(folder, kind, precision, cache)
        options = ort.SessionOptions()
        options.intra_op_num_threads = cpu_threads()
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # a damaged cache file: say which, so it can be deleted
            raise ModelError(f"ONNX Runtime could not load {model_file}: {exc}") from exc
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.model_file = model_file
        self.tokenizer = load_tokenizer(folder, max_length)
        self.pad_id = pad_id_of(self.tokenizer)

    def run(self, inputs: Sequence[str], batch_size: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """``(row indices, output, attention mask)`` per batch, shortest inputs first."""
        encodings = self.tokenizer.encode_batch(list(inputs))
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        results = []
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            width = max(len(encodings[i].ids) for i in rows)
            ids = np.full((len(rows), width), self.pad_id, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            types = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                e = encodings[i]
                ids[r, : len(e.ids)] = e.ids
                mask[r, : len(e.ids)] = 1
                types[r, : len(e.ids)] = e.type_ids
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            output = self.session.run(None, {k: v for k, v in feeds.items() if k in self.inputs})[0]
            results.append((rows, output, mask))
        return results

    def run_pairs(self, batch: PairBatch, batch_size: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """``(row indices, output)`` per run over already tokenized pairs, shortest first."""
        order = np.argsort(batch.lengths, kind="stable")
        results = []
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            feeds = batch.rows(rows).feeds()
            results.append((rows, self.session.run(None, {k: v for k, v in feeds.items() if k in self.inputs})[0]))
        return results


class OnnxReranker(Reranker):
    """A cross-encoder folder scored by ONNX Runtime in int8 on the CPU."""

    def __init__(
        self,
        folder: str | Path,
        max_length: int | None = None,
        precision: Precision = "int8",
        cache: Path | None = None,
    ) -> None:  # noqa: D107 - Reranker's constructor loads torch; this one must not
        paths.force_offline()
        info = inspect_cross_encoder(folder)
        self.folder = info.path
        self.name = info.path.name
        self.device = "cpu"
        self.precision = precision
        self.max_length = min(max_length or CPU_TOKEN_BUDGET, info.max_length)
        self.batch_size = RERANK_BATCH
        started = time.perf_counter()
        try:
            self._model = _OnnxModel(info.path, "cross-encoder", precision, self.max_length, cache)
            self._pairs = PairTokenizer(info.path, self.max_length)
            self.load_seconds = time.perf_counter() - started
            self.warm_up()
        except ModelError:
            raise
        except Exception as exc:
            raise ModelError(f"The cross-encoder in {info.path} fails under ONNX Runtime: {exc}") from exc

    @property
    def backend(self) -> str:
        return f"onnx-{self.precision}"

    def score(self, query: str, passages: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        scores = np.zeros(len(passages), dtype=np.float32)
        if passages:
            batch = self._pairs.encode(query, passages)
            for rows, logits in self._model.run_pairs(batch, batch_size or self.batch_size):
                scores[rows] = logits[:, 0]
        return scores


class OnnxDenseEncoder(DenseEncoder):
    """all-MiniLM-L6-v2 through ONNX Runtime: mean pooling and L2 normalisation, as sentence-transformers."""

    name = EMBEDDING_MODEL

    def __init__(
        self, folder: str | Path | None = None, precision: Precision = "fp32", cache: Path | None = None
    ) -> None:
        paths.force_offline()
        folder = bi_encoder_folder(folder)
        self.folder = folder
        self.device = "cpu"
        self.precision = precision
        self.max_length = int(read_json(folder / "sentence_bert_config.json").get("max_seq_length") or 256)
        self.dimensions = int(read_json(folder / "config.json").get("hidden_size") or 384)
        pooling = read_json(folder / "1_Pooling" / "config.json")
        self.cls_pooling = bool(pooling.get("pooling_mode_cls_token")) and not pooling.get("pooling_mode_mean_tokens")
        started = time.perf_counter()
        try:
            self._model = _OnnxModel(folder, "bi-encoder", precision, self.max_length, cache)
        except ModelError:
            raise
        except Exception as exc:
            raise ModelError(f"The embedding model in {folder} fails under ONNX Runtime: {exc}") from exc
        self.load_seconds = time.perf_counter() - started

    @property
    def backend(self) -> str:
        return f"onnx-{self.precision}"

    def encode(self, texts: Sequence[str], batch_size: int = EMBED_BATCH) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for rows, tokens, mask in self._model.run(list(texts), batch_size):
            if self.cls_pooling:
                pooled = tokens[:, 0]
            else:
                weights = mask[:, :, None].astype(np.float32)
                pooled = (tokens * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            vectors[rows] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return vectors
