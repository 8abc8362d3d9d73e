"""Fine-tune a cross-encoder on labelled (query, passage, label) pairs.

The defaults are the recipe of sentence-transformers' ``CrossEncoder.fit`` as the
user ran it: binary cross-entropy on the logit (``BinaryCrossEntropyLoss`` /
``BCEWithLogitsLoss``), AdamW (weight decay 0.01, none on biases and LayerNorm),
linear warm-up then linear decay, gradient clipping at 1.0, lr 5e-5, batch 8,
3 epochs, seed 42, max length 256, fp16 autocast on CUDA only. The loop is our
own (``fit`` now needs the ``datasets`` and ``accelerate`` packages and gives no
clean way to stop), so that Ctrl-C stops between steps and nothing half-written
is left: the model folder is written to a temporary folder and moved in place.

Optionally, rows that share a ``group`` (one query and its candidates) and
carry a ``teacher`` score add a listwise distillation term: the student's
softmax over the group is pulled towards the teacher's (e.g. the bi-encoder's
cosine), which is how the shipped default reranker learns to rank passages it
has no labels for.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import paths
from .errors import ModelError, TrainingError
from .search import PIPELINE_CONFIG

log = logging.getLogger(__name__)


@dataclass
class Pair:
    """One training example. ``label`` in 0..1, or None for a distillation-only row."""

    query: str
    passage: str
    label: float | None = None
    group: str | None = None
    teacher: float | None = None


@dataclass
class TrainConfig:
    base: Path
    output: Path
    lr: float = 5e-5
    batch_size: int = 8
    epochs: int = 3
    seed: int = 42
    max_length: int = 256
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0
    fp16: bool | None = None  # None: on CUDA only
    device: str = "auto"
    distill_weight: float = 0.0
    distill_temperature: float = 0.05
    groups_per_batch: int = 4
    save_fp16: bool = False  # halve the folder's size (the reranker casts back to fp32 on a CPU)
    # copy the base folder's search calibration (fusion weights, confidence scaling) into the new folder:
    # a short fine-tune keeps the base's score scale, and without it the app falls back to plain fusion
    inherit_calibration: bool = True


@dataclass
class TrainReport:
    output: Path
    steps: int
    seconds: float
    device: str
    fp16: bool
    examples: int
    positives: int
    negatives: int
    losses: list[float] = field(default_factory=list)
    evaluation: dict[str, float] = field(default_factory=dict)


class TrainingCancelled(TrainingError):
    """Training was stopped by the user; no model folder was written."""


# ---------------------------------------------------------------------- data
def load_pairs(path: str | Path) -> list[Pair]:
    """Read ``query, passage, label`` rows from JSONL or CSV (optional ``group`` and ``teacher``)."""
    path = Path(path)
    if not path.is_file():
        raise TrainingError(f"Training file {path} does not exist.")
    rows: list[dict[str, object]] = []
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(text.splitlines())
        if not reader.fieldnames or not {"query", "passage"} <= set(reader.fieldnames):
            raise TrainingError(f"{path}: a CSV needs a header with query, passage and label columns.")
        rows = list(reader)
    else:
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise TrainingError(f"{path}, line {number}: not valid JSON ({exc.msg}).") from None
    pairs = []
    for number, row in enumerate(rows, start=1):
        try:
            label = row.get("label")
            teacher = row.get("teacher")
            pair = Pair(
                query=str(row["query"]).strip(),
                passage=str(row["passage"]).strip(),
                label=None if label in (None, "") else float(label),  # type: ignore[arg-type]
                group=None if row.get("group") in (None, "") else str(row["group"]),
                teacher=None if teacher in (None, "") else float(teacher),  # type: ignore[arg-type]
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise TrainingError(f"{path}, row {number}: needs query, passage and a numeric label ({exc}).") from None
        if not pair.query or not pair.passage:
            raise TrainingError(f"{path}, row {number}: empty query or passage.")
        if pair.label is not None and not 0.0 <= pair.label <= 1.0:
            raise TrainingError(f"{path}, row {number}: label {pair.label} is outside 0..1.")
        pairs.append(pair)
    return pairs


def pairs_from_judgments(store) -> list[Pair]:  # noqa: ANN001 - CorpusStore
    """Relevance judgments collected in the app (helpful = 1, not helpful = 0)."""
    from .reranker import passage_input

    return [
        Pair(str(j["query"]), passage_input(str(j["title"]), str(j["text"])), float(j["label"]))  # type: ignore[arg-type]
        for j in store.judgments()
        if j["text"]
    ]


def mine_hard_negatives(store, pairs: list[Pair], per_query: int = 3) -> list[Pair]:  # noqa: ANN001
    """BM25 top passages of each positive's query that are not among its positives, labelled 0."""
    from .search import SearchEngine, SearchSettings

    engine = SearchEngine(store, settings=SearchSettings(bm25_depth=per_query + 20, dense_depth=0), persist_index=False)
    try:
        return _mine(engine, pairs, per_query)
    finally:
        engine.detach()


