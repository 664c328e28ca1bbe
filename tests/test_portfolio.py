"""The portfolio: members' draws summed by calendar month, shared fields, schedulers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiopex.analyses.portfolio import (
    check_scheduler,
    load_portfolio,
    member_fields,
    member_streams,
    run_member,
    run_portfolio,
    run_portfolio_views,
    shared_paths,
)
from aiopex.cli import main
from aiopex.engine import _sampled_params, cost_paths, run
from aiopex.inputs.scenario import load_scenario
from aiopex.months import diff as month_diff

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "data" / "scenarios"
DRAWS = 300


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _portfolio(folder: Path, members: list[str], extra: str = "") -> Path:
    listed = ", ".join(str(m) for m in members)
    return _write(folder, "portfolio.yaml", f"name: test\nmembers: [{listed}]\n{extra}")


@pytest.fixture
def three(tmp_path: Path) -> Path:
    members = [SCENARIOS / f"{n}.yaml" for n in ("claims_triage", "support_assistant")]
    later = _write(
        tmp_path,
        "gpu_later.yaml",
        f"extends: {SCENARIOS / 'doc_extraction_gpu.yaml'}\nname: gpu_later\n"
        'start: "2027-07"\nhorizon_months: 12\n',
    )
    return _portfolio(
        tmp_path,
        [*members, later],
        "shared: [finance.discount_rate, costs.*.escalation_per_year]\n"
        'budget: {"2027": 1500000, FY2028: 1400000}\n',
    )


def test_calendar_alignment_and_point_path(three: Path) -> None:
    pf = load_portfolio(three)
    r = run_portfolio(pf, 1, seed=1, scheduler="inline")
    assert r.months[0] == "2027-01" and len(r.months) == 36
    expected = np.zeros(36)
    for s in pf.members:
        off = month_diff("2027-01", s.start)
        expected[off : off + s.horizon] += run(s).drivers["cost"].to_numpy()
    np.testing.assert_allclose(r.point_cost, expected, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(r.cost[0], r.point_cost)
    later = r.members[2]
    assert (later.start, later.offset, later.horizon) == ("2027-07", 6, 12)
    rows = r.lines[r.lines.member == "gpu_later"]
    assert rows.month.min() == "2027-07" and rows.month.max() == "2028-06"


def test_sums_by_draw_and_fiscal_years(three: Path) -> None:
    pf = load_portfolio(three)
    r = run_portfolio(pf, DRAWS, seed=5, scheduler="inline")
    alone = [
        cost_paths(s, DRAWS, 5, member_streams(5, s.name, shared_paths(s, pf.shared)))
        for s in pf.members
    ]
    total = np.zeros((DRAWS, 36))
    for s, cp in zip(pf.members, alone, strict=True):
        off = month_diff("2027-01", s.start)
        total[:, off : off + s.horizon] += cp.cost
    np.testing.assert_array_equal(r.cost, total)
    fys = {fy["year"]: fy for fy in r.fiscal_years()}
    assert sorted(fys) == [2027, 2028, 2029]
    fy27 = total[:, :12].sum(axis=1)
    assert fys[2027]["p90"] == pytest.approx(np.percentile(fy27, 90), rel=1e-12)
    assert fys[2027]["prob_over_budget"] == pytest.approx(np.mean(fy27 > 1_500_000))
    assert fys[2028]["budget"] == 1_400_000 and fys[2029]["budget"] is None
    data = r.to_json()
    assert set(data) >= {"name", "seed", "draws", "months", "cost", "total", "fiscal_years"}
    assert set(data["cost"]) == {"point", "p10", "p50", "p90"}
    members = data["members"]
    assert [m["name"] for m in members] == ["claims_triage", "support_assistant", "gpu_later"]
    tail = r.tail_draws()
    assert sum(m["contribution_to_p90"] for m in members) == pytest.approx(
        total.sum(axis=1)[tail].mean(), rel=1e-9
    )
    assert len(tail) == 2 * int(0.025 * DRAWS) + 1


def test_shared_field_draws_as_the_member_alone(three: Path) -> None:
    pf = load_portfolio(three)
    s = pf.members[0]
    shared = shared_paths(s, pf.shared)
    assert "finance.discount_rate" in shared
    assert any(p.startswith("costs.") and p.endswith(".escalation_per_year") for p in shared)
    alone = _sampled_params(s, DRAWS, 9)
    inside = _sampled_params(s, DRAWS, 9, member_streams(9, s.name, shared))
    ranged = [p for p in alone if alone[p].shape[0] > 1]
    for p in ranged:
        if p in shared:
            np.testing.assert_array_equal(alone[p], inside[p])
        else:  # a member's own fields are keyed by its name too
            assert not np.array_equal(alone[p], inside[p])
    everything = frozenset(member_fields(s))
    a = cost_paths(s, DRAWS, 9)
    b = cost_paths(s, DRAWS, 9, member_streams(9, s.name, everything))
    np.testing.assert_array_equal(a.cost, b.cost)


def test_two_copies_fully_shared_double_exactly(tmp_path: Path) -> None:
    base = SCENARIOS / "claims_triage.yaml"
    copy = _write(tmp_path, "copy.yaml", f"extends: {base}\nname: claims_triage_copy\n")
    s = load_scenario(base)
    patterns = "".join(f"  - {p}\n" for p in member_fields(s))
    pf = load_portfolio(_portfolio(tmp_path, [str(base), str(copy)], "shared:\n" + patterns))
    r = run_portfolio(pf, DRAWS, seed=2, scheduler="inline")
    one = run_member(pf_task := _task(pf, 0, DRAWS, 2))
    assert pf_task.shared == frozenset(member_fields(s))
    np.testing.assert_array_equal(r.cost, 2 * one.cost)
    data = r.to_json()
    own = np.percentile(one.cost.sum(axis=1), [10, 50, 90])
    assert [data["total"][k] for k in ("p10", "p50", "p90")] == (2 * own).tolist()


def _task(pf, i, draws, seed):  # noqa: ANN001, ANN202
    from aiopex.analyses.portfolio import MemberTask

    s = pf.members[i]
    return MemberTask(s, draws, seed, shared_paths(s, pf.shared))


def test_independent_members_total_narrower_than_summed_p90s(tmp_path: Path) -> None:
    names = ("claims_triage", "support_assistant", "doc_extraction_gpu")
    pf = load_portfolio(_portfolio(tmp_path, [str(SCENARIOS / f"{n}.yaml") for n in names]))
    r = run_portfolio(pf, DRAWS, seed=4, scheduler="inline")
    data = r.to_json()
    summed_p90 = sum(m["cost_total_p90"] for m in data["members"])
    summed_p10 = sum(np.percentile(t, 10) for t in r.member_totals)
    assert data["total"]["p90"] < summed_p90
    assert data["total"]["p10"] > summed_p10


def test_same_numbers_on_every_scheduler(three: Path) -> None:
    pf = load_portfolio(three)
    inline = run_portfolio(pf, 200, seed=11, scheduler="inline")
    pool = run_portfolio(pf, 200, seed=11, scheduler="processes", workers=2)
    for a, b in ((inline, pool),):
        np.testing.assert_array_equal(a.cost, b.cost)
        np.testing.assert_array_equal(a.net, b.net)
        np.testing.assert_array_equal(a.member_totals, b.member_totals)
        assert a.lines.equals(b.lines)
        assert a.to_json() == b.to_json()


def _blocks() -> set[str]:
    shm = Path("/dev/shm")
    return {p.name for p in shm.iterdir() if p.name.startswith("psm_")} if shm.is_dir() else set()


def test_pool_results_through_shared_memory(three: Path) -> None:
    """The pool's members come back through shared memory: the numbers of the inline
    run with 1 and 3 workers (fewer slots than members, slots reused), both views, one
    draw, and no block left behind, after a run or a failed one."""
    from aiopex.analyses import portfolio_schedulers as pm

    pf = load_portfolio(three)
    before = _blocks()
    inline, inline_ind = run_portfolio_views(pf, 120, 4, "inline")
    for workers in (1, 3):
        pool, pool_ind = run_portfolio_views(pf, 120, 4, "processes", workers)
        assert pool_ind is not None and inline_ind is not None
        for a, b in ((inline, pool), (inline_ind, pool_ind)):
            np.testing.assert_array_equal(a.cost, b.cost)
            np.testing.assert_array_equal(a.net, b.net)
            np.testing.assert_array_equal(a.member_totals, b.member_totals)
        assert inline.lines.equals(pool.lines)
    one = run_portfolio(pf, 1, 4, "processes", workers=2)
    np.testing.assert_array_equal(one.cost, run_portfolio(pf, 1, 4, "inline").cost)
    bad = pm.MemberTask(pf.members[0], 0, 4, frozenset())  # draws 0: the worker raises
    with pytest.raises(ValueError, match="draws must be >= 1"):
        list(pm._pool_map([bad], 2))
    assert _blocks() == before


@pytest.mark.slow
def test_dask_local_cluster_gives_the_process_pool_numbers(three: Path) -> None:
    pf = load_portfolio(three)
    pool = run_portfolio(pf, 200, seed=11, scheduler="processes", workers=2)
    dask = run_portfolio(pf, 200, seed=11, scheduler="dask", workers=2)
    np.testing.assert_array_equal(pool.cost, dask.cost)
    np.testing.assert_array_equal(pool.net, dask.net)
    assert pool.lines.equals(dask.lines)
    assert json.dumps(pool.to_json()) == json.dumps(dask.to_json())


@pytest.mark.slow
def test_an_existing_dask_cluster_by_address(three: Path) -> None:
    import logging

    from distributed import LocalCluster

    pf = load_portfolio(three)
    inline = run_portfolio(pf, 100, seed=12, scheduler="inline")
    with LocalCluster(
        n_workers=1, threads_per_worker=1, dashboard_address=None, silence_logs=logging.ERROR
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://")
        assert check_scheduler(cluster.scheduler_address, None) == []  # it answers as Dask
        remote = run_portfolio(pf, 100, seed=12, scheduler=cluster.scheduler_address)
    np.testing.assert_array_equal(inline.cost, remote.cost)
    assert inline.to_json() == remote.to_json()


def test_save_and_load_round_trip(three: Path, tmp_path: Path) -> None:
    from aiopex.analyses.portfolio import load_result

    r = run_portfolio(load_portfolio(three), 50, seed=3, scheduler="inline")
    back = load_result(r.save(tmp_path / "saved"))
    np.testing.assert_array_equal(back.cost, r.cost)
    assert back.lines.equals(r.lines)
    assert back.to_json() == r.to_json()
    assert back.created == r.created and r.created.endswith("Z")


def test_cli_json_and_outputs(three: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "out"
    rc = main(["portfolio", str(three), "--draws", "100", "--seed", "7", "--out", str(out),
               "--scheduler", "inline", "--json", "--no-report"])  # fmt: skip
    assert rc == 0
    data = json.loads(capsys.readouterr().out)
    assert data["seed"] == 7 and data["draws"] == 100
    assert json.loads((out / "portfolio.json").read_text()) == data
    assert (out / "independent" / "portfolio.json").is_file()
    assert not (out / ".aiopex-run.lock").exists()  # released and removed
    from aiopex.batch.lock import lock_output

    with lock_output(out):  # another run writing there: refused, exit 2
        assert main(["portfolio", str(three), "--draws", "10", "--out", str(out),
                     "--scheduler", "inline", "--no-report"]) == 2  # fmt: skip
    assert "another aiopex run" in capsys.readouterr().err


BAD = {
    "missing member": ("members: [nope.yaml]\n", "members[0]", "no such file"),
    "duplicate names": (
        "members: [{a}, {a2}]\n",
        "members",
        "two members are named",
    ),
    "shared nobody has": (
        "members: [{a}]\nshared: [costs.*.no_such_field]\n",
        "shared[0]",
        "no member has",
    ),
    "unknown fiscal year": (
        'members: [{a}]\nbudget: {{"2031": 100}}\n',
        "budget.2031",
        "outside the portfolio's timeline",
    ),
    "not a year": ('members: [{a}]\nbudget: {{"next": 100}}\n', "budget.next", "fiscal year"),
    "unknown field": ("members: [{a}]\nbugdet: {{}}\n", "bugdet", "did you mean budget"),
    "negative budget": ('members: [{a}]\nbudget: {{"2027": -1}}\n', "budget.2027", ">= 0"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_portfolio_files_exit_2(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    text, field, words = BAD[case]
    a = SCENARIOS / "support_assistant.yaml"
    a2 = _write(tmp_path, "a2.yaml", f"extends: {a}\ndescription: the same name\n")
    path = _write(tmp_path, "p.yaml", "name: bad\n" + text.format(a=a, a2=a2))
    out = tmp_path / "out"
    rc = main(["portfolio", str(path), "--draws", "10", "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 2
    assert f"{path}: {field}" in err and words in err, err
    assert "Traceback" not in err
    assert not out.exists()


def test_all_problems_at_once(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    a = SCENARIOS / "support_assistant.yaml"
    path = _write(
        tmp_path,
        "p.yaml",
        f'name: bad\nmembers: [{a}, gone.yaml]\nbudget: {{"1800": 5, "2027": 1}}\n',
    )
    assert main(["portfolio", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "members[1]" in err and "budget.1800" in err
    # a problem of the portfolio file's own fields no longer hides its members' problems
    bad = _write(tmp_path, "m.yaml", "name: m\nstart: 2027-01\n")
    path = _write(tmp_path, "q.yaml", f"name: bad\nmembers: [{a}, {bad}]\nbudgt: 1\n")
    assert main(["portfolio", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "budgt: unknown field" in err and f"{bad}: usage: required" in err
    twice = _write(tmp_path, "t.yaml", f"name: twice\nmembers: [{a}, {SCENARIOS}]\n")
    assert main(["portfolio", str(twice), "--out", str(tmp_path / "o")]) == 2
    assert "members[1]: support_assistant.yaml is already a member" in capsys.readouterr().err


def _shifted(name: str, start: str, horizon: int, new: str):  # noqa: ANN202
    """A bundled scenario moved and shortened; its commitments dropped (a term must start
    within the horizon, and a horizon of a few months may end before it)."""
    over = {"start": start, "horizon_months": horizon, "name": new, "commitments": []}
    return load_scenario(SCENARIOS / f"{name}.yaml", over)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["claims_triage", "support_assistant", "doc_extraction_gpu"]),
            st.integers(0, 18),
            st.integers(1, 30),
        ),
        min_size=1,
        max_size=4,
    ),
    st.integers(1, 12),
)
def test_any_members_sum_by_calendar_month(members, fy_start) -> None:  # noqa: ANN001
    from aiopex.inputs.portfolio_file import Portfolio, PortfolioModel
    from aiopex.months import add

    scenarios = [
        _shifted(name, add("2027-01", shift), h, f"m{i}")
        for i, (name, shift, h) in enumerate(members)
    ]
    model = PortfolioModel(
        name="p", members=["x"], shared=["finance.discount_rate"], fiscal_year_start=fy_start
    )
    pf = Portfolio(Path("p.yaml"), model, scenarios)
    r = run_portfolio(pf, 40, seed=3, scheduler="inline")
    total = r.cost.sum(axis=1)
    np.testing.assert_allclose(r.member_totals.sum(axis=0), total, rtol=1e-12)
    fy = sum(r.cost[:, idx].sum(axis=1) for idx in r.fiscal_year_index().values())
    np.testing.assert_allclose(fy, total, rtol=1e-12)
    assert sum(f["months"] for f in r.fiscal_years()) == len(r.months)
    covered = np.zeros(len(r.months), dtype=bool)
    for m in r.members:
        covered[m.offset : m.offset + m.horizon] = True
    assert not r.cost[:, ~covered].any()  # a gap between members costs nothing
    assert r.months[0] == min(s.start for s in scenarios)


@pytest.mark.parametrize(
    ("shared", "scheduler"),
    [
        # prices only: the member's amounts of those lines are computed again
        ("[finance.discount_rate, costs.*.escalation_per_year, costs.*.rate]", "inline"),
        # a usage field: the member runs a second time within its task
        ("[usage.bypass_rate, costs.*.rate]", "processes"),
    ],
)
def test_one_pass_views_equal_two_passes(tmp_path: Path, shared: str, scheduler: str) -> None:
    """run_portfolio_views gives, in one pass, the numbers of the two runs it replaces:
    the portfolio as it shares, and the same with every member independent."""
    import pandas as pd

    from aiopex.analyses.portfolio import run_portfolio_views

    later = _write(
        tmp_path,
        "gpu_later.yaml",
        f"extends: {SCENARIOS / 'doc_extraction_gpu.yaml'}\nname: gpu_later\n"
        'start: "2027-07"\nhorizon_months: 12\n',
    )
    members = [SCENARIOS / "claims_triage.yaml", SCENARIOS / "support_assistant.yaml", later]
    pf = load_portfolio(_portfolio(tmp_path, members, f"shared: {shared}\n"))
    workers = 2 if scheduler == "processes" else None
    both, alone = run_portfolio_views(pf, DRAWS, 8, scheduler, workers)
    assert alone is not None
    once = run_portfolio(pf, DRAWS, 8, scheduler, workers)
    twice = run_portfolio(pf, DRAWS, 8, scheduler, workers, shared=[])
    for got, want in ((both, once), (alone, twice)):
        for k in ("cost", "net", "point_cost", "point_net", "member_totals"):
            np.testing.assert_array_equal(getattr(got, k), getattr(want, k), err_msg=k)
        assert got.to_json() == want.to_json()
    pd.testing.assert_frame_equal(both.lines, once.lines)
    assert not np.array_equal(both.cost, alone.cost)  # sharing moves the draws
    assert alone.shared == [] and all(m.shared == [] for m in alone.members)


def test_one_pass_without_shared_fields(tmp_path: Path) -> None:
    from aiopex.analyses.portfolio import run_portfolio_views

    members = [SCENARIOS / "claims_triage.yaml", SCENARIOS / "support_assistant.yaml"]
    pf = load_portfolio(_portfolio(tmp_path, members))
    result, alone = run_portfolio_views(pf, 50, 3, "inline")
    assert alone is None
    np.testing.assert_array_equal(result.cost, run_portfolio(pf, 50, 3, "inline").cost)
