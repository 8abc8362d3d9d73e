"""(query, passage) inputs for a cross-encoder, tokenized once per passage.

Tokenizing the candidates is most of what a GPU rerank costs: a MiniLM forward pass over 100 pairs
takes a few milliseconds on an H100, while sentence-transformers' ``preprocess`` of the same 100
pairs takes ~100 ms on this 2-core CPU (the Rust tokenizer alone ~14 ms). A passage's word pieces do
not depend on the query (each side of a pair is pre-tokenized on its own), so they are computed once
and kept; a query then costs one short encode plus array assembly.

``PairTokenizer.encode`` returns exactly what the folder's tokenizer returns for the pairs with
``longest_first`` truncation to ``max_length`` (tested against ``Tokenizer.encode_batch`` on random
text), padded into one batch.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ModelError
from .model_folder import read_json

PASSAGE_CACHE_SIZE = 8192  # passages whose word pieces are kept: at most max_length int32 ids each (8 MB at 256)


def load_tokenizer(folder: Path, max_length: int | None):  # noqa: ANN201 - tokenizers.Tokenizer, imported lazily
    """The folder's fast tokenizer, unpadded; pairs truncated longest part first to ``max_length`` (None: never)."""
    try:
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise ModelError(f"The fast path needs the tokenizers package ({exc}).") from exc
    if (folder / "tokenizer.json").is_file():
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    elif (folder / "vocab.txt").is_file():
        from tokenizers.implementations import BertWordPieceTokenizer

        lower = read_json(folder / "tokenizer_config.json").get("do_lower_case", True)
        tokenizer = BertWordPieceTokenizer(str(folder / "vocab.txt"), lowercase=bool(lower))
    else:
        raise ModelError(f"{folder} has no tokenizer (tokenizer.json or vocab.txt).")
    tokenizer.no_padding()
    if max_length is None:
        tokenizer.no_truncation()
    else:
        tokenizer.enable_truncation(max_length, strategy="longest_first")
    return tokenizer


def pad_id_of(tokenizer) -> int:  # noqa: ANN001
    return tokenizer.token_to_id("[PAD]") or tokenizer.token_to_id("<pad>") or 0


@dataclass(frozen=True)
class PairBatch:
    """Padded model inputs for a list of pairs, rows in the order the passages were given."""

    input_ids: np.ndarray  # int64 (pairs, width)
    attention_mask: np.ndarray  # int64 (pairs, width)
    token_type_ids: np.ndarray  # int64 (pairs, width)
    lengths: np.ndarray  # int64 (pairs,): real tokens per row

    def rows(self, which: np.ndarray) -> PairBatch:
        """The given rows, cut to their own longest (so a length-sorted slice carries little padding)."""
        width = int(self.lengths[which].max()) if len(which) else 0
        return PairBatch(
            self.input_ids[which, :width],
            self.attention_mask[which, :width],
            self.token_type_ids[which, :width],
            self.lengths[which],
        )

    def feeds(self) -> dict[str, np.ndarray]:
        return {
            "input_ids": self.input_ids,
            "attention_mask": self.attention_mask,
            "token_type_ids": self.token_type_ids,
        }


