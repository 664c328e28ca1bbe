"""``aiopex commitments``: each level priced against the forecast's own draws.

The levels' mean costs are recomputed here from a saved Monte Carlo result of the same
seed (its kept draws' line amounts), the recommended level is checked to be the grid's
best and to sit where the newsvendor rule puts it, and a portfolio agreement is priced
on the sum of its members' draws.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

HERE = Path(__file__).parent
FIX = HERE / "fixtures" / "commitments"
SCENARIO = FIX / "llm_commit.yaml"
PORTFOLIO = FIX / "portfolio" / "portfolio.yaml"
COVERS = ["llm_input_tokens", "llm_output_tokens"]


def _without_commitments(tmp_path: Path) -> Path:
    doc = yaml.safe_load(SCENARIO.read_text())
    doc.pop("commitments")
    f = tmp_path / "plain.yaml"
    f.write_text(yaml.safe_dump(doc, sort_keys=False))
    return f


def _cost(S_term: np.ndarray, C: float, d: float) -> np.ndarray:
    """Per draw: ``sum_m (C + max(S(m) - C / (1 - d), 0))``, one month at a time."""
    out = np.zeros(S_term.shape[0])
    for m in range(S_term.shape[1]):
        out += C + np.maximum(S_term[:, m] - C / (1 - d), 0.0)
    return out


def test_json_means_are_those_of_the_saved_draws(tmp_path, capsys):
    """The plan of a file with a commitment on the lines (set aside) equals what the
    saved draws of the same seed, without the commitment, give level by level."""
    import aiopex
    from aiopex.cli import main

    plain = _without_commitments(tmp_path)
    saved = aiopex.run(aiopex.load_scenario(plain), draws=300, seed=5).save(tmp_path / "r")
    d = aiopex.load_result(saved).draws
    S = sum(d.amount[:, d.line_names.index(n), :] for n in COVERS)[:, 4:16]
    args = ["commitments", str(SCENARIO), "--covers", ",".join(COVERS), "--discount",
            "0.25", "--term", "12", "--from-month", "4", "--draws", "300", "--seed", "5",
            "--json"]  # fmt: skip
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["months"] == 12 and out["term"] == ["2027-05", "2028-04"]
    assert len(out["levels"]) == 61
    on_demand = _cost(S, 0.0, 0.25)  # summed month by month, as each level's cost
    for row in out["levels"]:
        cost = _cost(S, row["level"], 0.25)
        np.testing.assert_allclose(row["mean"], cost.mean(), rtol=1e-12)
        np.testing.assert_allclose(row["p90"], np.percentile(cost, 90), rtol=1e-12)
        np.testing.assert_allclose(row["saving_mean"], (on_demand - cost).mean(), rtol=1e-9,
                                   atol=1e-6)  # fmt: skip
        assert row["prob_costs_more"] == np.mean(cost > on_demand)
        unused = sum(row["level"] - 0.75 * np.minimum(S[:, m], row["level"] / 0.75)
                     for m in range(12))  # fmt: skip
        np.testing.assert_allclose(row["unused_mean"], unused.mean(), rtol=1e-9, atol=1e-6)
        assert row["prob_unused_over_10pct"] == np.mean(unused > 0.1 * row["level"] * 12)
    grid = np.linspace(0, 0.75 * np.percentile(S, 95), 41)
    levels = np.array([r["level"] for r in out["levels"]])
    assert np.all(np.isin(grid, levels))


def test_recommendations_are_the_grid_best_and_the_newsvendor_level():
    import aiopex

    p = aiopex.commitments(SCENARIO, COVERS, 0.25, 12, 4, draws=2000, seed=2)
    df = p.levels
    assert p.best_mean == df["level"][df["mean"].idxmin()]
    assert p.best_p90 == df["level"][df["p90"].idxmin()]
    assert df["level"].is_monotonic_increasing
    # The newsvendor rule: the months' average P(S(m) > C / (1 - d)) crosses 1 - d = 0.75
    # between the best level's neighbours.
    from aiopex.engine import cost_paths

    S = cost_paths(aiopex.load_scenario(SCENARIO), 2000, 2, spend_of=tuple(COVERS)).spend[:, 4:16]
    i = int(np.flatnonzero(df["level"].to_numpy() == p.best_mean)[0])
    lo, hi = df["level"][max(i - 1, 0)], df["level"][min(i + 1, len(df) - 1)]
    assert np.mean(S > lo / 0.75) >= 0.75 >= np.mean(S > hi / 0.75)
    # levels asked for are priced as given
    q = aiopex.commitments(SCENARIO, COVERS, 0.25, 12, 4, levels=[0, 500], draws=2000, seed=2)
    assert q.levels["level"].tolist() == [0.0, 500.0]
    np.testing.assert_allclose(q.row(500.0)["mean"], _cost(S, 500.0, 0.25).mean(), rtol=1e-12)


def test_portfolio_agreement_on_the_members_summed_draws():
    """``*.llm_input_tokens`` across members, months from the portfolio's first month."""
    import aiopex
    from aiopex.analyses.portfolio import load_portfolio, member_streams, shared_paths, timeline
    from aiopex.engine import cost_paths
    from aiopex.months import diff as month_diff

    p = aiopex.commitments(PORTFOLIO, "*.llm_input_tokens,zero_spend.api_*", 0.2, 12, 6,
                           draws=400, seed=9, scheduler="inline")  # fmt: skip
    assert p.kind == "portfolio"
    assert p.covers == (
        "llm_commit.llm_input_tokens",
        "zero_spend.api_out",
        "zero_spend.api_in",
    )
    pf = load_portfolio(PORTFOLIO)
    months = timeline(pf.members)
    assert months[0] == "2026-07" and p.term == tuple(months[6:18])
    S = np.zeros((400, len(months)))
    for s, lines in zip(pf.members, (("llm_input_tokens",), ("api_out", "api_in")), strict=True):
        streams = member_streams(9, s.name, shared_paths(s, pf.shared))
        cp = cost_paths(s, 400, 9, streams, spend_of=lines)
        off = month_diff(months[0], s.start)
        S[:, off : off + s.horizon] += cp.spend
    for row in p.levels.itertuples():
        np.testing.assert_allclose(row.mean, _cost(S[:, 6:18], row.level, 0.2).mean(), rtol=1e-12)


