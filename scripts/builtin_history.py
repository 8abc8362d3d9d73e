"""Write resources/corpus/history.json: every version of every built-in passage we ever shipped.

A user's copy of a built-in passage that equals one of these versions was never edited by the user,
so a newer release may replace it (core/builtin_update.py). Run it after changing any shipped
passage, before committing (it reads the committed history plus the working tree):

    python scripts/builtin_history.py
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core import paths  # noqa: E402
from core.builtin import builtin_passages, parse_builtin_lines  # noqa: E402
from core.builtin_update import HISTORY_FILE, fingerprint  # noqa: E402


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout


def main() -> None:
    folder = paths.BUILTIN_CORPUS_DIR.relative_to(ROOT).as_posix()
    prints: dict[str, set[str]] = {}
    first: dict[str, str] = {}  # id -> commit time it first shipped (UTC, ISO)
    log_lines = _git("log", "--reverse", "--format=%H %cI", "--", folder).splitlines()
    commits = [line.split()[0] for line in log_lines]
    for line in log_lines:
        commit, when = line.split()
        when_utc = datetime.fromisoformat(when).astimezone(UTC).isoformat(timespec="seconds")
        files = [f for f in _git("ls-tree", "--name-only", f"{commit}:{folder}").split() if f.endswith(".jsonl")]
        for name in files:
            for p in parse_builtin_lines(_git("show", f"{commit}:{folder}/{name}").splitlines()):
                prints.setdefault(p.id, set()).add(fingerprint(p))
                first.setdefault(p.id, when_utc)
    for p in builtin_passages():  # the working tree: the release being made (new ids: no first-shipped time)
        prints.setdefault(p.id, set()).add(fingerprint(p))
    about = (
        "fingerprints (core.builtin_update.fingerprint) of every shipped version of each built-in passage, "
        "and when each id first shipped"
    )
    lines = [f"{json.dumps(pid)}: {json.dumps(sorted(values))}" for pid, values in sorted(prints.items())]
    times = [f"{json.dumps(pid)}: {json.dumps(when)}" for pid, when in sorted(first.items())]
    body, shipped = ",\n".join(lines), ",\n".join(times)
    text = (
        f'{{"about": {json.dumps(about)},\n"commits": {len(commits)},\n'
        f'"fingerprints": {{\n{body}\n}},\n"first_shipped": {{\n{shipped}\n}}}}\n'
    )
    json.loads(text)  # well formed
    target = paths.BUILTIN_CORPUS_DIR / HISTORY_FILE
    target.write_text(text, encoding="utf-8")
    versions = sum(len(v) for v in prints.values())
    print(f"{target}: {len(prints):,} passages, {versions:,} versions from {len(commits)} commits")


if __name__ == "__main__":
    main()
