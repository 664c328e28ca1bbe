"""The SQL the FOCUS reader runs on DuckDB (docs/review.md), and the problems it names.

:func:`source_sql` reads the files (CSV as text, header as read, no sniffing; Parquet
by column name); :func:`text_sql`, :func:`number_sql`, :func:`time_sql` and
:func:`raw_time_sql` turn a column into text, a finite number or an ISO 8601 date-time
with the condition of a bad value; :func:`lookup_cte` evaluates expressions once per
distinct key tuple. On the error path, :func:`unreadable_csv`, :func:`name_wide_rows`
and :func:`name_rows` name the files and rows at fault. :mod:`aiopex.inputs.focus`
puts them together.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from aiopex.errors import Problem
from aiopex.inputs.actuals import _GROUPED, _MAX_ROWS_NAMED, _not_a_number
from aiopex.inputs.mapping import sql_ident, sql_string

#: Text that is null in every column of an export.
NULLS: tuple[str, ...] = ("", "NULL", "null", "(null)")


def source_sql(files: list[Path], kind: str, headers: dict[Path, list[str]]) -> str:
    """The DuckDB table function(s) reading ``files``.

    CSV files are read with their header as read here and no sniffing (what a sniffer
    guesses from a sample is not what a bad row holds), every column as text, with no
    null string (null spellings are made null in the query) and one more column than
    the header, ``__extra``: DuckDB drops an extra trailing field that is null without
    a word, so an unquoted decimal comma (``100,5`` is two values) in a row ending with
    ``NULL`` shifted the row by one column. ``__width`` is true for a row with more
    values than the header, or fewer. Files with different headers (FOCUS versions) are
    combined by column name. Folder names are never read as columns (no Hive
    partitioning): a value comes from the file, whatever folder ``key=value`` holds it.
    """
    if kind == "parquet":
        names = "[" + ", ".join(sql_string(str(f)) for f in files) + "]"
        return f"read_parquet({names}, union_by_name=true, filename=true, hive_partitioning=false)"
    groups: dict[tuple[str, ...], list[Path]] = {}
    for f in files:
        groups.setdefault(tuple(headers[f]), []).append(f)
    parts = []
    for header, group in groups.items():
        names = "[" + ", ".join(sql_string(str(f)) for f in group) + "]"
        cols = "{" + ", ".join(f"{sql_string(c)}: 'VARCHAR'" for c in (*header, "__extra")) + "}"
        width = f"(__extra IS NOT NULL OR {sql_ident(header[-1])} IS NULL)"
        parts.append(
            f"SELECT *, {width} AS __width "
            f"FROM read_csv({names}, auto_detect=false, header=true, delim=',', "
            f"quote='\"', escape='\"', columns={cols}, nullstr=[{sql_string(_NO_NULL)}], "
            f"null_padding=true, filename=true, hive_partitioning=false)"
        )
    return "(" + " UNION ALL BY NAME ".join(parts) + ")"


#: The CSV reader's null string: one no export holds (the null spellings are made null in
#: the query, so that a trailing ``NULL`` beyond the header's columns is seen).
_NO_NULL = "\x01"
NULL_LIST = ", ".join(sql_string(n) for n in NULLS)


def text_sql(col: str, types: dict[str, str]) -> str:
    """A column as text, null for the null spellings; NULL where no file has it."""
    if col not in types:
        return "CAST(NULL AS VARCHAR)"
    c = sql_ident(col)
    if types[col] == "VARCHAR":
        return f"(CASE WHEN {c} IN ({NULL_LIST}) THEN NULL ELSE {c} END)"
    return f"CAST({c} AS VARCHAR)"


def number_sql(col: str, types: dict[str, str], alias: str | None = None) -> tuple[str, str]:
    """SQL of a numeric column as DOUBLE, and the condition of a value that is not a finite
    number: text DuckDB does not read as one (``2,5``, ``1,234.5``: no decimal commas or
    thousands separators in FOCUS), ``nan`` and ``inf`` (DuckDB reads them; a NaN row
    dropped out of a sum, an infinite one made the line infinite). With ``alias``, the
    condition reads the number from that column of the same query (parsed once)."""
    if col not in types:
        return "CAST(NULL AS DOUBLE)", "false"
    c = sql_ident(col)
    if types[col] == "VARCHAR":
        x = f"TRY_CAST({c} AS DOUBLE)"  # the null spellings are not numbers: NULL
        y = alias or x
        return x, (
            f"(CASE WHEN {y} IS NOT NULL THEN NOT isfinite({y}) "
            f"ELSE {c} IS NOT NULL AND trim({c}) NOT IN ({NULL_LIST}) END)"
        )
    x = f"CAST({c} AS DOUBLE)"
    return x, f"({c} IS NOT NULL AND NOT isfinite({x}))"


def time_sql(col: str, types: dict[str, str], required: bool) -> tuple[str, str]:
    """SQL of a date-time column as TIMESTAMPTZ, and the condition of a bad value: text
    that is not ISO 8601 as FOCUS requires (``4/1/25``, ``01.04.2025`` and
    ``2025-07-5T00:00:00Z`` are refused, never guessed), or null where ``required``."""
    if col not in types:
        return "CAST(NULL AS TIMESTAMPTZ)", "false"
    c = sql_ident(col)
    t = types[col]
    if t == "VARCHAR":
        v = f"(CASE WHEN trim({c}) IN ({NULL_LIST}) THEN NULL ELSE trim({c}) END)"
        # the form, cheaply: YYYY-MM-DDTHH:MM:SS, then Z or +HH:MM after optional decimals
        # (digits and ranges are the cast's to check)
        form = (
            f"(substr({v}, 5, 1) = '-' AND substr({v}, 11, 1) = 'T' AND "
            f"substr({v}, 20, 1) IN ('Z', '+', '-', '.') AND "
            f"(right({v}, 1) = 'Z' OR substr({v}, -3, 1) = ':'))"
        )
        x = f"(CASE WHEN {form} THEN TRY_CAST({v} AS TIMESTAMPTZ) END)"
        bad = f"({x} IS NULL)" if required else f"({v} IS NOT NULL AND {x} IS NULL)"
        return x, bad
    if t.startswith("TIMESTAMP") or t == "DATE":
        return f"CAST({c} AS TIMESTAMPTZ)", f"({c} IS NULL)" if required else "false"
    return "CAST(NULL AS TIMESTAMPTZ)", f"({c} IS NOT NULL OR {str(required).lower()})"


def lookup_cte(name: str, cols: list[str], types: dict[str, str], exprs: str) -> tuple[str, str]:
    """A CTE ``name`` computing ``exprs`` (SQL on ``cols``, naming its results) once per
    distinct tuple of ``cols`` in ``__keys``, and the join that brings the results to
    every key tuple (null equal to null). Without ``cols``, ``exprs`` on one row."""
    present = [c for c in cols if c in types]
    if not present:
        return f"{name} AS (SELECT {exprs}),", f"CROSS JOIN {name}"
    inner = ", ".join(sql_ident(c) for c in present)
    renamed = ", ".join(f"{sql_ident(c)} AS __{name}_{i}" for i, c in enumerate(present))
    on = " AND ".join(
        f"__keys.{sql_ident(c)} IS NOT DISTINCT FROM {name}.__{name}_{i}"
        for i, c in enumerate(present)
    )
    cte = f"{name} AS (SELECT {renamed}, {exprs} FROM (SELECT DISTINCT {inner} FROM __keys)),"
    return cte, f"LEFT JOIN {name} ON {on}"


def raw_time_sql(col: str, types: dict[str, str]) -> str:
    """A date-time column as text (null spellings null), to be parsed per distinct value."""
    if col not in types:
        return "CAST(NULL AS VARCHAR)"
    c = sql_ident(col)
    if types[col] == "VARCHAR":
        return c  # the null spellings are read as null per distinct value
    if types[col].startswith("TIMESTAMP") or types[col] == "DATE":
        return f"strftime(CAST({c} AS TIMESTAMPTZ), '%Y-%m-%dT%H:%M:%SZ')"
    return f"CAST({c} AS VARCHAR)"


def unreadable_csv(
    con: Any, files: list[Path], headers: dict[Path, list[str]]
) -> tuple[set[Path], list[Problem]]:
    """The files DuckDB cannot read (a row with two values more than the header, a broken
    quote) and a problem for each (only on the error path)."""
    import duckdb

    bad: set[Path] = set()
    out = []
    for f in files:
        try:
            con.execute(f"SELECT count(*) FROM {source_sql([f], 'csv', headers)}").fetchall()
        except duckdb.Error as e:
            bad.add(f)
            text = str(e)
            line = re.search(r"CSV Error on Line: (\d+)", text)
            if line and "Expected Number of Columns" in text:
                out.append(
                    Problem(
                        str(f),
                        f"row {line.group(1)}",
                        f"more values than the header's {len(headers[f])} columns "
                        "(a decimal comma without quotes? write decimals with a point)",
                    )
                )
            else:
                first = next((x.strip() for x in text.splitlines() if x.strip()), "")
                out.append(Problem(str(f), "", f"not a readable CSV file: {first}"))
    if not bad:  # the files read one by one: the combination failed
        bad = set(files)
        out.append(Problem(str(files[0]), "", "not a readable CSV file"))
    return bad, out


def name_wide_rows(con: Any, src: str, headers: dict[Path, list[str]], n: int) -> list[Problem]:
    """Problems naming the first rows with more or fewer values than the header."""
    rows = con.execute(
        f"""SELECT filename, n, extra FROM (
                SELECT filename, row_number() OVER (PARTITION BY filename) AS n,
                       __extra IS NOT NULL AS extra, __width AS bad
                FROM {src}) WHERE bad ORDER BY filename, n LIMIT {_MAX_ROWS_NAMED}"""
    ).fetchall()
    width = {str(f): len(h) for f, h in headers.items()}
    out = []
    for fname, i, extra in rows:
        k = width.get(str(fname), 0)
        what = (
            f"more values than the header's {k} columns (a decimal comma without quotes? "
            "write decimals with a point)"
            if extra
            else f"fewer values than the header's {k} columns"
        )
        out.append(Problem(str(fname), f"row {int(i) + 1}", what))
    if n > len(rows):
        out.append(Problem(str(rows[-1][0]) if rows else "", "", f"{n - len(rows)} more such rows"))
    return out


DATES = ("ChargePeriodStart", "BillingPeriodStart", "x_ExportDateTime")


def name_rows(con: Any, src: str, kind: str, col: str, cond: str, n: int) -> list[Problem]:
    """Problems naming the first rows where ``cond`` holds (only on the error path)."""
    rows = con.execute(
        f"""SELECT filename, n, v FROM (
                SELECT filename, row_number() OVER (PARTITION BY filename) AS n,
                       CAST({sql_ident(col)} AS VARCHAR) AS v, {cond} AS bad
                FROM {src}) WHERE bad ORDER BY filename, n LIMIT {_MAX_ROWS_NAMED}"""
    ).fetchall()
    out = []
    for fname, i, v in rows:
        row = int(i) + 1 if kind == "csv" else int(i)  # CSV: the header is row 1
        if col in DATES:
            msg = (
                "expected a date, got nothing (NULL)"
                if v is None or v.strip() in NULLS
                else f"expected an ISO 8601 date-time such as 2025-04-01T00:00:00Z, got {v!r} "
                "(dates are never guessed)"
            )
        elif v is not None and _GROUPED.fullmatch(v.strip()):
            msg = f"expected a number, got {v!r}; FOCUS numbers have no thousands separators"
        else:
            msg = _not_a_number(v)
        out.append(Problem(str(fname), f"row {row}, {col}", msg))
    if n > len(rows):
        out.append(
            Problem(str(rows[-1][0]) if rows else "", col, f"{n - len(rows)} more such rows")
        )
    return out
