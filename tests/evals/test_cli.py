"""`hilo eval run` and `hilo eval compare` end to end: dataset errors, reports, gates."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from server.cli import app
from tests.evals.test_checks_catch import BUDGET, CALL, PHONE

runner = CliRunner()


def line(case_id: str, expect: dict[str, object]) -> str:
    return json.dumps(
        {
            "id": case_id,
            "description": f"budget recall ({case_id})",
            "tags": ["recall"],
            "customer": {"phone": PHONE, "name": "Alejandro"},
            "call": copy.deepcopy(CALL),
            "followup": {"mentions_any": [["Alejandro"]]},
            "turns": [{"customer": BUDGET, "evidence": [3], "expect": expect}],
        },
        ensure_ascii=False,
    )


@pytest.fixture
def eval_env(pg_admin_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("HILO_EVAL_DATABASE_URL", pg_admin_url)
    monkeypatch.setenv("HILO_LLM", "rules")
    monkeypatch.setenv("HILO_DATA_DIR", str(tmp_path / "hilo"))
    for name in ("OPENAI_API_KEY", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_malformed_line_names_file_line_case_and_field(eval_env: Path) -> None:
    dataset = eval_env / "bad.jsonl"
    good = line("ok-1", {"mentions_any": [["500"]]})
    bad = json.loads(line("bad-2", {}))
    bad["turns"][0]["expect"]["escalate"] = "sometimes"
    dataset.write_text(good + "\n" + json.dumps(bad) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["eval", "run", str(dataset)])
    assert result.exit_code == 2, result.output
    out = " ".join(result.output.split())
    assert f"{dataset}:2" in out and "'bad-2'" in out and "turns.0.expect.escalate" in out


def test_a_made_up_phone_number_is_refused_before_anything_runs(eval_env: Path) -> None:
    case = json.loads(line("uk-1", {}))
    case["customer"]["phone"] = "+447911402318"  # a possible UK mobile, in no allocated range
    dataset = eval_env / "phone.jsonl"
    dataset.write_text(json.dumps(case) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["eval", "run", str(dataset)])
    assert result.exit_code == 2, result.output
    out = " ".join(result.output.split())
    assert "'uk-1'" in out and "customer.phone" in out and "not a valid phone number" in out


def test_unparseable_json_and_duplicate_ids_are_refused(eval_env: Path) -> None:
    broken = eval_env / "broken.jsonl"
    broken.write_text('{"id": "x", "customer": \n', encoding="utf-8")
    result = runner.invoke(app, ["eval", "run", str(broken)])
    assert result.exit_code == 2 and "not valid JSON" in result.output
    twice = eval_env / "twice.jsonl"
    twice.write_text(line("same", {}) + "\n" + line("same", {}) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["eval", "run", str(twice)])
    assert result.exit_code == 2 and "already used" in " ".join(result.output.split())


def test_run_writes_json_and_html_reports_and_compare_finds_the_regression(
    eval_env: Path,
) -> None:
    before, after = eval_env / "before.jsonl", eval_env / "after.jsonl"
    before.write_text(
        line("budget", {"mentions_any": [["500", "quinientos"]]}) + "\n", encoding="utf-8"
    )
    # The same case with an expectation the agent does not meet: a regression from A to B.
    after.write_text(line("budget", {"mentions_any": [["800"]]}) + "\n", encoding="utf-8")
    out_a, out_b = eval_env / "a", eval_env / "b"
    result = runner.invoke(app, ["eval", "run", str(before), "--out", str(out_a)])
    assert result.exit_code == 0, result.output
    assert "pass rate" in result.output and "100.0%" in result.output
    report = json.loads((out_a / "report.json").read_text("utf-8"))
    assert report["summary"]["passed"] == 1 and report["summary"]["retrieval_recall_at_3"] == 1.0
    turn = report["cases"][0]["turns"][0]
    assert turn["tool_calls"] and turn["recalled"] and turn["checks"]
    html = (out_a / "report.html").read_text("utf-8")
    assert "budget" in html and "recall_conversations" in html and "mentions" in html
    assert "<script src" not in html and "<link" not in html  # self-contained

    result = runner.invoke(
        app, ["eval", "run", str(after), "--out", str(out_b), "--min-pass", "0.9"]
    )
    assert result.exit_code == 1 and "gate missed" in result.output
    result = runner.invoke(
        app, ["eval", "compare", str(out_a / "report.json"), str(out_b / "report.json")]
    )
    assert result.exit_code == 1
    assert "regressed" in result.output and "budget" in result.output


def test_only_runs_the_named_case_and_refuses_unknown_ids(eval_env: Path) -> None:
    dataset = eval_env / "two.jsonl"
    dataset.write_text(line("one", {}) + "\n" + line("two", {}) + "\n", encoding="utf-8")
    out = eval_env / "only"
    result = runner.invoke(app, ["eval", "run", str(dataset), "--only", "two", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert [c["case_id"] for c in json.loads((out / "report.json").read_text())["cases"]] == ["two"]
    result = runner.invoke(app, ["eval", "run", str(dataset), "--only", "three"])
    assert result.exit_code == 2 and "three" in result.output


def test_llm_fake_openai_runs_the_cases_through_chatopenai_offline(eval_env: Path) -> None:
    dataset = eval_env / "one.jsonl"
    dataset.write_text(line("budget", {"mentions_any": [["500", "quinientos"]]}) + "\n", "utf-8")
    out = eval_env / "fake"
    result = runner.invoke(
        app, ["eval", "run", str(dataset), "--llm", "fake-openai", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert report["meta"]["llm"] == "fake-openai" and report["summary"]["passed"] == 1
    assert "recall_conversations" in [
        c["name"] for c in report["cases"][0]["turns"][0]["tool_calls"]
    ]


def test_aggregate_only_prints_the_figures_without_case_ids_or_failures(eval_env: Path) -> None:
    dataset = eval_env / "held.jsonl"
    failing = line("held-case-7", {"mentions_any": [["800"]]})
    dataset.write_text(failing + "\n", encoding="utf-8")
    out = eval_env / "held"
    shown = runner.invoke(app, ["eval", "run", str(dataset)])
    assert "held-case-7" in shown.output and "800" in shown.output  # the default names failures
    result = runner.invoke(
        app, ["eval", "run", str(dataset), "--aggregate-only", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "pass rate" in result.output and "0.0%" in result.output and "recall" in result.output
    assert "held-case-7" not in result.output and "800" not in result.output
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert report["cases"][0]["case_id"] == "held-case-7"  # the files still hold every case