def _mine(engine, pairs: list[Pair], per_query: int) -> list[Pair]:  # noqa: ANN001 - SearchEngine
    from .reranker import passage_input

    positives: dict[str, set[str]] = defaultdict(set)
    for p in pairs:
        if p.label is not None and p.label >= 0.5:
            positives[p.query].add(" ".join(p.passage.split()).lower())
    mined: list[Pair] = []
    for query, texts in positives.items():
        result = engine.search(query, k=per_query + 20, rerank=False)
        count = 0
        for hit in result.hits:
            candidate = passage_input(hit.title, hit.text)
            folded = " ".join(candidate.split()).lower()
            if folded in texts or " ".join(hit.text.split()).lower() in texts:
                continue
            mined.append(Pair(query, candidate, 0.0))
            count += 1
            if count == per_query:
                break
    return mined


@dataclass
class Feedback:
    """The relevance marks collected in the app."""

    helpful: int
    not_helpful: int
    questions: int

    @property
    def enough(self) -> bool:
        return self.helpful > 0 and self.not_helpful > 0


def feedback_summary(store) -> Feedback:  # noqa: ANN001 - CorpusStore
    pairs = pairs_from_judgments(store)
    helpful = sum(1 for p in pairs if p.label is not None and p.label >= 0.5)
    return Feedback(helpful, len(pairs) - helpful, len({p.query for p in pairs}))