class PairTokenizer:
    """Pair inputs as the folder's tokenizer builds them (``[CLS] query [SEP] passage [SEP]`` for BERT),
    with each passage's word pieces computed once and kept (least recently used dropped first).

    Not thread-safe (the cache is shared): a reranker scores on one thread at a time (the app's
    ``search`` lane); a new model warms up on its own object before it is handed over.
    """

    def __init__(self, folder: Path, max_length: int, cache_size: int = PASSAGE_CACHE_SIZE) -> None:
        self.tokenizer = load_tokenizer(folder, None)  # word pieces only; truncation is done here
        self.max_length = max_length
        self.cache_size = cache_size
        self.pad_id = pad_id_of(self.tokenizer)
        # the layout the post-processor builds around two parts, read off a probe pair
        probe = self.tokenizer.encode("a", "b")
        words = [i for i, special in enumerate(probe.special_tokens_mask) if not special]
        if len(words) != 2:
            raise ModelError(f"The tokenizer in {folder} splits a one-letter word; cannot lay out pairs.")
        a, b = words
        around = (slice(0, a), slice(a + 1, b), slice(b + 1, None))
        self._parts = [np.asarray(probe.ids[s], dtype=np.int64) for s in around]
        self._part_types = [probe.type_ids[s] for s in around]
        self._word_types = (probe.type_ids[a], probe.type_ids[b])
        self._special = sum(len(p) for p in self._parts)
        if max_length <= self._special:
            raise ModelError(f"max_length {max_length} leaves no room for text between the special tokens.")
        self._passages: OrderedDict[str, tuple[np.ndarray, int]] = OrderedDict()

    def word_ids(self, texts: Sequence[str]) -> list[tuple[np.ndarray, int]]:
        """Each text's word-piece ids (no special tokens; only the first ``max_length`` are kept, which is
        all a pair can hold) and its full length, from the cache where kept."""
        found = [self._passages.get(t) for t in texts]
        missing = list(dict.fromkeys(t for t, ids in zip(texts, found, strict=True) if ids is None))
        fresh: dict[str, tuple[np.ndarray, int]] = {}
        if missing:
            encoded = self.tokenizer.encode_batch(missing, add_special_tokens=False)
            for text, e in zip(missing, encoded, strict=True):
                fresh[text] = (np.asarray(e.ids[: self.max_length], dtype=np.int32), len(e.ids))
        for text in texts:
            if text in self._passages:
                self._passages.move_to_end(text)
        self._passages.update(fresh)
        while len(self._passages) > self.cache_size:
            self._passages.popitem(last=False)
        return [ids if ids is not None else fresh[t] for t, ids in zip(texts, found, strict=True)]

    def forget(self) -> None:
        self._passages.clear()

    def encode(self, query: str, passages: Sequence[str]) -> PairBatch:
        """One padded batch of (query, passage) inputs, rows in the order of ``passages``."""
        query_ids = np.asarray(self.tokenizer.encode(query, add_special_tokens=False).ids, dtype=np.int64)
        budget = self.max_length - self._special
        words = self.word_ids(passages)
        kept = [_longest_first(len(query_ids), full, budget) for _, full in words]
        lengths = np.array([self._special + q + p for q, p in kept], dtype=np.int64)
        width = int(lengths.max()) if len(kept) else 0
        input_ids = np.full((len(kept), width), self.pad_id, dtype=np.int64)
        types = np.zeros((len(kept), width), dtype=np.int64)
        cls, mid, end = self._parts
        cls_t, mid_t, end_t = self._part_types
        for row, ((q, p), (ids, _)) in enumerate(zip(kept, words, strict=True)):
            segments = (
                (cls, cls_t),
                (query_ids[:q], self._word_types[0]),
                (mid, mid_t),
                (ids[:p], self._word_types[1]),
                (end, end_t),
            )
            at = 0
            for values, type_ids in segments:
                input_ids[row, at : at + len(values)] = values
                types[row, at : at + len(values)] = type_ids
                at += len(values)
        mask = (np.arange(width)[None, :] < lengths[:, None]).astype(np.int64)
        return PairBatch(input_ids, mask, types, lengths)


def _longest_first(n1: int, n2: int, budget: int) -> tuple[int, int]:
    """How many tokens of each part the Rust tokenizer keeps under ``longest_first`` (its own rule)."""
    if n1 + n2 <= budget:
        return n1, n2
    swap = n1 > n2
    if swap:
        n1, n2 = n2, n1
    n2 = n1 if n1 > budget else max(n1, budget - n1)
    if n1 + n2 > budget:
        n1 = budget // 2
        n2 = n1 + budget % 2
    if swap:
        n1, n2 = n2, n1
    return n1, n2
