"""The data-safety commands: backup, restore, check, and what every command says about a damaged corpus."""

from __future__ import annotations

import sqlite3

import pytest

from core.cli import main


def _run(capsys, *argv):  # noqa: ANN001, ANN202
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def db(tmp_path, store):  # noqa: ANN001, ANN201 - a corpus of the 8 sample passages, closed
    path = store.path
    store.close()
    return str(path)


def test_backup_then_list_then_restore(db, capsys, tmp_path):
    code, out, _ = _run(capsys, "backup", "--db", db)
    assert code == 0 and "Backed up 8 passages" in out
    code, out, _ = _run(capsys, "backup", str(tmp_path / "mine.sqlite"), "--db", db)
    assert code == 0 and (tmp_path / "mine.sqlite").exists()
    code, out, _ = _run(capsys, "restore", "--db", db)
    assert code == 0 and " 1. " in out and "made by you" in out and "restore latest" in out
    code, out, _ = _run(capsys, "restore", "latest", "--db", db)
    assert code == 0 and "Restored" in out and "kept as" in out
    code, out, _ = _run(capsys, "restore", str(tmp_path / "mine.sqlite"), "--db", db)
    assert code == 0 and "8 passages" in out
    code, _, err = _run(capsys, "restore", "99", "--db", db)
    assert code == 1 and "no backup number 99" in err


def test_restore_with_no_backups_says_how_to_make_one(capsys, tmp_path):
    code, out, _ = _run(capsys, "restore", "--db", str(tmp_path / "c.sqlite"))
    assert code == 1 and "survival-search backup" in out


def test_check_exit_codes_and_repair(db, capsys):
    code, out, _ = _run(capsys, "check", "--db", db)
    assert code == 0 and "no problems found" in out and "8 passages" in out
    conn = sqlite3.connect(db)
    conn.execute("UPDATE passages SET tokens = '' WHERE id = 's-001'")
    conn.commit()
    conn.close()
    code, out, _ = _run(capsys, "check", "--db", db)
    assert code == 1 and "search terms" in out and "check --repair" in out
    code, out, _ = _run(capsys, "check", "--repair", "--db", db)
    assert code == 0 and "Repaired: recomputed the search terms of 1 passage(s)" in out
    code, _, _ = _run(capsys, "check", "--db", db)
    assert code == 0


def test_every_command_on_a_damaged_file_prints_the_ways_forward(capsys, tmp_path):
    path = tmp_path / "c.sqlite"
    path.write_bytes(b"this is a spreadsheet, not a corpus" * 50)
    before = path.read_bytes()
    for argv in (["stats"], ["ask", "boil water", "--no-dense", "--no-rerank"], ["export", str(tmp_path / "o.jsonl")]):
        code, _, err = _run(capsys, *argv, "--db", str(path))
        assert code == 1 and "Traceback" not in err
        assert "survival-search restore --builtin --db" in err and "damaged-<time>" in err
    code, out, _ = _run(capsys, "check", "--db", str(path))
    assert code == 1 and "not an SQLite database" in out and "restore --builtin" in out
    assert path.read_bytes() == before
    code, out, _ = _run(capsys, "restore", "--builtin", "--db", str(path))
    assert code == 0 and ".damaged-" in out
    assert _run(capsys, "check", "--db", str(path))[0] == 0


def test_page_damage_met_while_reading_is_a_message(db, capsys):
    """Damage past the first page can open fine; the command then says so instead of a traceback."""
    data = bytearray(open(db, "rb").read())
    data[4096:] = b"\x5a" * (len(data) - 4096)
    open(db, "wb").write(bytes(data))
    code, _, err = _run(capsys, "stats", "--db", db)
    assert code == 1 and "damaged" in err and "Traceback" not in err and "restore" in err
