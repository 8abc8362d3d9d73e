"""Injected faults: disk full, read-only database, SIGKILL mid-write, a second instance, CUDA out of memory.

Each test checks the same three things: a clear error (a CorpusError, never a raw sqlite3 one),
the corpus passes the integrity check afterwards, and nothing the user had is lost.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import core.store as store_module
from core.errors import CorpusBusyError, CorpusWriteError, ExportError
from core.importers import export_passages, import_paths
from core.records import Passage
from core.safety import check_corpus
from core.store import CorpusStore

REPO = Path(__file__).resolve().parents[1]


def _snapshot(store: CorpusStore) -> list[dict]:
    return [p.to_dict() for p in store.iter_passages()]


# ------------------------------------------------------------------------------------------ disk full
def _fill_the_disk(store: CorpusStore) -> None:
    """SQLITE_FULL from now on: the file may not grow by a single page."""
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages}")


def test_disk_full_refuses_edits_and_imports_and_writes_nothing(store, tmp_path):
    before = _snapshot(store)
    _fill_the_disk(store)
    big = "Carry water in a bladder. " * 4000
    with pytest.raises(CorpusWriteError, match="disk is full"):
        store.add_passage("Big", big)
    with pytest.raises(CorpusWriteError, match="disk is full"):
        store.update_passage("s-001", text=big)
    doc = tmp_path / "notes.md"
    doc.write_text("# Notes\n\n" + "\n\n".join(f"Paragraph {i}: " + "knots and lashings " * 40 for i in range(40)))
    with pytest.raises(CorpusWriteError):
        import_paths(store, [doc])
    assert _snapshot(store) == before
    assert check_corpus(store).ok
    store.db.execute("PRAGMA max_page_count = 1073741823")  # space freed: the same edit now works
    assert store.add_passage("Big", big).text == big.strip()


def test_export_to_a_full_disk_leaves_the_old_file_and_no_temp(store, tmp_path, monkeypatch):
    import core.importers as importers

    dest = tmp_path / "export.jsonl"
    dest.write_text("the previous export\n", encoding="utf-8")

    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(importers.os, "fsync", full)
    with pytest.raises(ExportError, match="No space left"):
        export_passages(store, dest)
    assert dest.read_text(encoding="utf-8") == "the previous export\n"
    assert sorted(p.name for p in tmp_path.iterdir() if "export" in p.name) == ["export.jsonl"]


# ------------------------------------------------------------------------------------------ read-only
def test_read_only_connection_refuses_the_edit(store):
    before = _snapshot(store)
    store.db.execute("PRAGMA query_only = ON")
    with pytest.raises(CorpusWriteError, match="read-only"):
        store.update_passage("s-001", text="changed")
    with pytest.raises(CorpusWriteError, match="read-only"):
        store.delete_passages(["s-001"])
    store.db.execute("PRAGMA query_only = OFF")
    assert _snapshot(store) == before


def test_read_only_file_refuses_the_edit(store):
    """The database opened read-only (as on a write-protected stick): every write is refused cleanly."""
    import sqlite_utils

    path = store.path
    before = _snapshot(store)
    store.close()
    store.db = sqlite_utils.Database(sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False))
    with pytest.raises(CorpusWriteError, match="read-only"):
        store.add_passage("New", "Text that cannot be saved.")
    with pytest.raises(CorpusWriteError, match="read-only"):
        store.add_judgment("boil", "s-001", 1.0)
    assert _snapshot(store) == before
    store.close()


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores file permissions")
def test_write_protected_file_is_a_message_not_a_traceback(store):
    path = store.path
    store.close()
    for companion in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if companion.exists():
            companion.chmod(0o444)
    path.parent.chmod(0o555)
    try:
        with pytest.raises(store_module.CorpusError):
            opened = CorpusStore(path)
            opened.add_passage("New", "Cannot be saved.")
    finally:
        path.parent.chmod(0o755)


# ------------------------------------------------------------------------------------------ SIGKILL
def _child(script: str, tmp_path: Path) -> subprocess.Popen:
    file = tmp_path / f"child_{time.monotonic_ns()}.py"
    file.write_text(textwrap.dedent(script), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, str(file)], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def _wait_for(marker: Path, child: subprocess.Popen, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not marker.exists():
        if child.poll() is not None:
            raise AssertionError(f"child ended early: {child.stderr.read().decode()}")
        if time.monotonic() > deadline:
            child.kill()
            raise AssertionError("child never reached the point to kill it at")
        time.sleep(0.02)


def _kill(child: subprocess.Popen) -> None:
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL


def _import_file(tmp_path: Path, count: int) -> Path:
    rows = tmp_path / "bulk.jsonl"
    with open(rows, "w", encoding="utf-8") as fh:
        for i in range(count):
            text = f"Passage {i} about signal fires and smoke. " + "Green branches make white smoke. " * 30
            fh.write(json.dumps({"id": f"bulk-{i:05d}", "title": f"Signal {i}", "text": text}) + "\n")
    return rows


_PAUSE_AT_CALL = """
    import time, sys
    import core.store as s
    real, calls = s.tokenize, [0]
    def tokenize(text):
        calls[0] += 1
        if calls[0] == {at}:
            open({marker!r}, "w").close()
            time.sleep(120)
        return real(text)
    s.tokenize = tokenize
