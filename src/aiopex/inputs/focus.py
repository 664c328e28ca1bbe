"""FOCUS 1.0 to 1.3 billing exports, read with DuckDB (docs/review.md).

One pass of DuckDB over the files (CSV, CSV.gz, Parquet, folders of them) groups
the rows by file, service month, billing period, account, rule, where they go
(a line, unmapped, a bucket, unused commitment), correction, currency and
``PricingUnit``, and counts every bad value; everything after that works on those
groups: the deliveries that stand (:mod:`aiopex.inputs.deliveries`), the units
(:mod:`aiopex.inputs.units`) and the actuals per line and month. The dates are parsed
and the rules evaluated once per distinct tuple of the columns they read, not per row
(:func:`_aggregate`).

Rules: a row goes to the first rule that matches it; a rule that does not name
``ChargeCategory`` matches ``Usage`` rows only; rows with
``CommitmentDiscountStatus`` Unused are never on a line. Tax, Credit, Adjustment
and Purchase rows no rule names go to their buckets; other rows no rule matches
are unmapped, by ``ServiceName``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import pandas as pd

from aiopex.errors import DataError, Problem
from aiopex.inputs.actuals import (
    BUCKETS,
    COST_BASIS,
    DETAIL_COLUMNS,
    UNUSED_KEYS,
    Actuals,
    _concat,
    _header,
    _kind,
    _unmix,
    expand,
)
from aiopex.inputs.deliveries import deliveries, standing
from aiopex.inputs.focus_sql import (
    NULL_LIST,
    NULLS,
    lookup_cte,
    name_rows,
    name_wide_rows,
    number_sql,
    raw_time_sql,
    source_sql,
    text_sql,
    time_sql,
    unreadable_csv,
)
from aiopex.inputs.mapping import (
    PROVIDER_COLUMNS,
    Mapping,
    base_column,
    case_sql,
    sql_ident,
    sql_string,
)
from aiopex.inputs.units import DRIVER_UNITS, conversion_text, factor

#: The columns the review needs besides the cost basis's and those the rules name.
FOCUS_NEEDED: tuple[str, ...] = (
    "ChargePeriodStart",
    "BillingPeriodStart",
    "BillingCurrency",
    "ChargeCategory",
    "ServiceName",
)
#: ISO 8601 date-times as FOCUS writes them: ``YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM)``.
ISO_DATETIME = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})"
_MANDATORY_10 = (
    "BilledCost BillingAccountId BillingAccountName BillingCurrency BillingPeriodEnd "
    "BillingPeriodStart ChargeCategory ChargeClass ChargeDescription ChargePeriodEnd "
    "ChargePeriodStart ContractedCost EffectiveCost InvoiceIssuerName ListCost "
    "PricingQuantity PricingUnit ServiceCategory ServiceName"
).split()
#: The mandatory columns of each FOCUS version (1.0 to 1.2 share them; 1.3 replaces
#: ``ProviderName`` and ``PublisherName`` by ``ServiceProviderName`` and
#: ``HostProviderName``).
MANDATORY: dict[str, tuple[str, ...]] = {
    "1.0": (*_MANDATORY_10, "ProviderName", "PublisherName"),
    "1.1": (*_MANDATORY_10, "ProviderName", "PublisherName"),
    "1.2": (*_MANDATORY_10, "ProviderName", "PublisherName"),
    "1.3": (*_MANDATORY_10, "ServiceProviderName", "HostProviderName"),
}
_KINDS = {b.lower(): b for b in BUCKETS}


def focus_version(header: list[str]) -> str | None:
    """The highest FOCUS version whose mandatory columns are all in ``header``.

    >>> focus_version(list(MANDATORY["1.3"])), focus_version(["ServiceName"])
    ('1.3', None)
    """
    cols = set(header)
    ok = [v for v, need in MANDATORY.items() if set(need) <= cols]
    return max(ok, key=lambda v: tuple(int(x) for x in v.split("."))) if ok else None


def read_focus(
    paths: Sequence[str | Path],
    *,
    mapping: Mapping,
    currency: str,
    cost_basis: str = "effective",
    lines: dict[str, str] | None = None,
    roots: Sequence[str | Path] | None = None,
) -> Actuals:
    """Read FOCUS 1.0 to 1.3 exports with DuckDB, grouped to line x month in the query.

    The month of a row is the calendar month of ``ChargePeriodStart`` in UTC; the
    amount is the ``cost_basis`` column (``EffectiveCost`` by default, a NULL one counts
    as 0 and is counted in ``quality["null_cost"]``); the quantity is ``PricingQuantity``
    in the line's unit (:mod:`aiopex.inputs.units`), missing for a line and month with a
    row without one or whose rows cannot be brought to one unit. ``""``, ``NULL``,
    ``null`` and ``(null)`` are null in every column. Where deliveries of one account's
    billing period repeat, the latest stands (:mod:`aiopex.inputs.deliveries`).

    Raises
    ------
    DataError
        Missing columns (per file), dates that are not ISO 8601, text, ``nan`` or ``inf``
        in cost or quantity columns, CSV rows with more or fewer values than the header
        (the first rows named), a billing currency other than ``currency``, a rule column
        that no file has, a unit a rule cannot convert without ``quantity_scale``,
        deliveries of one billing period that cannot be ordered.
    """
    import duckdb

    if cost_basis not in COST_BASIS:
        raise DataError(
            Problem("<command line>", "--cost-basis", f"expected one of {', '.join(COST_BASIS)}")
        )
    files, problems = expand(list(paths))
    if problems:
        raise DataError(problems)
    cost_col = COST_BASIS[cost_basis]
    con = duckdb.connect()
    try:
        headers: dict[Path, list[str]] = {}
        for f in files:
            try:
                headers[f] = _header(f, con)
            except Exception as e:  # noqa: BLE001 - any unreadable file is a problem to list
                problems.append(Problem(str(f), "", f"unreadable: {e}"))
        if problems:
            raise DataError(problems)
        # every problem at once: the files are read even with columns missing (read as NULL)
        problems += _column_problems(headers, mapping, cost_col)

        # run folders are looked for inside the folders named (``roots``, else ``paths``)
        delivery, found = deliveries(files, [Path(p) for p in (roots or paths)])
        problems += found
        # accounts matter only where deliveries may overlap (a delivery never supersedes itself)
        by_account = len({d.name for d in delivery.values()}) > 1
        frames = []
        con.execute("SET TimeZone = 'UTC'")
        for kind in ("csv", "parquet"):
            group = [f for f in files if _kind(f) == kind]
            if group:
                got = _focus_group(
                    con, group, kind, mapping, currency, cost_col, headers, by_account
                )
                if isinstance(got, list):
                    problems += got
                else:
                    frames.append(got[0])
                    problems += got[1]
    finally:
        con.close()
    if not frames:
        raise DataError(problems)
    agg = pd.concat(frames, ignore_index=True)
    try:
        out = _actuals(agg, files, headers, delivery, mapping, lines or {}, currency, cost_col)
    except DataError as e:
        problems += e.problems
    if problems:
        raise DataError(problems)
    return out


def _column_problems(
    headers: dict[Path, list[str]], mapping: Mapping, cost_col: str
) -> list[Problem]:
    """Missing needed columns per file, and rule columns that no file has."""
    problems = []
    for f, cols in headers.items():
        missing = [c for c in (*FOCUS_NEEDED, cost_col) if c not in cols]
        if missing:
            problems.append(Problem(str(f), "", f"missing FOCUS columns: {', '.join(missing)}"))
    all_cols: set[str] = set().union(*headers.values()) if headers else set()
    named = [(f"rules[{i}]", r) for i, r in enumerate(mapping.rules)]
    named += [(f"commitments[{i}]", r) for i, r in enumerate(mapping.commitments)]
    for where, rule in named:
        for col, _ in rule.match:
            base = base_column(col)
            ok = base in all_cols or (
                base in PROVIDER_COLUMNS and any(p in all_cols for p in PROVIDER_COLUMNS)
            )
            if not ok:
                near = difflib.get_close_matches(base, sorted(all_cols), n=1)
                hint = f"; did you mean {near[0]}?" if near else ""
                problems.append(
                    Problem(
                        mapping.path,
                        f"{where}.match.{col}",
                        f"no such column in the export{hint}",
                    )
                )
    return problems


def _focus_group(
    con: Any,
    files: list[Path],
    kind: str,
    mapping: Mapping,
    currency: str,
    cost_col: str,
    headers: dict[Path, list[str]],
    by_account: bool = True,
) -> tuple[pd.DataFrame, list[Problem]] | list[Problem]:
    """The row groups of the files of one kind and every problem found in them, or only
    the problems of files that cannot be read."""
    import duckdb

    problems: list[Problem] = []
    all_cols: set[str] = set().union(*(headers[f] for f in files))
    src = source_sql(files, kind, headers)
    if kind == "csv":
        # every column as text, dates and numbers parsed in the query (TRY_CAST), so that
        # every bad value is counted and named, and rows of the wrong width are seen
        types = {c: "VARCHAR" for c in all_cols}
        try:
            agg, conds = _aggregate(con, src, types, mapping, cost_col, "__width", by_account)
        except duckdb.Error:
            bad, problems = unreadable_csv(con, files, headers)
            rest = [f for f in files if f not in bad]
            if rest:  # the other files' problems too
                more = _focus_group(
                    con, rest, kind, mapping, currency, cost_col, headers, by_account
                )
                problems += more if isinstance(more, list) else more[1]
            return problems
        if agg["bad_width"].sum() > 0:
            problems.extend(name_wide_rows(con, src, headers, int(agg["bad_width"].sum())))
    else:
        types = {
            r[0]: str(r[1]).upper()
            for r in con.execute(f"DESCRIBE SELECT * FROM {src} LIMIT 0").fetchall()
        }
        agg, conds = _aggregate(con, src, types, mapping, cost_col, "false", by_account)
    for what, col in conds:
        if col in types and agg[what].sum() > 0:  # a missing column is named already
            problems.extend(
                name_rows(con, src, kind, col, conds[(what, col)], int(agg[what].sum()))
            )
    has_cur = {str(f) for f in files if "BillingCurrency" in headers[f]}
    seen_cur = agg[agg["filename"].astype(str).isin(has_cur)]
    wrong = seen_cur[seen_cur["cur"].fillna("") != currency].groupby("filename")["cur"].unique()
    for fname, curs in wrong.items():
        seen = ", ".join(sorted(str(c) if c is not None else "(empty)" for c in curs))
        problems.append(
            Problem(
                str(fname),
                "BillingCurrency",
                f"{seen} is not the scenario's currency {currency}; no currency conversion is done",
            )
        )
    return agg, problems


def _actuals(
    agg: pd.DataFrame,
    files: list[Path],
    headers: dict[Path, list[str]],
    delivery: dict[str, Any],
    mapping: Mapping,
    lines: dict[str, str],
    currency: str,
    cost_col: str,
) -> Actuals:
    """The actuals from the row groups: deliveries, units, lines, buckets, quality."""
    keep, superseded, problems = standing(agg, delivery, mapping.exports == "incremental")
    agg = agg[keep.to_numpy()].copy()
    names = [r.line for r in mapping.rules]
    agg["line"] = [names[int(i)] if pd.notna(i) else None for i in agg["rule"]]

    # units: the rule's quantity_scale, else the conversion of PricingUnit to the driver's
    mapped = agg[agg["kind"] == "line"].copy()
    conv: dict[tuple[int, Any], tuple[float | None, Any]] = {}
    conversions = []
    mapped["unit"] = [None if pd.isna(u) else str(u) for u in mapped["unit"]]
    for key, g in mapped.groupby(["rule", "unit"], sort=True, dropna=False):
        r, unit = cast(tuple[Any, Any], key)
        i = int(r)
        rule = mapping.rules[i]
        u = None if pd.isna(unit) else str(unit)
        driver = lines.get(rule.line, "")
        f: float | None = None
        label: Any = None
        if u is not None and rule.quantity_scale is not None:
            f, label = rule.quantity_scale, u
        elif u is not None:
            f = factor(u, driver)
            label = DRIVER_UNITS[driver][0] if f is not None else None
            if f is None:
                want = DRIVER_UNITS.get(driver, ("", 0))[0]
                problems.append(
                    Problem(
                        mapping.path,
                        f"rules[{i}]",
                        f"PricingUnit {u!r} of {int(g['rows'].sum())} row(s) cannot be converted "
                        f"to the unit of line {rule.line} ({driver}"
                        + (f": {want}s)" if want else ")")
                        + "; give the rule a quantity_scale (driver units per PricingQuantity)",
                    )
                )
        conv[(i, u)] = (f, label)
        if u is not None:
            conversions.append(
                {
                    "line": rule.line,
                    "rule": i,
                    "unit": u,
                    "rows": int(g["rows"].sum()),
                    "conversion": None
                    if f is None
                    else conversion_text(u, driver, f, rule.quantity_scale),
                }
            )
    if problems:
        raise DataError(problems)
    keys = [
        (int(r), None if pd.isna(u) else str(u))
        for r, u in zip(mapped["rule"], mapped["unit"], strict=True)
    ]
    fac = [conv[k][0] for k in keys]
    mapped["as"] = [conv[k][1] for k in keys]
    mapped["quantity"] = [
        q * f if f is not None and n == 0 and pd.notna(q) else float("nan")
        for q, f, n in zip(mapped["quantity"], fac, mapped["qty_missing"], strict=True)
    ]
    out = Actuals.empty()
    with_unit = mapped[mapped["unit"].notna()]
    out.units = _concat([with_unit], ["line", "month", "unit", "as"], ["amount", "rows"])
    by_lm = _concat([mapped], ["line", "month"], ["amount", "quantity", "rows"])
    out.lines = _unmix(by_lm, out.units)
    um = agg[agg["kind"] == "unmapped"]
    out.unmapped = _concat([um], ["service", "month"], ["amount", "rows"])
    bk = agg[agg["kind"].isin(list(_KINDS))].copy()
    bk["bucket"] = bk["kind"].map(_KINDS)
    out.buckets = _concat([bk], ["bucket", "month"], ["amount", "rows"])
    un = agg[agg["kind"] == "unused"].copy()
    groups = [r.line for r in mapping.commitments]
    un["group"] = [groups[int(i)] if pd.notna(i) else None for i in un["crule"]]
    out.unused = _concat([un], UNUSED_KEYS, ["amount", "rows"])
    corr = agg[agg["correction"]]
    out.corrections = _concat([corr], ["line", "month", "billing_month"], ["amount", "rows"])
    out.detail = agg[DETAIL_COLUMNS].reset_index(drop=True)
    out.currencies = {currency}
    out.files = [str(f) for f in files]
    for df in (out.lines, out.unmapped, out.buckets, out.corrections, out.units, out.unused):
        df["rows"] = df["rows"].astype(int)
    out.quality = _quality(agg, headers, mapping, cost_col, superseded, conversions)
    return out


def _quality(
    agg: pd.DataFrame,
    headers: dict[Path, list[str]],
    mapping: Mapping,
    cost_col: str,
    superseded: list[dict[str, Any]],
    conversions: list[dict[str, Any]],
) -> dict[str, Any]:
    """What a FinOps practitioner reads first about the exports."""
    versions = {str(f): focus_version(h) for f, h in headers.items()}
    seen = {v for v in versions.values()}
    order = sorted((v for v in seen if v), key=lambda v: tuple(int(x) for x in v.split(".")))
    notes = []
    no_class = [str(f) for f, h in headers.items() if "ChargeClass" not in h]
    if no_class:
        notes.append(
            f"{len(no_class)} file(s) have no ChargeClass column (mandatory in FOCUS): read as "
            f"no corrections ({', '.join(no_class[:3])}{', ...' if len(no_class) > 3 else ''})"
        )
    if None in seen:
        short = [f for f, v in versions.items() if v is None]
        notes.append(
            f"{len(short)} file(s) lack some mandatory FOCUS columns; read with the columns "
            f"the review needs ({', '.join(short[:3])}{', ...' if len(short) > 3 else ''})"
        )
    for i, rule in enumerate(mapping.rules):
        for col, _ in rule.match:
            base = base_column(col)
            if base in PROVIDER_COLUMNS:
                lacking = [str(f) for f, h in headers.items() if not set(PROVIDER_COLUMNS) & set(h)]
            else:
                lacking = [str(f) for f, h in headers.items() if base not in h]
            if lacking:
                notes.append(
                    f"rules[{i}] ({rule.line}) names {col}, which {len(lacking)} file(s) lack: "
                    f"it matches nothing there ({', '.join(lacking[:3])})"
                )
    null_rows = int(agg["null_cost"].sum())
    return {
        "focus_version": order[0] if order and None not in seen else None,
        "focus_versions": versions,
        "cost_column": cost_col,
        "conversions": conversions,
        "superseded_exports": superseded,
        "null_cost": {"column": cost_col, "rows": null_rows},
        "notes": notes,
    }


#: The columns whose raw text the first step groups by, besides those the rules name.
_KEY_COLUMNS: tuple[str, ...] = (
    "ChargePeriodStart",
    "BillingPeriodStart",
    "x_ExportDateTime",
    "PricingUnit",
    "ChargeCategory",
    "ChargeClass",
    "CommitmentDiscountStatus",
    "CommitmentDiscountName",
    "CommitmentDiscountId",
    "ServiceName",
    "BillingCurrency",
)


def _aggregate(
    con: Any,
    src: str,
    types: dict[str, str],
    mapping: Mapping,
    cost_col: str,
    width: str = "false",
    by_account: bool = True,
) -> tuple[pd.DataFrame, dict[tuple[str, str], str]]:
    """One pass over the export: sums per file, service month, billing period, account,
    rule, destination (``kind``), commitment, service, correction, currency and (for rows
    a rule maps) ``PricingUnit``, with counts of unparseable values. Returns the frame and
    ``{(count column, export column): SQL condition of a bad value}``.

    The pass groups the rows by the raw text of the columns the result depends on (the
    key tuples: dates, account, unit, category, class, commitment, service, currency and
    the columns the rules name), parsing and checking the numbers of each row; the dates
    are parsed and the rules evaluated once per distinct key tuple, whose sums are then
    added up by rule, month and destination in one order on one thread (the same sums on
    every run). Every value of the second step is a function of the key
    tuple, so the groups are those of a row-by-row pass; the sums differ from one only
    by the order of the additions (floating-point rounding)."""
    named = {c for c in mapping.columns() if c in types}
    if mapping.columns() & set(PROVIDER_COLUMNS):  # either name reads whichever is there
        named |= {p for p in PROVIDER_COLUMNS if p in types}
    keys = named | {
        c for c in (*_KEY_COLUMNS, *(("BillingAccountId",) if by_account else ())) if c in types
    }
    key_list = sorted(keys)
    colsql = {c: text_sql(c, types) for c in named}
    cat = text_sql("ChargeCategory", types)
    colsql["ChargeCategory"] = cat
    rule_sql = case_sql(mapping, colsql)
    # the commitment (of the mapping's ``commitments``) an Unused row belongs to
    commit_sql = case_sql(Mapping(mapping.commitments), colsql, usage_only=False)
    ts, bad_ts = time_sql("ChargePeriodStart", types, True)
    bps = raw_time_sql("BillingPeriodStart", types)
    exported, bad_exp = time_sql("x_ExportDateTime", types, False)
    cost, bad_cost = number_sql(cost_col, types)
    billed, bad_billed = number_sql("BilledCost", types)
    qty, bad_qty = number_sql("PricingQuantity", types)
    in_query = {
        "cost": number_sql(cost_col, types, "cost")[1],
        "billed": number_sql("BilledCost", types, "billed")[1],
        "qty": number_sql("PricingQuantity", types, "qty")[1],
    }
    unused = f"coalesce({text_sql('CommitmentDiscountStatus', types)} = 'Unused', false)"
    commitment = (
        f"coalesce({text_sql('CommitmentDiscountName', types)}, "
        f"{text_sql('CommitmentDiscountId', types)}, '(unnamed commitment)')"
    )
    kinds = ", ".join(sql_string(b) for b in BUCKETS)
    # a commitment's name is read for Unused rows only: not a key of the others (unless
    # a rule reads it: the used rows of a commitment matched by its id)
    read = {base_column(c) for r in mapping.rules for c, _ in r.match}
    mask = ", ".join(
        f"CASE WHEN {unused} THEN {sql_ident(c)} END AS {sql_ident(c)}"
        for c in ("CommitmentDiscountName", "CommitmentDiscountId")
        if c in types and c not in read
    )
    star = f"* REPLACE ({mask})" if mask else "*"
    group = ", ".join(["filename", *(sql_ident(c) for c in key_list)])
    keys_sql = f"""
        WITH r AS (
            SELECT {star}, {cost} AS cost, {billed} AS billed, {qty} AS qty,
                   {width} AS bad_width
            FROM {src}
        )
        SELECT {group},
                   sum(cost) AS cost, sum(billed) AS billed, sum(qty) AS qty,
                   count(*) AS n, count_if(qty IS NULL) AS n_qty_null,
                   count_if(cost IS NULL AND NOT {in_query["cost"]}) AS n_null_cost,
                   count_if({in_query["cost"]}) AS n_bad_cost,
                   count_if({in_query["billed"]}) AS n_bad_billed,
                   count_if({in_query["qty"]}) AS n_bad_qty,
                   count_if(bad_width) AS n_bad_width
        FROM r
        GROUP BY {group}
        ORDER BY hash({group})
    """
    # the dates parsed, and the rules evaluated, once per distinct value of what they read
    dates, date_join = lookup_cte(
        "dates", ["ChargePeriodStart"], types, f"{ts} AS __ts, strftime(__ts, '%Y-%m') AS __month"
    )
    rule_cols = sorted((set(colsql) | {"ChargeCategory", "CommitmentDiscountStatus"}) & set(types))
    rules, rule_join = lookup_cte(
        "rules", rule_cols, types, f"CASE WHEN {unused} THEN NULL ELSE {rule_sql} END AS __rule"
    )
    query = f"""
        WITH {dates} {rules} t AS (
            SELECT filename, __ts AS ts, __month AS month, {bps} AS bps_raw,
                   {exported} AS exported,
                   {text_sql("BillingAccountId", types) if by_account else "NULL"} AS account,
                   cost, billed, qty, n, n_qty_null, n_null_cost, n_bad_cost, n_bad_billed,
                   n_bad_qty, n_bad_width,
                   {text_sql("PricingUnit", types)} AS unit, {cat} AS cat,
                   {text_sql("ChargeClass", types)} AS klass, {unused} AS unused,
                   __rule AS rule,
                   {text_sql("ServiceName", types)} AS service,
                   {text_sql("BillingCurrency", types)} AS cur,
                   (ts IS NULL) AS bad_ts, {bad_exp} AS bad_exp,
                   CASE WHEN unused THEN {commitment} END AS commitment,
                   CASE WHEN unused THEN {commit_sql} END AS crule
            FROM __keys {date_join} {rule_join}
        ), k AS (
            SELECT *, CASE WHEN unused THEN 'unused' WHEN rule IS NOT NULL THEN 'line'
                           WHEN cat IN ({kinds}) THEN lower(cat) ELSE 'unmapped' END AS kind
            FROM t
        )
        SELECT filename, month, bps_raw,
               account, rule, kind,
               CASE WHEN kind = 'unused' THEN commitment END AS commitment, crule,
               CASE WHEN kind = 'unmapped' THEN coalesce(service, '(no ServiceName)') END
                   AS service,
               coalesce(klass = 'Correction', false) AS correction, cur,
               CASE WHEN rule IS NOT NULL THEN unit END AS unit,
               coalesce(sum(cost), 0) AS amount,
               coalesce(sum(billed), 0) AS billed,
               sum(qty) AS quantity, CAST(sum(n) AS BIGINT) AS rows,
               CAST(sum(CASE WHEN rule IS NOT NULL THEN n_qty_null ELSE 0 END) AS BIGINT)
                   AS qty_missing,
               CAST(sum(n_null_cost) AS BIGINT) AS null_cost, max(exported) AS exported,
               CAST(sum(CASE WHEN bad_ts THEN n ELSE 0 END) AS BIGINT) AS bad_ts,
               CAST(sum(CASE WHEN bad_exp THEN n ELSE 0 END) AS BIGINT) AS bad_exp,
               CAST(sum(n_bad_cost) AS BIGINT) AS bad_cost,
               CAST(sum(n_bad_billed) AS BIGINT) AS bad_billed,
               CAST(sum(n_bad_qty) AS BIGINT) AS bad_qty,
               CAST(sum(n_bad_width) AS BIGINT) AS bad_width
        FROM k
        GROUP BY ALL
    """
    conds = {
        ("bad_ts", "ChargePeriodStart"): bad_ts,
        ("bad_exp", "x_ExportDateTime"): bad_exp,
        ("bad_cost", cost_col): bad_cost,
        ("bad_billed", "BilledCost"): bad_billed,
        ("bad_qty", "PricingQuantity"): bad_qty,
    }
    # the key tuples in a table in one order (of their hashes: a tie, which only two
    # tuples with the same 64-bit hash would make, leaves the order of two additions to
    # chance), added up on one thread in that order: the same sums on every run (threads
    # would add them in the order they finish)
    con.execute(f"CREATE OR REPLACE TEMP TABLE __keys AS {keys_sql}")
    threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    try:
        con.execute("SET threads = 1")
        agg = con.execute(query).df()
    finally:
        con.execute(f"SET threads = {int(threads)}")
        con.execute("DROP TABLE IF EXISTS __keys")
    # BillingPeriodStart has a few values (one per billing period): parsed once each here
    month = {v: _iso_month(v) for v in agg["bps_raw"].unique()}
    agg["billing_month"] = agg["bps_raw"].map(month)
    agg["bad_bps"] = agg["rows"].where(agg["billing_month"].isna(), 0)

    def null(v: Any) -> bool:
        return v is None or (isinstance(v, float) and pd.isna(v)) or str(v).strip() in NULLS

    bad = [v for v, m in month.items() if m is None and not null(v)]
    nulls = any(null(v) for v in month)
    listed = " OR ".join(
        ([f"{bps} IN ({', '.join(sql_string(str(v)) for v in bad)})"] if bad else [])
        + ([f"({bps} IS NULL OR trim({bps}) IN ({NULL_LIST}))"] if nulls else [])
    )
    conds[("bad_bps", "BillingPeriodStart")] = f"({listed or 'false'})"
    return agg, conds


_ISO = re.compile(ISO_DATETIME)


def _iso_month(text: Any) -> str | None:
    """``YYYY-MM`` (UTC) of an ISO 8601 date-time, or None for anything else.

    >>> _iso_month("2025-04-30T22:00:00-02:00"), _iso_month("4/1/25"), _iso_month(None)
    ('2025-05', None, None)
    """
    if text is None or (isinstance(text, float) and pd.isna(text)) or text.strip() in NULLS:
        return None
    if not _ISO.fullmatch(str(text)):
        return None
    try:
        t = pd.Timestamp(str(text))
    except ValueError:
        return None
    return t.tz_convert("UTC").strftime("%Y-%m")
