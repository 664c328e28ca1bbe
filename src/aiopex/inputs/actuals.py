"""Actuals: what was spent and used, read and validated at the boundary.

Three kinds of file (docs/review.md#2-collect-the-actuals):

- **native cost actuals**, CSV or ``.xlsx`` (one sheet): ``month`` (``YYYY-MM``),
  ``line``, ``amount``, optional ``quantity`` and ``currency``;
- **FOCUS 1.0 to 1.3 billing exports**, CSV, CSV.gz, Parquet or a folder of them
  (a provider's partitioned export), read with DuckDB and aggregated to line x
  month inside the query, with a :class:`~aiopex.inputs.mapping.Mapping`;
- **usage actuals**: ``month``, ``requests``, optional ``active_users`` and
  ``accuracy``.

Every reader lists every problem at once, naming the file and the row or column
(rows as a spreadsheet numbers them: the header is row 1), as a
:class:`~aiopex.errors.DataError`.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import math
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from aiopex.atomic import file_kind
from aiopex.errors import DataError, Problem
from aiopex.inputs.mapping import FOCUS_COLUMNS, sql_string
from aiopex.months import parse

#: ``--cost-basis`` -> the FOCUS column that holds the amount.
COST_BASIS: dict[str, str] = {
    "billed": "BilledCost",
    "effective": "EffectiveCost",
    "list": "ListCost",
    "contracted": "ContractedCost",
}
#: ``ChargeCategory`` values reported in their own bucket unless a rule names them.
BUCKETS: tuple[str, ...] = ("Tax", "Credit", "Adjustment", "Purchase")
NATIVE_COLUMNS: tuple[str, ...] = ("month", "line", "amount", "quantity", "currency")
USAGE_COLUMNS: tuple[str, ...] = ("month", "requests", "active_users", "accuracy")
_MAX_ROWS_NAMED = 10
_UNIT_COLUMNS = ["line", "month", "unit", "amount", "rows"]
#: Per FOCUS row group: its service month, billing period, where it went (``line``,
#: ``unmapped``, ``tax``, ``credit``, ``adjustment``, ``purchase``, ``unused``), the line,
#: the amount on the cost basis and on ``BilledCost``: what the reconciliation reads.
DETAIL_COLUMNS = ["month", "billing_month", "kind", "line", "amount", "billed", "rows"]
#: The keys of :attr:`Actuals.unused`: the commitment as the export names it, the
#: commitment of the scenario it belongs to (the mapping's ``commitments``; None for
#: none), the month.
UNUSED_KEYS = ["commitment", "group", "month"]


@dataclass
class Actuals:
    """Monthly actual cost per line, and what could not be put on a line.

    Attributes
    ----------
    lines : DataFrame
        ``line, month, amount, quantity, rows``: one row per line and month;
        ``quantity`` is NaN where no file gave one.
    unmapped : DataFrame
        ``service, month, amount, rows``: FOCUS rows no rule matched, by ``ServiceName``.
    buckets : DataFrame
        ``bucket, month, amount, rows``: Tax, Credit, Adjustment and Purchase rows no
        rule names.
    corrections : DataFrame
        ``line, month, billing_month, amount, rows``: rows with ``ChargeClass``
        Correction (``line`` is None for an unmapped one), by service month and billing
        period; they are also counted where they belong (``lines``, ``unmapped``...).
    currencies : set of str
        The billing currencies seen.
    files : list of str
        Every file read.
    units : DataFrame
        ``line, month, unit, amount, rows``: the ``PricingUnit`` of the FOCUS rows put on
        each line (rows without one left out). Where a line and month has more than one
        unit, its quantities cannot be added (hours and GB): its ``quantity`` in ``lines``
        is NaN (the variance is then unexplained) and :meth:`mixed_units` reports it.
        ``as`` (FOCUS only) is the unit the quantity was brought to.
    unused : DataFrame
        ``commitment, group, month, amount, rows``: rows with
        ``CommitmentDiscountStatus`` Unused, per ``CommitmentDiscountName`` (or id) and
        the scenario's commitment the mapping's ``commitments`` puts them in (``group``,
        None for none); never on a line.
    detail : DataFrame
        :data:`DETAIL_COLUMNS`: the FOCUS rows kept, grouped, for the reconciliation.
    quality : dict
        What the FOCUS reader saw: ``focus_version``, ``conversions``,
        ``superseded_exports``, ``null_cost``, ``notes``.
    """

    lines: pd.DataFrame
    unmapped: pd.DataFrame
    buckets: pd.DataFrame
    corrections: pd.DataFrame
    currencies: set[str] = field(default_factory=set)
    files: list[str] = field(default_factory=list)
    units: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=_UNIT_COLUMNS))
    unused: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=[*UNUSED_KEYS, "amount", "rows"])
    )
    detail: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=DETAIL_COLUMNS))
    quality: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def empty(cls) -> Actuals:
        return cls(
            pd.DataFrame(columns=["line", "month", "amount", "quantity", "rows"]),
            pd.DataFrame(columns=["service", "month", "amount", "rows"]),
            pd.DataFrame(columns=["bucket", "month", "amount", "rows"]),
            pd.DataFrame(columns=["line", "month", "billing_month", "amount", "rows"]),
        )

    def mixed_units(self, months: list[str] | None = None) -> dict[str, dict[str, Any]]:
        """Lines whose FOCUS rows of one month have more than one ``PricingUnit``, over
        ``months`` (all when None): their amount is counted, their quantity is missing.

        Returns
        -------
        dict
            ``line -> {"amount", "rows", "months", "units": {unit: rows}}``, sorted by line.

        Examples
        --------
        >>> u = pd.DataFrame([("gpu", "2027-01", "Hours", 13.0, 36), ("gpu", "2027-01", "GB",
        ...     0.0, 393), ("db", "2027-01", "GB", 1.0, 2)], columns=_UNIT_COLUMNS)
        >>> a = Actuals.empty()
        >>> a.units = u
        >>> a.mixed_units()["gpu"]
        {'amount': 13.0, 'rows': 429, 'months': ['2027-01'], 'units': {'GB': 393, 'Hours': 36}}
        >>> list(a.mixed_units())  # db has one unit
        ['gpu']
        """
        u = self.units
        if months is not None:
            u = u[u["month"].isin(months)]
        mixed = u.set_index(["line", "month"]).loc[_mixed_keys(u)].reset_index()
        out: dict[str, dict[str, Any]] = {}
        for line, g in mixed.groupby("line", sort=True):
            by_unit = g.groupby("unit")["rows"].sum()
            out[str(line)] = {
                "amount": float(g["amount"].sum()),
                "rows": int(g["rows"].sum()),
                "months": sorted(str(m) for m in g["month"].unique()),
                "units": {str(k): int(v) for k, v in by_unit.sort_index().items()},
            }
        return out

    def months(self) -> set[str]:
        """Every month any row of any file fell in."""
        out: set[str] = set()
        for df in (self.lines, self.unmapped, self.buckets, self.unused):
            out.update(df["month"].astype(str))
        return out


def _concat(frames: list[pd.DataFrame], keys: list[str], cols: list[str]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=keys + cols)
    df = pd.concat(frames, ignore_index=True)
    agg: dict[str, Any] = {c: "sum" for c in cols}
    if "quantity" in cols:  # a row without a quantity leaves its line and month without one
        df["__no_quantity"] = df["quantity"].isna()
        agg["__no_quantity"] = "any"
    out = df.groupby(keys, as_index=False, dropna=False).agg(agg)
    if "quantity" in cols:
        out.loc[out.pop("__no_quantity").to_numpy(bool), "quantity"] = math.nan
    return out.sort_values(keys)


def combine(parts: list[Actuals]) -> Actuals:
    """Concatenate actuals read from several files (sums per line and month). A line and
    month whose FOCUS rows have more than one ``PricingUnit`` (in any of the files) gets
    no quantity: quantities in different units are not added."""
    if not parts:
        return Actuals.empty()
    ukeys = ["line", "month", "unit"] + (["as"] if any("as" in p.units for p in parts) else [])
    units = _concat([p.units for p in parts], ukeys, ["amount", "rows"])
    quality: dict[str, Any] = {}
    for p in parts:
        quality.update(p.quality)
    return Actuals(
        _unmix(
            _concat([p.lines for p in parts], ["line", "month"], ["amount", "quantity", "rows"]),
            units,
        ),
        _concat([p.unmapped for p in parts], ["service", "month"], ["amount", "rows"]),
        _concat([p.buckets for p in parts], ["bucket", "month"], ["amount", "rows"]),
        _concat(
            [p.corrections for p in parts], ["line", "month", "billing_month"], ["amount", "rows"]
        ),
        set().union(*(p.currencies for p in parts)),
        [f for p in parts for f in p.files],
        units,
        _concat([p.unused for p in parts], UNUSED_KEYS, ["amount", "rows"]),
        pd.concat([p.detail for p in parts if len(p.detail)] or [parts[0].detail]),
        quality,
    )


def _mixed_keys(units: pd.DataFrame) -> pd.Index:
    """The (line, month) pairs of ``units`` billed in more than one unit (after conversion,
    the ``as`` column, where the FOCUS reader gave one)."""
    col = "as" if "as" in units else "unit"
    n = units.groupby(["line", "month"])[col].nunique()
    return n[n > 1].index


def _unmix(lines: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """``lines`` with the quantity of each (line, month) of more than one unit set to NaN."""
    if not len(units):
        return lines
    mixed = set(_mixed_keys(units))
    if mixed:
        lines = lines.copy()
        hit = [(a, b) in mixed for a, b in zip(lines["line"], lines["month"], strict=True)]
        lines.loc[hit, "quantity"] = math.nan
    return lines


# -- files ----------------------------------------------------------------------------------


def _kind(path: Path) -> str | None:
    """``csv``, ``xlsx``, ``parquet`` or None for a file we do not read."""
    name = path.name.lower()
    if name.endswith((".csv", ".csv.gz")):
        return "csv"
    if name.endswith(".xlsx"):
        return "xlsx"
    if name.endswith(".parquet"):
        return "parquet"
    return None


def expand(paths: Sequence[str | Path]) -> tuple[list[Path], list[Problem]]:
    """Files named, with each folder replaced by every supported file in it, recursively.

    A file named twice (also through a folder), or two files with the same content (an
    export delivered twice, a copy in a subfolder, a ``.csv`` beside its ``.csv.gz``)
    would be counted twice: each such pair is a problem, and the second file is left out
    of the list so that it is not read (nor reported) again.
    """
    out: list[Path] = []
    problems: list[Problem] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and _kind(f))
            if not found:
                problems.append(Problem(str(p), "", "folder has no CSV, CSV.gz, Parquet or .xlsx"))
            out.extend(found)
        elif not p.exists():
            problems.append(Problem(str(p), "", "file not found"))
        elif not p.is_file():  # a FIFO, a device, a socket: never opened
            try:
                check_regular(p)
            except DataError as e:
                problems.extend(e.problems)
        elif _kind(p) is None:
            problems.append(Problem(str(p), "", "not a CSV, CSV.gz, Parquet or .xlsx file"))
        else:
            out.append(p)
    out, twice = _duplicates(out)
    return out, problems + twice


def _content_size(path: Path) -> int:
    """The size of a file's content: uncompressed for ``.gz`` (its trailer, modulo 2**32)."""
    if path.name.lower().endswith(".gz"):
        with open(path, "rb") as fh:
            fh.seek(-4, 2)
            return int.from_bytes(fh.read(4), "little")
    return path.stat().st_size % 2**32


