import json

import pytest

from core.errors import ModelError
from core.training import Pair, TrainConfig, load_pairs, train

# 18 labelled pairs: the size of the user's own training set.
USER_PAIRS = [
    ("how long to boil water", "Boiling water. Bring water to a rolling boil for one minute.", 1),
    ("how long to boil water", "Signal mirror. Aim the flash at the aircraft.", 0),
    ("friend shivering confused", "Hypothermia signs. Shivering and confusion mean hypothermia.", 1),
    ("friend shivering confused", "Debris hut. Pile leaves over a ridgepole.", 0),
    ("start fire wet wood", "Fire in rain. Split wet wood to reach the dry core.", 1),
    ("start fire wet wood", "Snake bite. Keep the limb still.", 0),
    ("snake bit my leg", "Snake bite. Keep the limb still and get help.", 1),
    ("snake bit my leg", "Boiling water. Bring water to a rolling boil.", 0),
    ("which way is north", "Shadow stick. Mark the shadow tip twice: west to east.", 1),
    ("which way is north", "Purification tablets. Wait thirty minutes.", 0),
    ("build a shelter fast", "Debris hut. Pile leaves over a ridgepole.", 1),
    ("build a shelter fast", "Hypothermia signs. Shivering and confusion.", 0),
    ("signal a plane", "Signal mirror. Aim the flash at the aircraft.", 1),
    ("signal a plane", "Fire in rain. Split wet wood.", 0),
    ("water tablets how long", "Purification tablets. Wait thirty minutes.", 1),
    ("water tablets how long", "Shadow stick. Mark the shadow tip.", 0),
    ("bleeding wont stop", "Severe bleeding. Press hard on the wound.", 1),
    ("bleeding wont stop", "Signal mirror. Aim the flash.", 0),
]


def _write_pairs(path):
    with open(path, "w", encoding="utf-8") as fh:
        for q, p, y in USER_PAIRS:
            fh.write(json.dumps({"query": q, "passage": p, "label": y}) + "\n")
    return path


def test_trains_on_18_pairs_and_the_pipeline_uses_the_folder(tmp_path, tiny_cross_encoder, store):
    pairs = load_pairs(_write_pairs(tmp_path / "pairs.jsonl"))
    assert len(pairs) == 18
    out = tmp_path / "my-model"
    report = train(TrainConfig(base=tiny_cross_encoder, output=out, device="cpu"), pairs)
    assert report.steps == 3 * 3  # 18 pairs, batch 8, 3 epochs
    assert not report.fp16 and report.device == "cpu"
    assert (out / "config.json").is_file() and (out / "README.md").is_file()
    card = (out / "README.md").read_text()
    assert "learning_rate: 5e-05" in card and "num_train_epochs: 3" in card and "seed: 42" in card
    assert "18 training samples" in card

    from sentence_transformers import CrossEncoder

    assert CrossEncoder(str(out)).predict([("q", "p")]).shape == (1,)

    from core.loading import load_reranker
    from core.search import SearchEngine

    reranker, notice = load_reranker(out, "cpu")
    assert notice == ""
    result = SearchEngine(store, reranker=reranker).search("boil water")
    assert result.reranked and result.model == str(out)


def test_refuses_a_base_that_is_not_a_model(tmp_path):
    (tmp_path / "base").mkdir()
    with pytest.raises(ModelError, match="config.json"):
        train(TrainConfig(base=tmp_path / "base", output=tmp_path / "out", device="cpu"), [Pair("q", "p", 1.0)])
    assert not (tmp_path / "out").exists()


