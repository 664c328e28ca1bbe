"""What the review's report and workbook show (without running the notebook): usage and
accuracy, monthly actuals as reported, a line without actuals never a saving, formatting,
and the share of lines expected outside their band by chance (REVIEW.md)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_review import Q1, actuals, baseline, q1_actuals, usage

from aiopex.analyses.review import Inputs, Review, compute_review, public_json
from aiopex.model import variance as V  # noqa: N812
from aiopex.notebook import load_review
from aiopex.outputs import review_report as rr


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Review, dict, Path]:
    """The hand-built review (the vector store has no actuals, accuracy 0.84 < 0.85 in
    2027-02) with its json, monthly CSVs and workbook written."""
    from aiopex.outputs.review_excel import write_review_workbook

    folder = tmp_path_factory.mktemp("review")
    rv = Review.from_data(compute_review(baseline(), Q1, Inputs(q1_actuals(), usage()), "2027-Q1"))
    (folder / "review.json").write_text(json.dumps(rv.to_json()))
    rr.write_monthly(rv, folder)
    write_review_workbook(rv, folder / "review.xlsx")
    return rv, json.loads((folder / "review.json").read_text()), folder


def read(pub: dict) -> Review:
    """The review as the notebook reads it back from ``review.json``."""
    return Review.from_data(pub)


def _html(x: object) -> str:
    return x.to_html() if hasattr(x, "to_html") else str(x)


def test_usage_and_degraded_accuracy_shown(written) -> None:
    """Item 1: requests get a row like a cost line; months below acceptable are listed,
    prominently, in the report and in the workbook."""
    from openpyxl import load_workbook

    _, pub, folder = written
    head = str(rr.headline(read(pub)))
    assert "The model degraded" in head and "2027-02 (0.84)" in head
    assert "Requests: 330,000 against a baseline of 300,000" in head
    ut = _html(rr.usage_table(read(pub)))
    assert "requests" in ut and "330,000" in ut and "+10.0%" in ut
    at = _html(rr.accuracy_table(read(pub)))
    assert "BELOW ACCEPTABLE" in at and at.count("BELOW ACCEPTABLE") == 1
    wb = load_workbook(folder / "review.xlsx", data_only=True)
    assert "degraded" in wb["Lines"]["J1"].value and "2027-02" in wb["Lines"]["J1"].value
    us = wb["Usage"]
    cells = {(c.row, c.column): c.value for row in us.iter_rows() for c in row}
    assert "requests" in cells.values() and 330000 in cells.values()
    below = [r for r in us.iter_rows(values_only=True) if r[0] == "2027-02"][0]
    assert below[1] == pytest.approx(0.84) and below[4] is True


def test_monthly_actuals_are_what_was_reported(written) -> None:
    """Item 2: the month's actual sums the lines' reported actuals (a line without actuals
    counts as 0, as in the total), so the period's months add up to the headline actual;
    the line file holds lines only; the outlook's months say what they include."""
    from openpyxl import load_workbook

    rv, pub, folder = written
    monthly, totals = load_review(folder / "review.json")[1:]
    t = totals.set_index("month").loc[Q1]
    assert t["actual"].sum() == pytest.approx(pub["total"]["actual"])
    vs = [r for r in pub["lines"] if r["status"] == "no_actuals"]
    assert t["baseline_no_actuals"].sum() == pytest.approx(sum(r["baseline"] for r in vs))
    lines = monthly[monthly["month"].isin(Q1)]
    assert "(total)" not in set(monthly["line"])  # summing the file never double-counts
    assert lines["actual"].sum() == pytest.approx(pub["total"]["actual"])
    ws = load_workbook(folder / "review.xlsx", data_only=True)["Reforecast"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[2][:4] == ("month", "actual (reported)", "baseline of lines without actuals",
                           "outlook amount")  # fmt: skip
    jan = next(r for r in rows if r[0] == "2027-01")
    assert jan[1] == pytest.approx(t.loc["2027-01", "actual"]) and jan[2] == pytest.approx(500)


def test_line_without_actuals_is_not_a_saving(written) -> None:
    """Item 3: the vector store (no actuals) is flagged, never F; the headline gives the
    lines with actuals against their own baseline; the bridge puts it apart."""
    _, pub, _ = written
    vs = next(r for r in pub["lines"] if r["line"] == "vector_store")
    assert vs["actual"] == 0 and vs["variance"] == pytest.approx(-1500)  # A = 0 (REVIEW.md)
    assert rr.favourable(vs["variance"], vs["status"]) == "no actuals"
    table = rr.line_table(read(pub))
    df = table.data
    assert df.loc[df["line"] == "vector_store", "F/U"].item() == "no actuals"
    assert "fef0c7" in table.to_html()  # shaded
    rp = rr.reported(read(pub))
    tot = pub["total"]
    assert rp.baseline == pytest.approx(tot["baseline"] - 1500)
    assert rp.variance == pytest.approx(tot["variance"] + 1500)
    head = str(rr.headline(read(pub)))
    assert "1 line with no actuals: vector_store" in head and "not as a saving" in head
    assert f"EUR {rp.variance:+,.0f}" in head
    fig = rr.bridge_chart(read(pub))
    data = next(ax for ax in fig.axes if ax.get_title().startswith("data"))
    assert "no actuals" in [t.get_text() for t in data.get_xticklabels()]
    green = [p for p in data.patches if p.get_facecolor()[:3] == pytest.approx((0, 0x7A / 255,
             0x48 / 255), abs=1e-3)]  # fmt: skip
    assert not green  # the missing line is not drawn as a saving
    assert "without actuals" in data.get_title()


def test_formatting_zero_and_materiality(written) -> None:
    """Item 4: no ``-0``; no F/U for a variance that rounds to 0; bridge axes in money with
    labelled bars and headroom; the workbook prints landscape one page wide, shows TRUE and
    FALSE, and its headers fit."""
    from openpyxl import load_workbook

    from aiopex.outputs.review_excel import BOOL_FORMAT

    rv, pub, folder = written
    assert rr.whole(-0.0038) == "0" and rr.whole(-2.6) == "-3" and rr.whole(None) == ""
    assert rr.favourable(0.0012, "ok") == ""
    tweaked = json.loads(json.dumps(pub))
    tweaked["lines"][0].update(price=-0.0038, unexplained=-1e-13, variance=0.0012)
    html = rr.line_table(read(tweaked)).to_html()
    assert ">-0<" not in html and ">-0.0<" not in html
    assert tweaked["lines"][0]["line"] == "llm_input_tokens"
    df = rr.line_table(read(tweaked)).data
    assert df.loc[0, "F/U"] == ""
    assert "material" in df.columns
    fig = rr.bridge_chart(read(pub))
    ax = fig.axes[0]
    ticks = ax.yaxis.get_major_formatter()(2000.0, 0)
    assert ticks == "€2.0k"
    labels = [t.get_text() for t in ax.texts]
    assert any(s.startswith("€") for s in labels) and any(s.startswith("+€") for s in labels)
    top = max(p.get_y() + p.get_height() for p in ax.patches)
    assert ax.get_ylim()[1] >= 1.15 * top
    wb = load_workbook(folder / "review.xlsx", data_only=True)
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth in (None, 1)  # 1 is the default, left out
        assert ws.page_setup.fitToHeight == 0  # as many pages tall as needed
    lines = wb["Lines"]
    assert lines["C1"].value == "materiality amount"
    width = next(d.width for d in lines.column_dimensions.values() if d.min <= 3 <= d.max)
    assert width >= len("materiality amount")
    header = [c.value for c in lines[2]]
    mat = header.index("material") + 1
    assert lines.cell(3, mat).number_format == BOOL_FORMAT
    assert lines.cell(3, mat + 1).number_format == BOOL_FORMAT


@pytest.mark.slow
def test_workbook_prints_flags_as_true_false(written, tmp_path: Path) -> None:
    """Item 4: printed by LibreOffice, a line's row fits one page width and its material
    and investigate flags read TRUE/FALSE (a cached boolean showed as 1 there)."""
    import shutil
    import subprocess

    soffice, pdftotext = shutil.which("soffice"), shutil.which("pdftotext")
    if soffice is None or pdftotext is None:
        pytest.skip("LibreOffice or pdftotext is not installed")
    _, pub, folder = written
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(folder / "review.xlsx")],
                   check=True, capture_output=True, timeout=120)  # fmt: skip
    text = subprocess.run([pdftotext, "-layout", str(tmp_path / "review.pdf"), "-"],
                          check=True, capture_output=True, text=True).stdout  # fmt: skip
    row = next(ln for ln in text.splitlines() if ln.startswith("vector_store"))
    assert row.split()[-2:] == ["TRUE", "FALSE"]  # material, not investigate (no actuals)


