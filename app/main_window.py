"""The search window: a big search box, results refined in place, a reading pane, a status bar.

The window shows before anything heavy happens. :meth:`MainWindow.start` then
opens the corpus, and loads the reranker and the embedding model, each on a
worker (see :mod:`app.ops`); BM25 answers as soon as the corpus is open.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.highlight import query_terms
from core.records import NOT_CONFIDENT, NOTHING_ANSWERS

from . import shortcuts, themes
from .detail_pane import DetailPane
from .messages import Messages
from .models import ModelManager
from .ops import Ops
from .preferences import FONT_DEFAULT, FONT_MAX, FONT_MIN, Preferences
from .result_delegate import ResultDelegate
from .results_model import HitRole, ResultsModel
from .results_view import ResultsView
from .services import Services
from .status_bar import StatusBar, reranker_reason

if TYPE_CHECKING:
    from core.records import SearchHit, SearchResult
    from core.search import SearchEngine

log = logging.getLogger(__name__)

DEBOUNCE_MS = 250
MIN_QUERY_CHARS = 2
HINT = "Type a question, e.g. “how to purify water”. Enter searches at once; ↓ moves into the results."
WAITING = "Opening the corpus… your question runs as soon as it is open."


def topic_label(topic: str) -> str:
    return topic.replace("-", " ").capitalize()


class MainWindow(QMainWindow):
    """The search window; all work goes through ``ops``, all data through ``services``."""

    engine_ready = Signal()
    results_shown = Signal(object, bool)  # SearchResult, final (reranked or no reranker)
    reranker_state_changed = Signal(str)  # loading | ready | unavailable
    corpus_changed = Signal()
    embedding_finished = Signal(int)

    def __init__(
        self,
        services: Services,
        prefs: Preferences,
        *,
        ops: Ops | None = None,
        messages: Messages | None = None,
        debounce_ms: int = DEBOUNCE_MS,
    ) -> None:
        super().__init__()
        self.services = services
        self.prefs = prefs
        self.ops = ops or Ops(self)
        self.messages = messages or Messages(self)
        self.ops.unhandled.connect(self._on_unhandled)

        self.engine: SearchEngine | None = None
        self.store: Any = None
        self.models = ModelManager(services, self.ops, self)
        self._opened_stamp = ""
        self._search_seq = 0
        self._pending_search = False
        self._mode = "search"  # or "bookmarks"
        self._bookmarks: set[str] = set()
        self._corpus_dialog: Any = None
        self._corpus_check: Any = None
        self._last_query_shown = ""
        self._first_stage_ms = 0.0
        self.train_dialog: Any = None  # the open "Train the reranker" dialog, if any
        self._shown_seqs: set[int] = set()
        self._closing = False
        self._checking_writers = False
        self._other_writes_shown = 0  # the engine's count of other programs' writes already shown
        self.theme = themes.THEMES.get(prefs.theme, themes.LIGHT)

        self.setWindowTitle("Survival Search")
        self._build_widgets()
        self._build_menus()
        self._build_status_bar()
        self._apply_theme_to_widgets()

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(debounce_ms)
        self._debounce.timeout.connect(lambda: self.search_now(commit=False))

        geometry = prefs.window_state("geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1180, 760)
        splitter = prefs.window_state("splitter")
        if splitter is None or not self.splitter.restoreState(splitter):
            self.splitter.setSizes([560, 620])
        self.search_box.setFocus()

    # ================================================================== building
    def _build_widgets(self) -> None:
        self.search_box = QLineEdit()
        self.search_box.setObjectName("searchBox")
        self.search_box.setPlaceholderText("Ask a survival question…")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.setAccessibleName("Search")
        self.search_box.textEdited.connect(self._on_text_edited)
        self.search_box.returnPressed.connect(lambda: self.search_now(commit=True))
        self.search_box.installEventFilter(self)

        self.topic_combo = QComboBox()
        self.topic_combo.setAccessibleName("Topic filter")
        self.topic_combo.setToolTip("Only passages about this topic (Ctrl+T)")
        self.topic_combo.addItem("All topics", "")
        self.topic_combo.setMinimumContentsLength(12)
        self.topic_combo.currentIndexChanged.connect(self._on_topic_changed)

        self.recent_menu = QMenu("&Recent questions", self)
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.recent_button = QToolButton()
        self.recent_button.setText("Recent")
        self.recent_button.setToolTip("Questions you asked before")
        self.recent_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.recent_button.setMenu(self.recent_menu)
        self.bookmarks_button = QToolButton()
        self.bookmarks_button.setText("★ Bookmarks")
        self.bookmarks_button.setToolTip("Show your bookmarked passages (Ctrl+B)")
        self.bookmarks_button.clicked.connect(self.show_bookmarks)

        top = QHBoxLayout()
        top.addWidget(self.search_box, 1)
        top.addWidget(self.topic_combo)
        top.addWidget(self.recent_button)
        top.addWidget(self.bookmarks_button)

        self.banner = QLabel(HINT)
        self.banner.setObjectName("banner")
        self.banner.setProperty("kind", "info")
        self.banner.setWordWrap(True)

        self.model = ResultsModel(self)
        self.delegate = ResultDelegate(self)
        self.results_view = ResultsView()
        self.results_view.setModel(self.model)
        self.results_view.setItemDelegate(self.delegate)
        self.results_view.open_requested.connect(self.open_result)
        self.results_view.back_to_search.connect(self.focus_search)
        self.results_view.selectionModel().currentChanged.connect(self._on_current_changed)

        self.detail = DetailPane()
        self.detail.judged.connect(self._on_judged)
        self.detail.bookmark_toggled.connect(self._on_bookmark_toggled)
        self.detail.back_to_search.connect(self.focus_search)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.results_view)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(12, 12, 12, 6)
        layout.setSpacing(8)
        layout.addLayout(top)
        layout.addWidget(self.banner)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

        QWidget.setTabOrder(self.search_box, self.results_view)
        QWidget.setTabOrder(self.results_view, self.detail.body)
        QWidget.setTabOrder(self.detail.body, self.detail.copy_button)
        QWidget.setTabOrder(self.detail.copy_button, self.detail.bookmark_button)
        QWidget.setTabOrder(self.detail.bookmark_button, self.detail.helpful_button)
        QWidget.setTabOrder(self.detail.helpful_button, self.detail.not_helpful_button)
        QWidget.setTabOrder(self.detail.not_helpful_button, self.topic_combo)

    def _action(self, menu: QMenu, text: str, slot: Any, shortcut: shortcuts.Shortcut | None = None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None and shortcut.keys:
            action.setShortcuts([QKeySequence(k) for k in shortcut.keys])
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        search = bar.addMenu("&Search")
        self._action(search, "Go to the search box", self.focus_search, shortcuts.FOCUS_SEARCH)
        self._action(search, "Choose a topic", self._focus_topic, shortcuts.TOPIC)
        search.addMenu(self.recent_menu)
        search.addSeparator()
        self._action(search, "Show bookmarks", self.show_bookmarks, shortcuts.BOOKMARKS)
        self._action(search, "Bookmark the open passage", self.detail.toggle_bookmark, shortcuts.TOGGLE_BOOKMARK)
        self._action(search, "Copy the open passage", self.detail.copy, shortcuts.COPY_PASSAGE)
        search.addSeparator()
        self._action(search, "Quit", self.close, shortcuts.QUIT)

        corpus = bar.addMenu("&Corpus")
        self.edit_corpus_action = self._action(
            corpus, "Edit, import, export…", self.open_corpus_editor, shortcuts.EDIT_CORPUS
        )
        self.check_corpus_action = self._action(corpus, "Check corpus…", self.check_corpus)
        self.check_corpus_action.setEnabled(False)  # enabled once core.safety is found to provide a check
        self.check_corpus_action.setToolTip("Needs core.safety's corpus check (not in this build).")
        self.train_action = self._action(corpus, "Train the reranker on your marks…", self.open_training)
        self.train_action.setEnabled(
            self.services.train_from_feedback is not None and self.services.feedback_summary is not None
        )
        corpus.addSeparator()
        self._action(corpus, "Settings…", self.open_settings, shortcuts.SETTINGS)

        view = bar.addMenu("&View")
        self._action(view, "Bigger text", lambda: self.change_font_size(+1), shortcuts.BIGGER)
        self._action(view, "Smaller text", lambda: self.change_font_size(-1), shortcuts.SMALLER)
        self._action(view, "Default text size", lambda: self.set_font_size(FONT_DEFAULT), shortcuts.DEFAULT_SIZE)
        view.addSeparator()
        self.theme_actions: dict[str, QAction] = {}
        group = QActionGroup(self)
        for theme in themes.THEMES.values():
            action = QAction(theme.label, self, checkable=True)
            action.setChecked(theme.name == self.theme.name)
            action.triggered.connect(lambda _=False, n=theme.name: self.set_theme(n))
            group.addAction(action)
            view.addAction(action)
            self.theme_actions[theme.name] = action
        self._action(view, "Night mode on/off", self.toggle_night_mode, shortcuts.NIGHT)

        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "Keyboard shortcuts…", self.show_shortcuts, shortcuts.HELP)
        listing = help_menu.addMenu("Shortcuts")
        for sc in shortcuts.ALL:
            item = QAction(f"{sc.label}\t{shortcuts.keys_text(sc)}", self)
            item.setEnabled(False)
            listing.addAction(item)
        self._action(help_menu, "About Survival Search", self.show_about)

    def _build_status_bar(self) -> None:
        self.status = StatusBar()
        self.setStatusBar(self.status)
        self.timing_label = self.status.timing_label
        self.embed_label = self.status.embed_label
        self.reranker_label = self.status.reranker_label
        self.count_label = self.status.count_label
        self.models.reranker_changed.connect(self._on_reranker_changed)
        self.models.encoder_changed.connect(self.status.set_encoder)
        self.models.embedding_progress.connect(self.status.embedding_progress)
        self.models.embedding_finished.connect(self.status.embedding_finished)
        self.models.embedding_finished.connect(self.embedding_finished)
        self.models.embedding_failed.connect(self._on_embedding_failed)

    # ================================================================== start-up
    def start(self, recovery: str = "none") -> None:
        """Open the corpus, then load the models, all in the background."""
        self.count_label.setText("Opening the corpus…")
        if self.engine is None and len(self.search_box.text().strip()) >= MIN_QUERY_CHARS:
            self._set_banner("info", WAITING)
        open_engine = self.services.open_engine
        self.ops.run(
            lambda: open_engine(recovery),
            lane="search",
            name="open the corpus",
            on_done=self._engine_opened,
            on_error=self._engine_failed,
        )

    def _engine_opened(self, engine: SearchEngine) -> None:
        if self._closing:
            engine.store.close()
            return
        self.engine = engine
        self.store = engine.store
        engine.settings.results = self.prefs.results
        engine.settings.candidates = self.prefs.candidates or None
        self._opened_stamp = self.store.stamp
        self.models.attach(engine)
        self._refresh_corpus_info()
        update = self.store.builtin_update
        if update is not None and update.summary():  # corrections to safety advice: said where it is read
            self.statusBar().showMessage(update.summary(), 15000)
            if not self.search_box.text().strip():
                self._set_banner("info", update.summary())
        self.engine_ready.emit()
        app = QApplication.instance()
        if app is not None:  # coming back from another program: it may have changed the corpus
            app.applicationStateChanged.connect(self._application_state_changed)
        if self._pending_search or self.search_box.text().strip():
            self._pending_search = False
            self.search_now(commit=False)
        self.models.load_all(self.prefs.reranker_folder or None, self.prefs.device)

    def _engine_failed(self, exc: BaseException) -> None:
        from core.errors import CorpusDamagedError

        self.count_label.setText("Corpus not opened")
        self._set_banner("warn", f"The corpus could not be opened. {exc}")
        if isinstance(exc, CorpusDamagedError):
            options = ["Restore the latest backup"] if exc.backups else []
            options.append("Start from the built-in corpus")
            choice = self.messages.choose(
                self,
                "The corpus is damaged",
                f"{exc}\n\nWhat should happen? Either way the damaged file is kept aside, nothing is deleted.",
                options,
                cancel="Leave it (quit)",
            )
            if choice is None:
                self.close()
                return
            recovery = "restore-latest" if options[choice].startswith("Restore") else "start-fresh"
            self._set_banner("info", "Recovering the corpus…")
            self.start(recovery)
            return
        self.messages.error(self, exc, "Could not open the corpus")

    def _refresh_corpus_info(self) -> None:
        store = self.store
        if store is None:
            return
        find_check = self.services.find_corpus_check

        def work() -> tuple[int, dict[str, int], set[str], Any]:
            check = find_check() if find_check is not None else None
            return store.count(), store.topic_counts(), set(store.bookmarks()), check

        self.ops.run(work, name="read corpus figures", on_done=self._corpus_info)

    def _corpus_info(self, info: tuple[int, dict[str, int], set[str], Any]) -> None:
        from core.store import TOPICS

        count, topic_counts, bookmarks, check = info
        self.status.set_count(count)
        self._corpus_check = check
        self.check_corpus_action.setEnabled(check is not None)
        if check is not None:
            self.check_corpus_action.setToolTip("Back up, check and repair the corpus, then report.")
        self._bookmarks = bookmarks
        current = self.topic_combo.currentData() or ""
        self.topic_combo.blockSignals(True)
        self.topic_combo.clear()
        self.topic_combo.addItem("All topics", "")
        extra = sorted(t for t in topic_counts if t not in TOPICS)
        for topic in (*TOPICS, *extra):
            n = topic_counts.get(topic, 0)
            self.topic_combo.addItem(f"{topic_label(topic)} ({n})" if n else topic_label(topic), topic)
        self.topic_combo.setCurrentIndex(max(0, self.topic_combo.findData(current)))
        self.topic_combo.blockSignals(False)
        if count == 0:
            self._set_banner("info", "The corpus is empty. Add or import passages with Corpus ▸ Edit (Ctrl+E).")

    # ================================================================== models
    @property
    def reranker_state(self) -> str:
        return self.models.reranker_state

    @property
    def reranker_why(self) -> str:
        return self.models.reranker_why

    @property
    def encoder(self) -> Any:
        return self.models.encoder

    def install_reranker(self, reranker: Any, why: str = "") -> None:
        self.models.install_reranker(reranker, why)

    def start_embedding(self) -> None:
        self.models.start_embedding()

    def _on_reranker_changed(self, state: str, why: str) -> None:
        self.status.set_reranker(state, why, self.models.reranker)
        if state != "loading":
            self._rerun()
        self.reranker_state_changed.emit(state)

    def _on_embedding_failed(self, exc: BaseException) -> None:
        self.status.embedding_failed(exc)
        self.messages.error(self, exc, "Computing embeddings failed")

    # ================================================================== searching
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.search_box and event.type() == QEvent.Type.KeyPress:
            key = event.key()  # type: ignore[attr-defined]
            if key in (Qt.Key.Key_Down, Qt.Key.Key_PageDown) and self.model.rowCount():
                self.focus_results()
                return True
            if key == Qt.Key.Key_Escape:
                if self.search_box.text():
                    self.search_box.clear()
                    self._on_text_edited("")
                return True
        return super().eventFilter(watched, event)

    def _on_text_edited(self, _text: str) -> None:
        self._mode = "search"
        self._debounce.start()

    def _on_topic_changed(self, _index: int) -> None:
        if self._mode == "search" and self.search_box.text().strip():
            self.search_now(commit=False)

    def set_query(self, query: str, *, commit: bool = True) -> None:
        """Put ``query`` in the box and search it at once."""
        self.search_box.setText(query)
        self._mode = "search"
        self.search_now(commit=commit)

    def search_now(self, *, commit: bool = False) -> None:
        """Search what the box holds (Enter, a pause in typing, a topic change)."""
        self._debounce.stop()
        self._mode = "search"
        query = self.search_box.text().strip()
        if commit and query:
            self.prefs.add_recent_query(query)
        if self.engine is None:
            self._pending_search = bool(query)
            if len(query) >= MIN_QUERY_CHARS:
                self._set_banner("info", WAITING)
            elif self.banner.text() == WAITING:
                self._set_banner("info", HINT)
            return
        self._search_seq += 1
        seq = self._search_seq
        if len(query) < MIN_QUERY_CHARS:
            self.model.clear()
            self.detail.clear()
            self._last_query_shown = ""
            self._set_banner("info", HINT)
            return
        topic = self.topic_combo.currentData() or ""
        topics = [topic] if topic else None
        engine, k = self.engine, self.prefs.results

        def first_stage() -> SearchResult | None:
            if seq != self._search_seq:  # a newer question came while this one waited
                return None
            return engine.search(query, k=k, topics=topics, rerank=False)

        def whole(ctx: Any) -> SearchResult | None:
            if seq != self._search_seq:
                return None
            return engine.search(query, k=k, topics=topics, on_first_stage=ctx.partial)

        # the first stage has a lane of its own, so it shows at once even while a rerank of an
        # earlier question is still running on the search lane
        self.ops.run(
            first_stage,
            lane="first",
            name="search",
            on_done=lambda r: self._show_result(seq, r, final=False),
            on_error=lambda exc: None,  # the whole search reports the same failure
        )
        self.ops.run(
            whole,
            lane="search",
            name="search",
            context=True,
            on_partial=lambda r: self._show_result(seq, r, final=False),
            on_done=lambda r: self._show_result(seq, r, final=True),
            on_error=lambda exc: self.messages.error(self, exc, "The search failed"),
        )

    def _show_result(self, seq: int, result: SearchResult | None, *, final: bool) -> None:
        if result is None or seq != self._search_seq or self._mode != "search":
            return
        if not final and seq in self._shown_seqs:
            return  # the first stage already came from the other lane, or the final order is in
        self._shown_seqs = {seq}
        new_query = result.query != self._last_query_shown
        self.model.set_result(result, query_terms(result.query))
        self.results_view.relayout()
        self._last_query_shown = result.query
        current = self.results_view.currentIndex()
        if new_query and not self.results_view.hasFocus():
            self.results_view.scrollToTop()
        elif current.isValid():
            self.results_view.scrollTo(current)
        self._update_banner(result)
        if current.isValid():
            hit = current.data(HitRole)
            if hit is not None and self.detail.hit is not None and self.detail.hit.id == hit.id:
                self.detail.show_hit(hit, result.query, self.model.terms, hit.id in self._bookmarks)
        elif result.hits:
            self._preview(result.hits[0])
        else:
            self.detail.clear()
        if not final:
            t = result.timings_ms
            self._first_stage_ms = t.get("first_stage_ms", t.get("total_ms", 0.0))
        else:
            self.status.set_timings(result, self._first_stage_ms)
        self.results_shown.emit(result, final)

    def _update_banner(self, result: SearchResult) -> None:
        """Everything the user should know about these results, warnings first, each on its line."""
        warnings: list[str] = []
        notes: list[str] = []
        if not result.hits:
            topic = self.topic_combo.currentData()
            hint = " or choose “All topics”" if topic else ""
            warnings.append(f"No passage matches these words. Try other words{hint}.")
        elif result.reranked and result.confident is False:
            nothing = NOTHING_ANSWERS in result.notice
            warnings.append(NOTHING_ANSWERS if nothing else NOT_CONFIDENT)
        shortened = re.search(r"[^.]*\bshortened\b[^.]*(?:\.|$)", result.notice)
        if shortened:
            notes.append(shortened.group(0).strip().rstrip(".") + ".")
        if result.hits and not result.reranked and self.reranker_state == "unavailable":
            reason = reranker_reason(self.reranker_why).rstrip(".")
            notes.append(f"These results are not reranked: {reason}. Corpus ▸ Settings (Ctrl+,) chooses a model.")
        self._set_banner("warn" if warnings else "info", "\n".join(warnings + notes))

    def _set_banner(self, kind: str, text: str) -> None:
        self.banner.setVisible(bool(text))
        self.banner.setText(text)
        if self.banner.property("kind") != kind:
            self.banner.setProperty("kind", kind)
            themes.repolish(self.banner)

    # ================================================================== results and reading
    def focus_search(self) -> None:
        self.search_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_box.selectAll()

    def focus_results(self) -> None:
        self.results_view.setFocus(Qt.FocusReason.OtherFocusReason)
        if not self.results_view.currentIndex().isValid() and self.model.rowCount():
            self.results_view.setCurrentIndex(self.model.index(0, 0))

    def _focus_topic(self) -> None:
        self.topic_combo.setFocus()
        self.topic_combo.showPopup()

    def _preview(self, hit: SearchHit) -> None:
        self.detail.show_hit(hit, self.model.query, self.model.terms, hit.id in self._bookmarks)

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        hit = current.data(HitRole) if current.isValid() else None
        if hit is not None:
            self._preview(hit)

    def open_result(self, index: QModelIndex) -> None:
        """Show the result in the reading pane and move the keyboard there."""
        hit = index.data(HitRole) if index.isValid() else None
        if hit is None:
            return
        self.results_view.setCurrentIndex(index)
        self._preview(hit)
        if self._mode == "search" and self.model.query:
            self.prefs.add_recent_query(self.model.query)
        self.detail.body.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_judged(self, query: str, passage_id: str, label: float) -> None:
        store = self.store
        if store is None:
            return
        self.prefs.add_recent_query(query)
        changed = self.detail.judgment(query, passage_id) is not None  # a second mark replaces the first
        self.ops.run(
            lambda: store.add_judgment(query, passage_id, label, origin="gui", replace=True),
            lane="db",
            name="save feedback",
            on_done=lambda _: self._judged(query, passage_id, label, changed),
            on_error=lambda exc: self._judgment_failed(exc),
        )

    def _judged(self, query: str, passage_id: str, label: float, changed: bool = False) -> None:
        self.detail.mark_judged(query, passage_id, label)
        how = "helpful" if label >= 0.5 else "not helpful"
        self.statusBar().showMessage(
            f"Mark changed to {how}; the earlier one is replaced." if changed else "Feedback saved for training.",
            4000,
        )

    def _judgment_failed(self, exc: BaseException) -> None:
        self.detail.judgment_failed()
        self.messages.error(self, exc, "Your feedback was not saved")

    def _on_bookmark_toggled(self, passage_id: str, on: bool) -> None:
        store = self.store
        if store is None:
            return
        self.ops.run(
            lambda: store.set_bookmark(passage_id, on),
            lane="db",
            name="save the bookmark",
            on_done=lambda _: self._bookmark_saved(passage_id, on),
            on_error=lambda exc: (self.detail.set_bookmarked(not on), self.messages.error(self, exc)),
        )

    def _bookmark_saved(self, passage_id: str, on: bool) -> None:
        if on:
            self._bookmarks.add(passage_id)
        else:
            self._bookmarks.discard(passage_id)
        self.statusBar().showMessage("Bookmarked." if on else "Bookmark removed.", 3000)
        if self._mode == "bookmarks":
            self.show_bookmarks()

    def show_bookmarks(self) -> None:
        """List the bookmarked passages (typing a question goes back to searching)."""
        store = self.store
        if store is None:
            return
        self._mode = "bookmarks"
        self._search_seq += 1
        self._debounce.stop()
        query = self.search_box.text().strip()
        if query:  # the box is for questions; the one asked stays a click away under Recent
            if len(query) >= MIN_QUERY_CHARS:
                self.prefs.add_recent_query(query)
            self.search_box.clear()

        def work() -> list[Any]:
            ids = store.bookmarks()
            found = store.get_many(ids)
            return [found[i] for i in ids if i in found]

        self.ops.run(work, name="read bookmarks", on_done=self._show_bookmarks)

    def _show_bookmarks(self, passages: list[Any]) -> None:
        from core.records import SearchHit

        if self._mode != "bookmarks":
            return
        self._bookmarks = {p.id for p in passages}
        hits = [
            SearchHit(p.id, p.title, p.text, p.source, p.section, p.topics, score=0.0, bm25_score=None, bm25_rank=None)
            for p in passages
        ]
        self.model.set_bookmarks(hits)
        self.results_view.relayout()
        self._last_query_shown = ""
        n = len(hits)
        self._set_banner(
            "info",
            f"Bookmarks: {n} passage{'s' if n != 1 else ''}. Type a question to search again."
            if n
            else "No bookmarks yet. Open a passage and press Ctrl+D (or ☆ Bookmark) to keep it here.",
        )
        if hits:  # also when the passage was open already: no question now, so no confidence or highlights
            current = self.results_view.currentIndex()
            hit = current.data(HitRole) if current.isValid() else None
            self._preview(hit if hit is not None else hits[0])
        else:
            self.detail.clear()

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.prefs.recent_queries
        metrics = self.recent_menu.fontMetrics()
        widest = max(240, int(self.width() * 0.6))
        for number, query in enumerate(recent, start=1):
            shown = metrics.elidedText(query, Qt.TextElideMode.ElideRight, widest).replace("&", "&&")
            action = self.recent_menu.addAction(f"&{number} {shown}" if number < 10 else shown)
            action.setToolTip(query)
            action.triggered.connect(lambda _=False, q=query: self.set_query(q))
        if not recent:
            empty = self.recent_menu.addAction("No questions yet")
            empty.setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear the list", self.prefs.clear_recent_queries)

    # ================================================================== appearance
    def set_theme(self, name: str) -> None:
        self.prefs.theme = name
        self.theme = themes.apply(QApplication.instance(), name, self.prefs.font_size)  # type: ignore[arg-type]
        self._apply_theme_to_widgets()

    def toggle_night_mode(self) -> None:
        self.set_theme("light" if self.theme.name == "night" else "night")

    def change_font_size(self, delta: int) -> None:
        self.set_font_size(self.prefs.font_size + delta)

    def set_font_size(self, size: int) -> None:
        size = max(FONT_MIN, min(FONT_MAX, size))
        self.prefs.font_size = size
        self.theme = themes.apply(QApplication.instance(), self.theme.name, size)  # type: ignore[arg-type]
        self._apply_theme_to_widgets()
        self.statusBar().showMessage(f"Text size {size} pt", 2000)

    def _apply_theme_to_widgets(self) -> None:
        self.delegate.theme = self.theme
        self.search_box.setClearButtonEnabled(self.theme.name != "night")  # its icon is white
        self.detail.set_theme(self.theme)
        action = getattr(self, "theme_actions", {}).get(self.theme.name)
        if action is not None:
            action.setChecked(True)
        self.results_view.relayout()
        self.results_view.viewport().update()

    # ================================================================== dialogs
    def open_corpus_editor(self) -> None:
        from .corpus_dialog import CorpusDialog

        if self.store is None:
            self.statusBar().showMessage("The corpus is still opening…", 3000)
            return
        if self._corpus_dialog is None:
            self._corpus_dialog = CorpusDialog(self.store, self.ops, self.messages, parent=self)
            self._corpus_dialog.changed.connect(self._on_corpus_changed)
        elif not self._corpus_dialog.isVisible():
            self._corpus_dialog.reload()
        self._corpus_dialog.show()
        self._corpus_dialog.raise_()
        self._corpus_dialog.activateWindow()

    def _application_state_changed(self, state: Qt.ApplicationState) -> None:
        if state == Qt.ApplicationState.ApplicationActive:
            self.check_other_writers()

    def check_other_writers(self) -> None:
        """Catch up with another program's writes (a second window, a command-line import) and show them."""
        engine = self.engine
        if engine is None or self._closing or self._checking_writers:
            return
        self._checking_writers = True

        def done(_caught_up_now: bool) -> None:
            self._checking_writers = False
            # also counts catch-ups an earlier search made (it renews the index but refreshes nothing here)
            changed = engine.other_writes_seen != self._other_writes_shown
            self._other_writes_shown = engine.other_writes_seen
            if changed and not self._closing:
                self.statusBar().showMessage("The corpus was changed by another program: its changes are shown.", 5000)
                self._on_corpus_changed([])
                if self._corpus_dialog is not None and self._corpus_dialog.isVisible():
                    self._corpus_dialog.reload()  # keeps the selection and any unsaved edit

        def failed(exc: BaseException) -> None:
            self._checking_writers = False
            log.warning("could not check the corpus for other programs' changes: %s", exc)

        self.ops.run(
            engine.follow_other_writers,
            lane="search",
            name="look for other programs' changes",
            on_done=done,
            on_error=failed,
        )

    def _on_corpus_changed(self, _ids: list[str]) -> None:
        """A passage was added, edited, deleted or imported: it is searchable now; embed it."""
        self._refresh_corpus_info()
        if self._mode == "search" and len(self.search_box.text().strip()) >= MIN_QUERY_CHARS:
            self.search_now(commit=False)
        elif self._mode == "bookmarks":
            self.show_bookmarks()
        self.start_embedding()
        self.corpus_changed.emit()

    def open_settings(self) -> None:
        from .settings_dialog import SettingsDialog

        problem = self.reranker_why if self.reranker_state == "unavailable" else ""
        dialog = SettingsDialog(
            self.prefs, self.ops, self.services.load_reranker, current_problem=problem, parent=self
        )
        dialog.accepted.connect(lambda: self._settings_accepted(dialog))
        dialog.finished.connect(lambda _: dialog.deleteLater())
        dialog.open()

    def open_training(self) -> None:
        from core import paths

        from .train_dialog import TrainDialog, default_output_folder

        train, summary, store = self.services.train_from_feedback, self.services.feedback_summary, self.store
        if train is None or summary is None or store is None:
            return
        dialog = TrainDialog(
            self.ops,
            store,
            self._current_model_folder(),
            default_output_folder(paths.data_dir() / "models"),
            train,
            summary,
            parent=self,
        )
        dialog.use_model.connect(self.use_trained_model)
        dialog.finished.connect(lambda _: self._training_closed(dialog))
        self.train_dialog = dialog
        dialog.open()

    def _training_closed(self, dialog: Any) -> None:
        if self.train_dialog is dialog:
            self.train_dialog = None
        dialog.deleteLater()

    def _current_model_folder(self) -> Path | None:
        """The folder of the reranker in use, else the configured (the training dialog says if it is unusable)
        or shipped one."""
        folder = getattr(self.models.reranker, "folder", None)
        if folder:
            return Path(folder)
        if self.prefs.reranker_folder:
            return Path(self.prefs.reranker_folder)
        from core.loading import default_model_dir

        return default_model_dir()

    def use_trained_model(self, folder: str) -> None:
        """Search with a model just trained in the app: remembered, then loaded in the background."""
        self.prefs.reranker_folder = folder
        self.models.load_reranker(folder, self.prefs.device)

    def _settings_accepted(self, dialog: Any) -> None:
        changes = dialog.save()
        if "theme" in changes or "font_size" in changes:
            self.theme = themes.apply(QApplication.instance(), self.prefs.theme, self.prefs.font_size)  # type: ignore[arg-type]
            self._apply_theme_to_widgets()
        engine = self.engine
        if engine is not None and ({"results", "candidates"} & changes):
            results, candidates = self.prefs.results, self.prefs.candidates or None

            def apply_settings() -> None:
                engine.settings.results = results
                engine.settings.candidates = candidates

            self.ops.run(apply_settings, lane="search", name="apply search settings", on_done=lambda _: self._rerun())
        if dialog.loaded_reranker is not None:
            self.install_reranker(dialog.loaded_reranker, "")
        elif {"reranker_folder", "device"} & changes:
            self.models.load_reranker(self.prefs.reranker_folder or None, self.prefs.device)

    def _rerun(self) -> None:
        if self._mode == "search" and len(self.search_box.text().strip()) >= MIN_QUERY_CHARS:
            self.search_now(commit=False)

    def check_corpus(self) -> None:
        check = self._corpus_check
        store = self.store
        if check is None or store is None:
            return
        self.statusBar().showMessage("Checking the corpus…")
        self.ops.run(
            lambda: check(store),
            lane="db",
            name="check the corpus",
            on_done=self._corpus_checked,
            on_error=lambda exc: self.messages.error(self, exc, "The corpus check failed"),
        )

    def _corpus_checked(self, report: Any) -> None:
        summary = report.summary() if hasattr(report, "summary") else str(report)
        self.statusBar().clearMessage()
        if getattr(report, "ok", True):
            self.messages.info(self, "Corpus check", summary)
        else:
            self.messages.warning(self, "Corpus check", summary)
        if getattr(report, "repaired", None):
            self._on_corpus_changed([])

    def show_shortcuts(self) -> None:
        from .help_dialog import ShortcutsDialog

        dialog = ShortcutsDialog(self)
        dialog.finished.connect(lambda _: dialog.deleteLater())
        dialog.open()

    def show_about(self) -> None:
        from core import __version__

        self.messages.info(
            self,
            "About Survival Search",
            f"Survival Search {__version__}\n\nOffline answers from a local library of survival passages: "
            "BM25 and embeddings find candidates, a cross-encoder puts the best first.",
        )

    def _on_unhandled(self, name: str, exc: BaseException) -> None:
        self.messages.error(self, exc, f"Could not {name}")

    # ================================================================== closing
    def closeEvent(self, event: QCloseEvent) -> None:
        dialog = self._corpus_dialog
        if dialog is not None and dialog.isVisible() and not dialog.close():
            event.ignore()
            return
        trainer = self.train_dialog
        if trainer is not None and trainer.isVisible() and not trainer.close():
            event.ignore()  # training stops at the end of its step, then its dialog closes; close again then
            self.statusBar().showMessage("Stopping the training first…", 5000)
            return
        self._closing = True
        self.prefs.set_window_state("geometry", self.saveGeometry())
        self.prefs.set_window_state("splitter", self.splitter.saveState())
        self.messages.close_all()
        self.models.stop()
        if not self.ops.shutdown(timeout_ms=15000):
            log.warning("background work still running at exit")
        engine = self.engine
        if engine is not None:
            try:
                if engine.store.stamp != self._opened_stamp:
                    engine.save_index()
            except Exception:  # a cache: losing it costs the next start-up time only
                log.exception("could not save the search index")
        super().closeEvent(event)
