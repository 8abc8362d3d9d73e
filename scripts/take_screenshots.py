"""Take the README's screenshots from the real window (real corpus, real models), under Xvfb.

    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python scripts/take_screenshots.py [--model DIR]

Writes docs/main-window.png, docs/detail-pane.png, docs/night-mode.png,
docs/corpus-dialog.png and docs/train-dialog.png (it trains a model on two marks).
The corpus is a fresh copy of the built-in one in a temporary data folder, so the
user's own corpus, models and settings are never touched.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def wait_until(app, condition: Callable[[], bool], timeout: float = 120.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not get there in time")
        app.processEvents()
        time.sleep(0.02)


def settle(app, seconds: float = 0.4) -> None:  # noqa: ANN001
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", help="reranker folder (default: the shipped one, if installed)")
    parser.add_argument("--out", default=str(ROOT / "docs"), help="where the PNGs go")
    parser.add_argument("--query", default="friend is shivering and confused")
    args = parser.parse_args()

    home = tempfile.mkdtemp(prefix="survival-screens-")
    os.environ["SURVIVAL_SEARCH_HOME"] = home
    from app.main import application, create_window
    from app.preferences import Preferences

    app = application()
    prefs = Preferences.at(Path(home) / "settings.ini")
    prefs.font_size = 11
    if args.model:
        prefs.reranker_folder = args.model
    window = create_window(prefs=prefs)
    window.messages.auto_answer = None
    window.resize(1320, 820)
    window.show()
    window.start()
    wait_until(app, lambda: window.engine is not None and window.reranker_state != "loading")
    wait_until(app, lambda: window.embed_label.text() in ("Embeddings: on", "Embeddings: off"))
    wait_until(app, lambda: window.ops.active == 0)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    finals: list[object] = []
    window.results_shown.connect(lambda result, final: finals.append(result) if final else None)
    window.set_query(args.query)
    wait_until(app, lambda: bool(finals))
    settle(app)
    window.grab().save(str(out / "main-window.png"))
    print("main window:", window.reranker_label.text(), "|", window.timing_label.text())

    window.focus_results()
    window.results_view.setCurrentIndex(window.model.index(1, 0))
    window.open_result(window.model.index(1, 0))
    window.detail.helpful_button.click()
    wait_until(app, lambda: "Saved" in window.detail.feedback_note.text())
    settle(app)
    window.grab().save(str(out / "detail-pane.png"))

    window.set_theme("night")
    settle(app)
    window.grab().save(str(out / "night-mode.png"))
    window.set_theme("light")

    window.open_corpus_editor()
    dialog = window._corpus_dialog
    wait_until(app, lambda: dialog.model.rowCount() > 0)
    dialog.resize(1240, 760)
    dialog.filter_box.setText("water")
    wait_until(app, lambda: "matching" in dialog.count_label.text())
    dialog.table.setFocus()
    dialog.select_id(dialog.model.id_at(2) or "")
    wait_until(app, lambda: dialog.editor.passage_id is not None)
    settle(app)
    dialog.grab().save(str(out / "corpus-dialog.png"))
    dialog.hide()

    window.open_result(window.model.index(2, 0))  # a second mark, so there is something to learn from
    window.detail.not_helpful_button.click()
    wait_until(app, lambda: "Saved" in window.detail.feedback_note.text())
    window.open_training()
    trainer = window.train_dialog
    wait_until(app, lambda: trainer.summary is not None)
    trainer.train_button.click()
    wait_until(app, lambda: trainer.report is not None or trainer.job is None and trainer.status_label.text() != "")
    settle(app)
    trainer.grab().save(str(out / "train-dialog.png"))
    print("training dialog:", trainer.status_label.text())
    trainer.reject()

    window.close()
    print("wrote", ", ".join(sorted(p.name for p in out.glob("*.png"))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