def _content_hash(path: Path) -> str:
    h = hashlib.sha256()
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _duplicates(files: list[Path]) -> tuple[list[Path], list[Problem]]:
    """``files`` without repeats, and a problem for each file named twice or holding the
    same content as an earlier one. Only files of equal (uncompressed) size are hashed.
    Header-only CSV files (an empty partition) may repeat: they add nothing."""
    problems: list[Problem] = []
    seen: dict[Path, Path] = {}
    unique: list[Path] = []
    for f in files:
        key = Path(os.path.realpath(f))  # a symlink loop is named when read
        if key in seen:
            problems.append(Problem(str(f), "", "named twice (a file and a folder holding it?)"))
            continue
        seen[key] = f
        unique.append(f)
    by_size: dict[int, list[Path]] = {}
    for f in unique:
        try:
            by_size.setdefault(_content_size(f), []).append(f)
        except OSError:
            continue  # unreadable: the reader names it
    dropped: set[Path] = set()
    for group in by_size.values():
        if len(group) < 2:
            continue
        first: dict[str, Path] = {}
        for f in group:
            try:
                digest = _content_hash(f)
            except (OSError, EOFError, gzip.BadGzipFile):
                continue
            if digest in first and not _header_only(f):
                problems.append(Problem(str(f), "", f"same content as {first[digest]}; remove one"))
                dropped.add(f)
            first.setdefault(digest, f)
    return [f for f in unique if f not in dropped], problems


