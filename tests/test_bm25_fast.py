"""The vectorised BM25 build and scorer return exactly rank_bm25's scores and order."""

from __future__ import annotations

import random
from collections.abc import Iterator

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

import core.bm25_index as bm25_index
from core.bm25_index import BM25Index


def _corpus(rng: random.Random, n: int, vocab: list[str]) -> list[list[str]]:
    """Documents of 0-40 tokens, skewed so some terms sit in more than half the documents (negative idf)."""
    docs = []
    for _ in range(n):
        width = rng.randint(2, len(vocab))
        docs.append([vocab[min(int(rng.expovariate(4 / width)), width - 1)] for _ in range(rng.randint(0, 40))])
    return docs


def _expected_top(reference: BM25Okapi, ids: list[str], query: list[str], touched: set[int], n: int):
    """rank_bm25's ranking (stable sort), restricted to documents that contain a query term."""
    scores = reference.get_scores(query)
    order = [i for i in np.argsort(-scores, kind="stable") if i in touched]
    return [(ids[i], float(scores[i])) for i in order[:n]]


@pytest.fixture(params=[3, 1000], ids=["tiny-chunks", "one-chunk"])
def chunk(request, monkeypatch):
    """Run each test with the build split into many chunks and in one."""
    monkeypatch.setattr(bm25_index, "_BUILD_CHUNK", request.param)
    return request.param


def test_fast_build_scores_and_order_equal_rank_bm25(chunk):
    rng = random.Random(11)
    vocab = [f"w{i}" for i in range(120)]
    for trial in range(25):
        corpus = _corpus(rng, rng.randint(1, 200), vocab)
        if not any(corpus):
            continue
        ids = [f"d{trial}-{i}" for i in range(len(corpus))]
        reference = BM25Okapi(corpus)
        index = BM25Index.build_from_strings((i, " ".join(doc)) for i, doc in zip(ids, corpus, strict=True))
        for _ in range(20):
            query = [rng.choice(vocab + ["unknown"]) for _ in range(rng.randint(1, 6))]
            slots, scores = index.score(query)
            full = np.zeros(len(corpus))
            full[slots] = scores
            assert np.array_equal(full, reference.get_scores(query))  # bit for bit
            n = rng.choice([1, 5, 100])
            assert index.top(query, n) == _expected_top(reference, ids, query, set(slots.tolist()), n)


def test_build_from_lists_strings_and_adds_give_the_same_index(chunk):
    rng = random.Random(5)
    vocab = [f"w{i}" for i in range(60)]
    corpus = _corpus(rng, 150, vocab)
    docs = [(f"d{i}", doc) for i, doc in enumerate(corpus)]
    from_lists = BM25Index.build(docs)
    from_strings = BM25Index.build_from_strings((d, " ".join(t)) for d, t in docs)
    one_by_one = BM25Index()
    for d, t in docs:
        one_by_one.add(d, t)
    one_by_one.compact()
    for other in (from_strings, one_by_one):
        assert other._term_ids == from_lists._term_ids
        assert np.array_equal(other._base_offsets, from_lists._base_offsets)
        assert np.array_equal(other._base_docs, from_lists._base_docs)
        assert np.array_equal(other._base_tfs, from_lists._base_tfs)
    assert from_strings.build_from_strings([("x", "  a   b a ")]).top(["a"], 1)[0][0] == "x"  # irregular spaces


def _built_then_added(corpus: dict[str, list[str]], built: int) -> BM25Index:
    """An index built from the first ``built`` documents, the rest added one by one (the live segment)."""
    index = BM25Index.build(list(corpus.items())[:built])
    for doc_id, doc in list(corpus.items())[built:]:
        index.add(doc_id, doc)
    return index


def _stages(index: BM25Index, tmp_path) -> Iterator[tuple[str, BM25Index]]:  # noqa: ANN001
    """The same index as edited, then compacted, then saved and loaded again."""
    yield "live", index
    index.compact()
    yield "compacted", index
    index.save(tmp_path / "i.npz", "s")
    yield "reloaded", BM25Index.load(tmp_path / "i.npz", "s")


@pytest.mark.parametrize("live_limit", [7, 20_000], ids=["auto-compacting", "live"])
def test_adding_documents_keeps_bit_identical_scores_and_order(tmp_path, monkeypatch, live_limit):
    monkeypatch.setattr(bm25_index, "_LIVE_LIMIT", live_limit)
    rng = random.Random(2)
    vocab = [f"w{i}" for i in range(80)]
    corpus = _corpus(rng, 160, vocab)
    ids = [f"d{i}" for i in range(len(corpus))]
    index = BM25Index.build(zip(ids[:100], corpus[:100], strict=True))
    for doc_id, doc in zip(ids[100:], corpus[100:], strict=True):
        index.add(doc_id, doc + ["brand-new-term"] if doc_id == "d120" else doc)
    corpus[120] = corpus[120] + ["brand-new-term"]
    reference = BM25Okapi(corpus)
    stages = _stages(index, tmp_path)
    for stage, index in stages:
        for _ in range(20):
            query = [rng.choice(vocab) for _ in range(rng.randint(1, 5))]
            slots, scores = index.score(query)
            full = np.zeros(len(corpus))
            full[slots] = scores
            assert np.array_equal(full, reference.get_scores(query)), stage
            assert index.top(query, 30) == _expected_top(reference, ids, query, set(slots.tolist()), 30), stage