def test_expected_outside_over_lines_that_can_vary(written) -> None:
    """Item 5: a fixed line (P10 = P90) cannot fall outside its band by chance; the share
    expected is stated over the lines whose forecast has a range."""
    rng = np.random.default_rng(3)
    items = [
        V.LineInput("a", "compute", "fixed", 100.0, 1.0, 100.0, 1.0, rng.normal(100, 10, 1000)),
        V.LineInput("b", "compute", "fixed", 100.0, 1.0, 100.0, 1.0, np.full(1000, 100.0)),
        V.LineInput("c", "data", "fixed", 100.0, 1.0, 100.0, 1.0, np.full(1000, 100.0)),
    ]
    rows = V.line_rows(items, None, None)
    ch = V.outside_by_chance(rows)
    assert ch["can_vary"] == 1 and ch["fixed"] == ["b", "c"] and ch["of"] == 3
    assert ch["expected_lines"] == pytest.approx(0.2, abs=0.01)
    assert ch["expected_share"] == pytest.approx(0.2, abs=0.01)
    assert V.outside_band(rows)["expected_share"] == 0.2  # review.json's field: unchanged
    pub = json.loads(json.dumps(written[1]))
    pub["outside_band_by_chance"] = ch
    head = str(rr.headline(read(pub)))
    assert "20% of the 1 lines whose forecast has a range" in head
    assert "the other 2 are fixed in the forecast (P10 = P90) and cannot" in head


