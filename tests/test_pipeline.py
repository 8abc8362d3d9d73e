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
    passage = store.add_passage("Quinzhee", "Pile snow into a mound, let it sinter, then hollow it out.", topics=["shelter"])
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
