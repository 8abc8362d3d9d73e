"""Fakes for the GUI tests: models small enough to need no torch.

They are deliberately tiny: a reranker that scores by shared words (or in a
fixed order, or slowly) and a bag-of-words encoder, so no test loads torch
unless it means to.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from core.tokenizer import tokenize


class FakeReranker:
    """Scores a passage by the query words it shares (2 per word, minus 1), optionally slowly."""

    def __init__(
        self, delay: float = 0.0, device: str = "cpu", scores: Callable[[str, list[str]], list[float]] | None = None
    ) -> None:
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


def final_result(window: Any) -> Callable[[Any, bool], bool]:
    """A ``check_params_cb`` for ``results_shown`` that waits for the final (not first-stage) result."""
    return lambda _result, final: bool(final)