def test_stop_leaves_no_half_written_folder(tmp_path, tiny_cross_encoder):
    from core.training import TrainingCancelled

    pairs = [Pair(q, p, float(y)) for q, p, y in USER_PAIRS]
    calls = []

    def stop() -> bool:
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(TrainingCancelled):
        train(TrainConfig(base=tiny_cross_encoder, output=tmp_path / "out", device="cpu"), pairs, should_stop=stop)
    assert not (tmp_path / "out").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_distillation_rows_train_with_groups(tmp_path, tiny_cross_encoder):
    pairs = [
        Pair("boil water", "Boiling water. Boil one minute.", 1.0, group="g1", teacher=0.9),
        Pair("boil water", "Signal mirror. Flash.", None, group="g1", teacher=0.1),
        Pair("north", "Shadow stick.", 1.0, group="g2", teacher=0.8),
        Pair("north", "Tablets.", None, group="g2", teacher=0.2),
    ]
    cfg = TrainConfig(
        base=tiny_cross_encoder, output=tmp_path / "d", device="cpu", distill_weight=1.0, epochs=1, save_fp16=True
    )
    report = train(cfg, pairs)
    assert report.steps == 1 and (tmp_path / "d" / "config.json").is_file()


def test_bad_pair_files_are_reported_by_line(tmp_path):
    from core.errors import TrainingError

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"query": "q", "passage": "p", "label": 1}\n{"query": "q", "passage": "p", "label": 3}\n')
    with pytest.raises(TrainingError, match="row 2"):
        load_pairs(bad)


def _judge(store, marks):
    """Store "Helpful" (1) / "Not helpful" (0) marks as the window does."""
    for query, passage_id, label in marks:
        store.add_judgment(query, passage_id, label)


def test_training_on_app_feedback_keeps_the_base_calibration(tmp_path, tiny_cross_encoder, store):
    import shutil

    from core.search import PIPELINE_CONFIG, Calibration
    from core.training import feedback_summary, train_from_feedback

    base = tmp_path / "base"
    shutil.copytree(tiny_cross_encoder, base)
    calibration = {"fusion": {"dense_weight": 32.0, "bm25_weight": 2.0}, "calibration": {"a": 0.9, "b": -16.0},
                   "heldout": {"mrr@10_fused": 0.86}}
    (base / PIPELINE_CONFIG).write_text(json.dumps(calibration))
    _judge(store, [("how long to boil water", "s-001", 1.0), ("how long to boil water", "s-006", 0.0),
                   ("friend shivering confused", "s-003", 1.0)])
    summary = feedback_summary(store)
    assert (summary.helpful, summary.not_helpful, summary.questions, summary.enough) == (2, 1, 2, True)
    steps = []
    report = train_from_feedback(store, base, tmp_path / "mine", progress=lambda s, t, loss: steps.append((s, t)))
    assert report.positives == 2 and report.negatives == 1 and steps[-1] == (3, 3)  # 3 pairs, batch 8, 3 epochs
    written = json.loads((tmp_path / "mine" / PIPELINE_CONFIG).read_text())
    assert written["fusion"] == calibration["fusion"] and "heldout" not in written
    assert "inherited from the base model base" in written["chosen_on"]
    assert "inherited from `base`, not recalibrated" in (tmp_path / "mine" / "README.md").read_text()
    assert Calibration.for_model(tmp_path / "mine").dense_weight == 32.0


def test_training_on_app_feedback_needs_both_kinds_of_marks(tmp_path, tiny_cross_encoder, store):
    from core.errors import TrainingError
    from core.training import train_from_feedback

    with pytest.raises(TrainingError, match="mark some answers \"Helpful\" first"):
        train_from_feedback(store, tiny_cross_encoder, tmp_path / "a")
    _judge(store, [("how long to boil water", "s-001", 1.0)])
    with pytest.raises(TrainingError, match="Every mark is \"Helpful\""):
        train_from_feedback(store, tiny_cross_encoder, tmp_path / "b")
    listeners = len(store._listeners)
    report = train_from_feedback(store, tiny_cross_encoder, tmp_path / "c", epochs=1, mine_negatives=2)
    assert report.negatives >= 1 and not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    assert len(store._listeners) == listeners  # the miner's search engine let go of the store
    assert "none (the app fuses by reciprocal rank" in (tmp_path / "c" / "README.md").read_text()