"""


def test_sigkill_in_the_middle_of_an_import_leaves_none_of_it(store, tmp_path):
    path, before = store.path, _snapshot(store)
    store.close()
    rows = _import_file(tmp_path, 400)
    marker = tmp_path / "mid-import"
    child = _child(
        _PAUSE_AT_CALL.format(at=300, marker=str(marker))
        + f"""
    from core.importers import import_paths
    from core.store import CorpusStore
    store = CorpusStore({str(path)!r}, create_from_builtin=False)
    store.db.execute("PRAGMA cache_size = 2")  # spill pages into the WAL before the commit, as a big import does
    import_paths(store, [{str(rows)!r}])
    """,
        tmp_path,
    )
    _wait_for(marker, child)
    _kill(child)
    with CorpusStore(path, create_from_builtin=False) as reopened:
        assert check_corpus(reopened).ok
        assert _snapshot(reopened) == before


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.05, 0.3, 0.8])
def test_sigkill_at_any_moment_of_an_import_leaves_all_or_none(store, tmp_path, delay):
    path, before = store.path, _snapshot(store)
    store.close()
    rows = _import_file(tmp_path, 1500)
    marker = tmp_path / "started"
    child = _child(
        f"""
    from core.importers import import_paths
    from core.store import CorpusStore
    store = CorpusStore({str(path)!r}, create_from_builtin=False)
    store.db.execute("PRAGMA cache_size = 8")
    import_paths(store, [{str(rows)!r}], progress=lambda *a: open({str(marker)!r}, "w").close())
    """,
        tmp_path,
    )
    _wait_for(marker, child)
    time.sleep(delay)
    try:
        os.kill(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # it finished first: then all of it must be there
    assert child.wait(timeout=30) in (0, -signal.SIGKILL)
    with CorpusStore(path, create_from_builtin=False) as reopened:
        assert check_corpus(reopened).ok
        count = reopened.count()
        assert count in (len(before), len(before) + 1500)
        assert _snapshot(reopened)[: len(before)] == before


def test_sigkill_in_the_middle_of_an_edit_keeps_the_old_text(store, tmp_path):
    path, before = store.path, _snapshot(store)
    store.close()
    marker = tmp_path / "mid-edit"
    child = _child(
        _PAUSE_AT_CALL.format(at=1, marker=str(marker))
        + f"""
    from core.store import CorpusStore
    store = CorpusStore({str(path)!r}, create_from_builtin=False)
    store.update_passage("s-001", title="Half", text="An edit that is never committed.")
    """,
        tmp_path,
    )
    _wait_for(marker, child)
    _kill(child)
    with CorpusStore(path, create_from_builtin=False) as reopened:
        assert check_corpus(reopened).ok
        assert _snapshot(reopened) == before


def test_sigkill_in_the_middle_of_a_restore_leaves_the_corpus_as_it_was(store, tmp_path):
    from core.safety import backup_now

    path = store.path
    backup_now(store)
    store.add_passage("Later", "Written after the backup.")
    before = _snapshot(store)
    store.close()
    marker = tmp_path / "mid-restore"
    child = _child(
        f"""
    import os, time
    import core.safety as safety
    real = os.replace
    def slow_replace(src, dst):
        if str(src).endswith(".restoring"):
            open({str(marker)!r}, "w").close()
            time.sleep(120)
        return real(src, dst)
    safety.os.replace = slow_replace
    safety.restore_backup({str(path)!r})
    """,
        tmp_path,
    )
    _wait_for(marker, child)
    _kill(child)
    with CorpusStore(path, create_from_builtin=False) as reopened:
        assert check_corpus(reopened).ok
        assert _snapshot(reopened) == before


# ------------------------------------------------------------------------------------------ a second instance
_HOLD_WRITE_LOCK = """
    import os, time
    from core.store import CorpusStore
    store = CorpusStore({path!r}, create_from_builtin=False)
    def hold():
        store.db.execute("UPDATE meta SET value = value WHERE key = 'stamp'")
        open({marker!r}, "w").close()
        while not os.path.exists({release!r}):
            time.sleep(0.02)
    store._write("hold", hold)
