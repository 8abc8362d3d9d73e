"""The data-safety commands: ``backup``, ``restore`` and ``check``; and how every command opens the corpus."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from . import paths
from .errors import CorpusDamagedError, SurvivalSearchError


def _db_path(args: argparse.Namespace) -> Path:
    return Path(args.db).expanduser() if getattr(args, "db", None) else paths.default_db_path()


def ways_forward(db_path: Path) -> list[str]:
    """The commands that get a damaged corpus going again, for the CLI's error message."""
    from .safety import list_backups

    db = f" --db {db_path}"
    backups = list_backups(db_path)
    lines = [f"  survival-search restore{db}            # list the backups"]
    if backups:
        lines.append(f"  survival-search restore latest{db}     # restore the newest ({backups[0].describe()})")
    lines.append(
        f"  survival-search restore --builtin{db}  # start from the built-in corpus "
        f"(the damaged file is kept as {db_path.name}.damaged-<time>)"
    )
    return lines


def open_store_for_cli(db: str | None):  # noqa: ANN201 - CorpusStore, imported lazily
    """Open the corpus for a command; a damaged file becomes a message that names the ways forward."""
    import sys

    from .safety import open_or_recover

    if db and not Path(db).exists():
        print(
            f"note: {db} does not exist: creating a new, empty corpus there. Import documents into it "
            f"(the built-in passages too: survival-search --db {db} import {paths.BUILTIN_CORPUS_DIR}).",
            file=sys.stderr,
        )
    try:
        store = open_or_recover(db)
    except CorpusDamagedError as exc:
        path = Path(exc.path) if exc.path else paths.default_db_path()
        raise SurvivalSearchError(f"{exc}\nWays forward:\n" + "\n".join(ways_forward(path))) from exc
    if store.builtin_update is not None and store.builtin_update.summary():
        print(f"note: {store.builtin_update.summary()}", file=sys.stderr)
    return store


def cmd_backup(args: argparse.Namespace) -> int:
    from .safety import backup_now

    with open_store_for_cli(args.db) as store:
        dest = backup_now(store, args.dest)
        print(f"Backed up {store.count():,} passages to {dest}")
    return 0


def _choose_backup(db_path: Path, which: str) -> Path:
    from .safety import list_backups

    backups = list_backups(db_path)
    if which == "latest":
        if not backups:
            raise SurvivalSearchError(f"There are no backups of {db_path}.")
        return backups[0].path
    if which.isdigit() and not Path(which).exists():
        number = int(which)
        if not 1 <= number <= len(backups):
            raise SurvivalSearchError(
                f"There is no backup number {number}; run `survival-search restore` to list them."
            )
        return backups[number - 1].path
    return Path(which)


def cmd_restore(args: argparse.Namespace) -> int:
    from .safety import list_backups, restore_backup, start_fresh

    db_path = _db_path(args)
    if args.builtin:
        print(start_fresh(db_path).summary())
        return 0
    if not args.backup:
        backups = list_backups(db_path)
        if not backups:
            print(f"No backups of {db_path} yet. Make one with: survival-search backup --db {db_path}")
            return 1
        print(f"Backups of {db_path}, newest first:")
        for number, item in enumerate(backups, start=1):
            print(f"  {number:2}. {item.describe()}\n      {item.path}")
        print("Restore one with: survival-search restore latest | NUMBER | FILE   (the current corpus is kept aside)")
        return 0
    print(restore_backup(db_path, _choose_backup(db_path, args.backup)).summary())
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from .safety import check_corpus, check_file

    db_path = _db_path(args)
    if not args.repair:
        report = check_file(db_path)
    else:
        with open_store_for_cli(args.db) as store:
            report = check_corpus(store, repair=True)
    for line in report.lines():
        print(line)
    if not report.ok and db_path.exists():
        print("Ways forward:")
        if any("repairable" in p for p in report.problems):
            print(f"  survival-search check --repair --db {db_path}   # back up, then fix what can be recomputed")
        print("\n".join(ways_forward(db_path)))
    return 0 if report.ok else 1


def register(
    sub: argparse._SubParsersAction,
    db: argparse.ArgumentParser,
    commands: dict[str, Callable[[argparse.Namespace], int]],
) -> None:
    """Add this module's sub-commands to the parser and their handlers to ``commands``."""
    b = sub.add_parser(
        "backup",
        parents=[db],
        help="back up the corpus",
        description="Copy the corpus consistently (SQLite backup API) to DEST, or to the backups folder beside it.",
    )
    b.add_argument("dest", nargs="?", metavar="DEST", help="a file or folder (default: the backups folder)")
    commands["backup"] = cmd_backup

    r = sub.add_parser(
        "restore",
        parents=[db],
        help="list backups or restore one",
        description=(
            "Without BACKUP, list the backups. With one (latest, a number from the list, or a file), check it "
            "and put it in place atomically; the current corpus is kept aside as a 'before-restore' backup "
            "(or NAME.damaged-TIME if it does not open). Close the app first."
        ),
    )
    r.add_argument("backup", nargs="?", metavar="BACKUP", help="latest, a number from the list, or a backup file")
    r.add_argument("--builtin", action="store_true", help="start from the built-in corpus instead of a backup")
    commands["restore"] = cmd_restore

    c = sub.add_parser(
        "check",
        parents=[db],
        help="check the corpus for damage",
        description=(
            "Run SQLite's integrity check and the corpus's own rules (hashes, search terms, embeddings, "
            "judgment labels, schema version) and report in plain words. Exit code 0: no problems; 1: problems."
        ),
    )
    c.add_argument("--repair", action="store_true", help="back up, then fix what can be recomputed")
    commands["check"] = cmd_check


def explain_sqlite_error(exc: Exception, args: argparse.Namespace) -> str:
    """A raw sqlite3 error met by a command, as a message (with the ways forward when the file is damaged)."""
    from .errors import CorpusCorruptError
    from .store import classify_sqlite_error

    db_path = _db_path(args)
    error = classify_sqlite_error(exc, db_path)  # type: ignore[arg-type]
    if isinstance(error, CorpusCorruptError):
        return f"{error}\nWays forward:\n" + "\n".join(ways_forward(db_path))
    return str(error)
