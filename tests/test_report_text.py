"""What the reports and the command line say: base case beside the ranges, benefit split,
readiness flags by name, human labels, relative paths, per-year comparison."""

import html
from pathlib import Path

import pytest

import aiopex
from aiopex.cli import summary_text
from aiopex.outputs import html as report
from aiopex.outputs import text

ROOT = Path(__file__).resolve().parents[1]
SCEN = ROOT / "data" / "scenarios"


@pytest.fixture(scope="module")
def claims():
    return aiopex.run(aiopex.load_scenario(SCEN / "claims_triage.yaml"), draws=200, seed=3)


@pytest.fixture(scope="module")
def assistant():
    return aiopex.run(aiopex.load_scenario(SCEN / "support_assistant.yaml"))


@pytest.fixture(scope="module")
def hr():
    path = ROOT / "data" / "examples" / "hr_policy_chatbot.yaml"
    return aiopex.run(aiopex.load_scenario(path), draws=100, seed=1)


def test_benefit_parts_add_up_to_the_benefit(claims, assistant):
    downside = aiopex.run(
        aiopex.load_scenario(SCEN / "claims_triage.yaml", {"quality.drift_per_month": 0.03})
    )
    for r in (claims, assistant, downside):
        p = text.benefit_parts(r)
        assert p["time_saved"] >= 0 and p["cost_of_errors"] >= 0
        assert p["time_saved"] - p["cost_of_errors"] == pytest.approx(r.metrics["benefit_total"])
    assert text.benefit_parts(downside)["manual_months"] == downside.metrics["degraded_months"] > 0


def test_cli_summary_shows_base_case_median_range_and_benefit_parts(claims, assistant):
    out = summary_text(claims)
    assert "base case" in out and "median" in out and "P10 to P90" in out
    assert "of which time saved" in out and "less cost of errors" in out
    # "less" and a minus sign would subtract twice: the amount is shown as it is, >= 0
    less = next(ln for ln in out.splitlines() if "less cost of errors" in ln)
    assert "-" not in less and text.benefit_parts(claims)["cost_of_errors"] > 0
    assert "Net present value (NPV)" in out and "run_rate_monthly" not in out
    flags = assistant.readiness["warnings"]
    said = summary_text(assistant)
    assert text.plural(len(flags), "flag") in said
    assert all(f in said for f in flags)


def test_plurals_and_flag_line():
    assert text.readiness_line({"answered": 5, "total": 6, "warnings": ["a"]}).endswith("1 flag")
    assert text.readiness_line({"answered": 6, "total": 6, "warnings": []}).endswith("0 flags")


def test_headline_says_what_the_base_case_is_and_lists_flags(claims, assistant):
    h = str(report.headline(claims))
    assert "base case" in h and "median" in h and "P10 to P90" in h and "P(NPV &lt; 0)" in h
    assert "time saved" in h and "cost of errors" in h
    a = str(report.headline(assistant))
    assert all(html.escape(f) in a for f in assistant.readiness["warnings"])


def test_metrics_table_has_human_labels(claims):
    df = report.metrics_table(claims).data
    assert "Net present value (NPV)" in set(df["metric"])
    assert not any("_" in m for m in df["metric"])
    assert {"base case", "median", "P10", "P90"} <= set(df.columns)
    assert "npv" in set(df["name in the data"])


def test_pilot_paid_entirely_by_others_says_its_budget_showed_nothing():
    s = aiopex.load_scenario(SCEN / "claims_triage.yaml", {"pilot.paid": []})
    r = aiopex.run(s)
    assert text.hidden_cost_multiple(r.pilot) == "none: the pilot's budget showed nothing"
    assert "showed nothing" in str(report.headline(r))
    assert "n/a" not in report.headline_values(r)["hidden_cost_multiple"]
    assert "showed nothing" in summary_text(r)


def test_comparison_is_per_year_and_marks_differing_horizons(claims, hr):
    df = report.comparison_table([claims, hr]).data
    rows = dict(zip(df["metric"], df["claims_triage"], strict=True))
    assert rows["Horizon"].endswith("(differs)")
    per_year = claims.metrics["cost_total"] / 3
    assert rows["Total cost, a year (average)"] == text.money(per_year, "USD")
    same = report.comparison_table([claims, claims]).data
    assert not any("differs" in v for v in same.iloc[0, 1:])