def test_bad_input_every_problem_and_nothing_written(tmp_path, capsys):
    from aiopex.cli import main

    out = tmp_path / "plan"
    args = ["commitments", str(SCENARIO), "--covers", "llm_input_tokens,hosting,nope",
            "--discount", "25", "--term", "0", "--levels=-5,10", "--out", str(out)]  # fmt: skip
    assert main(args) == 2
    err = capsys.readouterr().err
    for want in (
        "--discount: 25 looks like a percentage; write 0.25",
        "--term: must be whole months >= 1, got 0",
        "--levels: levels are money >= 0, got -5",
    ):
        assert want in err
    assert not out.exists()
    args = ["commitments", str(SCENARIO), "--covers", "llm_input_tokens,hosting,nope",
            "--discount", "0.2", "--term", "6", "--from-month", "30", "--out",
            str(out)]  # fmt: skip
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--covers: 'hosting' has driver fixed" in err
    assert "--covers: no cost line 'nope'" in err
    assert "--from-month: 30 is after the horizon (months 0 to 23)" in err
    assert not out.exists()
    args = ["commitments", str(PORTFOLIO), "--covers", "*.hosting,*.gpx,plain", "--discount",
            "0.2", "--term", "6", "--scheduler", "inline"]  # fmt: skip
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "'*.hosting' matches llm_commit.hosting, driver fixed" in err
    assert "'*.gpx' matches no member's cost line" in err
    assert "'plain': name a member's line as member.line" in err


