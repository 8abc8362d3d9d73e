"""Pair inputs built from cached passage tokens are exactly the tokenizer's own, and the reranker's
fast path scores exactly what ``CrossEncoder.predict`` scores."""

from __future__ import annotations

import random

import numpy as np
import pytest

from core.pair_tokens import PairTokenizer, load_tokenizer
from core.paths import DEFAULT_MODEL_DIR

WORDS = (
    "boil water for one minute at a rolling boil above 2,000 m three minutes hypothermia shivering confused "
    "unbreakable élan naïve 北 🔥 tourniquet 5-8 cm above the wound; don't loosen it! (see FM 3-05.70, ch. 6)"
).split()


def _text(rng: random.Random, most: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, most)))


@pytest.mark.parametrize("folder_name", ["tiny", "shipped"])
@pytest.mark.parametrize("max_length", [5, 6, 9, 16, 33, 128])
def test_pairs_are_the_tokenizers_own_on_random_text(folder_name, max_length, tiny_cross_encoder):
    folder = tiny_cross_encoder if folder_name == "tiny" else DEFAULT_MODEL_DIR
    pairs = PairTokenizer(folder, max_length, cache_size=7)  # smaller than a batch: eviction is exercised
    reference = load_tokenizer(folder, max_length)
    rng = random.Random(max_length)
    for _ in range(25):
        query = _text(rng, 40)
        passages = [_text(rng, 120) for _ in range(rng.randint(1, 12))]
        passages += passages[: rng.randint(0, 3)]  # repeats within one batch
        batch = pairs.encode(query, passages)
        expected = reference.encode_batch([(query, p) for p in passages])
        assert batch.input_ids.shape == (len(passages), max(len(e.ids) for e in expected))
        for row, e in enumerate(expected):
            n = len(e.ids)
            assert batch.lengths[row] == n
            assert batch.input_ids[row, :n].tolist() == e.ids
            assert batch.token_type_ids[row, :n].tolist() == e.type_ids
            assert batch.attention_mask[row].tolist() == [1] * n + [0] * (batch.input_ids.shape[1] - n)
            assert (batch.input_ids[row, n:] == pairs.pad_id).all()
        assert len(pairs._passages) <= 7


def test_a_passage_is_tokenized_once_and_the_cache_drops_the_least_recently_used(tiny_cross_encoder):
    pairs = PairTokenizer(tiny_cross_encoder, 64, cache_size=2)
    calls: list[list[str]] = []
    real = pairs.tokenizer.encode_batch
    pairs.tokenizer = _Spy(pairs.tokenizer, lambda texts, **kw: calls.append(list(texts)) or real(texts, **kw))
    pairs.encode("boil water", ["water a", "water b"])
    pairs.encode("how long", ["water b", "water a"])  # both kept: no passage tokenized again
    pairs.encode("how long", ["water c"])  # evicts "water b" (used before "water a")
    pairs.encode("how long", ["water a", "water b"])
    assert calls == [["water a", "water b"], ["water c"], ["water b"]]


def test_rows_slices_keep_only_their_own_padding(tiny_cross_encoder):
    passages = ["boil", "boil water for one minute at a rolling boil"]
    batch = PairTokenizer(tiny_cross_encoder, 64).encode("water", passages)
    short = batch.rows(np.array([0]))
    assert short.input_ids.shape == (1, int(batch.lengths[0]))
    assert short.attention_mask.all()


def test_the_reranker_fast_path_scores_what_predict_scores(tiny_cross_encoder):
    from core.reranker import Reranker

    reranker = Reranker(tiny_cross_encoder, device="cpu", max_length=32)  # long passages are cut
    rng = random.Random(7)
    for _ in range(5):
        query = _text(rng, 12) or "water"
        passages = [_text(rng, 60) for _ in range(rng.randint(1, 40))]
        for batch_size in (None, 3):
            fast = reranker.score(query, passages, batch_size=batch_size)
            reference = reranker.predict_scores(query, passages)
            np.testing.assert_allclose(fast, reference, rtol=1e-4, atol=1e-5)
    assert reranker.score("water", []).shape == (0,)


class _Spy:
    """The tokenizer with ``encode_batch`` replaced (a Rust object's methods cannot be patched)."""

    def __init__(self, inner, encode_batch) -> None:  # noqa: ANN001
        self._inner = inner
        self.encode_batch = encode_batch

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self._inner, name)
