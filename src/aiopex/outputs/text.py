"""Words for the numbers: what the command line, the reports and the index call things.

One place for the human label of every metric (the data keeps the contract's
snake_case names; people read these), plurals, the readiness flags, the split of
benefit into time saved and cost of errors, and the pilot's hidden cost multiple
in words. Light imports only: the command line uses this module.
"""

from __future__ import annotations

import json
import math
import shlex
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from aiopex.inputs.uncertain import point
from aiopex.metrics import metric as metric_entry
from aiopex.model.benefits import error_unit_cost
from aiopex.model.returns import irr_verdict
from aiopex.outputs.format import count, money, number, share

if TYPE_CHECKING:  # pragma: no cover
    from aiopex.analyses.sensitivity import Sensitivity

if TYPE_CHECKING:  # pragma: no cover
    from aiopex.result import Result

BASE_CASE = "base case: one run with every range at its point value"

HIDDEN_COST_SENTENCE = (
    "The hidden cost multiple is the production run-rate divided by the pilot's own monthly "
    "budget scaled up to production volume: how many times more production really costs "
    "than 'we just need to scale it up' suggests."
)


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 flag``, ``2 flags``, ``0 flags``.

    Examples
    --------
    >>> plural(1, "flag"), plural(3, "flag"), plural(2, "month")
    ('1 flag', '3 flags', '2 months')
    """
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def label(name: str) -> str:
    """The human label of a metric; ``cost_by_category.<c>`` reads ``Cost: <c>``.

    Examples
    --------
    >>> label("npv"), label("cost_by_category.change_management")
    ('Net present value (NPV)', 'Cost: change management')
    """
    if name.startswith("cost_by_category."):
        return "Cost: " + name.split(".", 1)[1].replace("_", " ")
    return metric_entry(name).label or name.replace("_", " ")


def note(name: str) -> str:
    """What a metric is, in a few words ('' when there is nothing to add)."""
    return metric_entry(name).note


def flags(readiness: Mapping[str, Any]) -> list[str]:
    """The readiness flags by name: each unanswered question and each red flag."""
    return [str(w) for w in readiness.get("warnings", [])]


def readiness_line(readiness: Mapping[str, Any]) -> str:
    """``5 of 6 questions answered, 1 flag``.

    Examples
    --------
    >>> readiness_line({"answered": 6, "total": 6, "warnings": ["x"]})
    '6 of 6 questions answered, 1 flag'
    """
    n = len(flags(readiness))
    return (
        f"{readiness['answered']} of {readiness['total']} questions answered, {plural(n, 'flag')}"
    )


def hidden_cost_multiple(pilot: Mapping[str, Any] | None) -> str:
    """The hidden cost multiple in words: ``2.1x``; or why there is none.

    Examples
    --------
    >>> hidden_cost_multiple({"hidden_cost_multiple": 2.06, "pilot_reported_monthly": 460})
    '2.1x'
    >>> hidden_cost_multiple({"hidden_cost_multiple": None, "pilot_reported_monthly": 0})
    "none: the pilot's budget showed nothing"
    >>> hidden_cost_multiple(None)
    'no pilot'
    """
    if not pilot:
        return "no pilot"
    hcm = pilot.get("hidden_cost_multiple")
    if hcm is not None and not (isinstance(hcm, float) and math.isnan(hcm)):
        return f"{hcm:.1f}x"
    if not pilot.get("pilot_reported_monthly"):
        return "none: the pilot's budget showed nothing"
    return "none: production has no requests to scale to"


def stats(result: Result, name: str) -> dict[str, float | None] | None:
    """A metric's Monte Carlo summary (``mean``, ``p5`` .. ``p95``, ``defined_share``),
    ``None`` where undefined; ``None`` without draws or for a metric without a row."""
    u = result.uncertainty
    if u is None or name not in u.index:
        return None
    row = u.loc[name].to_dict()
    return {str(k): (None if math.isnan(v) else float(v)) for k, v in row.items()}


def benefit_parts(result: Result) -> dict[str, Any]:
    """Benefit split into the value of time saved and the cost of errors (base case).

    Per month, with point values: ``time_saved(m) = requests(m) * accuracy(m) *
    minutes_saved_per_item / 60 * hourly_rate`` and ``cost_of_errors(m) = requests(m) *
    (1 - accuracy(m)) * e``, ``e`` the cost of one wrong output (``cost_per_error``, or
    with a human check the mix of escaped and reworked errors, docs/formulas.md);
    ``benefit(m) = time_saved(m) - cost_of_errors(m)``, except in months where the work
    went back to people (a detected degradation with ``fallback: manual``), where the
    model's benefit is 0 and so are both parts. Those months are recognised as the ones
    where the model's benefit differs from the formula, so the parts always add up to the
    benefit.

    Returns
    -------
    dict
        ``time_saved`` and ``cost_of_errors`` (totals over the horizon, >= 0),
        ``benefit`` (their difference, the model's ``benefit_total``),
        ``manual_months`` (months whose work went back to people), and the monthly
        arrays ``time_saved_monthly`` and ``cost_of_errors_monthly``.
    """
    b = result.scenario.model.benefits
    hc = b.human_check
    d = result.drivers
    req = np.asarray(d["requests"], dtype=float)
    acc = np.asarray(d["accuracy"], dtype=float)
    model_benefit = np.asarray(d["benefit"], dtype=float)
    saved = req * acc * point(b.minutes_saved_per_item) / 60.0 * point(b.hourly_rate)
    e = error_unit_cost(
        point(b.cost_per_error),
        point(b.hourly_rate),
        0.0 if hc is None else point(hc.catch_rate),
        0.0 if hc is None else point(hc.minutes_per_caught_error),
    )
    errors = req * (1.0 - acc) * e
    gross = saved - errors
    manual = ~np.isclose(gross, model_benefit, rtol=1e-9, atol=1e-6)
    saved = np.where(manual, 0.0, saved)
    errors = np.where(manual, 0.0, errors)
    return {
        "time_saved": float(saved.sum()),
        "cost_of_errors": float(errors.sum()),
        "benefit": float(model_benefit.sum()),
        "manual_months": int(manual.sum()),
        "time_saved_monthly": saved,
        "cost_of_errors_monthly": errors,
    }


def papermill_command(
    notebook: str,
    output: str,
    parameters: Mapping[str, Any] | Sequence[tuple[str, Any]],
) -> str:
    """The Papermill command that runs ``notebook`` with these parameters.

    Plain values are passed with ``-p``; mappings and lists with ``-y`` as YAML.
    Empty mappings and ``None`` are left out (the notebook's defaults apply).

    Examples
    --------
    >>> papermill_command("notebooks/budget_scenario.ipynb", "out.ipynb",
    ...                   {"scenario": "data/x y.yaml", "draws": 500, "overrides": {}})
    "papermill notebooks/budget_scenario.ipynb out.ipynb -p scenario 'data/x y.yaml' -p draws 500"
    """
    items = parameters.items() if isinstance(parameters, Mapping) else parameters
    parts = ["papermill", shlex.quote(notebook), shlex.quote(output)]
    for key, value in items:
        if value is None or (isinstance(value, (dict, list)) and not value):
            continue
        if isinstance(value, (dict, list)):
            parts += ["-y", shlex.quote(json.dumps({key: value}))]
        else:
            parts += ["-p", key, shlex.quote(str(value))]
    return " ".join(parts)


def portfolio_text(result: Any, independent: Any = None) -> str:
    """What ``aiopex portfolio`` prints: totals, fiscal years, members, what sharing does.

    ``result`` is an :class:`aiopex.analyses.portfolio.PortfolioResult`; ``independent`` the same
    portfolio with ``shared`` emptied (or ``None``).
    """
    cur = result.currency
    data = result.to_json()
    tot = data["total"]
    months = data["months"]
    n = len(result.members)
    out = [
        f"Portfolio {result.name}: {count(n)} member{'s' if n != 1 else ''}, "
        f"{months[0]} to {months[-1]}, {count(result.draws)} draws, seed {result.seed}",
        f"Total cost: {money(tot['point'], cur)} at point values; "
        f"P10 {money(tot['p10'], cur)}, P50 {money(tot['p50'], cur)}, "
        f"P90 {money(tot['p90'], cur)}",
    ]
    summed = sum(m["cost_total_p90"] for m in data["members"])
    if result.draws > 1 and summed > 0:
        out.append(
            f"  the members' P90s added up: {money(summed, cur)}; the portfolio's P90 is "
            f"{share(1 - tot['p90'] / summed)} lower"
        )
    out += [
        "",
        "Fiscal year   months   point            P50              P90              "
        "budget           P(over budget)",
    ]
    for fy in data["fiscal_years"]:
        out.append(
            f"FY{fy['year']:<10} {fy['months']:>6}   {money(fy['point'], cur):<16} "
            f"{money(fy['p50'], cur):<16} {money(fy['p90'], cur):<16} "
            f"{money(fy['budget'], cur) if fy['budget'] is not None else '-':<16} "
            f"{share(fy['prob_over_budget']) if fy['budget'] is not None else '-'}"
        )
    out += ["", "Members, by contribution to the portfolio's P90:"]
    width = max(len(m["name"]) for m in data["members"])
    for m in sorted(data["members"], key=lambda m: -m["contribution_to_p90"]):
        out.append(
            f"  {m['name']:<{width}}  point {money(m['cost_total_point'], cur):<16} "
            f"own P90 {money(m['cost_total_p90'], cur):<16} "
            f"contribution {money(m['contribution_to_p90'], cur)}"
        )
    if result.shared:
        out += ["", f"Shared fields: {', '.join(result.shared)}"]
        if independent is not None and result.draws > 1:
            ind = independent.to_json()["total"]
            out.append(
                f"  P10 to P90 of the total: {money(tot['p10'], cur)} to "
                f"{money(tot['p90'], cur)} shared; {money(ind['p10'], cur)} to "
                f"{money(ind['p90'], cur)} with every member independent"
            )
    return "\n".join(out)


def commitment_line(c: Mapping[str, Any], months: Sequence[str], currency: str) -> str:
    """One commitment of a run in words (base case).

    Examples
    --------
    >>> c = {"name": "llm", "covers": ["a", "b"], "amount_per_month": 1500.0,
    ...      "discount": 0.25, "from_month": 4, "to_month": 15, "months": 12,
    ...      "unused_commitment": 3200.0, "commitment_savings": 5100.0,
    ...      "commitment_utilization": 0.8222}
    >>> print(commitment_line(c, [f"m{i}" for i in range(24)], "USD"))  # doctest: +ELLIPSIS
    llm: USD 1,500 a month at 25% off a, b, months 4 to 15 (m4 to m15, 12 months): ...
    >>> commitment_line(c, [], "USD").split(": ")[-1]
    'unused USD 3,200, saving USD 5,100, 82.2% used'
    """
    off = f"{c['discount'] * 100:g}%"
    span = f"months {c['from_month']} to {c['to_month']}"
    if months:
        first, last = months[c["from_month"]], months[c["to_month"]]
        span += f" ({first} to {last}, {plural(c['months'], 'month')})"
    return (
        f"{c['name']}: {money(c['amount_per_month'], currency)} a month at {off} off "
        f"{', '.join(c['covers'])}, {span}: unused {money(c['unused_commitment'], currency)}, "
        f"saving {money(c['commitment_savings'], currency)}, "
        f"{share(c['commitment_utilization'])} used"
    )


def unbudgeted(pilot: Mapping[str, Any] | None, currency: str) -> list[str]:
    """One line per absorbed pilot item that production does not budget (its category
    costs nothing in production), with who paid for it; empty when there is none.

    >>> unbudgeted({"unbudgeted_absorbed": [{"name": "borrowed data scientist",
    ...     "category": "people", "amount_per_month": 7200.0, "paid_by": "Group Analytics"}]},
    ...     "EUR")
    ['borrowed data scientist (people): EUR 7,200 a month, paid by Group Analytics']
    """
    out = []
    for item in (pilot or {}).get("unbudgeted_absorbed") or []:
        who = f"paid by {item['paid_by']}" if item.get("paid_by") else "counted by nobody"
        out.append(
            f"{item['name']} ({item['category'].replace('_', ' ')}): "
            f"{money(item['amount_per_month'], currency)} a month, {who}"
        )
    return out


def irr_note(result: Result) -> str:
    """Why the base case's IRR is not a useful measure, or '' when it is.

    The rule (:func:`aiopex.model.returns.irr_verdict`, docs/formulas.md): an IRR above
    100% a year, or an outlay under a tenth of the net that follows it. The reports then
    lead with NPV and MIRR and give the IRR with this note.
    """
    irr = result.metrics.get("irr_annual")
    net = np.asarray(result.drivers["net"], dtype=float)
    v = irr_verdict(net, irr)
    if v.useful:
        return ""
    cur = result.scenario.currency
    return (
        f"IRR {irr:,.0%} a year says little here: the most the project is ever out of "
        f"pocket ({money(v.outlay, cur)}) is small against the net that follows it "
        f"({money(v.recovered, cur)}), and a small stake compounds into a large rate. "
        "Read NPV and MIRR (reinvested at the discount rate)."
    )


def commitment_plan_text(plan: Any) -> str:
    """What ``aiopex commitments`` prints: the levels, the two recommendations and the
    on-demand cost (``plan`` is a :class:`~aiopex.analyses.commitments.CommitmentPlan`)."""
    cur = plan.currency
    term = f"{plan.term[0]} to {plan.term[-1]}"
    out = [
        f"{plan.name}: a commitment on {', '.join(plan.covers)} at {plan.discount:.0%} off, "
        f"{plural(plan.months, 'month')} ({term})",
        f"  priced against {plan.draws:,} Monte Carlo draws, seed {plan.seed}; cost of the "
        "covered lines over the term",
    ]
    head = ("a month", "mean", "P10", "P50", "P90", "unused", "P(>10% unused)", "saving",
            "P(costs more)")  # fmt: skip
    rows = [head]
    for r in plan.levels.itertuples(index=False):
        mark = (" <- lowest mean" if r.level == plan.best_mean else "") + (
            " <- lowest P90" if r.level == plan.best_p90 else ""
        )
        rows.append(
            (money(r.level, cur), money(r.mean, cur), money(r.p10, cur), money(r.p50, cur),
             money(r.p90, cur), money(r.unused_mean, cur), share(r.prob_unused_over_10pct),
             money(r.saving_mean, cur), share(r.prob_costs_more) + mark)
        )  # fmt: skip
    widths = [max(len(r[i]) for r in rows[:]) for i in range(len(head) - 1)]
    for r in rows:
        cells = [c.rjust(w) for c, w in zip(r[:-1], widths, strict=True)] + [r[-1]]
        out.append("  " + "  ".join(cells))
    on = plan.on_demand
    out.append(
        f"  on demand (no commitment): mean {money(on['mean'], cur)}, P10 "
        f"{money(on['p10'], cur)}, P90 {money(on['p90'], cur)}"
    )
    for what, level, key in (
        ("lowest mean cost", plan.best_mean, "mean"),
        ("lowest P90 cost", plan.best_p90, "p90"),
    ):
        r = plan.row(level)
        out.append(
            f"  {what}: commit {money(level, cur)} a month ({key} {money(r[key], cur)}, "
            f"saving {money(r['saving_mean'], cur)} on average, P(costs more) "
            f"{share(r['prob_costs_more'])})"
        )
    return "\n".join(out)


def tornado_text(sens: Sensitivity) -> str:
    """The tornado as a readable table: field, P10 and P90, the metric at each, swing."""
    cur = sens.currency
    metric = sens.metric
    fields = sens.records()
    money = not metric.startswith(("irr", "mirr", "roi", "payback", "retrains")) and not (
        metric.endswith("_months") or metric == "requests_total"
    )

    def fmt(x: float | None) -> str:
        if x is None:
            return "n/a"
        return f"{x:,.0f}" if money or abs(x) >= 1000 else f"{x:.4g}"

    def val(x: float) -> str:  # 4 significant digits below 100, whole numbers above
        return number(float(x))

    has_be = bool(fields) and sens.has_break_even
    out = [
        f"{sens.scenario}: what moves {metric} (each field at its P10 and P90, the others "
        "at their point values)",
        f"  base ({metric} with every field at its point value): {fmt(sens.base)}"
        + (f" {cur}" if money else ""),
    ]
    head = f"  {'field':<44} {'P10':>11} {'P90':>11} {'at P10':>14} {'at P90':>14} {'swing':>14}"
    if has_be:
        head += f" {'NPV = 0 at':>12}"
    out.append(head)
    for f in fields:
        line = (
            f"  {f['field']:<44} {val(f['low']):>11} {val(f['high']):>11} "
            f"{fmt(f['metric_at_low']):>14} {fmt(f['metric_at_high']):>14} "
            f"{fmt(f['swing']):>14}"
        )
        if has_be:
            be = f.get("break_even")
            line += f" {'-' if be is None else val(be):>12}"
        out.append(line)
    if not fields:
        out.append("  (no field has a range: nothing to vary)")
    if has_be:
        out.append(
            "  NPV = 0 at: the field's value at which NPV crosses zero, the others at their "
            "point values (- : no crossing between its P1 and P99)"
        )
    return "\n".join(out)