def test_no_usage_actuals_said_plainly() -> None:
    rv = read(public_json(compute_review(baseline(), Q1, Inputs(actuals([
        ("gpu", m, 6000.0, 3.0) for m in Q1])), "2027-Q1")))  # fmt: skip
    assert "No usage actuals" in str(rr.headline(rv))
    assert "No usage actuals" in str(rr.usage_table(rv))
    assert "degraded" not in str(rr.headline(rv))


def test_every_formula_has_its_cached_value(written) -> None:
    """A line without actuals has no actual price and no band: its formulas cache "n/a",
    not an empty result (XlsxWriter writes an empty text as no cached value at all, so a
    previewer or Protected View showed nothing there)."""
    import re
    import zipfile

    rv, pub, folder = written
    assert rv.sections.no_actuals()
    with zipfile.ZipFile(folder / "review.xlsx") as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        empty = {
            n: re.findall(r'<c r="([A-Z]+\d+)"[^>]*><f>[^<]*</f><v></v>', z.read(n).decode())
            for n in sheets
        }
    assert not {n: cells for n, cells in empty.items() if cells}
    from openpyxl import load_workbook

    ws = load_workbook(folder / "review.xlsx", data_only=True)["Lines"]
    header = [c.value for c in ws[2]]
    rows = [dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=3, values_only=True)]
    gone = [r for r in rows if r["status"] == "no_actuals"]
    assert gone and all(r["band"] == "n/a" for r in gone)
