"""The ops layer: work runs off the UI thread, outcomes arrive on it, failures are never lost."""

from __future__ import annotations

import threading
import time

import pytest

from app.ops import Ops


@pytest.fixture
def ops(qapp):
    ops = Ops()
    yield ops
    ops.shutdown(5000)


def test_work_runs_on_a_worker_and_the_result_arrives_on_the_main_thread(qtbot, ops):
    seen = {}
    main = threading.get_ident()

    def work():
        seen["worker"] = threading.get_ident()
        return 42

    job = ops.run(work, on_done=lambda value: seen.update(done=(value, threading.get_ident())))
    qtbot.waitUntil(lambda: job.done)
    assert seen["worker"] != main
    assert seen["done"] == (42, main)
    assert ops.active == 0


def test_a_failure_goes_to_on_error_or_to_unhandled(qtbot, ops):
    errors = []
    ops.run(lambda: 1 / 0, on_error=errors.append)
    qtbot.waitUntil(lambda: len(errors) == 1)
    assert isinstance(errors[0], ZeroDivisionError)
    with qtbot.waitSignal(ops.unhandled, timeout=5000) as blocker:
        ops.run(lambda: {}["missing"], name="read something")
    assert blocker.args[0] == "read something" and isinstance(blocker.args[1], KeyError)


def test_the_db_lane_runs_one_job_at_a_time_in_order(qtbot, ops):
    order = []
    running = []

    def write(n):
        running.append(n)
        assert len(running) == 1
        time.sleep(0.02)
        order.append(n)
        running.remove(n)

    jobs = [ops.run(lambda n=n: write(n), lane="db") for n in range(5)]
    qtbot.waitUntil(lambda: all(j.done for j in jobs))
    assert order == [0, 1, 2, 3, 4]
    assert all(j.error is None for j in jobs)


def test_progress_partial_results_and_cancellation(qtbot, ops):
    progress, partial = [], []

    def work(ctx):
        ctx.partial("first")
        for n in range(200):
            if ctx.cancelled():
                return "stopped"
            ctx.progress(n, 200, "")
            time.sleep(0.005)
        return "finished"

    job = ops.run(work, context=True, on_progress=lambda d, t, _: progress.append(d), on_partial=partial.append)
    qtbot.waitUntil(lambda: len(progress) >= 3)
    job.cancel()
    qtbot.waitUntil(lambda: job.done)
    assert job.result == "stopped" and partial == ["first"]


def test_unknown_lane_is_refused(ops):
    with pytest.raises(ValueError):
        ops.run(lambda: None, lane="nowhere")