"""


def test_a_second_instance_writing_meanwhile_gets_a_clear_in_use_message(tmp_path, builtin_dir, monkeypatch):
    from core.builtin import populate_from_builtin
    from core.search import SearchEngine

    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_S", 0.3)
    path = tmp_path / "c.sqlite"
    store = CorpusStore(path, create_from_builtin=False)
    populate_from_builtin(store, builtin_dir)
    before = _snapshot(store)
    marker, release = tmp_path / "holding", tmp_path / "release"
    child = _child(_HOLD_WRITE_LOCK.format(path=str(path), marker=str(marker), release=str(release)), tmp_path)
    try:
        _wait_for(marker, child)
        assert SearchEngine(store, persist_index=False).search("boil water").hits  # reading still works (WAL)
        with pytest.raises(CorpusBusyError, match="in use by another Survival Search"):
            store.add_passage("Mine", "Typed while the other window was saving.")
        assert _snapshot(store) == before
    finally:
        release.touch()
        child.wait(timeout=30)
    assert child.returncode == 0, child.stderr.read().decode()
    assert store.add_passage("Mine", "Typed while the other window was saving.")  # works once it is done
    store.close()


def test_the_cli_says_the_corpus_is_in_use_instead_of_a_traceback(tmp_path, builtin_dir, monkeypatch, capsys):
    from core.builtin import populate_from_builtin
    from core.cli import main

    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_S", 0.3)
    path = tmp_path / "c.sqlite"
    with CorpusStore(path, create_from_builtin=False) as store:
        populate_from_builtin(store, builtin_dir)
    doc = tmp_path / "w.md"
    doc.write_text("# Wells\n\n" + "Dig a seep well beside the stream. " * 10, encoding="utf-8")
    marker, release = tmp_path / "holding", tmp_path / "release"
    child = _child(_HOLD_WRITE_LOCK.format(path=str(path), marker=str(marker), release=str(release)), tmp_path)
    try:
        _wait_for(marker, child)
        code = main(["import", str(doc), "--db", str(path), "--no-embed"])
        err = capsys.readouterr().err
        assert code == 1 and "in use by another" in err and "Traceback" not in err
    finally:
        release.touch()
        child.wait(timeout=30)


def test_two_processes_writing_at_once_both_succeed(tmp_path, builtin_dir):
    """WAL + BEGIN IMMEDIATE + the busy timeout: interleaved writers wait for each other, none fails."""
    from core.builtin import populate_from_builtin

    path = tmp_path / "c.sqlite"
    with CorpusStore(path, create_from_builtin=False) as store:
        populate_from_builtin(store, builtin_dir)
    go = tmp_path / "go"
    script = f"""
    import os, sys, time
    from core.store import CorpusStore
    who = sys.argv[1]
    store = CorpusStore({str(path)!r}, create_from_builtin=False)
    while not os.path.exists({str(go)!r}):
        time.sleep(0.01)
    for i in range(40):
        store.update_passage("s-001", text=f"edited by {{who}} {{i}}")  # read-then-write on a shared row
        store.add_passage(f"{{who}} {{i}}", f"note {{i}} written by process {{who}}")
        store.add_judgment(f"query {{who}}", "s-001", 1.0)
    """
    file = tmp_path / "writer.py"
    file.write_text(textwrap.dedent(script), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    children = [
        subprocess.Popen([sys.executable, str(file), who], cwd=REPO, env=env, stderr=subprocess.PIPE)
        for who in ("a", "b")
    ]
    time.sleep(0.5)
    go.touch()
    for child in children:
        assert child.wait(timeout=120) == 0, child.stderr.read().decode()
    with CorpusStore(path, create_from_builtin=False) as store:
        assert store.count() == 8 + 80
        assert len(store.judgments()) == 80
        assert check_corpus(store).ok


# ------------------------------------------------------------------------------------------ CUDA out of memory
def _oom_reranker(tiny_cross_encoder: Path, fits: int | None):
    """A CPU reranker pretending to be on CUDA whose forward pass runs out of memory above ``fits`` pairs."""
    from core.reranker import Reranker

    reranker = Reranker(tiny_cross_encoder, device="cpu")
    real_forward = reranker._forward
    batches: list[tuple[str, int]] = []

    def forward(part):  # noqa: ANN001, ANN202
        batches.append((reranker.device, len(part.lengths)))
        if reranker.device == "cuda" and (fits is None or len(part.lengths) > fits):
            raise RuntimeError("CUDA out of memory. Tried to allocate 20.00 MiB")
        return real_forward(part)

    expected = reranker.score("boil water", [f"passage {i} about water" for i in range(40)])
    reranker._forward = forward
    reranker.device = "cuda"
    return reranker, batches, expected


def test_cuda_out_of_memory_retries_with_smaller_batches(tiny_cross_encoder):
    import numpy as np

    reranker, batches, expected = _oom_reranker(tiny_cross_encoder, fits=8)
    scores = reranker.score("boil water", [f"passage {i} about water" for i in range(40)])
    assert [b for _, b in batches] == [32, 16, 8, 8, 8, 8, 8]  # halved until it fits, then kept
    assert reranker.device == "cuda"
    batches.clear()
    reranker.score("boil water", [f"passage {i} about water" for i in range(16)])
    assert [b for _, b in batches] == [8, 8]  # the next question starts at the size that fitted
    np.testing.assert_allclose(scores, expected, rtol=1e-5)


def test_cuda_out_of_memory_even_at_batch_one_moves_to_the_cpu(tiny_cross_encoder, store):
    import numpy as np

    from core.search import SearchEngine

    reranker, batches, expected = _oom_reranker(tiny_cross_encoder, fits=None)
    scores = reranker.score("boil water", [f"passage {i} about water" for i in range(40)])
    assert batches[-2:] == [("cpu", 32), ("cpu", 8)] and reranker.device == "cpu"  # CPU batches from then on
    np.testing.assert_allclose(scores, expected, rtol=1e-5)
    result = SearchEngine(store, reranker=reranker, persist_index=False).search("boil water")
    assert result.reranked and result.device == "cpu"


def test_other_runtime_errors_are_not_mistaken_for_out_of_memory(tiny_cross_encoder):
    reranker, _, _ = _oom_reranker(tiny_cross_encoder, fits=8)

    def broken(*_a, **_k):  # noqa: ANN202
        raise RuntimeError("CUDA error: device-side assert triggered")

    reranker._forward = broken
    with pytest.raises(RuntimeError, match="device-side assert"):
        reranker.score("q", ["p"])


def test_a_write_failing_half_way_changes_nothing(store):
    """A batch whose 50th passage is refused: the 49 before it are rolled back with it."""
    before = _snapshot(store)
    batch = [Passage(id="", title=f"T{i}", text=f"fresh text {i}", origin="import") for i in range(60)]
    batch[49] = Passage(id="", title="T49", text="   ", origin="import")
    with pytest.raises(store_module.ValidationError):
        store.add_passages(batch)
    assert _snapshot(store) == before
