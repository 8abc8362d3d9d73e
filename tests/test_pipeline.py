import pytest

from core.search import SearchEngine


def test_bm25_only_answers_and_says_it_was_not_reranked(store):
    engine = SearchEngine(store, reranker_notice="No reranker: test")
    result = engine.search("how long should I boil water")
    assert result.hits[0].id == "s-001"
    assert not result.reranked
    assert "No reranker" in result.notice
    assert result.hits[0].bm25_rank == 1 and result.hits[0].rerank_score is None
    assert "bm25_ms" in result.timings_ms


def test_index_follows_add_edit_delete_without_restart(store):
    engine = SearchEngine(store)
    passage = store.add_passage(
        "Quinzhee", "Pile snow into a mound, let it sinter, then hollow it out.", topics=["shelter"]
    )
    assert engine.search("quinzhee snow mound").hits[0].id == passage.id
    store.update_passage(passage.id, text="A snow cave dug into a drift.")
    assert not any(h.id == passage.id for h in engine.search("sinter mound").hits)
    store.delete_passages([passage.id])
    assert not any(h.id == passage.id for h in engine.search("snow cave drift").hits)


def test_empty_and_odd_queries_do_not_crash(store):
    engine = SearchEngine(store)
    assert engine.search("   ").hits == []
    assert engine.search("the of and").hits == []
    assert engine.search("water\x00 ' OR 1=1; --").hits[0].id in {"s-001", "s-002"}
    long = engine.search("water " * 50_000)
    assert "shortened" in long.notice


def test_topic_filter(store):
    engine = SearchEngine(store)
    hits = engine.search("signs", topics=["cold"]).hits
    assert hits and all("cold" in h.topics for h in hits)


def test_reranks_with_a_real_cross_encoder_folder(store, tiny_cross_encoder):
    from core.reranker import Reranker

    reranker = Reranker(tiny_cross_encoder, device="cpu")
    engine = SearchEngine(store, reranker=reranker)
    first = []
    result = engine.search("boil water", on_first_stage=first.append)
    assert result.reranked and result.model == str(tiny_cross_encoder) and result.device == "cpu"
    assert all(h.rerank_score is not None for h in result.hits)
    assert [h.score for h in result.hits] == sorted((h.score for h in result.hits), reverse=True)
    assert first and not first[0].reranked
    assert "rerank_ms" in result.timings_ms


@pytest.mark.parametrize("problem", ["missing", "empty", "bi-encoder", "two-labels", "truncated"])
def test_unusable_model_folders_fall_back_with_a_reason(tmp_path, problem, tiny_cross_encoder):
    import shutil

    from core.loading import load_reranker
    from tests.helpers import build_tiny_cross_encoder

    folder = tmp_path / "model"
    if problem == "empty":
        folder.mkdir()
    elif problem == "bi-encoder":
        shutil.copytree(tiny_cross_encoder, folder)
        (folder / "modules.json").write_text("[]")
        cfg = (folder / "config.json").read_text().replace("BertForSequenceClassification", "BertModel")
        (folder / "config.json").write_text(cfg)
    elif problem == "two-labels":
        build_tiny_cross_encoder(folder, num_labels=2)
    elif problem == "truncated":
        shutil.copytree(tiny_cross_encoder, folder)
        (folder / "model.safetensors").write_bytes(b"\x00" * 10)
    reranker, notice = load_reranker(folder, "cpu")
    assert reranker is None
    assert {"missing": "does not exist", "empty": "empty", "bi-encoder": "bi-encoder",
            "two-labels": "2 output labels", "truncated": "truncated"}[problem] in notice


