"""The corpus editor: a table of every passage, a form to add or edit one, import, export, undo.

Every write goes to the ``db`` lane of :mod:`app.ops`; the dialog stays usable
meanwhile. Unsaved edits are never dropped silently: switching passage, closing
or pressing Esc asks first. A failed save keeps the edit in the form.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core.errors import ValidationError
from core.records import count_noun

from .messages import Messages
from .ops import Ops
from .passage_editor import PassageEditor
from .passage_table import IdRole, PassageTableModel

if TYPE_CHECKING:
    from core.records import ImportReport, Passage
    from core.store import CorpusStore

log = logging.getLogger(__name__)

IMPORT_FILTER = "Documents (*.md *.markdown *.txt *.html *.htm *.jsonl *.csv);;All files (*)"
EXPORT_FILTER = "JSON Lines (*.jsonl);;CSV (*.csv)"
Button = QMessageBox.StandardButton
REASONS_SHOWN = 3  # problems listed in an import report's text; "Show Details" has them all


def import_summary(report: ImportReport) -> str:
    """One line for an import: files read, passages added, duplicates skipped, problems."""
    parts = [
        f"{count_noun(report.files, 'file')} read",
        f"{count_noun(report.added, 'passage')} added",
        f"{count_noun(report.skipped_duplicates, 'duplicate')} skipped",
    ]
    if report.errors:
        parts.append(count_noun(len(report.errors), "problem"))
    return ", ".join(parts)


def import_problems(report: ImportReport) -> str:
    """An import report with problems: what was not imported and why (the first few), and what was."""
    errors = report.errors
    lines = [f"{count_noun(len(errors), 'file')} could not be imported:"]
    lines += [f"• {reason}" for reason in errors[:REASONS_SHOWN]]
    if len(errors) > REASONS_SHOWN:
        lines.append(f"• and {len(errors) - REASONS_SHOWN:,} more (“Show Details” lists them all)")
    duplicates = count_noun(report.skipped_duplicates, "duplicate")
    if report.added:
        skipped = f", {duplicates} skipped" if report.skipped_duplicates else ""
        lines.append(f"\nThe other files were imported: {count_noun(report.added, 'passage')} added{skipped}.")
    elif report.skipped_duplicates:
        lines.append(f"\nNothing new was imported: {duplicates} skipped (already in the corpus).")
    else:
        lines.append("\nNothing was imported.")
    return "\n".join(lines)


class CorpusDialog(QDialog):
    """Browse, add, edit, delete, import and export passages."""

    changed = Signal(list)  # ids added, edited, deleted or restored
    rows_loaded = Signal(int)  # rows now listed

    def __init__(self, store: CorpusStore, ops: Ops, messages: Messages, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from core.store import TOPICS

        self.store = store
        self.ops = ops
        self.messages = messages
        self.last_deleted: list[Passage] = []
        self.last_import: ImportReport | None = None
        self._reload_seq = 0
        self._load_seq = 0
        self._select_after_reload: str | None = None
        self._after_save: Any = None
        self._switching = False
        self._saving = False
        self._progress: QProgressDialog | None = None
        self.import_job: Any = None

        self.setWindowTitle("Corpus[*]")
        self.setObjectName("corpusDialog")
        self.resize(1150, 720)

        self.filter_box = QLineEdit()
        self.filter_box.setPlaceholderText("Filter: words in the title, text or source")
        self.filter_box.setClearButtonEnabled(True)
        self.filter_box.setAccessibleName("Filter passages")
        self.topic_combo = QComboBox()
        self.topic_combo.addItem("All topics", "")
        for topic in TOPICS:
            self.topic_combo.addItem(topic.replace("-", " ").capitalize(), topic)
        self.count_label = QLabel("Loading…")
        self.count_label.setObjectName("dimLabel")

        self.model = PassageTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table (arrows move within it)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # corpus order at first
        self.table.setSortingEnabled(True)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column, width in ((1, 150), (2, 120), (3, 100)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, width)
        self.table.setAccessibleName("Passages")

        self.editor = PassageEditor(TOPICS)
        self.editor.dirty_changed.connect(self._update_buttons)

        self.new_button = QPushButton("&New")
        self.new_button.setToolTip("Write a new passage (Ctrl+N)")
        self.save_button = QPushButton("&Save")
        self.save_button.setToolTip("Save the passage in the form (Ctrl+S)")
        self.delete_button = QPushButton("&Delete…")
        self.delete_button.setToolTip("Delete the selected passages (Del); you can undo the last delete")
        self.undo_button = QPushButton("&Undo delete")
        self.undo_button.setToolTip("Bring back the passages deleted last (Ctrl+Z in the table)")
        self.import_files_button = QPushButton("&Import files…")
        self.import_folder_button = QPushButton("Import &folder…")
        self.export_button = QPushButton("E&xport…")
        self.close_button = QPushButton("Close")
        self.status_label = QLabel("")
        self.status_label.setObjectName("dimLabel")
        self.status_label.setWordWrap(True)

        top = QHBoxLayout()
        top.addWidget(self.filter_box, 1)
        top.addWidget(self.topic_combo)
        top.addWidget(self.count_label)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(top)
        left_layout.addWidget(self.table, 1)
        edit_buttons = QHBoxLayout()
        for button in (self.new_button, self.save_button, self.delete_button, self.undo_button):
            edit_buttons.addWidget(button)
        edit_buttons.addStretch(1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.editor, 1)
        right_layout.addLayout(edit_buttons)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([640, 500])
        bottom = QHBoxLayout()
        for button in (self.import_files_button, self.import_folder_button, self.export_button):
            bottom.addWidget(button)
        bottom.addWidget(self.status_label, 1)
        bottom.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addLayout(bottom)

        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(300)
        self._filter_timer.timeout.connect(self.reload)
        self.filter_box.textChanged.connect(lambda _: self._filter_timer.start())
        self.topic_combo.currentIndexChanged.connect(lambda _: self.reload())
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row_changed)
        self.new_button.clicked.connect(lambda: self.new_passage())
        self.save_button.clicked.connect(lambda: self.save())
        self.delete_button.clicked.connect(lambda: self.delete_selected())
        self.undo_button.clicked.connect(lambda: self.undo_delete())
        self.import_files_button.clicked.connect(self._choose_files)
        self.import_folder_button.clicked.connect(self._choose_folder)
        self.export_button.clicked.connect(self._choose_export)
        self.close_button.clicked.connect(self.close)

        QShortcut(QKeySequence("Ctrl+N"), self, activated=self.new_passage)
        QShortcut(QKeySequence("Ctrl+S"), self, activated=self.save)
        QShortcut(
            QKeySequence("Ctrl+F"), self, activated=lambda: (self.filter_box.setFocus(), self.filter_box.selectAll())
        )
        table_delete = QShortcut(
            QKeySequence(QKeySequence.StandardKey.Delete), self.table, activated=self.delete_selected
        )
        table_delete.setContext(Qt.ShortcutContext.WidgetShortcut)
        table_undo = QShortcut(QKeySequence(QKeySequence.StandardKey.Undo), self.table, activated=self.undo_delete)
        table_undo.setContext(Qt.ShortcutContext.WidgetShortcut)

        self._update_buttons()
        self.reload()

    # ================================================================== table
    def reload(self, select_id: str | None = None) -> None:
        """Re-read the rows matching the filter (in the background); keep or set the selection."""
        from core.browse import passage_rows

        self._reload_seq += 1
        seq = self._reload_seq
        self._select_after_reload = select_id or self.current_id()
        words, topic, store = self.filter_box.text(), self.topic_combo.currentData() or "", self.store
        self.ops.run(
            lambda: passage_rows(store, words, topic),
            name="list passages",
            on_done=lambda rows: self._rows_loaded(seq, rows),
            on_error=lambda exc: self.messages.error(self, exc, "Could not list the passages"),
        )

    def _rows_loaded(self, seq: int, rows: list[Any]) -> None:
        if seq != self._reload_seq:
            return
        self._switching = True
        try:
            self.model.set_rows(rows)
            wanted = self._select_after_reload
            row = self.model.row_of(wanted) if wanted else -1
            if row >= 0:
                index = self.model.index(row, 0)
                self.table.selectionModel().setCurrentIndex(
                    index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
                )
                self.table.scrollTo(index)
        finally:
            self._switching = False
        total = len(rows)
        filtered = bool(self.filter_box.text().strip() or self.topic_combo.currentData())
        self.count_label.setText(f"{total:,} {'matching' if filtered else 'passages'}")
        self.setWindowTitle(f"Corpus: {total:,} passages[*]" if not filtered else "Corpus[*]")
        self.rows_loaded.emit(total)

    def current_id(self) -> str | None:
        index = self.table.currentIndex()
        return index.siblingAtColumn(0).data(IdRole) if index.isValid() else None

    def selected_ids(self) -> list[str]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        ids = [self.model.id_at(r) for r in rows]
        if not ids and self.current_id():
            ids = [self.current_id()]
        return [i for i in ids if i]

    def select_id(self, passage_id: str) -> bool:
        row = self.model.row_of(passage_id)
        if row < 0:
            return False
        self.table.selectionModel().setCurrentIndex(
            self.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
        )
        return True

    def _on_current_row_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        if self._switching:
            return
        passage_id = self.model.id_at(current.row()) if current.isValid() else None
        if passage_id is not None and passage_id == self.editor.passage_id:
            return
        if self.editor.dirty:
            answer = self._ask_unsaved()
            if answer == Button.Cancel:
                self._restore_selection(previous)
                return
            if answer == Button.Save:
                self._restore_selection(previous)
                self.save(after=lambda: self.select_id(passage_id) if passage_id else None)
                return
        if passage_id is not None:
            self._load_passage(passage_id)

    def _restore_selection(self, previous: QModelIndex) -> None:
        self._switching = True
        try:
            if previous.isValid():
                self.table.selectionModel().setCurrentIndex(
                    previous, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
                )
            else:
                self.table.clearSelection()
        finally:
            self._switching = False

    def _load_passage(self, passage_id: str) -> None:
        self._load_seq += 1
        seq = self._load_seq
        store = self.store
        self.ops.run(
            lambda: store.get(passage_id),
            name="read the passage",
            on_done=lambda p: self._passage_loaded(seq, p),
        )

    def _passage_loaded(self, seq: int, passage: Passage | None) -> None:
        if seq != self._load_seq or self.editor.dirty:
            return
        if passage is None:
            self.status_label.setText("That passage no longer exists.")
            self.reload()
            return
        self.editor.load(passage)
        self._update_buttons()

    # ================================================================== editing
    def _ask_unsaved(self) -> QMessageBox.StandardButton:
        return self.messages.ask(
            self,
            "Unsaved changes",
            "The passage in the form has changes that are not saved. Save them?",
            Button.Save | Button.Discard | Button.Cancel,
            Button.Save,
        )

    def new_passage(self) -> None:
        if self.editor.dirty:
            answer = self._ask_unsaved()
            if answer == Button.Cancel:
                return
            if answer == Button.Save:
                self.save(after=self.new_passage)
                return
        self._switching = True
        self.table.clearSelection()
        self.table.setCurrentIndex(QModelIndex())
        self._switching = False
        self._load_seq += 1
        self.editor.load(None)
        self.editor.title_edit.setFocus()
        self._update_buttons()

    def save(self, after: Any = None) -> None:
        """Save the form (add or update) on the db lane; a refusal keeps the edit and says why."""
        from core.store import validate_passage

        if self._saving:
            return
        values = self.editor.values()
        try:
            missing = self.editor.missing()
            if missing:
                raise ValidationError(missing)
            validate_passage(str(values["title"]), str(values["text"]), values["topics"])  # type: ignore[arg-type]
        except ValidationError as exc:
            self.messages.error(self, exc)
            return
        store, passage_id = self.store, self.editor.passage_id
        self._saving = True
        self._after_save = after
        self._update_buttons()

        def work() -> Passage:
            if passage_id is None:
                return store.add_passage(
                    str(values["title"]),
                    str(values["text"]),
                    str(values["source"]),
                    values["topics"],  # type: ignore[arg-type]
                )
            return store.update_passage(passage_id, **values)

        self.ops.run(work, lane="db", name="save the passage", on_done=self._saved, on_error=self._save_failed)

    def _saved(self, passage: Passage) -> None:
        self._saving = False
        self.editor.load(passage)
        self.status_label.setText(f"Saved “{passage.title}”. It can be found from the search box now.")
        self.changed.emit([passage.id])
        self.reload(select_id=passage.id)
        after, self._after_save = self._after_save, None
        self._update_buttons()
        if after is not None:
            after()

    def _save_failed(self, exc: BaseException) -> None:
        self._saving = False
        self._after_save = None
        self._update_buttons()
        self.messages.error(self, exc, "The passage was not saved")

    def delete_selected(self) -> None:
        ids = self.selected_ids()
        if not ids:
            self.status_label.setText("Select the passages to delete first.")
            return
        what = "this passage" if len(ids) == 1 else f"these {len(ids)} passages"
        answer = self.messages.ask(
            self,
            "Delete passages",
            f"Delete {what}? You can undo the last delete with “Undo delete”.",
            Button.Yes | Button.No,
            Button.No,
        )
        if answer != Button.Yes:
            return
        store = self.store
        self.ops.run(
            lambda: store.delete_passages(ids),
            lane="db",
            name="delete passages",
            on_done=self._deleted,
            on_error=lambda exc: self.messages.error(self, exc, "Nothing was deleted"),
        )

    def _deleted(self, passages: list[Passage]) -> None:
        self.last_deleted = passages
        if self.editor.passage_id in {p.id for p in passages}:
            self._load_seq += 1
            self.editor.load(None)
        n = len(passages)
        self.status_label.setText(
            f"Deleted {n} passage{'s' if n != 1 else ''}. “Undo delete” brings {'them' if n != 1 else 'it'} back."
        )
        self.changed.emit([p.id for p in passages])
        self.reload()
        self._update_buttons()

    def undo_delete(self) -> None:
        passages = self.last_deleted
        if not passages:
            return
        store = self.store
        self.ops.run(
            lambda: store.restore_passages(passages),
            lane="db",
            name="undo the delete",
            on_done=lambda _: self._restored(passages),
            on_error=lambda exc: self.messages.error(self, exc, "The delete could not be undone"),
        )

    def _restored(self, passages: list[Passage]) -> None:
        self.last_deleted = []
        n = len(passages)
        self.status_label.setText(f"Restored {n} passage{'s' if n != 1 else ''}.")
        self.changed.emit([p.id for p in passages])
        self.reload(select_id=passages[0].id if passages else None)
        self._update_buttons()

    def _update_buttons(self, *_args: object) -> None:
        self.save_button.setEnabled(not self._saving and (self.editor.dirty or self.editor.passage_id is None))
        self.undo_button.setEnabled(bool(self.last_deleted))
        busy = self.import_job is not None
        self.import_files_button.setEnabled(not busy)
        self.import_folder_button.setEnabled(not busy)
        self.setWindowModified(self.editor.dirty)

    # ================================================================== import / export
    def _choose_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Import files", str(Path.home()), IMPORT_FILTER)
        if files:
            self.import_paths(files)

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Import a folder (all .md .txt .html .jsonl .csv inside)", str(Path.home())
        )
        if folder:
            self.import_paths([folder])

    def import_paths(self, paths: list[str]) -> None:
        """Import files and folders with a cancellable progress dialog, then show the report."""
        from core.importers import import_paths

        if self.import_job is not None:
            return
        store = self.store
        progress = QProgressDialog("Looking for files…", "Cancel", 0, 0, self)
        progress.setWindowTitle("Importing")
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(600)  # quick imports never flash a dialog
        progress.setAutoClose(False)
        progress.setAutoReset(False)
        self._progress = progress

        def work(ctx: Any) -> ImportReport:
            return import_paths(store, list(paths), progress=ctx.progress, cancelled=ctx.cancelled)

        self.import_job = self.ops.run(
            work,
            lane="db",
            name="import files",
            context=True,
            on_progress=self._import_progress,
            on_done=self._imported,
            on_error=self._import_failed,
        )
        progress.canceled.connect(self.import_job.cancel)
        progress.canceled.connect(lambda: progress.setLabelText("Cancelling…"))
        self._update_buttons()

    def _import_progress(self, done: int, total: int, path: str) -> None:
        if self._progress is None:
            return
        self._progress.setMaximum(max(1, total))
        self._progress.setValue(min(done, total))
        self._progress.setLabelText(f"Reading {Path(path).name} ({done + 1:,} of {total:,})" if path else "Saving…")

    def _finish_import(self) -> None:
        self.import_job = None
        if self._progress is not None:
            self._progress.close()
            self._progress.deleteLater()
            self._progress = None
        self._update_buttons()

    def _imported(self, report: ImportReport) -> None:
        self._finish_import()
        self.last_import = report
        details = "\n".join(report.errors)
        if report.cancelled:
            self.messages.info(self, "Import cancelled", "Import cancelled: nothing was imported.", details)
        elif report.errors:
            self.messages.warning(
                self,
                "Import finished with problems" if report.added else "Nothing was imported",
                import_problems(report),
                details,
            )
        else:
            self.messages.info(self, "Import finished", f"{import_summary(report)}.")
        self.status_label.setText(f"{import_summary(report)}." if not report.cancelled else "Import cancelled.")
        if report.added_ids:
            self.changed.emit(list(report.added_ids))
            self.reload()

    def _import_failed(self, exc: BaseException) -> None:
        self._finish_import()
        self.messages.error(self, exc, "The import failed; nothing was imported")

    def _choose_export(self) -> None:
        dest, chosen = QFileDialog.getSaveFileName(
            self, "Export every passage", str(Path.home() / "survival-passages.jsonl"), EXPORT_FILTER
        )
        if dest:
            if not Path(dest).suffix:
                dest += ".csv" if "csv" in chosen.lower() else ".jsonl"
            self.export_to(dest)

    def export_to(self, dest: str) -> None:
        from core.importers import export_passages

        store = self.store
        self.status_label.setText("Exporting…")
        self.ops.run(
            lambda: export_passages(store, dest),
            name="export passages",
            on_done=lambda n: self._exported(n, dest),
            on_error=self._export_failed,
        )

    def _export_failed(self, exc: BaseException) -> None:
        self.status_label.setText("Export failed: no file was written.")
        self.messages.error(self, exc, "The export failed; no file was written")

    def _exported(self, count: int, dest: str) -> None:
        self.status_label.setText(f"Exported {count:,} passages to {dest}.")
        self.messages.info(
            self, "Export finished", f"Exported {count:,} passages to\n{dest}\n\nIt can be imported again as is."
        )

    # ================================================================== closing
    def _can_close(self) -> bool:
        if not self.editor.dirty:
            return True
        answer = self._ask_unsaved()
        if answer == Button.Discard:
            self._load_seq += 1
            self.editor.load(None)
            return True
        if answer == Button.Save:
            self.save(after=self.close)
        return False

    def reject(self) -> None:  # Esc, the Close button and the window's close box all come here
        if self._can_close():
            super().reject()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.filter_box.setFocus()
