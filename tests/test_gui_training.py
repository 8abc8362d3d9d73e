"""Corpus ▸ Train the reranker on your marks: counts the marks, trains in the background, offers the model."""

from __future__ import annotations

pytest_plugins = ["tests.gui_support"]  # the GUI fixtures: make_window, gui_app, prefs_path


def _mark(store, marks):
    for query, passage_id, label in marks:
        store.add_judgment(query, passage_id, label)


def _open_dialog(qtbot, window, base, output):
    window.train_action.trigger()
    dialog = window.train_dialog
    qtbot.waitUntil(lambda: dialog.summary is not None)
    dialog.set_base(base)
    dialog.output_edit.setText(str(output))
    return dialog


def test_training_from_marks_writes_a_model_the_window_then_uses(qtbot, make_window, store, tmp_path,
                                                                 tiny_cross_encoder):
    from core.search import PIPELINE_CONFIG

    _mark(store, [("how long to boil water", "s-001", 1.0), ("how long to boil water", "s-006", 0.0),
                  ("friend shivering confused", "s-003", 1.0), ("friend shivering confused", "s-005", 0.0)])
    loaded = []
    window = make_window(load_reranker=lambda folder, device: (loaded.append(folder), (None, "test"))[1])
    dialog = _open_dialog(qtbot, window, tiny_cross_encoder, tmp_path / "mine")
    assert "<b>2</b> answers helpful and <b>2</b> not helpful, for 2 questions" in dialog.marks_label.text()
    assert dialog.train_button.isEnabled()
    steps = []
    dialog.progress.valueChanged.connect(steps.append)
    dialog.train_button.click()
    assert not dialog.train_button.isEnabled() and dialog.stop_button.isVisible()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=60000)
    assert steps and steps[-1] == dialog.progress.maximum() == 3  # 4 pairs, batch 8, 3 epochs
    assert "2 helpful and 2 not-helpful examples" in dialog.status_label.text()
    assert (tmp_path / "mine" / "config.json").is_file()
    assert not (tmp_path / "mine" / PIPELINE_CONFIG).exists()  # the tiny base has no calibration to keep
    assert dialog.use_button.isVisible()
    dialog.use_button.click()
    qtbot.waitUntil(lambda: loaded and loaded[-1] == str(tmp_path / "mine"))
    assert window.prefs.reranker_folder == str(tmp_path / "mine")


def test_training_needs_marks_and_a_free_folder(qtbot, make_window, store, tmp_path, tiny_cross_encoder):
    window = make_window()
    dialog = _open_dialog(qtbot, window, tiny_cross_encoder, tmp_path / "mine")
    assert "not marked any answers yet" in dialog.marks_label.text()
    assert not dialog.train_button.isEnabled()
    dialog.reject()

    _mark(store, [("how long to boil water", "s-001", 1.0)])
    dialog = _open_dialog(qtbot, window, tiny_cross_encoder, tmp_path / "mine")
    assert "Mark some answers <b>Not helpful</b> too" in dialog.marks_label.text()
    assert not dialog.train_button.isEnabled()
    dialog.mine_check.setChecked(True)  # learn from close passages instead
    assert dialog.train_button.isEnabled()
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "keep.txt").write_text("mine")
    dialog.output_edit.setText(str(tmp_path / "taken"))
    assert not dialog.train_button.isEnabled() and "not empty" in dialog.train_button.toolTip()
    dialog.output_edit.setText(str(tiny_cross_encoder))
    assert not dialog.train_button.isEnabled()
    dialog.reject()


def test_stopping_writes_nothing_and_closing_waits_for_the_stop(qtbot, make_window, store, tmp_path,
                                                                tiny_cross_encoder):
    import threading

    from core.training import train_from_feedback

    _mark(store, [("how long to boil water", "s-001", 1.0), ("how long to boil water", "s-006", 0.0)])
    release = threading.Event()

    def slow_train(*args, progress=None, **kwargs):  # one step, then wait to be stopped
        def held(step, total, loss):
            progress(step, total, loss)
            release.wait(10)

        return train_from_feedback(*args, progress=held, **kwargs)

    window = make_window()
    window.services.train_from_feedback = slow_train
    dialog = _open_dialog(qtbot, window, tiny_cross_encoder, tmp_path / "mine")
    dialog.epochs_spin.setValue(5)
    dialog.train_button.click()
    qtbot.waitUntil(lambda: dialog.progress.value() >= 1, timeout=60000)
    dialog.reject()  # closing while training: it stops first
    assert dialog.isVisible() and "Stopping" in dialog.status_label.text()
    with qtbot.waitSignal(dialog.finished, timeout=60000):  # closes once the running step is over
        release.set()
    assert not [p for p in tmp_path.iterdir() if "mine" in p.name]  # no model and no temporary folder