def test_files_and_rerun_show_no_absolute_paths(tmp_path, claims):
    f = tmp_path / "claims_triage.xlsx"
    listing = str(report.files(f, base=tmp_path))
    assert "claims_triage.xlsx" in listing and str(tmp_path) not in listing
    cmd = str(
        report.rerun(
            "notebooks/budget_scenario.ipynb",
            "claims_triage.ipynb",
            {
                "scenario": str(SCEN / "claims_triage.yaml"),
                "draws": 200,
                "seed": 3,
                "overrides": {},
                "output_dir": str(tmp_path),
            },
        )
    )
    assert "-p scenario data/scenarios/claims_triage.yaml" in cmd
    assert str(ROOT) not in cmd and str(tmp_path) not in cmd


def test_a_cost_after_the_horizon_is_noted(tmp_path):
    """A one_time cost in month 36 of a 36-month horizon (months 0 to 35) costs nothing, by
    the formulas; the CLI, validate and the report's headline say so."""
    from aiopex.cli import main

    path = tmp_path / "oneoff.yaml"
    path.write_text(
        'name: oneoff\nstart: "2027-01"\nhorizon_months: 36\n'
        "usage: {population: 10, items_per_user_month: 1}\ncosts:\n"
        "  - {name: decommission, category: other, driver: one_time, rate: 5000, month: 36}\n"
        "  - {name: ok, category: support, driver: fixed, rate: 100, from_month: 35}\n"
    )
    r = aiopex.run(aiopex.load_scenario(path))
    said = "costs[0] decommission: month 36 is after the horizon (months 0 to 35)"
    assert r.scenario.notes() == [said + ", so the line costs nothing in this forecast"]
    assert said in summary_text(r) and said in str(report.headline(r))
    assert main(["validate", str(path)]) == 0


def test_the_cli_and_the_html_report_print_a_metric_the_same_way(assistant):
    """One rule for a metric's text (outputs/format.metric_value): the CLI summary printed
    a missing NPV 'n/a' and absorbed_share 0.254 '25.4%', the HTML report 'none' and
    '25%'. Every metric row of the summary equals the report's base case cell."""
    import copy

    from aiopex.outputs.format import metric_value

    r = copy.copy(assistant)
    r.metrics = dict(assistant.metrics, npv=None, roi=None, irr_annual=None, payback_month=None)
    cli = summary_text(r)
    table = report.metrics_table(r).data
    cells = dict(zip(table["name in the data"], table["base case"], strict=True))
    for name in ("run_rate_monthly", "npv", "roi", "irr_annual", "payback_month"):
        assert cells[name] == metric_value(name, r.metrics[name], "USD", r.months), name
        assert f"  {text.label(name)}" in cli and cells[name] in cli.split(text.label(name))[1]
    assert (cells["npv"], cells["roi"], cells["irr_annual"]) == ("n/a", "n/a", "none")
    assert cells["payback_month"] == f"not within {len(r.months)} months"
    assert metric_value("absorbed_share", 0.254, "USD") == "25%"  # the registry's decimals


def test_rerun_from_a_wheel_is_correct_and_unambiguous(tmp_path):
    """Without a checkout (aiopex installed from a wheel), the notebook is the package's
    (found by notebooks_dir() in a first line) and two saved results stay two paths."""
    import html

    out = tmp_path / "batch"
    scen = tmp_path / "scen.yaml"
    scen.write_text((SCEN / "claims_triage.yaml").read_text())
    cmd = html.unescape(
        str(
            report.rerun(
                "notebooks/scenario_comparison.ipynb",
                "comparison.ipynb",
                {
                    "saved": [
                        str(out / "claims_triage" / "result"),
                        str(out / "downside" / "result"),
                    ],
                    "output_dir": str(out / "comparison"),
                },
            )
        )
    )
    assert "notebooks_dir()" in cmd and '"$NB/scenario_comparison.ipynb"' in cmd
    assert "claims_triage/result" in cmd and "downside/result" in cmd
    assert str(tmp_path) not in cmd
    one = str(
        report.rerun(
            "notebooks/budget_scenario.ipynb",
            "scen.ipynb",
            {"scenario": str(scen), "draws": 10, "output_dir": str(out / "scen")},
        )
    )
    assert "notebooks/budget_scenario.ipynb" not in one.replace("$NB/", "")
    assert "-p scenario" in one and str(tmp_path) not in one