def _header_only(path: Path) -> bool:
    """A CSV with no data row (an export's empty partition)."""
    if _kind(path) != "csv":
        return False
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", newline="", encoding="utf-8-sig") as fh:
            return sum(1 for r in csv.reader(fh) if any(c.strip() for c in r)) <= 1
    except (UnicodeDecodeError, OSError, csv.Error, EOFError):
        return False


def _header(path: Path, con: Any = None) -> list[str]:
    """The column names of a CSV (plain or gzip) or Parquet file (read with the DuckDB
    connection ``con`` if given, else a new one)."""
    if _kind(path) == "parquet":
        import duckdb

        q = f"DESCRIBE SELECT * FROM read_parquet({sql_string(str(path))})"
        if con is not None:
            return [r[0] for r in con.execute(q).fetchall()]
        with duckdb.connect() as new:
            return [r[0] for r in new.execute(q).fetchall()]
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", newline="", encoding="utf-8-sig") as fh:
        return next(csv.reader(fh), [])


def is_focus(header: list[str]) -> bool:
    """A FOCUS export: three FOCUS columns or more and no ``month`` column (native files
    have ``month, line, amount``). A FOCUS file missing a required column is still one,
    so that the problem reported is the missing column.

    >>> is_focus(["month", "line", "amount"]), is_focus(["ServiceName", "BilledCost", "Tags"])
    (False, True)
    """
    return "month" not in header and len(set(header) & FOCUS_COLUMNS) >= 3