def test_each_candidate_gets_both_scores_and_the_first_stage_follows_the_calibrated_prior(store):
    """A candidate only one list found still gets the other score; the prior orders and picks the reranked."""
    import numpy as np

    from core.dense import embed_missing
    from core.search import Calibration, SearchSettings
    from core.tokenizer import tokenize
    from tests.gui_fakes import FakeEncoder, FakeReranker

    encoder = FakeEncoder()
    embed_missing(store, encoder)
    reranker = FakeReranker(scores=lambda _q, passages: [0.0] * len(passages))  # final order = the prior's
    settings = SearchSettings(bm25_depth=3, dense_depth=3, candidates=1)
    engine = SearchEngine(store, reranker=reranker, encoder=encoder, settings=settings, persist_index=False)
    engine.calibration = Calibration(dense_weight=10.0, bm25_weight=1.0)
    engine.dense.refresh()
    vectors = dict(zip(engine.dense.ids, engine.dense.matrix, strict=True))
    head_moved = 0
    for query in ["boil water for germs", "water", "shelter from the cold", "stick shadow", "safe to drink"]:
        candidates, _ = engine.first_stage(query)
        slots, scores = engine.index.score(tokenize(query))
        bm25 = {engine.index._doc_ids[s]: float(v) for s, v in zip(slots, scores, strict=True)}
        query_vector = encoder.encode_query(query)
        for c in candidates:
            assert c.bm25_score == bm25.get(c.id, 0.0)
            assert c.dense_score == pytest.approx(float(vectors[c.id] @ query_vector), abs=1e-6)
        assert any(c.bm25_rank is None or c.dense_rank is None for c in candidates)
        top = max(bm25.values(), default=0.0)
        prior = {c.id: 10.0 * c.dense_score + (c.bm25_score / top if top else 0.0) for c in candidates}
        by_rrf = sorted(candidates, key=lambda c: -c.fused)
        assert [c.id for c in candidates] == sorted((c.id for c in by_rrf), key=lambda pid: -prior[pid])
        expected = [candidates[0].id]
        result = engine.search(query)
        reranked = [h for h in result.hits if h.rerank_score is not None]
        assert [h.id for h in reranked] == expected
        assert [h.score for h in reranked] == pytest.approx([prior[pid] for pid in expected])
        assert [h.id for h in result.hits[1:]] == [c.id for c in candidates[1:]]  # the rest in prior order
        head_moved += expected != [by_rrf[0].id]
    assert head_moved  # the prior chose other candidates than reciprocal rank at least once
    engine.calibration = Calibration()  # no weights: the first by reciprocal rank
    candidates, _ = engine.first_stage("water")
    hits = engine.search("water").hits
    assert [h.id for h in hits if h.rerank_score is not None] == [candidates[0].id]
    assert [h.id for h in hits[1:]] == [c.id for c in candidates[1:]]  # the rest in first-stage order
    assert np.isfinite([h.score for h in hits]).all()


def test_writes_by_another_program_are_searchable_without_restart(store, caplog):
    """A second window or `survival-search import` writes the same file: the next search sees it."""
    from core.store import CorpusStore

    engine = SearchEngine(store, persist_index=False)
    other = CorpusStore(store.path, create_from_builtin=False)  # another process's connection
    try:
        added = other.add_passage("Quinzhee", "Pile snow into a mound, let it sinter, then hollow it out.")
        with caplog.at_level("INFO", logger="core.search"):
            assert engine.search("quinzhee sinter").hits[0].id == added.id
        assert "changed by another program" in caplog.text
        other.update_passage(added.id, text="A snow cave dug into a drift.")
        assert not any(h.id == added.id for h in engine.search("sinter mound").hits)
        # another program writes, then this one: the own change must not hide the other's
        mine = store.add_passage("Snow trench", "Dig a trench in firm snow and roof it with blocks.")
        other.delete_passages([added.id])
        yours = other.add_passage("Tree well", "Under a spruce the snow is shallow: dig down beside the trunk.")
        store.update_passage(mine.id, text="Dig a trench in firm snow and roof it with snow blocks or a tarp.")
        assert engine.search("spruce trunk shallow").hits[0].id == yours.id
        assert not any(h.id == added.id for h in engine.search("snow cave drift").hits)
        assert engine.search("trench tarp blocks").hits[0].id == mine.id
    finally:
        other.close()


def test_own_writes_do_not_rebuild_the_index(store):
    """Edits made through this store update the index in place; bookmarks and settings leave it alone."""
    engine = SearchEngine(store, persist_index=False)
    index = engine.index
    passage = store.add_passage("Quinzhee", "Pile snow into a mound, let it sinter, then hollow it out.")
    store.set_meta("ui_state", "x")
    store.set_bookmark(passage.id, True)
    assert engine.search("quinzhee").hits[0].id == passage.id
    assert engine.index is index