@pytest.mark.parametrize("kind", ["scenario"])
def test_out_writes_the_json_table_and_chart(tmp_path, capsys, kind):
    from aiopex.cli import main

    out = tmp_path / "plan"
    args = ["commitments", str(SCENARIO), "--covers", ",".join(COVERS), "--discount", "0.25",
            "--term", "12", "--from-month", "4", "--draws", "200", "--seed", "1", "--out",
            str(out)]  # fmt: skip
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "lowest mean cost: commit" in text and "lowest P90 cost: commit" in text
    assert sorted(f.name for f in out.iterdir()) == [
        "commitments.csv",
        "commitments.json",
        "commitments.png",
    ]
    plan = json.loads((out / "commitments.json").read_text())
    assert plan["recommended"]["lowest_mean"]["level"] in [r["level"] for r in plan["levels"]]
    assert (out / "commitments.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    import pandas as pd

    csv = pd.read_csv(out / "commitments.csv")
    np.testing.assert_allclose(csv["mean"], [r["mean"] for r in plan["levels"]], rtol=1e-12)


def test_the_guide_worked_example():
    """docs/commitments.md's worked example: its figures are what the command gives."""
    import aiopex
    from aiopex.engine import cost_paths
    from aiopex.outputs.format import money

    root = HERE.parent
    page = (root / "docs" / "commitments.md").read_text()
    path = root / "data" / "scenarios" / "claims_triage.yaml"
    p = aiopex.commitments(path, COVERS, 0.25, 12, 12, draws=2000, seed=42)
    best, safe = p.row(p.best_mean), p.row(p.best_p90)
    S = cost_paths(aiopex.load_scenario(path), 2000, 42, spend_of=tuple(COVERS)).spend
    S = S[:, 12:24]
    for x in (p.on_demand["mean"], p.best_mean, best["mean"], best["saving_mean"],
              p.best_p90, safe["p90"], best["p90"], safe["unused_mean"], best["unused_mean"],
              np.percentile(S, 25)):  # fmt: skip
        assert money(x, "USD") in page, money(x, "USD")
    assert f"{best['prob_costs_more']:.2%} of the draws" in page
    assert f"{p.best_mean:.0f} / 0.75 = {p.best_mean / 0.75:.0f}" in page
    assert f"in {np.mean(S > p.best_mean / 0.75):.1%} of the draws' months" in page


def test_the_cookbook_figures():
    """docs/cookbook.md's commitment figures are what the command prints."""
    import aiopex
    from aiopex.outputs.format import money

    root = HERE.parent
    page = (root / "docs" / "cookbook.md").read_text()
    p = aiopex.commitments(root / "data" / "examples" / "hr_policy_chatbot.yaml", COVERS, 0.2,
                           12, 6, draws=2000, seed=1)  # fmt: skip
    for x in (p.on_demand["mean"], p.best_mean, p.row(p.best_mean)["saving_mean"]):
        assert money(x, "EUR") in page, money(x, "EUR")
    assert f"amount_per_month: {p.best_mean:.0f}" in page


def test_the_bundled_examples():
    """The GPU savings plan in doc_extraction_gpu.yaml is the level the tool recommends
    (rounded to the hundred), and the demo portfolio's agreement covers every member's
    LLM lines."""
    import aiopex

    root = HERE.parent / "data"
    gpu = root / "scenarios" / "doc_extraction_gpu.yaml"
    s = aiopex.load_scenario(gpu)
    (c,) = s.model.commitments
    p = aiopex.commitments(gpu, list(c.covers), c.discount, c.term_months, c.from_month,
                           draws=2000, seed=42)  # fmt: skip
    assert abs(p.best_mean - c.amount_per_month) < 100
    r = aiopex.run(s)
    assert r.commitments[0]["commitment_savings"] > 0
    q = aiopex.commitments(root / "portfolios" / "ai_portfolio.yaml",
                           "*.llm_input_tokens,*.llm_output_tokens", 0.2, 24, 6, draws=200,
                           seed=42, scheduler="inline")  # fmt: skip
    assert len(q.covers) == 6 and q.term[0] == "2027-07"
    assert q.row(q.best_mean)["saving_mean"] > 0
