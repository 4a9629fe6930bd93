"""`hilo eval run DATASET…` and `hilo eval compare A.json B.json`: offline evaluations."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import subprocess
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from server.cli_format import HiloTyper

console = Console()
eval_app = HiloTyper(no_args_is_help=True, help="Offline evaluation on recorded conversations.")


def register(app: typer.Typer) -> None:
    app.add_typer(eval_app, name="eval")


def _commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except OSError:
        return None
    return out.stdout.strip() or None


@eval_app.command(
    "run",
    epilog="Examples:  hilo eval run evals/datasets/ventas_es.jsonl --llm rules "
    "--out evals/reports  ·  hilo eval run evals/datasets/*.jsonl --min-pass 0.8",
)
def run(
    datasets: list[Path] = typer.Argument(..., help="JSON Lines files of cases."),
    llm: str = typer.Option(
        None,
        "--llm",
        help="rules, openai, or fake-openai: ChatOpenAI against a local fake OpenAI server "
        "whose answers are the rules model's, read from the HTTP request alone (default: "
        "HILO_LLM, else openai with a key).",
    ),
    out: Path = typer.Option(None, "--out", help="Directory for report.json and report.html."),
    only: list[str] = typer.Option([], "--only", help="Run just this case id (repeatable)."),
    min_pass: float = typer.Option(
        None, "--min-pass", min=0.0, max=1.0, help="Exit 1 if the pass rate is below this."
    ),
    min_recall: float = typer.Option(
        None, "--min-recall", min=0.0, max=1.0, help="Exit 1 if retrieval recall@3 is below."
    ),
    judge: bool = typer.Option(False, "--judge", help="Add LLM-as-judge scores (needs an LLM)."),
    aggregate_only: bool = typer.Option(
        False,
        "--aggregate-only",
        help="Print only the figures and the per-tag table, no case ids or failures (for a "
        "held-out split nobody may tune on; the report files still hold every case).",
    ),
) -> None:
    """Run cases on a throwaway database through the real ingest and turn code.

    Exits 1 when a gate is missed: any leak or wrong-recipient violation (always), or the pass
    rate / retrieval recall below `--min-pass` / `--min-recall`; 2 on a malformed dataset.
    """
    from config import Settings
    from evals.cases import DatasetError, load_cases
    from evals.checks import RECALL_K, CaseOutcome
    from evals.metrics import summarize
    from evals.report import build_report, print_summary, write_reports
    from evals.runner import Evaluator
    from server.logging_setup import configure_logging

    configure_logging("text", logging.ERROR)
    try:
        cases = load_cases(datasets, only=only)
    except DatasetError as exc:
        console.print(f"[red]dataset error:[/red] {exc}", soft_wrap=True, markup=True)
        raise typer.Exit(2) from None
    if not cases:
        console.print("[red]no cases in the dataset[/red]")
        raise typer.Exit(2)
    if llm not in (None, "rules", "openai", "fake-openai"):
        raise typer.BadParameter("must be rules, openai or fake-openai", param_hint="--llm")
    fake = llm == "fake-openai"
    update: dict[str, Any] = {"llm": llm} if llm and not fake else {}
    settings = Settings().model_copy(update=update)
    if fake and (judge or settings.embeddings == "openai"):
        raise typer.BadParameter("fake-openai runs offline: no --judge, local embeddings")
    if settings.llm == "openai" and settings.openai_api_key is None and not fake:
        raise typer.BadParameter("openai needs OPENAI_API_KEY", param_hint="--llm")
    if judge and settings.openai_api_key is None:
        raise typer.BadParameter("the judge needs an LLM: set OPENAI_API_KEY", param_hint="--judge")
    started = dt.datetime.now(dt.UTC)

    async def go() -> list[CaseOutcome]:
        with ExitStack() as stack:
            run_settings = settings
            if fake:
                from evals.fake_llm import FakeOpenAIServer, RulesBrain, fake_openai_settings
                from memory.embeddings import build_embeddings

                server = stack.enter_context(
                    FakeOpenAIServer(RulesBrain(build_embeddings(settings)))
                )
                run_settings = fake_openai_settings(settings, server.base_url)
            return await run_all(run_settings)

    async def run_all(settings: Any) -> list[CaseOutcome]:
        evaluator = await Evaluator.start(settings)
        judge_model = None
        if judge:
            from agent.models import build_model

            judge_model = build_model(settings.model_copy(update={"llm": "openai"}))
        outcomes = []
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[failed]} failed"),
        )
        try:
            with Progress(*columns, console=console, transient=True) as progress:
                task = progress.add_task("cases", total=len(cases), failed=0)
                failed = 0
                for case in cases:
                    progress.update(task, description="" if aggregate_only else case.id)
                    outcome = await evaluator.run_case(case)
                    if judge_model is not None:
                        from evals.judge import judge_outcome

                        await judge_outcome(judge_model, outcome)
                    outcomes.append(outcome)
                    failed += not outcome.passed
                    progress.update(task, advance=1, failed=failed)
        finally:
            evaluator.close()
        return outcomes

    outcomes = asyncio.run(go())
    summary = summarize(cases, outcomes)
    if judge:
        from evals.judge import judge_summary

        summary.update(judge_summary(outcomes))
    meta = {
        "started": started.isoformat(timespec="seconds"),
        "llm": "fake-openai"
        if fake
        else (settings.llm if settings.llm == "rules" else f"openai:{settings.llm_model}"),
        "embeddings": settings.embeddings,
        "datasets": [str(d) for d in datasets],
        "only": only,
        "commit": _commit(),
    }
    report = build_report(cases, outcomes, summary, meta)
    print_summary(console, report, failures=not aggregate_only)
    if out is not None:
        json_path, html_path = write_reports(report, out)
        console.print(f"reports: {json_path}  {html_path}")
    missed = []
    if summary["leak_violations"] or summary["wrong_recipient_violations"]:
        missed.append("leak and wrong-recipient violations must be 0")
    if min_pass is not None and (summary["pass_rate"] or 0.0) < min_pass:
        missed.append(f"pass rate {summary['pass_rate']:.3f} < {min_pass}")
    recall = summary.get(f"retrieval_recall_at_{RECALL_K}")
    if min_recall is not None and recall is not None and recall < min_recall:
        missed.append(f"retrieval recall@{RECALL_K} {recall:.3f} < {min_recall}")
    if missed:
        console.print("[red]gate missed:[/red] " + "; ".join(missed))
        raise typer.Exit(1)


@eval_app.command(
    "compare",
    epilog="Example:  hilo eval compare reports/before/report.json reports/after/report.json",
)
def compare(
    a: Path = typer.Argument(..., help="The earlier report.json."),
    b: Path = typer.Argument(..., help="The later report.json."),
) -> None:
    """Regressions and improvements from run A to run B (exit 1 when a case regressed)."""
    from evals.report import compare_reports, load_report, print_comparison

    try:
        diff = compare_reports(load_report(a), load_report(b))
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    print_comparison(console, diff)
    if diff["regressions"]:
        raise typer.Exit(1)
