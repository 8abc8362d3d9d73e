import random

import numpy as np
from rank_bm25 import BM25Okapi

from core.bm25_index import BM25Index


def _random_corpus(rng: random.Random, n: int, vocab: list[str]) -> list[list[str]]:
    return [[rng.choice(vocab[: rng.randint(3, len(vocab))]) for _ in range(rng.randint(0, 30))] for _ in range(n)]


def test_scores_equal_rank_bm25_bit_for_bit_on_random_corpora():
    rng = random.Random(7)
    vocab = [f"t{i}" for i in range(200)]
    for _ in range(20):
        corpus = _random_corpus(rng, rng.randint(1, 150), vocab)
        if not any(corpus):
            continue
        ids = [f"d{i}" for i in range(len(corpus))]
        reference = BM25Okapi(corpus)
        index = BM25Index.build(zip(ids, corpus, strict=True))
        for _ in range(15):
            query = [rng.choice(vocab) for _ in range(rng.randint(1, 5))]
            expected = reference.get_scores(query)
            slots, scores = index.score(query)
            full = np.zeros(len(corpus))
            full[slots] = scores
            assert np.array_equal(full, expected)
            # same top-100 ids and order (ties in corpus order), for every positive score
            order = np.argsort(-expected, kind="stable")[:100]
            want = [(ids[i], expected[i]) for i in order if expected[i] != 0]
            got = [hit for hit in index.top(query, 100) if hit[1] != 0]
            assert got == want[: len(got)] and len(got) == len(want)


def test_incremental_edits_match_a_fresh_rank_bm25():
    rng = random.Random(3)
    vocab = [f"t{i}" for i in range(80)]
    corpus = {f"d{i}": doc for i, doc in enumerate(_random_corpus(rng, 120, vocab))}
    index = BM25Index.build(list(corpus.items())[:60])
    for doc_id, doc in list(corpus.items())[60:]:
        index.add(doc_id, doc)
    for doc_id in list(corpus)[::5]:
        index.remove(doc_id, corpus.pop(doc_id))
    index.add("d1", ["t1", "t2", "t2"], old_tokens=corpus["d1"])
    corpus["d1"] = ["t1", "t2", "t2"]
    order = index.doc_order()
    reference = BM25Okapi([corpus[d] for d in order])
    for _ in range(30):
        query = [rng.choice(vocab) for _ in range(3)]
        slots, scores = index.score(query)
        got = dict(zip((index._doc_ids[s] for s in slots), scores, strict=True))
        full = np.array([got.get(d, 0.0) for d in order])
        assert np.allclose(full, reference.get_scores(query), rtol=0, atol=1e-12)


def test_save_and_load_round_trip(tmp_path):
    index = BM25Index.build([("a", ["water", "boil"]), ("b", ["fire"]), ("c", ["water", "water"])])
    path = tmp_path / "idx.npz"
    index.save(path, "stamp-1")
    assert BM25Index.load(path, "other-stamp") is None
    loaded = BM25Index.load(path, "stamp-1")
    assert loaded is not None
    assert loaded.top(["water"], 5) == index.top(["water"], 5)
    loaded.add("d", ["ember", "fire"])
    assert loaded.top(["ember"], 1)[0][0] == "d"


def test_empty_index_and_unknown_terms():
    index = BM25Index()
    assert index.top(["anything"], 10) == []
    index.add("a", ["water"])
    assert index.top(["nothing"], 10) == []