def train_from_feedback(
    store,  # noqa: ANN001 - CorpusStore
    base: Path,
    output: Path,
    *,
    epochs: int = 3,
    mine_negatives: int = 0,
    progress: Callable[[int, int, float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> TrainReport:
    """Fine-tune ``base`` on the app's "Helpful" / "Not helpful" marks (the user's recipe otherwise).

    ``mine_negatives`` adds that many close passages per question the user did not mark as
    helpful, labelled 0. The new folder keeps the base's search calibration (see ``TrainConfig``).
    """
    pairs = pairs_from_judgments(store)
    if not any(p.label is not None and p.label >= 0.5 for p in pairs):
        raise TrainingError("Nothing to learn from yet: mark some answers \"Helpful\" first.")
    if mine_negatives:
        pairs += mine_hard_negatives(store, pairs, mine_negatives)
    if not any(p.label is not None and p.label < 0.5 for p in pairs):
        raise TrainingError(
            "Every mark is \"Helpful\": mark some answers \"Not helpful\" too, or let training use "
            "close passages you did not mark, so the model learns what is not an answer."
        )
    cfg = TrainConfig(base=Path(base), output=Path(output), epochs=epochs, save_fp16=True)
    return train(cfg, pairs, progress=progress, should_stop=should_stop)


# ---------------------------------------------------------------------- training
def check_base(folder: Path) -> None:
    """Refuse a base folder that is not a usable transformer model, before any work starts."""
    if not folder.is_dir():
        raise ModelError(f"Base model folder {folder} does not exist.")
    config = folder / "config.json"
    if not config.is_file():
        raise ModelError(f"{folder} has no config.json: it is not a model folder.")
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{config} is damaged ({exc}).") from None
    if data.get("model_type") not in {
        "bert",
        "roberta",
        "distilbert",
        "electra",
        "xlm-roberta",
        "deberta-v2",
        "modernbert",
    }:
        raise ModelError(f"{folder} is a {data.get('model_type')!r} model; a BERT-like encoder is needed.")
    weights = [p for p in folder.glob("*") if p.name in ("model.safetensors", "pytorch_model.bin")]
    if not weights or weights[0].stat().st_size < 1024:
        raise ModelError(f"{folder} has no usable weights (model.safetensors / pytorch_model.bin).")
    if not ((folder / "tokenizer.json").is_file() or (folder / "vocab.txt").is_file()):
        raise ModelError(f"{folder} has no tokenizer files.")


def _batches(pairs: list[Pair], cfg: TrainConfig, rng: random.Random) -> list[list[Pair]]:
    if cfg.distill_weight > 0 and any(p.group for p in pairs):
        groups: dict[str, list[Pair]] = defaultdict(list)
        for p in pairs:
            groups[p.group or f"_{id(p)}"].append(p)
        keys = list(groups)
        rng.shuffle(keys)
        return [
            [p for key in keys[i : i + cfg.groups_per_batch] for p in groups[key]]
            for i in range(0, len(keys), cfg.groups_per_batch)
        ]
    order = list(pairs)
    rng.shuffle(order)
    return [order[i : i + cfg.batch_size] for i in range(0, len(order), cfg.batch_size)]


def train(
    cfg: TrainConfig,
    pairs: list[Pair],
    *,
    progress: Callable[[int, int, float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    eval_pairs: list[Pair] | None = None,
) -> TrainReport:
    """Fine-tune ``cfg.base`` on ``pairs`` and write a CrossEncoder folder to ``cfg.output``."""
    paths.force_offline()
    cfg.base = Path(cfg.base)
    cfg.output = Path(cfg.output)
    check_base(cfg.base)
    if not pairs:
        raise TrainingError("No training pairs: give --pairs FILE or collect judgments in the app first.")
    if cfg.output.exists() and any(cfg.output.iterdir()) and cfg.output.resolve() == cfg.base.resolve():
        raise TrainingError("The output folder is the base model folder; choose a new folder.")

    import numpy as np
    import torch
    from sentence_transformers import CrossEncoder
    from transformers import get_linear_schedule_with_warmup

    from .reranker import resolve_device

    device = resolve_device(cfg.device)
    fp16 = (device == "cuda") if cfg.fp16 is None else (cfg.fp16 and device == "cuda")
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    if device == "cuda":
        torch.cuda.manual_seed_all(cfg.seed)

    try:
        model = CrossEncoder(
            str(cfg.base), num_labels=1, max_length=cfg.max_length, device=device, local_files_only=True
        )
    except Exception as exc:
        raise ModelError(f"Could not load the base model {cfg.base}: {exc}") from exc
    net = model[0].model.float()
    tokenizer = model.tokenizer
    net.train()

    rng = random.Random(cfg.seed)
    epoch_batches = [_batches(pairs, cfg, rng) for _ in range(cfg.epochs)]
    total_steps = sum(len(b) for b in epoch_batches)
    no_decay = ("bias", "LayerNorm.bias", "LayerNorm.weight")
    params = list(net.named_parameters())
    optimizer = torch.optim.AdamW(
        [
            {"params": [p for n, p in params if not any(nd in n for nd in no_decay)], "weight_decay": cfg.weight_decay},
            {"params": [p for n, p in params if any(nd in n for nd in no_decay)], "weight_decay": 0.0},
        ],
        lr=cfg.lr,
    )
    scheduler = get_linear_schedule_with_warmup(optimizer, int(total_steps * cfg.warmup_ratio), total_steps)
    scaler = torch.amp.GradScaler("cuda", enabled=fp16)
    bce = torch.nn.BCEWithLogitsLoss()
    losses: list[float] = []
    started = time.perf_counter()
    step = 0
    for batches in epoch_batches:
        for batch in batches:
            if should_stop and should_stop():
                raise TrainingCancelled("Training stopped: no model folder was written.")
            encoded = tokenizer(
                [p.query for p in batch],
                [p.passage for p in batch],
                padding=True,
                truncation="longest_first",
                max_length=cfg.max_length,
                return_tensors="pt",
            ).to(device)
            with torch.autocast(device_type="cuda", dtype=torch.float16, enabled=fp16):
                logits = net(**encoded).logits.view(-1)
            logits = logits.float()
            loss = _loss(logits, batch, cfg, bce, torch)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(net.parameters(), cfg.max_grad_norm)
            scaler.step(optimizer)
            scaler.update()
            scheduler.step()
            step += 1
            losses.append(float(loss.detach()))
            if progress:
                progress(step, total_steps, losses[-1])
    net.eval()
    seconds = time.perf_counter() - started
    labelled = [p for p in pairs if p.label is not None]
    report = TrainReport(
        output=cfg.output,
        steps=step,
        seconds=seconds,
        device=device,
        fp16=fp16,
        examples=len(pairs),
        positives=sum(1 for p in labelled if p.label >= 0.5),  # type: ignore[operator]
        negatives=sum(1 for p in labelled if p.label < 0.5),  # type: ignore[operator]
        losses=losses,
    )
    if eval_pairs:
        report.evaluation = evaluate_pairs(model, eval_pairs)
    _save_atomically(model, cfg, report, pairs)
    return report


def _loss(logits, batch: list[Pair], cfg: TrainConfig, bce, torch):  # noqa: ANN001, ANN202
    labelled = [i for i, p in enumerate(batch) if p.label is not None]
    loss = logits.new_zeros(())
    if labelled:
        idx = torch.tensor(labelled, device=logits.device)
        labels = torch.tensor([batch[i].label for i in labelled], device=logits.device, dtype=torch.float32)
        loss = loss + bce(logits[idx], labels)
    if cfg.distill_weight > 0:
        groups: dict[str, list[int]] = defaultdict(list)
        for i, p in enumerate(batch):
            if p.group is not None and p.teacher is not None:
                groups[p.group].append(i)
        terms = []
        for members in groups.values():
            if len(members) < 2:
                continue
            idx = torch.tensor(members, device=logits.device)
            teacher = torch.tensor([batch[i].teacher for i in members], device=logits.device, dtype=torch.float32)
            target = torch.softmax(teacher / cfg.distill_temperature, dim=0)
            log_student = torch.log_softmax(logits[idx], dim=0)
            terms.append(torch.sum(target * (torch.log(target + 1e-12) - log_student)))
        if terms:
            loss = loss + cfg.distill_weight * torch.stack(terms).mean()
    return loss


def evaluate_pairs(model, pairs: list[Pair]) -> dict[str, float]:  # noqa: ANN001
    """Held-out figures: mean score of positives/negatives, pairwise accuracy, MRR of groups."""
    import numpy as np
    import torch

    labelled = [p for p in pairs if p.label is not None]
    if not labelled:
        return {}
    scores = np.asarray(
        model.predict(
            [(p.query, p.passage) for p in labelled],
            batch_size=64,
            show_progress_bar=False,
            activation_fn=torch.nn.Identity(),
        ),
        dtype=np.float64,
    ).reshape(-1)
    labels = np.array([p.label for p in labelled]) >= 0.5
    out: dict[str, float] = {"pairs": float(len(labelled))}
    if labels.any() and (~labels).any():
        pos, neg = scores[labels], scores[~labels]
        out["mean_score_positive"] = float(pos.mean())
        out["mean_score_negative"] = float(neg.mean())
        out["pairwise_accuracy"] = float((pos[:, None] > neg[None, :]).mean())
    by_query: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for p, s, y in zip(labelled, scores, labels, strict=True):
        by_query[p.group or p.query].append((float(s), bool(y)))
    rr = []
    for items in by_query.values():
        if any(y for _, y in items):
            ranked = sorted(items, key=lambda x: -x[0])
            rr.append(1.0 / (1 + next(i for i, (_, y) in enumerate(ranked) if y)))
    if rr:
        out["mrr"] = float(np.mean(rr))
    return out


def _save_atomically(model, cfg: TrainConfig, report: TrainReport, pairs: list[Pair]) -> None:  # noqa: ANN001
    """Write the model folder under a temporary name and move it in place (never half-written)."""
    from .safety import atomic_folder

    if cfg.save_fp16:
        model[0].model.half()
    with atomic_folder(cfg.output) as tmp:
        model.save(str(tmp))
        calibration = inherited_calibration(cfg)
        if calibration is not None:
            (tmp / PIPELINE_CONFIG).write_text(json.dumps(calibration, indent=2), encoding="utf-8")
        (tmp / "README.md").write_text(model_card(cfg, report, pairs), encoding="utf-8")
        (tmp / "training_args.json").write_text(
            json.dumps({k: str(v) if isinstance(v, Path) else v for k, v in asdict(cfg).items()}, indent=2),
            encoding="utf-8",
        )


def _inherits_calibration(cfg: TrainConfig) -> bool:
    return cfg.inherit_calibration and (cfg.base / PIPELINE_CONFIG).is_file()


def inherited_calibration(cfg: TrainConfig) -> dict | None:
    """The base folder's search calibration, marked as inherited, when asked for and present."""
    source = cfg.base / PIPELINE_CONFIG
    if not _inherits_calibration(cfg):
        return None
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TrainingError(f"Could not read the base model's calibration {source}: {exc}") from exc
    if not isinstance(data, dict):
        raise TrainingError(f"The base model's calibration {source} is not a JSON object.")
    data.pop("heldout", None)  # figures measured for the base model, not this one
    data["chosen_on"] = f"inherited from the base model {cfg.base.name}; not recalibrated for this one"
    return data


def _versions() -> dict[str, str]:
    import importlib.metadata as md
    import platform

    out = {"python": platform.python_version()}
    for name in ("sentence-transformers", "transformers", "torch", "tokenizers"):
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            pass
    return out


def model_card(cfg: TrainConfig, report: TrainReport, pairs: Iterable[Pair]) -> str:
    """A model card in the shape of a sentence-transformers card."""
    pairs = list(pairs)
    labels = [p.label for p in pairs if p.label is not None]
    mean_label = sum(labels) / len(labels) if labels else float("nan")
    queries = len({p.query for p in pairs})
    q_words = [len(p.query.split()) for p in pairs]
    p_words = [len(p.passage.split()) for p in pairs]
    evaluation = (
        "\n".join(f"| {k} | {v:.4f} |" for k, v in report.evaluation.items()) or "| (no held-out data given) | |"
    )
    versions = "\n".join(f"- {k}: {v}" for k, v in _versions().items())
    last = report.losses[-min(50, len(report.losses)) :] if report.losses else [math.nan]
    calibration_note = (
        f"inherited from `{cfg.base.name}`, not recalibrated"
        if _inherits_calibration(cfg)
        else "none (the app fuses by reciprocal rank; `training/calibrate.py` can add one)"
    )
    return f"""---
library_name: sentence-transformers
pipeline_tag: text-ranking
tags:
- sentence-transformers
- cross-encoder
- reranker
- survival-search
base_model: {cfg.base.name}
---

# CrossEncoder fine-tuned from {cfg.base.name}

A [sentence-transformers](https://www.SBERT.net) Cross Encoder fine-tuned by `survival-search train`. It
scores (query, passage) pairs for relevance and is used to rerank search candidates.

## Model Details
- **Model Type:** Cross Encoder
- **Base model:** `{cfg.base}`
- **Maximum Sequence Length:** {cfg.max_length} tokens
- **Number of Output Labels:** 1 label
- **Passage format:** `"<title>. <text>"`

## Usage
```python
from sentence_transformers import CrossEncoder

model = CrossEncoder("path/to/this/folder")
scores = model.predict([("friend is shivering and confused", "Hypothermia. Shivering, slurred speech ...")])
```

## Training Details

### Training Dataset
- Size: {len(pairs):,} training samples, {queries:,} distinct queries
- Labels: {len(labels):,} labelled ({report.positives:,} positive, {report.negatives:,} negative, \
mean {mean_label:.3f});
  {len(pairs) - len(labels):,} distillation-only rows (teacher scores)
- Query words: min {min(q_words, default=0)}, mean {sum(q_words) / max(1, len(q_words)):.1f}, \
max {max(q_words, default=0)};
  passage words: min {min(p_words, default=0)}, mean {sum(p_words) / max(1, len(p_words)):.1f}, \
max {max(p_words, default=0)}

### Training Hyperparameters
- loss: BinaryCrossEntropyLoss (BCEWithLogits){
        f" + {cfg.distill_weight} x listwise KL distillation (temperature {cfg.distill_temperature})"
        if cfg.distill_weight
        else ""
    }
- learning_rate: {cfg.lr}
- per_device_train_batch_size: {cfg.batch_size if not cfg.distill_weight else f"{cfg.groups_per_batch} query groups"}
- num_train_epochs: {cfg.epochs}
- seed: {cfg.seed}
- fp16: {report.fp16}
- warmup_ratio: {cfg.warmup_ratio}, scheduler: linear
- weight_decay: {cfg.weight_decay}, max_grad_norm: {cfg.max_grad_norm}
- steps: {report.steps:,}, device: {report.device}, time: {report.seconds:.1f} s
- final loss (mean of last {len(last)} steps): {sum(last) / len(last):.4f}
- search calibration (`{PIPELINE_CONFIG}`): {calibration_note}

## Evaluation
| metric | value |
|---|---|
{evaluation}

## Framework Versions
{versions}
"""