def test_edits_match_a_fresh_rank_bm25_before_and_after_compaction(tmp_path):
    """Removals can reorder rank_bm25's term dictionary, so its average idf may differ in the last bit."""
    rng = random.Random(9)
    vocab = [f"w{i}" for i in range(70)]
    corpus = {f"d{i}": doc for i, doc in enumerate(_corpus(rng, 180, vocab))}
    index = _built_then_added(corpus, 120)
    for doc_id in list(corpus)[::7]:
        tokens = corpus.pop(doc_id)
        assert index.remove(doc_id, tokens if doc_id != "d14" else None)  # d14: found without its tokens
    for doc_id in ("d1", "d130"):
        new = [rng.choice(vocab) for _ in range(12)]
        index.add(doc_id, new, old_tokens=corpus.pop(doc_id))
        corpus[doc_id] = new
    assert not index.remove("never-indexed")
    stages = _stages(index, tmp_path)
    for stage, index in stages:
        order = index.doc_order()
        assert sorted(order) == sorted(corpus) and len(index) == len(corpus)
        reference = BM25Okapi([corpus[d] for d in order])
        for _ in range(25):
            query = [rng.choice(vocab) for _ in range(rng.randint(1, 5))]
            slots, scores = index.score(query)
            got = dict(zip((index._doc_ids[s] for s in slots), scores, strict=True))
            want = reference.get_scores(query)
            assert np.allclose([got.get(d, 0.0) for d in order], want, rtol=0, atol=1e-12), stage
            top = index.top(query, 20)
            expected = _expected_top(reference, order, query, {order.index(d) for d in got}, 20)
            assert [d for d, _ in top] == [d for d, _ in expected] or np.allclose(
                [s for _, s in top], [s for _, s in expected], rtol=0, atol=1e-12
            ), stage


def test_a_repeated_id_in_a_build_keeps_the_last_document():
    index = BM25Index.build([("a", ["fire"]), ("b", ["water"]), ("a", ["snow", "snow"])])
    reference = BM25Okapi([["water"], ["snow", "snow"]])
    assert index.doc_order() == ["b", "a"]
    assert index.top(["fire"], 5) == []
    assert index.top(["snow"], 5) == [("a", float(reference.get_scores(["snow"])[1]))]


def test_load_refuses_an_old_or_damaged_file(tmp_path):
    path = tmp_path / "i.npz"
    BM25Index.build([("a", ["x"])]).save(path, "s")
    path.write_bytes(path.read_bytes()[:100])
    assert BM25Index.load(path, "s") is None
    np.savez(path, format=np.array([1]), stamp=np.array(["s"]))
    assert BM25Index.load(path, "s") is None


def test_scores_of_given_documents_equal_the_full_scoring_bit_for_bit(tmp_path, monkeypatch):
    """The lookup for candidates found by embedding: same floats as score(), through edits and reloads."""
    monkeypatch.setattr(bm25_index, "_LIVE_LIMIT", 20_000)  # keep added documents in the live segment
    rng = random.Random(4)
    vocab = [f"w{i}" for i in range(50)]
    corpus = {f"d{i}": doc for i, doc in enumerate(_corpus(rng, 120, vocab))}
    index = _built_then_added(corpus, 80)
    for doc_id in ("d3", "d90"):
        index.remove(doc_id, corpus.pop(doc_id))
    index.add("d5", ["w1", "w1", "w2"], old_tokens=corpus["d5"])
    corpus["d5"] = ["w1", "w1", "w2"]
    stages = _stages(index, tmp_path)
    for stage, index in stages:
        for _ in range(20):
            query = [rng.choice(vocab) for _ in range(rng.randint(1, 5))]
            slots, scores = index.score(query)
            full = dict(zip((index._doc_ids[s] for s in slots), scores, strict=True))
            asked = rng.sample(sorted(corpus), 30) + ["d3", "never-indexed"]
            got = index.scores_of(query, asked)
            assert np.array_equal(got, [full.get(d, 0.0) for d in asked]), stage
            assert got[-2:].tolist() == [0.0, 0.0]
    assert index.scores_of(["unknown"], ["d1"]).tolist() == [0.0]
    assert BM25Index().scores_of(["w1"], ["d1"]).tolist() == [0.0]
