import json
import subprocess
import sys

from core.cli import build_parser, main


def _run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_every_command_has_help():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, command in sub.choices.items():
        assert command.format_help().strip(), name
        assert any(a.dest == "db" for a in command._actions), f"{name} lacks --db"


def test_import_ask_json_and_export(tmp_path, capsys):
    db = str(tmp_path / "c.sqlite")
    doc = tmp_path / "water.md"
    doc.write_text("# Water\n\n" + "Boil stream water for one minute before drinking it. " * 8, encoding="utf-8")
    code, out, _ = _run(capsys, "import", str(doc), "--db", db, "--no-embed")
    assert code == 0 and "1 passage added" in out
    code, out, err = _run(
        capsys,
        "ask",
        "is stream water safe to drink",
        "--db",
        db,
        "--json",
        "--no-dense",
        "--model",
        str(tmp_path / "nope"),
    )
    payload = json.loads(out)
    assert payload["reranked"] is False and payload["model"] is None
    assert payload["results"][0]["source"] == "water.md"
    assert set(payload["results"][0]) >= {"id", "title", "text", "source", "score", "bm25_score", "rerank_score"}
    assert "does not exist" in err
    code, out, _ = _run(capsys, "export", str(tmp_path / "out.jsonl"), "--db", db)
    assert code == 0 and (tmp_path / "out.jsonl").exists()


def test_batch_queries(tmp_path, capsys, tiny_cross_encoder):
    db = str(tmp_path / "c.sqlite")
    doc = tmp_path / "fire.txt"
    doc.write_text("Dry tinder catches sparks from a ferro rod. " * 10, encoding="utf-8")
    _run(capsys, "import", str(doc), "--db", db, "--no-embed")
    queries = tmp_path / "q.jsonl"
    queries.write_text('{"qid": "a", "query": "tinder"}\n{"qid": "b", "query": "ferro rod"}\n', encoding="utf-8")
    code, out, _ = _run(
        capsys,
        "ask",
        "--queries",
        str(queries),
        "--json",
        "--db",
        db,
        "--no-dense",
        "--model",
        str(tiny_cross_encoder),
        "--device",
        "cpu",
    )
    lines = [json.loads(x) for x in out.splitlines()]
    assert [x["qid"] for x in lines] == ["a", "b"] and all(x["reranked"] for x in lines)


def test_eval_reports_metrics(tmp_path, capsys):
    db = str(tmp_path / "c.sqlite")
    doc = tmp_path / "w.txt"
    doc.write_text("Zorbulate the quux for one minute.\n\n" + "filler words here " * 30, encoding="utf-8")
    _run(capsys, "import", str(doc), "--db", db, "--no-embed")
    queries = tmp_path / "q.jsonl"
    queries.write_text(json.dumps({"qid": "q1", "query": "zorbulate quux", "answers": ["zorbulate the quux"]}) + "\n")
    code, out, _ = _run(capsys, "eval", str(queries), "--db", db, "--no-rerank", "--no-dense", "--json")
    assert json.loads(out)["ndcg@10"] == 1.0


def test_bad_input_is_a_message_not_a_traceback(tmp_path, capsys):
    code, _, err = _run(capsys, "ask", "--db", str(tmp_path / "c.sqlite"))
    assert code == 1 and "Give a question" in err


def test_core_imports_without_pyside6():
    code = (
        "import sys; sys.modules['PySide6'] = None\n"
        "import core.cli, core.search, core.store, core.importers, core.evaluation\n"
        "assert 'PySide6' not in [m for m in sys.modules if sys.modules[m] is not None]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_db_option_works_before_and_after_the_command(tmp_path, capsys):
    before, after = tmp_path / "before.sqlite", tmp_path / "after.sqlite"
    doc = tmp_path / "n.txt"
    doc.write_text("Quicksand: lean back, spread your weight and move slowly to firm ground. " * 6, encoding="utf-8")
    assert main(["--db", str(before), "import", str(doc), "--no-embed"]) == 0
    assert main(["import", str(doc), "--db", str(after), "--no-embed"]) == 0
    capsys.readouterr()
    from core.store import CorpusStore

    for path in (before, after):
        with CorpusStore(path) as store:
            assert any("Quicksand" in p.text for p in store.iter_passages())