def test_stored_vectors_follow_own_writes_without_reloading_all_of_them(store, monkeypatch):
    """Each write reads only the vectors it changed; the result equals a fresh load after every step."""
    import numpy as np

    from core.dense import DenseIndex, embed_missing
    from core.store import CorpusStore
    from tests.gui_fakes import FakeEncoder

    encoder = FakeEncoder()
    embed_missing(store, encoder)
    engine = SearchEngine(store, encoder=encoder, persist_index=False)
    engine.search("water")  # loads every vector once
    full_loads = []
    real_embeddings = store.embeddings
    monkeypatch.setattr(store, "embeddings", lambda model: full_loads.append(model) or real_embeddings(model))

    def same_as_a_fresh_load() -> None:
        engine.search("water")
        fresh = DenseIndex(CorpusStore(store.path, create_from_builtin=False))
        fresh.refresh()
        mine = dict(zip(engine.dense.ids, engine.dense.matrix, strict=True))
        assert sorted(mine) == sorted(fresh.ids)
        for pid, vector in zip(fresh.ids, fresh.matrix, strict=True):
            assert np.array_equal(mine[pid], vector), pid

    added = store.add_passage("Quinzhee", "Pile snow into a mound, let it sinter, then hollow it out.")
    same_as_a_fresh_load()  # no vector yet
    embed_missing(store, encoder)
    same_as_a_fresh_load()
    assert added.id in engine.dense.ids
    store.update_passage(added.id, text="A snow cave dug into a drift.")
    same_as_a_fresh_load()  # the old vector no longer matches the text
    assert added.id not in engine.dense.ids
    embed_missing(store, encoder)
    store.set_bookmark("s-001", True)
    same_as_a_fresh_load()
    deleted = store.delete_passages(["s-001", added.id])
    same_as_a_fresh_load()
    store.restore_passages(deleted)  # undo: the vectors come back with the passages
    same_as_a_fresh_load()
    assert "s-001" in engine.dense.ids and added.id in engine.dense.ids
    assert full_loads == []
    other = CorpusStore(store.path, create_from_builtin=False)  # another program deletes: a full reload
    other.delete_passages(["s-002"])
    same_as_a_fresh_load()
    assert len(full_loads) == 1 and "s-002" not in engine.dense.ids
    other.delete_passages(["s-003"])  # and again, but this process writes before the next search
    store.set_bookmark("s-004", True)
    same_as_a_fresh_load()
    assert len(full_loads) == 2 and "s-003" not in engine.dense.ids
    other.close()


def test_a_search_racing_an_own_write_neither_rebuilds_nor_counts_it_twice(store):
    """A search that reads the new stamp before this write's listener ran must leave the change to it."""
    import numpy as np

    from core.bm25_index import BM25Index
    from core.tokenizer import tokenize

    engine = SearchEngine(store, persist_index=False)
    store._listeners.insert(0, lambda change: engine.follow_other_writers())  # the search gets there first
    store.update_passage("s-001", text="Bring snow water to a rolling boil; snow alone is not safe to drink.")
    added = store.add_passage("Quinzhee", "Pile snow into a mound, let it sinter, then hollow it out.")
    store.delete_passages(["s-002"])
    assert engine.other_writes_seen == 0  # only this process wrote: no rebuild
    fresh = BM25Index.build_from_strings(store.iter_token_strings())
    for query in ["snow water boil", "quinzhee mound", "tablets", "hypothermia shivering"]:
        tokens = tokenize(query)
        mine = dict(zip(*engine.index.score(tokens), strict=True))
        theirs = dict(zip(*fresh.score(tokens), strict=True))
        ids = {engine.index._doc_ids[s]: v for s, v in mine.items()}
        assert sorted(ids) == sorted(fresh._doc_ids[s] for s in theirs)
        assert np.allclose([ids[fresh._doc_ids[s]] for s in theirs], list(theirs.values()), rtol=0, atol=1e-12)
    assert engine.search("quinzhee").hits[0].id == added.id


def test_the_short_rerank_depth_needs_the_cosines_the_prior_is_made_of(store):
    from core.dense import embed_missing
    from core.search import PRIOR_DEPTH, RRF_DEPTH_CPU, Calibration
    from tests.gui_fakes import FakeEncoder

    engine = SearchEngine(store, persist_index=False)
    engine.calibration = Calibration(dense_weight=32.0, bm25_weight=2.0)
    assert engine.rerank_count() == RRF_DEPTH_CPU  # no embedding model: the prior would be BM25's order alone
    engine.set_encoder(FakeEncoder())
    engine.search("water", rerank=False)
    assert engine.rerank_count() == RRF_DEPTH_CPU  # a model, but no stored vectors yet
    embed_missing(store, engine.encoder)
    engine.search("water", rerank=False)
    assert engine.rerank_count() == PRIOR_DEPTH
