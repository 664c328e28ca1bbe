"""The ``aiopex`` command line.

Exit codes: 0 when fine, 2 for bad input (every problem on stderr, with file and
field), 1 for an internal error (a short message; ``--debug`` shows the traceback).
Heavy libraries (statsmodels, openpyxl, papermill, matplotlib) are imported only by
the commands that use them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from aiopex.result import Result

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2
EXIT_INVESTIGATE = 3  # review --fail-on investigate: done, and something needs a look
#: Problems printed at most; the count of the rest follows.
MAX_PROBLEMS_SHOWN = 200


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with its message (usage errors are bad input too)."""


class _Version(argparse.Action):
    """``--version``: the installed version, looked up only when asked for (the package
    metadata is slow to import, and ``--help`` does without it)."""

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        from aiopex.version import __version__

        print(f"aiopex {__version__}")
        parser.exit()


_SET_HELP = (
    "override a field for this run, e.g. usage.bypass_rate=0.3, costs.llm_api.rate=0.002 "
    "or costs[2].rate=0.002 "
    "(the value is read as YAML, so a range works too); repeat for several"
)


def _add_set(p: argparse.ArgumentParser) -> None:
    """``--set PATH=VALUE``, repeatable: the overrides of every command that loads a scenario."""
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help=_SET_HELP,
    )


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--debug", action="store_true", help="show the traceback of an internal error")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command (``aiopex COMMAND --help``)."""
    parser = _Parser(
        prog="aiopex",
        description="Forecast what an AI system costs to run in production, and what it is worth.",
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="print the version and exit")
    _add_common(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("validate", help="check scenario files; list every problem")
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario YAML files")
    _add_common(p)

    p = sub.add_parser("forecast", help="forecast one scenario: cost, benefit, NPV, ranges")
    p.add_argument("file", metavar="FILE", help="scenario YAML file")
    _add_set(p)
    p.add_argument("--draws", type=int, default=1, help="Monte Carlo draws (1: deterministic)")
    p.add_argument("--seed", type=int, default=None, help="random seed (recorded in outputs)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--ledger", metavar="OUT.csv", help="write the tidy monthly ledger as CSV")
    p.add_argument("--excel", metavar="OUT.xlsx", help="write the Excel forecast (live formulas)")
    p.add_argument(
        "--save", metavar="DIR", help="save the result (manifest + Parquet) for later reading"
    )
    p.add_argument(
        "--keep-draws",
        type=int,
        default=2000,
        metavar="N",
        help="Monte Carlo draws whose cost lines are kept (all up to N, else a seeded N)",
    )
    _add_common(p)

    for name, what in (
        ("pilot", "what the pilot reported, what it absorbed, and the bridge to production"),
        ("readiness", "the six questions a pilot never answers, and what the numbers say"),
    ):
        p = sub.add_parser(name, help=what)
        p.add_argument("file", metavar="FILE", help="scenario YAML file")
        _add_set(p)
        p.add_argument("--json", action="store_true", help="print one JSON object")
        _add_common(p)

    p = sub.add_parser("sensitivity", help="what moves the result: tornado and break-even values")
    p.add_argument("file", metavar="FILE", help="scenario YAML file")
    p.add_argument(
        "--metric",
        default="npv",
        help="npv (default), run_rate_monthly, cost_total, ... or cost_by_category.<category>",
    )
    _add_set(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    _add_common(p)

    p = sub.add_parser(
        "commitments",
        help="how much to commit: each level priced against the forecast's draws",
    )
    p.add_argument("file", metavar="FILE", help="scenario or portfolio YAML file")
    p.add_argument(
        "--covers",
        required=True,
        help="the covered cost lines, comma-separated (a portfolio: member.line, * matching "
        "any name, e.g. *.llm_input_tokens)",
    )
    p.add_argument(
        "--discount", type=float, required=True, help="the discount, a fraction (0.25 is 25%%)"
    )
    p.add_argument("--term", type=int, required=True, help="length of the term, whole months")
    p.add_argument("--from-month", type=int, default=0, help="first month of the term (default 0)")
    p.add_argument(
        "--levels",
        metavar="L1,L2,...",
        help="committed spend per month to price (default: a grid up to the discounted P95)",
    )
    p.add_argument("--draws", type=int, default=2000, help="Monte Carlo draws (default 2000)")
    p.add_argument("--seed", type=int, default=None, help="random seed (recorded in outputs)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--out", metavar="DIR", help="write commitments.json, commitments.csv and the chart"
    )
    p.add_argument(
        "--scheduler", default="processes", help="a portfolio's members: processes or dask"
    )
    p.add_argument("--workers", type=int, default=None, help="a portfolio's worker processes")
    _add_set(p)
    _add_common(p)

    p = sub.add_parser("run", help="budget reports: notebooks, HTML and workbooks for scenarios")
    p.add_argument("inputs", nargs="+", metavar="FILE_OR_DIR", help="scenario files or folders")
    p.add_argument(
        "--out", default="reports/run", metavar="DIR", help="output folder (default: %(default)s)"
    )
    p.add_argument("--jobs", type=int, default=None, help="notebooks run at once (default: cores)")
    p.add_argument(
        "--draws",
        type=int,
        default=2000,
        help="Monte Carlo draws per scenario (default: %(default)s)",
    )
    p.add_argument("--seed", type=int, default=None, help="random seed (recorded in outputs)")
    _add_set(p)
    _add_common(p)

    p = sub.add_parser("baseline", help="save a forecast as the approved baseline (immutable)")
    p.add_argument("file", metavar="SCENARIO", help="scenario YAML file")
    p.add_argument("--as-of", required=True, metavar="YYYY-MM", help="last month of actuals known")
    p.add_argument("--draws", type=int, default=2000, help="Monte Carlo draws (at least 1000)")
    p.add_argument("--seed", type=int, default=None, help="random seed (recorded in the baseline)")
    _add_set(p)
    p.add_argument("--out", required=True, metavar="DIR", help="saved under DIR/<name>/<as_of>/")
    _add_common(p)

    p = sub.add_parser(
        "review",
        help="quarterly cost review: actuals against a baseline",
        description="Quarterly cost review: actuals against a baseline, variance, re-forecast.",
        epilog="Exit codes: 0 done; 2 bad input (nothing written); 1 a failure while running; "
        "3 done, and a line or the total is to investigate with --fail-on investigate. "
        "File formats: docs/review.md.",
    )
    p.add_argument("--baseline", required=True, metavar="PATH", help="a baseline or a folder")
    p.add_argument(
        "--actuals",
        required=True,
        nargs="+",
        metavar="FILE",
        help="cost actuals (CSV or .xlsx: month, line, amount[, quantity, currency]) and FOCUS "
        "exports; files or folders",
    )
    p.add_argument(
        "--usage",
        metavar="FILE",
        help="usage actuals: month, requests[, active_users, accuracy]",
    )
    p.add_argument("--map", dest="mapping", metavar="MAP", help="mapping file for FOCUS exports")
    p.add_argument("--period", required=True, help="2027-Q1, FY2028-Q1 or 2027-01..2027-03")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--json", action="store_true", help="print review.json")
    p.add_argument("--fail-on", choices=["investigate"], help="exit 3 when a line needs it")
    p.add_argument("--reprice", action="store_true", help="re-forecast at the period's prices")
    p.add_argument(
        "--save-baseline", action="store_true", help="save the re-forecast as the next baseline"
    )
    p.add_argument(
        "--fiscal-year-start",
        type=int,
        metavar="MM",
        help="month the fiscal year starts (default: the scenario's)",
    )
    p.add_argument(
        "--materiality",
        default="0.05,1000",
        metavar="SHARE,AMOUNT",
        help="material when |variance| >= max(SHARE * baseline, AMOUNT) (default 0.05,1000)",
    )
    p.add_argument(
        "--cost-basis",
        default="effective",
        choices=["billed", "effective", "list", "contracted"],
        help="FOCUS cost column: BilledCost, EffectiveCost (default), ListCost, ContractedCost",
    )
    p.add_argument("--no-report", action="store_true", help="skip the notebook and its HTML")
    _add_common(p)

    p = sub.add_parser(
        "portfolio", help="every AI system in one budget: members' draws summed by month"
    )
    p.add_argument("file", metavar="FILE", help="portfolio YAML file")
    p.add_argument("--draws", type=int, default=10_000, help="draws (default: %(default)s)")
    p.add_argument("--seed", type=int, default=None, help="random seed (recorded in outputs)")
    p.add_argument(
        "--scheduler",
        default="processes",
        metavar="processes|dask|tcp://HOST:PORT",
        help="a local process pool (default), a Dask LocalCluster started for the run, "
        "or the address of a running Dask scheduler",
    )
    p.add_argument("--workers", type=int, default=None, help="processes or Dask workers")
    p.add_argument(
        "--out",
        default="reports/portfolio",
        metavar="DIR",
        help="output folder (default: %(default)s)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--no-report", action="store_true", help="skip the report notebook and its HTML")
    _add_common(p)

    p = sub.add_parser("schema", help="print the JSON Schema of a scenario file")
    _add_common(p)
    return parser


# -- formatting ---------------------------------------------------------------------------


def _money(x: float | None, cur: str) -> str:
    from aiopex.outputs.format import money

    return money(x, cur)


def _month(x: float | None) -> str:
    """A payback month percentile: ``None``/NaN is beyond the horizon."""
    from aiopex.outputs.format import BEYOND, missing

    return BEYOND if missing(x) else f"month {int(x)}"  # type: ignore[arg-type]


def _fmt(x: Any) -> str:
    from aiopex.outputs.format import number

    return number(x)


def summary_text(result: Result) -> str:
    """The readable summary ``aiopex forecast`` prints.

    One table: the base case (every range at its point value) and, with Monte Carlo
    draws, the median and the P10 to P90 range beside it; benefit split into the value
    of time saved and the cost of errors; the readiness flags by name.
    """
    from aiopex.outputs import text
    from aiopex.outputs.format import metric_value

    s = result.scenario
    m = result.metrics
    cur = s.currency
    u = result.uncertainty
    mc = u is not None

    def cell(name: str, value: Any, pct: bool = False) -> str:
        return metric_value(name, value, cur, result.months, percentile=pct)

    def stats(name: str) -> tuple[str, str]:
        row = text.stats(result, name)
        if row is None:
            return "", ""
        return cell(name, row["p50"], True), (
            f"{cell(name, row['p10'], True)} to {cell(name, row['p90'], True)}"
        )

    parts = text.benefit_parts(result)
    rows: list[tuple[str, str, str, str]] = []

    def add(name: str, value: Any, label: str | None = None) -> None:
        rows.append((label or text.label(name), cell(name, value), *stats(name)))

    for name in ("run_rate_monthly", "cost_total", "benefit_total"):
        add(name, m.get(name))
    rows.append(("  of which time saved", text.money(parts["time_saved"], cur), "", ""))
    rows.append(("  less cost of errors", text.money(parts["cost_of_errors"], cur), "", ""))
    for name in ("net_total", "npv", "irr_annual", "mirr_annual", "payback_month", "roi"):
        if name in m:
            add(name, m.get(name))
    add("requests_total", m.get("requests_total"))
    add("cost_per_request", m.get("cost_per_request"))
    for name in ("retrains", "degraded_months", "silent_months"):
        if name in m:
            add(name, m.get(name))
    if s.model.benefits.human_check is not None:
        for name in ("errors_caught", "errors_escaped"):
            add(name, m.get(name))
    for c, v in m["cost_by_category"].items():
        add(f"cost_by_category.{c}", v)
    for name in ("unused_commitment", "commitment_savings", "commitment_utilization"):
        if name in m:
            add(name, m.get(name))

    head = ("", "base case", "median", "P10 to P90") if mc else ("", "base case", "", "")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]

    def line(r: tuple[str, str, str, str]) -> str:
        cells = [r[0].ljust(widths[0]), r[1].rjust(widths[1])]
        if mc:
            cells += [r[2].rjust(widths[2]), r[3].rjust(widths[3])]
        return ("  " + "   ".join(cells)).rstrip()

    out = [f"{s.name}: {s.horizon} months from {s.start} ({s.path})"]
    if mc:
        out.append(
            f"  Base case: every range at its point value. Median, P10 to P90: "
            f"{result.n_draws:,} Monte Carlo draws, seed {result.seed}."
        )
    else:
        out.append("  Base case: every range at its point value (--draws N adds ranges).")
    out.append(line(head))
    out.extend(line(r) for r in rows)
    irr_note = text.irr_note(result)
    if irr_note:
        out.append(f"  note: {irr_note}")
    if parts["manual_months"]:
        out.append(
            f"  (benefit is 0 in {text.plural(parts['manual_months'], 'month')} whose work "
            "went back to people)"
        )
    if mc:
        prob = result.probabilities or {}
        out.append(
            f"  P(NPV < 0) = {prob.get('prob_npv_negative', 0):.1%}; P(no payback within the "
            f"horizon) = {prob.get('prob_no_payback', 0):.1%}"
        )
    if result.pilot:
        p = result.pilot
        hcm = text.hidden_cost_multiple(p)
        if p["pilot_reported_monthly"]:
            said = (
                f"'just scale it up' says {_money(p['naive_production_monthly'], cur)} a month, "
                f"the production run-rate is {_money(p['production_monthly'], cur)}: "
                f"hidden cost multiple {hcm}"
            )
        else:
            said = (
                f"the pilot's budget showed nothing, so scaling it up says nothing; the "
                f"production run-rate is {_money(p['production_monthly'], cur)} a month"
            )
        out.append(
            f"  pilot: its budget showed {_money(p['pilot_reported_monthly'], cur)} a month, "
            f"it really cost {_money(p['pilot_true_monthly'], cur)}; {said}"
        )
        lost = text.unbudgeted(p, cur)
        if lost:
            out.append(
                f"  absorbed by the pilot, budgeted by nobody in production: "
                f"{_money(p['unbudgeted_absorbed_monthly'], cur)} a month"
            )
            out.extend(f"    - {x}" for x in lost)
    out.extend(
        f"  commitment {text.commitment_line(c, result.months, cur)}" for c in result.commitments
    )
    out.extend(f"  note: {note}" for note in s.notes())
    r = result.readiness
    out.append(f"  readiness: {text.readiness_line(r)}")
    out.extend(f"    - {f}" for f in text.flags(r))
    if result.history:
        from aiopex.model.forecasting import describe

        out.append(f"  usage forecast from history: {describe(result.history)}")
    out.append(f"  inputs hash {s.inputs_hash[:16]}")
    return "\n".join(out)


def pilot_text(result: Result) -> str:
    """The pilot exposure, readable by a finance partner."""
    s = result.scenario
    cur = s.currency
    p = result.pilot
    if p is None:
        return f"{s.name}: the scenario has no pilot section"
    pm = s.model.pilot
    assert pm is not None  # a pilot exposure comes from the scenario's pilot section
    lines = [f"{s.name}: what the pilot cost, and what it hid"]
    lines.append(
        f"  Reported by the pilot's budget: {_money(p['pilot_reported_monthly'], cur)} a month"
    )
    if not pm.paid:
        lines.append("    nothing: others paid for all of the pilot")
    for item in pm.paid:
        lines.append(
            f"    {item.name:<40} {item.category:<18} {_money(item.amount_per_month, cur)}"
        )
    lines.append(f"  Absorbed by others: {_money(p['pilot_absorbed_monthly'], cur)} a month")
    for a in pm.absorbed:
        lines.append(
            f"    {a.name:<40} {a.category:<18} {_money(a.monthly, cur)}  "
            f"{'paid by ' + a.paid_by if a.paid_by else 'counted by nobody'}"
        )
    share = p["absorbed_share"]
    lines.append(
        f"  True pilot cost: {_money(p['pilot_true_monthly'], cur)} a month"
        + (f" ({share:.0%} absorbed)" if share is not None else "")
    )
    lines.append("")
    lines.append(
        f"  'Just scale it up': {_money(p['naive_production_monthly'], cur)} a month "
        f"(pilot's {pm.requests_per_month:,.0f} requests/month scaled to production's)"
    )
    for step in p["bridge"]:
        lines.append(
            f"    {step['category']:<18} {step['step']:>+14,.0f}   "
            f"(naive {step['naive']:,.0f} -> production {step['production']:,.0f})"
        )
    hcm = p["hidden_cost_multiple"]
    lines.append(
        f"  Production run-rate: {_money(p['production_monthly'], cur)} a month"
        + (
            f": {hcm:.1f}x what scaling the pilot suggests"
            if hcm is not None
            else ": all of it new, since the pilot's budget showed nothing"
            if not p["pilot_reported_monthly"]
            else ""
        )
    )
    from aiopex.outputs import text

    lost = text.unbudgeted(p, cur)
    lines.append("")
    lines.append(
        f"  Absorbed work production does not budget: "
        f"{_money(p['unbudgeted_absorbed_monthly'], cur)} a month" + ("" if lost else " (none)")
    )
    lines.extend(f"    {x}" for x in lost)
    if lost:
        lines.append("    (the bridge has only production's categories: this work is not in it)")
    return "\n".join(lines)


def readiness_text(result: Result) -> str:
    """The readiness report, readable by a finance partner."""
    r = result.readiness
    out = [f"{result.scenario.name}: readiness, {r['answered']} of {r['total']} answered"]
    for item in r["items"]:
        out.append(f"  {item['question']}: {item['label']}")
        out.append(f"    answer: {item['answer'] if item['answered'] else 'UNANSWERED'}")
        for e in item["evidence"]:
            out.append(f"    numbers: {e}")
    return "\n".join(out)


# -- commands -----------------------------------------------------------------------------


def _print_json(data: Any) -> None:
    from aiopex.result import jsonable

    print(json.dumps(jsonable(data), indent=2))


def _cmd_validate(args: argparse.Namespace) -> int:
    from aiopex.errors import AiopexError
    from aiopex.inputs.scenario import load_scenario

    problems = []
    for f in args.files:
        try:
            scenario = load_scenario(f)
        except AiopexError as e:
            problems.extend(e.problems)
        else:
            print(f"{f}: ok")
            for note in scenario.notes():
                print(f"{f}: note: {note}")
    if problems:
        raise AiopexError(problems)
    return EXIT_OK


def _cmd_forecast(args: argparse.Namespace) -> int:
    from aiopex.engine import run
    from aiopex.errors import AiopexError, Problem
    from aiopex.inputs.run_request import check_draws, check_seed
    from aiopex.inputs.scenario import load_scenario

    problems = check_seed(args.seed) + check_draws(args.draws)
    if args.keep_draws < 0:
        problems.append(
            Problem("<command line>", "--keep-draws", f"must be >= 0, got {args.keep_draws}")
        )
    problems += _output_problems(args)
    if problems:
        raise AiopexError(problems)
    scenario = load_scenario(args.file, args.overrides)
    problems = check_draws(args.draws, scenario, kept=args.keep_draws)
    if problems:
        raise AiopexError(problems)
    result = run(scenario, draws=args.draws, seed=args.seed, keep_draws=args.keep_draws)
    if args.save:
        result.save(args.save)
    if args.ledger:
        from aiopex.atomic import write_csv

        write_csv(result.ledger, args.ledger)
        n = len(result.ledger)
        print(f"wrote {args.ledger}: the ledger, {n:,} row{'s' if n != 1 else ''}", file=sys.stderr)
    if args.excel:
        from aiopex.analyses.sensitivity import sensitivity
        from aiopex.outputs.excel import write_workbook

        write_workbook(result, args.excel, sensitivity(result.scenario, "npv"))
        print(f"wrote {args.excel}: the Excel forecast with live formulas", file=sys.stderr)
    if args.json:
        _print_json(result.to_json())
    else:
        print(summary_text(result))
    return EXIT_OK


def _output_problems(args: argparse.Namespace) -> list[Any]:
    """Every bad output path of ``forecast``, found before anything is computed or written."""
    from aiopex.atomic import check_not_inputs, check_targets
    from aiopex.errors import Problem
    from aiopex.result.saved import is_saved_result

    targets = {
        "--ledger": args.ledger,
        "--excel": args.excel,
        "--save": getattr(args, "save", None),
    }
    problems = check_targets(targets, owners={"--save": is_saved_result})
    problems += check_not_inputs(targets, {"FILE": args.file})
    if args.excel and not args.excel.lower().endswith(".xlsx"):
        problems.append(Problem(args.excel, "--excel", "must end in .xlsx"))
    return problems


def _cmd_pilot_or_readiness(args: argparse.Namespace) -> int:
    from aiopex.engine import run
    from aiopex.inputs.scenario import load_scenario

    result = run(load_scenario(args.file, args.overrides))
    if args.command == "pilot":
        if args.json:
            _print_json(result.pilot)
        else:
            print(pilot_text(result))
    elif args.json:
        _print_json(result.readiness)
    else:
        print(readiness_text(result))
    return EXIT_OK


def _cmd_sensitivity(args: argparse.Namespace) -> int:
    from aiopex.analyses.sensitivity import sensitivity, sensitivity_metrics
    from aiopex.errors import AiopexError, Problem
    from aiopex.inputs.scenario import load_scenario
    from aiopex.outputs.text import tornado_text

    scenario = load_scenario(args.file, args.overrides)
    known = sensitivity_metrics(scenario)
    if args.metric not in known:
        raise AiopexError(
            Problem(
                "<command line>",
                "--metric",
                f"unknown metric {args.metric!r}; use one of {', '.join(known)}",
            )
        )
    result = sensitivity(scenario, args.metric)
    if args.json:
        _print_json(result.to_json())
    else:
        print(tornado_text(result))
    return EXIT_OK


def _cmd_run(args: argparse.Namespace) -> int:
    from aiopex.batch.runner import run_batch
    from aiopex.errors import AiopexError
    from aiopex.inputs.run_request import check_draws, check_seed
    from aiopex.inputs.scenario import parse_overrides

    problems = check_seed(args.seed) + check_draws(args.draws)
    if problems:
        raise AiopexError(problems)

    batch = run_batch(
        args.inputs,
        args.out,
        jobs=args.jobs,
        draws=args.draws,
        seed=args.seed,
        overrides=parse_overrides(args.overrides),
    )
    print(batch.describe())
    return EXIT_OK if batch.ok else EXIT_INTERNAL


def _cmd_portfolio(args: argparse.Namespace) -> int:
    from aiopex.analyses.portfolio import (
        check_draws_memory,
        check_scheduler,
        load_portfolio,
        output_submitter,
        portfolio,
        start_pool,
    )
    from aiopex.batch.portfolio_run import check_outputs, write_outputs
    from aiopex.errors import AiopexError
    from aiopex.inputs.run_request import check_draws, check_seed

    problems = check_seed(args.seed) + check_draws(args.draws)
    problems += check_scheduler(args.scheduler, args.workers)
    problems += check_outputs(args.out, report=not args.no_report)
    if problems:
        raise AiopexError(problems)
    start_pool(args.scheduler, args.workers)  # its workers start while the files are read
    pf = load_portfolio(args.file)
    problems = check_draws_memory(pf, args.draws)
    if problems:
        raise AiopexError(problems)

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\r{done}/{total} members", end="" if done < total else "\n", file=sys.stderr)

    from aiopex.batch.lock import lock_output

    with lock_output(Path(args.out)):  # one run at a time into --out
        # one pass: the portfolio and, when it shares fields, its independent view
        run = portfolio(pf, args.draws, args.seed, args.scheduler, args.workers, progress)
        result, independent = run.result, run.independent
        submit = output_submitter(args.scheduler, args.workers)  # the idle workers write too
        written = write_outputs(
            result,
            independent,
            args.out,
            report=not args.no_report,
            submit=submit,
            helpers=args.workers or os.cpu_count() or 1,
        )
    if args.json:
        _print_json(result.to_json())
    else:
        from aiopex.outputs.text import portfolio_text

        print(portfolio_text(result, independent))
    for path in written:
        print(f"wrote {path}", file=sys.stderr)
    return EXIT_OK


def _cmd_commitments(args: argparse.Namespace) -> int:
    from aiopex.analyses.commitments import commitments
    from aiopex.batch.commitments_run import write_plan
    from aiopex.errors import AiopexError, Problem
    from aiopex.inputs.run_request import check_seed

    problems = check_seed(args.seed)
    levels = None
    if args.levels is not None:
        try:
            levels = [float(x) for x in args.levels.split(",") if x.strip()]
        except ValueError:
            problems.append(
                Problem("<command line>", "--levels", f"must be numbers, got {args.levels!r}")
            )
    if args.out:
        from aiopex.atomic import check_target

        problems += check_target(args.out, "--out", folder=True)
    if problems:
        raise AiopexError(problems)
    plan = commitments(
        args.file,
        args.covers,
        args.discount,
        args.term,
        args.from_month,
        levels,
        args.draws,
        args.seed,
        overrides=args.overrides,
        scheduler=args.scheduler,
        workers=args.workers,
    )
    if args.out:
        for path in write_plan(plan, args.out):
            print(f"wrote {path}", file=sys.stderr)
    if args.json:
        _print_json(plan.to_json())
    else:
        from aiopex.outputs.text import commitment_plan_text

        print(commitment_plan_text(plan))
    return EXIT_OK


def _cmd_schema(args: argparse.Namespace) -> int:
    from aiopex.inputs.scenario import json_schema

    print(json.dumps(json_schema(), indent=2))
    return EXIT_OK


def _cmd_baseline(args: argparse.Namespace) -> int:
    from aiopex.engine import run
    from aiopex.errors import AiopexError, Problem
    from aiopex.inputs.run_request import check_draws, check_seed
    from aiopex.inputs.scenario import load_scenario
    from aiopex.result.baselines import MIN_DRAWS, check_month, save_baseline

    problems = check_seed(args.seed)  # every problem of the command line at once
    try:
        check_month(args.as_of, "--as-of")
    except AiopexError as e:
        problems += e.problems
    if args.draws < MIN_DRAWS:
        problems.append(
            Problem(
                "<command line>", "--draws", f"a baseline needs >= {MIN_DRAWS}, got {args.draws}"
            )
        )
    if problems:
        raise AiopexError(problems)
    from aiopex.result.baselines import baseline_path

    scenario = load_scenario(args.file, args.overrides)
    problems = check_draws(args.draws, scenario, kept=args.draws)  # it keeps them all
    if problems:
        raise AiopexError(problems)
    target = baseline_path(args.out, scenario.name, args.as_of)
    if target.exists():
        raise AiopexError(
            Problem(str(target), "", "a baseline already exists here; baselines are immutable")
        )
    from aiopex.atomic import check_target

    problems = check_target(target, "--out", folder=True)
    if problems:
        raise AiopexError(problems)
    result = run(scenario, draws=args.draws, seed=args.seed, keep_draws=args.draws)
    path = save_baseline(result, args.as_of, args.out)
    print(f"baseline of {scenario.name} as of {args.as_of}: {path}")
    return EXIT_OK


def _cmd_review(args: argparse.Namespace) -> int:
    from aiopex.analyses.review import public_json
    from aiopex.atomic import check_not_inputs, check_target
    from aiopex.batch.lock import lock_output
    from aiopex.batch.review_run import run_review
    from aiopex.errors import AiopexError

    inputs: dict[str, Any] = {"--baseline": args.baseline}
    inputs |= {f"--actuals {a}": a for a in args.actuals}
    for option, path in (("--usage", args.usage), ("--map", args.mapping)):
        if path is not None and not Path(path).is_dir():  # files: a folder is refused later
            inputs[option] = path
    problems = check_not_inputs({"--out": args.out}, inputs)
    if problems:
        raise AiopexError(problems)
    out = Path(args.out)
    made = out  # the first folder the lock would create, removed if left empty
    while not made.parent.exists() and made.parent != made.parent.parent:
        made = made.parent
    made_any = not out.exists()
    try:
        if check_target(out, "--out", folder=True):  # run_review lists it with the rest
            outcome = _review(args, run_review)
        else:
            with lock_output(out):  # one review (or run, or portfolio) at a time into --out
                outcome = _review(args, run_review)
    finally:
        if made_any:  # refused before anything was written: leave no empty folder
            with contextlib.suppress(OSError):
                for folder in (out, *out.parents):
                    folder.rmdir()  # stops at the first that is not empty
                    if folder == made:
                        break
    if args.json:
        data = [public_json(r) for r in outcome.reviews]
        _print_json(data[0] if len(data) == 1 else data)
    else:
        print(outcome.describe())
    if args.fail_on == "investigate" and outcome.attention:
        return EXIT_INVESTIGATE
    return EXIT_OK


def _review(args: argparse.Namespace, run_review: Any) -> Any:
    """``run_review`` with the command line's arguments."""
    return run_review(
        args.baseline,
        args.actuals,
        args.out,
        args.period,
        usage=args.usage,
        mapping=args.mapping,
        cost_basis=args.cost_basis,
        materiality=args.materiality,  # checked with every other problem
        reprice=args.reprice,
        fiscal_year_start=args.fiscal_year_start,
        save_next=args.save_baseline,
        render=not args.no_report,
    )


COMMANDS = {
    "validate": _cmd_validate,
    "forecast": _cmd_forecast,
    "pilot": _cmd_pilot_or_readiness,
    "readiness": _cmd_pilot_or_readiness,
    "sensitivity": _cmd_sensitivity,
    "run": _cmd_run,
    "portfolio": _cmd_portfolio,
    "commitments": _cmd_commitments,
    "schema": _cmd_schema,
    "baseline": _cmd_baseline,
    "review": _cmd_review,
}


class Terminated(BaseException):
    """Raised by the SIGTERM handler, so cleanup runs as on Ctrl-C (a BaseException)."""


@contextlib.contextmanager
def _terminate_raises() -> Iterator[None]:
    """While a command runs, SIGTERM raises :class:`Terminated` in the main thread.

    Every ``finally`` then runs: temporary files are removed, kernels are killed and
    their folders removed, the output folder's lock is released.
    """

    def handler(signum: int, frame: Any) -> None:
        raise Terminated(signum)

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``aiopex`` command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from aiopex.errors import AiopexError

    try:
        with _terminate_raises():
            return COMMANDS[args.command](args)
    except AiopexError as e:
        for p in e.problems[:MAX_PROBLEMS_SHOWN]:
            print(str(p), file=sys.stderr)
        n = len(e.problems)
        if n > MAX_PROBLEMS_SHOWN:
            print(f"... and {n - MAX_PROBLEMS_SHOWN} more", file=sys.stderr)
        said = f"aiopex: {n} problem{'s' if n != 1 else ''}"
        if args.command != "validate":  # validate never writes anything
            said += "; nothing was written"
        print(said, file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("aiopex: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("aiopex: terminated", file=sys.stderr)
        return 143
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except Exception as e:  # noqa: BLE001 - the one place internal errors become exit 1
        if args.debug or os.environ.get("AIOPEX_DEBUG"):
            raise
        print(
            f"aiopex: internal error: {type(e).__name__}: {e} (run with --debug for details)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
