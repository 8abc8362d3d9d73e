"""Checks on the built-in corpus files: the rules every shipped passage must meet.

Used by the test over ``resources/corpus`` and by ``scripts/check_builtin_corpus.py`` while writing
new passages. Each problem names the file, the line and the passage id, so it can be fixed by hand.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from .store import TOPICS

MIN_WORDS = 40
MAX_WORDS = 200
MAX_SHIPPED_TITLE_CHARS = 90  # stricter than what the store accepts from a user (store.MAX_TITLE_CHARS)
MIN_SOURCE_CHARS = 20
REQUIRED_FIELDS = ("id", "title", "text", "source", "topics")
MEDICAL_TOPIC = "first-aid"
# Two passages sharing this fraction of their word 3-grams say the same thing twice.
NEAR_DUPLICATE_OVERLAP = 0.5
# A run of this many words in common with a reference text counts as a copied sentence.
COPY_RUN_WORDS = 10

_WORDS = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    passage_id: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line} [{self.passage_id}] {self.message}"


@dataclass(frozen=True)
class Row:
    file: str
    line: int
    data: dict

    @property
    def id(self) -> str:
        return str(self.data.get("id", "?"))


def words(text: str) -> list[str]:
    return _WORDS.findall(text.lower())


def read_rows(folder: Path) -> tuple[list[Row], list[Problem]]:
    rows: list[Row] = []
    problems: list[Problem] = []
    for file in sorted(Path(folder).glob("*.jsonl")):
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(Problem(file.name, number, "?", f"not valid JSON: {exc.msg}"))
                continue
            if not isinstance(data, dict):
                problems.append(Problem(file.name, number, "?", "a line must be one JSON object"))
                continue
            rows.append(Row(file.name, number, data))
    return rows, problems


def _check_row(row: Row, require_review: bool) -> list[Problem]:
    found: list[str] = []
    data = row.data
    missing = [f for f in REQUIRED_FIELDS if not data.get(f)]
    if missing:
        found.append("missing or empty: " + ", ".join(missing))
    text = str(data.get("text", ""))
    count = len(text.split())
    if not MIN_WORDS <= count <= MAX_WORDS:
        found.append(f"{count} words; a passage has {MIN_WORDS}-{MAX_WORDS}")
    if len(str(data.get("title", ""))) > MAX_SHIPPED_TITLE_CHARS:
        found.append(f"title longer than {MAX_SHIPPED_TITLE_CHARS} characters")
    if data.get("source") and len(str(data["source"])) < MIN_SOURCE_CHARS:
        found.append("source too short to name a document and its chapter or section")
    topics = data.get("topics", [])
    if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
        found.append("topics must be a list of strings")
    else:
        unknown = [t for t in topics if t not in TOPICS]
        if unknown:
            found.append("topics not in core.store.TOPICS: " + ", ".join(unknown))
        if len(set(topics)) != len(topics):
            found.append("a topic is listed twice")
        if require_review and MEDICAL_TOPIC in topics and not data.get("reviewed"):
            found.append("a first-aid passage without its 'reviewed' record")
    return [Problem(row.file, row.line, row.id, message) for message in found]


def _shingles(text: str, n: int) -> set[tuple[str, ...]]:
    w = words(text)
    return {tuple(w[i : i + n]) for i in range(len(w) - n + 1)}


def near_duplicates(rows: list[Row], threshold: float = NEAR_DUPLICATE_OVERLAP) -> list[tuple[Row, Row, float]]:
    """Pairs whose word 3-grams overlap by at least ``threshold`` of the smaller passage."""
    grams = [_shingles(str(r.data.get("text", "")), 3) for r in rows]
    postings: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for index, shingles in enumerate(grams):
        for gram in shingles:
            postings[gram].append(index)
    shared: dict[tuple[int, int], int] = defaultdict(int)
    for owners in postings.values():
        if len(owners) > 50:  # stock phrases ("seek medical help") say nothing about duplication
            continue
        for i, a in enumerate(owners):
            for b in owners[i + 1 :]:
                shared[(a, b)] += 1
    pairs = []
    for (a, b), count in shared.items():
        overlap = count / max(1, min(len(grams[a]), len(grams[b])))
        if overlap >= threshold:
            pairs.append((rows[a], rows[b], overlap))
    return sorted(pairs, key=lambda p: -p[2])


def copied_runs(rows: list[Row], reference_texts: list[str], run: int = COPY_RUN_WORDS) -> list[tuple[Row, str]]:
    """Passages that share a run of ``run`` consecutive words with any reference text."""
    reference: set[tuple[str, ...]] = set()
    for text in reference_texts:
        reference |= _shingles(text, run)
    hits = []
    for row in rows:
        common = _shingles(str(row.data.get("text", "")), run) & reference
        if common:
            hits.append((row, " ".join(sorted(common)[0])))
    return hits


def check_folder(
    folder: Path, *, require_review: bool = True, reference_texts: list[str] | None = None
) -> list[Problem]:
    """Every rule over every passage in ``folder``; an empty list means the corpus is fit to ship."""
    rows, problems = read_rows(folder)
    seen_ids: dict[str, Row] = {}
    seen_titles: dict[str, Row] = {}
    for row in rows:
        problems.extend(_check_row(row, require_review))
        if row.id in seen_ids:
            first = seen_ids[row.id]
            problems.append(Problem(row.file, row.line, row.id, f"id already used at {first.file}:{first.line}"))
        seen_ids.setdefault(row.id, row)
        title = " ".join(words(str(row.data.get("title", ""))))
        if title and title in seen_titles:
            first = seen_titles[title]
            problems.append(Problem(row.file, row.line, row.id, f"same title as {first.id}"))
        seen_titles.setdefault(title, row)
    for a, b, overlap in near_duplicates(rows):
        message = f"near-duplicate of {a.id} ({overlap:.0%} of word 3-grams shared)"
        problems.append(Problem(b.file, b.line, b.id, message))
    if reference_texts:
        for row, sample in copied_runs(rows, reference_texts):
            problems.append(Problem(row.file, row.line, row.id, f"copies a source word for word: '{sample}'"))
    return problems