# -- native ---------------------------------------------------------------------------------


def _rows(path: Path) -> list[tuple[int, list[str]]]:
    """Non-empty rows of a CSV or of the one sheet of an ``.xlsx`` that holds data, with their
    row numbers. A workbook with data on more than one sheet is refused, naming the sheets:
    reading only the first would drop the others without a word."""
    if _kind(path) == "xlsx":
        import openpyxl

        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as e:  # noqa: BLE001
            raise DataError(Problem(str(path), "", f"not a readable .xlsx file: {e}")) from None
        try:
            sheets = [(ws.title, _sheet_rows(ws)) for ws in wb.worksheets]
        finally:
            wb.close()
        full = [(title, rows) for title, rows in sheets if rows]
        if len(full) > 1:
            names = ", ".join(repr(t) for t, _ in full)
            raise DataError(
                Problem(
                    str(path),
                    "",
                    f"{len(full)} sheets hold data ({names}); the actuals must be on one "
                    "sheet: move them onto one, or delete the others",
                )
            )
        return full[0][1] if full else []
    return _csv_rows(path)


#: Largest native actuals or usage CSV read, uncompressed, in bytes (one row per line and
#: month is a few KB; billing rows go in FOCUS exports).
MAX_NATIVE_BYTES = 20_000_000
#: Most data rows of a native actuals or usage CSV.
MAX_NATIVE_ROWS = 200_000
#: The native CSV reader's null string: one no file holds (empty cells are read as "").
_NATIVE_NO_NULL = "\x01"


