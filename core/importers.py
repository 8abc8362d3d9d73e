"""Import documents (a file or a folder, recursively) into the corpus.

Supported: ``.md``/``.markdown``, ``.txt``, ``.html``/``.htm`` (split into passages
by :mod:`core.chunker`) and our own export format, ``.jsonl`` and ``.csv`` (one
passage per row, imported as is).

Choices, so users know what to expect:

* A file that cannot be read (binary, empty, not UTF-8/UTF-16, too large, no
  permission, a malformed JSONL/CSV row) is reported with the reason and its
  line where there is one, and **nothing of that file** is imported; the other
  files go ahead. ``strict=True`` refuses the whole import instead.
* The passages of all good files are written in **one transaction**: after a
  crash, a cancel or an error while writing, the corpus holds all of them or none.
* Passages whose text is already in the corpus (case and spacing folded) are skipped.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .chunker import chunk_html, chunk_markdown, chunk_text
from .errors import ExportError, ImportFileError, SurvivalSearchError
from .records import ImportReport, Passage

if TYPE_CHECKING:
    from .store import CorpusStore

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".html": "html", ".htm": "html"}
RECORD_SUFFIXES = {".jsonl": "jsonl", ".csv": "csv"}
SUPPORTED = {**TEXT_SUFFIXES, **RECORD_SUFFIXES}
MAX_TEXT_BYTES = 50 * 1024 * 1024
MAX_RECORD_BYTES = 2 * 1024 * 1024 * 1024
EXPORT_FIELDS = ("id", "title", "text", "source", "section", "topics", "origin", "created_at", "updated_at")
CSV_FIELD_LIMIT = 64 * 1024 * 1024  # the csv module's default (128 KiB) is below our longest passage

ProgressFn = Callable[[int, int, str], None]


class ImportCancelled(SurvivalSearchError):
    """The user cancelled an import; nothing was written."""


def _walk(root: Path, report: ImportReport) -> Iterator[Path]:
    """Supported files under ``root``, depth first in name order, without recursion (any depth)
    and without following symbolic links (no loops)."""
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda e: e.name)
        except OSError as exc:
            report.errors.append(f"{folder}: the folder cannot be read ({exc.strerror or exc})")
            continue
        subfolders: list[Path] = []
        for entry in entries:
            try:
                if entry.is_symlink():
                    continue
                if entry.is_dir(follow_symlinks=False):
                    subfolders.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=False) and Path(entry.name).suffix.lower() in SUPPORTED:
                    yield Path(entry.path)
            except OSError as exc:
                report.errors.append(f"{entry.path}: cannot be read ({exc.strerror or exc})")
        stack.extend(reversed(subfolders))


def find_files(paths: list[Path], report: ImportReport) -> list[Path]:
    """Supported files under ``paths`` (folders recursively; symbolic links inside folders are not followed)."""
    found: list[Path] = []
    for root in paths:
        root = Path(root)
        if root.is_file():
            if root.suffix.lower() in SUPPORTED:
                found.append(root)
            else:
                report.errors.append(
                    f"{root}: unsupported file type {root.suffix or '(none)'}; use .md, .txt, .html, .jsonl or .csv"
                )
        elif root.is_dir():
            found.extend(_walk(root, report))
        elif root.is_symlink():
            report.errors.append(f"{root}: a symbolic link that points nowhere or loops back on itself")
        else:
            report.errors.append(f"{root}: no such file or folder")
    return found


def read_text(path: Path, limit: int = MAX_TEXT_BYTES) -> str:
    """Read a document as text, refusing binary, empty, huge or undecodable files with a reason."""
    try:
        size = path.stat().st_size
        if size > limit:
            raise ImportFileError(
                f"{path}: file is {size / 1e6:.0f} MB, more than the {limit / 1e6:.0f} MB allowed for one document;"
                " split it"
            )
        raw = path.read_bytes()
    except PermissionError:
        raise ImportFileError(f"{path}: permission denied (the file cannot be read)") from None
    except OSError as exc:
        raise ImportFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not raw.strip():
        raise ImportFileError(f"{path}: the file is empty")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise ImportFileError(f"{path}: damaged UTF-16 text") from None
    if b"\x00" in raw[:8192]:
        raise ImportFileError(
            f"{path}: binary file, not text (only .md, .txt, .html, .jsonl, .csv text files can be imported)"
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            f"{path}: not UTF-8 text (undecodable byte at line {line}); save it as UTF-8 and import again"
        ) from None


def _title_of(path: Path) -> str:
    return path.stem.replace("_", " ").replace("-", " ").strip().capitalize()


def passages_from_document(path: Path, source: str) -> list[Passage]:
    """Chunk a Markdown, HTML or text file into passages sourced to ``source``."""
    kind = TEXT_SUFFIXES[path.suffix.lower()]
    text = read_text(path)
    if kind == "markdown":
        chunks = chunk_markdown(text, _title_of(path))
    elif kind == "html":
        chunks = chunk_html(text, _title_of(path))
    else:
        chunks = chunk_text(text, _title_of(path))
    if not chunks:
        raise ImportFileError(f"{path}: no text found to import")
    return [
        Passage(id="", title=c.title or _title_of(path), text=c.text, source=source, section=c.section, origin="import")
        for c in chunks
    ]


def _record_to_passage(row: dict[str, object], where: str) -> Passage:
    text = row.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ImportFileError(f"{where}: the row has no text")
    topics = row.get("topics") or []
    if isinstance(topics, str):
        if topics.lstrip().startswith("["):
            try:
                topics = json.loads(topics)
            except json.JSONDecodeError:
                raise ImportFileError(f"{where}: 'topics' looks like a JSON list but is not valid JSON") from None
        else:
            topics = [t for t in (x.strip() for x in topics.replace(";", ",").split(",")) if t]
    if not isinstance(topics, list):
        raise ImportFileError(f"{where}: 'topics' must be a list or a ';'-separated string")
    title = str(row.get("title") or "").strip() or text.strip().split("\n")[0][:80]
    return Passage(
        id=str(row.get("id") or ""),
        title=title,
        text=text,
        source=str(row.get("source") or ""),
        section=str(row.get("section") or ""),
        topics=[str(t) for t in topics],
        origin=str(row.get("origin") or "import"),
        created_at=str(row.get("created_at") or ""),
        updated_at=str(row.get("updated_at") or ""),
    )


def passages_from_records(path: Path) -> list[Passage]:
    """Read our export format (JSONL or CSV); a malformed row rejects the file, naming its line."""
    text = read_text(path, MAX_RECORD_BYTES)
    passages: list[Passage] = []
    if path.suffix.lower() == ".jsonl":
        # Lines end at "\n" only: str.splitlines() also cuts at U+2028, U+0085..., which JSON leaves unescaped.
        for number, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ImportFileError(f"{path}, line {number}: not valid JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise ImportFileError(f"{path}, line {number}: expected a JSON object")
            passages.append(_record_to_passage(row, f"{path}, line {number}"))
    else:
        csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))
        # strict: an unclosed quote is an error, not a row that silently swallows the rest of the file
        reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
        start = 1
        try:
            if not reader.fieldnames or "text" not in reader.fieldnames:
                raise ImportFileError(f"{path}: a CSV import needs a header row with at least a 'text' column")
            start = reader.line_num + 1  # the line the next row starts on
            for row in reader:
                if None in row:
                    raise ImportFileError(f"{path}, line {start}: more fields than the header has")
                passages.append(_record_to_passage(dict(row), f"{path}, line {start}"))
                start = reader.line_num + 1
        except csv.Error as exc:
            raise ImportFileError(f"{path}, line {start}: malformed CSV ({exc})") from None
    if not passages:
        raise ImportFileError(f"{path}: no passages in the file")
    return passages


def _source_for(path: Path, roots: list[Path]) -> str:
    """'folder/sub/file.md' for a file found in an imported folder, 'file.md' for a file named directly."""
    for root in roots:
        if root.is_dir() and path.is_relative_to(root):
            return path.relative_to(root.resolve().parent if root.name in ("", ".") else root.parent).as_posix()
    return path.name


def collect_passages(
    paths: list[Path],
    report: ImportReport,
    progress: ProgressFn | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Iterator[Passage]:
    files = find_files(paths, report)
    for number, path in enumerate(files, start=1):
        if cancelled and cancelled():
            raise ImportCancelled("Import cancelled: nothing was imported.")
        if progress:
            progress(number - 1, len(files), str(path))
        report.files += 1
        try:
            if path.suffix.lower() in RECORD_SUFFIXES:
                passages = passages_from_records(path)
            else:
                passages = passages_from_document(path, _source_for(path, paths))
        except ImportFileError as exc:
            report.errors.append(str(exc))
            continue
        yield from passages
    if progress:
        progress(len(files), len(files), "")


def import_paths(
    store: CorpusStore,
    paths: list[str | Path],
    *,
    strict: bool = False,
    progress: ProgressFn | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> ImportReport:
    """Import files and folders into ``store`` in one transaction; see the module docstring."""
    report = ImportReport()
    try:
        passages = list(collect_passages([Path(p) for p in paths], report, progress, cancelled))
    except ImportCancelled:
        report.cancelled = True
        return report
    if strict and report.errors:
        report.errors.append("strict import: nothing was imported because of the errors above")
        return report
    if cancelled and cancelled():
        report.cancelled = True
        return report
    if passages:
        from .safety import backup_before

        if store.count():
            backup_before(store, "import")
        added, skipped = store.add_passages(passages, skip_duplicates=True)
        report.added = len(added)
        report.added_ids = added
        report.skipped_duplicates = skipped
    return report


def export_passages(store: CorpusStore, dest: str | Path) -> int:
    """Write every passage to ``dest`` (.jsonl, or .csv) via a temp file moved in place; returns the count."""
    dest = Path(dest)
    tmp = dest.with_name(f".{dest.name}.tmp")
    count = 0
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            if dest.suffix.lower() == ".csv":
                writer = csv.DictWriter(fh, fieldnames=EXPORT_FIELDS)
                writer.writeheader()
                for p in store.iter_passages():
                    row = p.to_dict()
                    row["topics"] = json.dumps(p.topics, ensure_ascii=False)  # a list: a topic may hold ";" or ","
                    writer.writerow(row)
                    count += 1
            else:
                for p in store.iter_passages():
                    fh.write(json.dumps(p.to_dict(), ensure_ascii=False) + "\n")
                    count += 1
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ExportError(f"Could not write {dest} ({exc.strerror or exc}); nothing was written there.") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return count
