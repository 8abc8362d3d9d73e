"""No network, ever: start-up, search, import, training and evaluation never open a connection.

Every way out (connect, connect_ex, create_connection, DNS lookups) is replaced by a recorder that
fails like an unplugged cable. A library that swallows the error and carries on would still be
caught: each test fails if anything was even attempted.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch):
    attempts: list[str] = []

    def refuse(what: str):  # noqa: ANN202
        def blocked(*args: object, **kwargs: object) -> None:
            attempts.append(f"{what}{args[1:] if what.startswith('socket.') else args}")
            raise OSError(101, "Network is unreachable (blocked by the no-network test)")

        return blocked

    monkeypatch.setattr(socket.socket, "connect", refuse("socket.connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("socket.connect_ex"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    monkeypatch.setattr(socket, "gethostbyname", refuse("gethostbyname"))
    yield attempts
    assert attempts == [], f"network access attempted: {attempts}"


def test_the_recorder_catches_a_connection(no_network):
    with pytest.raises(OSError):
        socket.create_connection(("example.org", 443), timeout=1)
    assert no_network
    no_network.clear()


@pytest.fixture
def small_builtin(builtin_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """First-run corpus creation from the 8 sample passages instead of the shipped set (quicker to embed)."""
    import core.builtin as builtin

    monkeypatch.setattr(builtin.populate_from_builtin, "__defaults__", (builtin_dir,))
    return builtin_dir


def test_start_up_search_import_and_evaluation_stay_offline(no_network, small_builtin, tmp_path, tiny_cross_encoder):
    from core.dense import embed_missing
    from core.evaluation import evaluate, relevant_by_answers
    from core.importers import export_passages, import_paths
    from core.loading import load_encoder, load_reranker
    from core.safety import check_corpus, open_or_recover
    from core.search import SearchEngine

    # start-up, as the app does it: the corpus (built from the shipped passages), both models, the engine
    store = open_or_recover(tmp_path / "corpus.sqlite")
    reranker, notice = load_reranker(tiny_cross_encoder, "cpu")
    assert reranker is not None, notice
    encoder, _ = load_encoder("cpu")  # None when the embedding package is not installed: BM25 covers it
    engine = SearchEngine(store, reranker=reranker, encoder=encoder)

    # import, then embeddings for the new passages
    doc = tmp_path / "water.md"
    doc.write_text("# Water\n\n" + "Boil stream water for one minute before drinking it. " * 8, encoding="utf-8")
    report = import_paths(store, [doc])
    assert report.added == 1, report.errors
    if encoder is not None:
        embed_missing(store, encoder)

    # search
    result = engine.search("is stream water safe to drink")
    assert result.reranked and result.hits

    # evaluation, and the data-safety tools
    queries = [type("Q", (), {"qid": "q1", "query": "boil stream water", "answers": ["boil stream water"]})()]
    relevant = relevant_by_answers(store, queries)  # type: ignore[arg-type]
    ranked = {"q1": [h.id for h in engine.search("boil stream water", k=100).hits]}
    means, _ = evaluate(ranked, relevant)
    assert means["recall@100"] == 1.0
    export_passages(store, tmp_path / "out.jsonl")
    assert check_corpus(store).ok
    store.close()


def test_the_cli_stays_offline(no_network, builtin_dir, tmp_path, tiny_cross_encoder, capsys):
    from core.cli import main

    db = str(tmp_path / "c.sqlite")
    queries = tmp_path / "q.jsonl"
    queries.write_text(json.dumps({"qid": "1", "query": "purify water", "answers": ["water"]}) + "\n")
    common = ["--db", db, "--model", str(tiny_cross_encoder), "--device", "cpu"]
    assert main(["import", str(builtin_dir), "--db", db, "--device", "cpu"]) == 0  # embeds the new passages
    capsys.readouterr()
    assert main(["ask", "how do I purify water", "--json", *common]) == 0
    assert json.loads(capsys.readouterr().out)["reranked"]
    assert main(["eval", str(queries), "--json", *common]) == 0
    assert main(["backup", "--db", db]) == 0
    assert main(["check", "--db", db]) == 0
    capsys.readouterr()


def test_training_stays_offline(no_network, tmp_path, tiny_cross_encoder, store):
    training = pytest.importorskip(
        "core.training", reason="TODO(lead): core.training is not in this checkout; add a tiny train here when it lands"
    )
    store.add_judgment("how long to boil water", "s-001", 1.0)
    store.add_judgment("how long to boil water", "s-006", 0.0)
    pairs = training.pairs_from_judgments(store) + [
        training.Pair("signal a plane", "Aim a signal mirror at the aircraft.", 1.0),
        training.Pair("signal a plane", "Boil water for one minute.", 0.0),
    ]
    out = tmp_path / "trained"
    cfg = training.TrainConfig(base=tiny_cross_encoder, output=out, device="cpu", epochs=1, batch_size=2)
    training.train(cfg, pairs)
    assert (Path(out) / "config.json").is_file()