def check_regular(path: Path, what: str = "file") -> None:
    """Refuse (:class:`DataError`) anything at ``path`` but a regular file: a FIFO (reading
    would wait for a writer), a device (``/dev/zero`` never ends), a socket, a folder."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise DataError(Problem(str(path), "", "file not found")) from None
    except OSError as e:
        raise DataError(Problem(str(path), "", f"cannot read: {e.strerror or e}")) from None
    if not stat.S_ISREG(st.st_mode):
        kind = file_kind(st.st_mode)
        raise DataError(Problem(str(path), "", f"is {kind}, not a regular {what}"))


def _bounded_size(path: Path, limit: int) -> None:
    """Refuse a file whose content (uncompressed, for ``.gz``) is larger than ``limit``
    bytes; a ``.gz`` is inflated in chunks and never held, so a gzip bomb costs at most
    ``limit`` bytes of work."""
    file = str(path)
    if not path.name.lower().endswith(".gz"):
        size = path.stat().st_size
        if size > limit:
            raise DataError(Problem(file, "", f"is {size:,} bytes; the limit is {limit:,}"))
        return
    total = 0
    try:
        with gzip.open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                total += len(chunk)
                if total > limit:
                    raise DataError(
                        Problem(file, "", f"inflates to more than the limit of {limit:,} bytes")
                    )
    except (OSError, EOFError) as e:
        raise DataError(Problem(file, "", f"not a readable gzip file: {e}")) from None


def _csv_rows(path: Path) -> list[tuple[int, list[str]]]:
    """The rows of a native CSV (plain or gzip), header first, read by DuckDB.

    Bounded: at most :data:`MAX_NATIVE_BYTES` of content and :data:`MAX_NATIVE_ROWS`
    rows. Every column is text, with no null string and one column more than the header
    (a row with one value too many keeps it there; with more, DuckDB stops at that row and
    it is named). Rows are numbered as a spreadsheet does (header row 1); blank lines are
    skipped.
    """
    import duckdb

    file = str(path)
    check_regular(path)
    _bounded_size(path, MAX_NATIVE_BYTES)
    try:
        header = _header(path)
    except (UnicodeDecodeError, OSError, csv.Error, EOFError) as e:
        raise DataError(Problem(file, "", f"not a readable CSV file: {e}")) from None
    if not any(c.strip() for c in header):
        return []
    names = [f"c{i}" for i in range(len(header))]
    cols = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in (*names, "__extra")) + "}"
    query = (
        f"SELECT * FROM read_csv({sql_string(file)}, auto_detect=false, header=true, "
        f"delim=',', quote='\"', escape='\"', columns={cols}, "
        f"nullstr=[{sql_string(_NATIVE_NO_NULL)}], null_padding=true) LIMIT {MAX_NATIVE_ROWS + 1}"
    )
    try:
        with duckdb.connect() as con:
            con.execute("SET threads = 1")
            data = con.execute(query).fetchall()
    except duckdb.Error as e:
        text = str(e)
        line = re.search(r"CSV Error on Line: (\d+)", text)
        if line and "Expected Number of Columns" in text:
            raise DataError(
                Problem(
                    file,
                    f"row {line.group(1)}",
                    f"more values than the header's {len(header)} columns "
                    "(a decimal comma without quotes? write decimals with a point)",
                )
            ) from None
        first = next((x.strip() for x in text.splitlines() if x.strip()), "")
        raise DataError(Problem(file, "", f"not a readable CSV file: {first}")) from None
    if len(data) > MAX_NATIVE_ROWS:
        raise DataError(
            Problem(
                file,
                "",
                f"more than {MAX_NATIVE_ROWS:,} rows; native actuals hold one row per line "
                "and month (billing rows go in a FOCUS export)",
            )
        )
    rows = [(1, header)]
    for n, r in enumerate(data, start=2):
        cells = ["" if v is None else v for v in r]
        if cells[-1] == "":
            cells.pop()  # no value beyond the header's columns
        if any(c.strip() for c in cells):
            rows.append((n, cells))
    return rows


def repeated_columns(file: str, cols: list[str]) -> list[Problem]:
    """A problem for each column name the header repeats (the first would win silently).

    >>> [p.message for p in repeated_columns("a.csv", ["month", "amount", "amount"])]
    ['column appears twice (columns 2 and 3); keep one']
    """
    first: dict[str, int] = {}
    out = []
    for i, c in enumerate(cols, start=1):
        if c and c in first:
            out.append(
                Problem(file, c, f"column appears twice (columns {first[c]} and {i}); keep one")
            )
        first.setdefault(c, i)
    return out


def _sheet_rows(ws: Any) -> list[tuple[int, list[str]]]:
    """The non-empty rows of a worksheet, with their row numbers (a chart sheet has none)."""
    if not hasattr(ws, "iter_rows"):
        return []
    out = []
    for i, row in enumerate(ws.iter_rows(values_only=True), start=1):
        cells = ["" if v is None else _cell(v) for v in row]
        if any(c.strip() for c in cells):
            out.append((i, cells))
    return out


def _cell(v: Any) -> str:
    if isinstance(v, dt.datetime | dt.date):
        return f"{v.year:04d}-{v.month:02d}"
    if isinstance(v, float) and v.is_integer():
        return str(int(v)) if abs(v) < 1e15 else repr(v)
    return str(v)


#: A number with thousands separators: ``1,234`` or ``-1,234,567.89`` (nothing else with a
#: comma: ``100,5`` or ``1.234,50`` is a decimal comma, refused rather than misread).
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")


def _number(text: str) -> float | None:
    """The number in a cell, or ``None``: thousands separators only where they group by 3.

    >>> _number("1,234.5"), _number("-2,000"), _number("100,5"), _number("1.234,50")
    (1234.5, -2000.0, None, None)
    """
    text = text.strip()
    if "," in text:
        if not _GROUPED.fullmatch(text):
            return None
        text = text.replace(",", "")
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _not_a_number(text: str | None, wanted: str = "a number") -> str:
    """``expected a number, got '100,5'``, with a hint where a decimal comma is likely."""
    if text is None:
        return f"expected {wanted}, got nothing (NULL)"
    msg = f"expected {wanted}, got {text!r}"
    if text.count(",") == 1:
        msg += f"; write decimals with a point ({text.replace('.', '').replace(',', '.')!r})"
    return msg


def _extra_fields(file: str, n: int, row: list[str], cols: list[str]) -> Problem | None:
    """A row with values beyond the header's columns: a decimal comma without quotes splits
    ``100,5`` into two fields, and the ``5`` would otherwise be dropped without a word."""
    extra = [c for c in row[len(cols) :] if c.strip()]
    if not extra:
        return None
    return Problem(
        file,
        f"row {n}",
        f"{len(cols) + len(extra)} values, the header has {len(cols)} columns "
        "(a decimal comma without quotes? write decimals with a point)",
    )


def _month(text: str) -> str | None:
    return parse(text)


def read_native(path: str | Path, *, lines: dict[str, str], currency: str) -> Actuals:
    """Read a native cost actuals CSV or ``.xlsx``: ``month, line, amount[, quantity, currency]``.

    ``amount`` is in the scenario's currency (a ``currency`` column must equal it);
    ``quantity`` is in the line's driver unit. Rows of the same line and month add up.
    """
    path = Path(path)
    file = str(path)
    rows = _rows(path)
    problems: list[Problem] = []
    if not rows:
        raise DataError(Problem(file, "", "empty file"))
    _, header = rows[0]
    cols = [c.strip() for c in header]
    problems += repeated_columns(file, cols)
    for c in cols:
        if c and c not in NATIVE_COLUMNS:
            problems.append(
                Problem(file, c, f"unknown column; expected {', '.join(NATIVE_COLUMNS)}")
            )
    for need in ("month", "line", "amount"):
        if need not in cols:
            problems.append(Problem(file, need, "missing column"))
    if problems:
        raise DataError(problems)
    idx = {c: cols.index(c) for c in NATIVE_COLUMNS if c in cols}
    records = []
    for n, r in rows[1:]:

        def get(c: str, r: list[str] = r) -> str:
            i = idx.get(c)
            return r[i].strip() if i is not None and i < len(r) else ""

        month = _month(get("month"))
        if month is None:
            problems.append(
                Problem(file, f"row {n}, month", f"expected YYYY-MM, got {get('month')!r}")
            )
        line = get("line")
        if line not in lines:
            problems.append(Problem(file, f"row {n}, line", f"unknown cost line {line!r}"))
        if (too_many := _extra_fields(file, n, r, cols)) is not None:
            problems.append(too_many)
        amount = _number(get("amount"))
        if amount is None or not math.isfinite(amount):
            problems.append(Problem(file, f"row {n}, amount", _not_a_number(get("amount"))))
        qty: float | None = math.nan
        if "quantity" in idx and get("quantity"):
            qty = _number(get("quantity"))
            if qty is None or not math.isfinite(qty):
                problems.append(Problem(file, f"row {n}, quantity", _not_a_number(get("quantity"))))
        if "currency" in idx and get("currency") and get("currency") != currency:
            problems.append(
                Problem(
                    file,
                    f"row {n}, currency",
                    f"{get('currency')!r} is not the scenario's currency {currency}; "
                    "convert before the review",
                )
            )
        records.append((line, month, amount, qty))
    if problems:
        raise DataError(problems)
    if not records:
        raise DataError(Problem(file, "", "no rows"))
    df = pd.DataFrame(records, columns=["line", "month", "amount", "quantity"])
    df["rows"] = 1
    out = Actuals.empty()
    out.lines = _concat([df], ["line", "month"], ["amount", "quantity", "rows"])
    out.currencies = {currency}
    out.files = [file]
    return out


# -- usage ----------------------------------------------------------------------------------


def read_usage(path: str | Path) -> pd.DataFrame:
    """Read usage actuals: ``month, requests[, active_users][, accuracy]``.

    Returns
    -------
    DataFrame
        Indexed by ``month`` (``YYYY-MM`` text, sorted), float columns ``requests``
        and, when present, ``active_users`` and ``accuracy`` (NaN where a cell is empty).

    Raises
    ------
    DataError
        Missing or unknown columns, bad or duplicate months, values that are not
        numbers >= 0, an accuracy outside 0..1.
    """
    path = Path(path)
    file = str(path)
    if not path.exists():
        raise DataError(Problem(file, "", "file not found"))
    if path.is_dir():
        raise DataError(Problem(file, "", "a folder; --usage takes one CSV file"))
    check_regular(path)
    rows = _rows(path)
    if not rows:
        raise DataError(Problem(file, "", "empty file"))
    cols = [c.strip() for c in rows[0][1]]
    problems: list[Problem] = repeated_columns(file, cols)
    for c in cols:
        if c and c not in USAGE_COLUMNS:
            problems.append(
                Problem(file, c, f"unknown column; expected {', '.join(USAGE_COLUMNS)}")
            )
    for need in ("month", "requests"):
        if need not in cols:
            problems.append(Problem(file, need, "missing column"))
    if problems:
        raise DataError(problems)
    present = [c for c in USAGE_COLUMNS if c in cols]
    data: dict[str, list[Any]] = {c: [] for c in present}
    seen: dict[str, int] = {}
    for n, r in rows[1:]:
        if (too_many := _extra_fields(file, n, r, cols)) is not None:
            problems.append(too_many)
        for c in present:
            i = cols.index(c)
            text = r[i].strip() if i < len(r) else ""
            if c == "month":
                m = _month(text)
                if m is None:
                    problems.append(
                        Problem(file, f"row {n}, month", f"expected YYYY-MM, got {text!r}")
                    )
                elif m in seen:
                    problems.append(Problem(file, f"row {n}, month", f"{m} repeats row {seen[m]}"))
                else:
                    seen[m] = n
                data[c].append(m)
                continue
            if not text and c != "requests":
                data[c].append(math.nan)
                continue
            x = _number(text)
            hi = 1.0 if c == "accuracy" else math.inf
            if x is None or not math.isfinite(x) or x < 0 or x > hi:
                rng = "a number from 0 to 1" if c == "accuracy" else "a number >= 0"
                problems.append(Problem(file, f"row {n}, {c}", _not_a_number(text, rng)))
            data[c].append(x)
    if problems:
        raise DataError(problems)
    df = pd.DataFrame(data).set_index("month").sort_index().astype(float)
    return df
