"""Reports of a run: a JSON document (the machine-readable truth, what `compare` reads), a
self-contained HTML page (per-case transcript, tool calls, recalled chunks, each check), the
terminal summary, and the comparison of two runs."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from rich.console import Console
from rich.table import Table

from evals.cases import Case
from evals.checks import RECALL_K, CaseOutcome

REPORT_VERSION = 1
HEADLINE = [
    ("pass_rate", "pass rate", "pct"),
    ("tool_precision", "tool precision", "pct"),
    ("tool_recall", "tool recall", "pct"),
    ("escalation_precision", "escalation precision", "pct"),
    ("escalation_recall", "escalation recall", "pct"),
    ("opt_out_accuracy", "opt-out accuracy", "pct"),
    ("followup_pass_rate", "follow-up checks", "pct"),
    ("groundedness", "groundedness", "pct"),
    ("groundedness_violations", "must-not-mention violations", "int"),
    ("leak_violations", "leak violations", "int"),
    ("wrong_recipient_violations", "wrong-recipient violations", "int"),
    (f"retrieval_recall_at_{RECALL_K}", f"retrieval recall@{RECALL_K}", "pct"),
    ("latency_ms_p50", "turn latency p50 (ms)", "ms"),
    ("latency_ms_p95", "turn latency p95 (ms)", "ms"),
    ("prompt_tokens_mean", "prompt tokens per turn (mean)", "num"),
]


def fmt(value: Any, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "pct":
        return f"{100 * value:.1f}%"
    if kind == "int":
        return str(int(value))
    return f"{value:.0f}" if kind in ("ms", "num") else str(value)


def build_report(
    cases: list[Case], outcomes: list[CaseOutcome], summary: dict[str, Any], meta: dict[str, Any]
) -> dict[str, Any]:
    by_id = {c.id: c for c in cases}
    rows = []
    for outcome in outcomes:
        case = by_id[outcome.case_id]
        data = asdict(outcome)
        data["passed"] = outcome.passed
        data["description"] = case.description
        data["tags"] = case.tags
        data["failed_checks"] = [
            f"{'turn ' + str(t.index + 1) + ': ' if t else ''}{c.name}: {c.detail}"
            for t, c in _checks_with_turns(outcome)
            if not c.passed
        ]
        for turn_data, turn in zip(data["turns"], outcome.turns, strict=True):
            turn_data["passed"] = turn.passed
        rows.append(data)
    return {"version": REPORT_VERSION, "meta": meta, "summary": summary, "cases": rows}


def _checks_with_turns(outcome: CaseOutcome) -> list[tuple[Any, Any]]:
    pairs: list[tuple[Any, Any]] = [(t, c) for t in outcome.turns for c in t.checks]
    return pairs + [(None, c) for c in outcome.checks]


def write_reports(report: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, html_path = out_dir / "report.json", out_dir / "report.html"
    json_path.write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str), "utf-8")
    html_path.write_text(render_html(report), "utf-8")
    return json_path, html_path


def render_html(report: dict[str, Any]) -> str:
    env = Environment(
        loader=PackageLoader("evals", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = fmt
    template = env.get_template("report.html")
    return template.render(report=report, headline=HEADLINE)


def print_summary(console: Console, report: dict[str, Any], *, failures: bool = True) -> None:
    summary = report["summary"]
    table = Table(title=f"Hilo eval — {summary['cases']} cases, {summary['turns']} turns")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, label, kind in HEADLINE:
        table.add_row(label, fmt(summary.get(key), kind))
    console.print(table)
    tags = Table(title="by tag")
    tags.add_column("tag")
    tags.add_column("cases", justify="right")
    tags.add_column("pass rate", justify="right")
    for tag, row in summary["by_tag"].items():
        tags.add_row(tag, str(row["cases"]), fmt(row["pass_rate"], "pct"))
    console.print(tags)
    failed = [c for c in report["cases"] if not c["passed"]]
    if failed and failures:
        fails = Table(title=f"failed cases ({len(failed)})")
        fails.add_column("case")
        fails.add_column("first failures")
        for case in failed:
            reason = case["error"] or "; ".join(case["failed_checks"][:3])
            fails.add_row(case["case_id"], reason)
        console.print(fails)


def load_report(path: Path) -> dict[str, Any]:
    try:
        report = json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable eval report ({exc})") from exc
    if not isinstance(report, dict) or report.get("version") != REPORT_VERSION:
        raise ValueError(f"{path}: not a Hilo eval report (version {REPORT_VERSION})")
    return report


def compare_reports(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """What changed from run `a` to run `b`: cases that regressed or improved, metric deltas."""
    before = {c["case_id"]: c for c in a["cases"]}
    after = {c["case_id"]: c for c in b["cases"]}
    regressions = [
        {"case_id": cid, "failed_checks": after[cid]["failed_checks"] or [after[cid]["error"]]}
        for cid in after
        if cid in before and before[cid]["passed"] and not after[cid]["passed"]
    ]
    improvements = [
        cid for cid in after if cid in before and not before[cid]["passed"] and after[cid]["passed"]
    ]
    metrics = {}
    for key, label, kind in HEADLINE:
        x, y = a["summary"].get(key), b["summary"].get(key)
        metrics[key] = {"label": label, "kind": kind, "a": x, "b": y}
    return {
        "regressions": regressions,
        "improvements": improvements,
        "only_in_a": sorted(set(before) - set(after)),
        "only_in_b": sorted(set(after) - set(before)),
        "metrics": metrics,
    }


def print_comparison(console: Console, diff: dict[str, Any]) -> None:
    table = Table(title="A → B")
    table.add_column("metric")
    table.add_column("A", justify="right")
    table.add_column("B", justify="right")
    for row in diff["metrics"].values():
        a, b = fmt(row["a"], row["kind"]), fmt(row["b"], row["kind"])
        style = "" if a == b else "bold"
        table.add_row(row["label"], a, b, style=style)
    console.print(table)
    for item in diff["regressions"]:
        console.print(f"[red]regressed[/red] {item['case_id']}: {'; '.join(item['failed_checks'])}")
    for cid in diff["improvements"]:
        console.print(f"[green]improved[/green] {cid}")
    for cid in diff["only_in_a"]:
        console.print(f"only in A: {cid}")
    for cid in diff["only_in_b"]:
        console.print(f"only in B: {cid}")
    console.print(
        f"{len(diff['regressions'])} regression(s), {len(diff['improvements'])} improvement(s)"
    )
