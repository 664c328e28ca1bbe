"""The mapping file: which rows of a FOCUS billing export belong to which cost line.

A mapping file is YAML with a list of ``rules``; the first rule whose every
condition holds assigns a row to its ``line``::

    rules:
      - line: llm_input_tokens
        match: {ServiceName: "Azure OpenAI", SkuMeter: "~.*Inp.*Tokens"}
        quantity_scale: 1.0
      - line: vector_store
        match: {ResourceId: "~.*/claims-vectors$", "Tags.team": claims}

A condition is ``column: value``: any column of the export (FOCUS columns,
``x_`` provider columns, ``PrincipalId``...). The value is compared exactly, or,
when it starts with ``~``, as a regular expression (DuckDB's, RE2) that must match
the whole value. ``Tags.<key>`` and ``SkuPriceDetails.<key>`` read ``<key>`` from
the JSON object in that column. ``ProviderName`` (FOCUS 1.0 to 1.2) and
``ServiceProviderName`` (1.3) are the same condition: whichever column the export
has is used. A rule that does not name ``ChargeCategory`` matches ``Usage`` rows
only. ``quantity_scale`` replaces the conversion of ``PricingQuantity`` from its
``PricingUnit`` to the line's driver unit (docs/review.md, "Units").

The optional ``commitments`` section names, for each commitment of the scenario, the
rows of its unused part (``CommitmentDiscountStatus`` Unused), with a ``match`` like a
rule's, so that the review judges the commitment and the lines it covers as one group
(docs/mapping.md, "Commitments")::

    commitments:
      - commitment: gpu_savings_plan
        match: {CommitmentDiscountId: "~.*/savingsPlans/sp-0042"}

The top-level ``exports: incremental`` declares that later deliveries of a billing
period hold only changes (every delivery is added); by default the latest delivery
of an account's billing period replaces the earlier ones.

:func:`load_mapping` validates the file and lists every problem at once;
:func:`case_sql` compiles the rules into one SQL ``CASE`` expression for DuckDB.
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiopex.errors import DataError, Problem
from aiopex.inputs.files import InputFileError, YamlError, load_yaml, read_regular

#: Columns of FOCUS 1.0 to 1.3 (union), the ones a rule may name besides ``Tags.<key>``
#: and provider columns (``x_...``).
FOCUS_COLUMNS: frozenset[str] = frozenset(
    """
    AvailabilityZone BilledCost BillingAccountId BillingAccountName BillingCurrency
    BillingPeriodEnd BillingPeriodStart ChargeCategory ChargeClass ChargeDescription
    ChargeFrequency ChargePeriodEnd ChargePeriodStart CommitmentDiscountCategory
    CommitmentDiscountId CommitmentDiscountName CommitmentDiscountStatus
    CommitmentDiscountType ConsumedQuantity ConsumedUnit ContractedCost
    ContractedUnitPrice EffectiveCost InvoiceIssuerName ListCost ListUnitPrice
    PricingCategory PricingQuantity PricingUnit ProviderName PublisherName RegionId
    RegionName ResourceId ResourceName ResourceType ServiceCategory ServiceName SkuId
    SkuPriceId SubAccountId SubAccountName Tags
    CapacityReservationId CapacityReservationStatus CommitmentDiscountQuantity
    CommitmentDiscountUnit ServiceSubcategory SkuMeter SkuPriceDetails
    BillingAccountType SubAccountType InvoiceId PricingCurrency
    PricingCurrencyContractedUnitPrice PricingCurrencyEffectiveCost
    PricingCurrencyListUnitPrice
    ServiceProviderName HostProviderName AllocatedMethodId AllocatedMethodDetails
    AllocatedResourceId AllocatedResourceName AllocatedTags ContractApplied
    """.split()
)

#: The provider column under its two names (FOCUS 1.0-1.2, 1.3).
PROVIDER_COLUMNS: tuple[str, str] = ("ProviderName", "ServiceProviderName")

_RULE_KEYS = {"line", "match", "quantity_scale"}
#: Columns holding a JSON object whose keys a rule may name as ``<column>.<key>``.
JSON_COLUMNS: tuple[str, ...] = ("Tags", "SkuPriceDetails")
#: ``exports:`` values: later deliveries restate the period (default), or add to it.
EXPORT_STYLES: tuple[str, ...] = ("restated", "incremental")
_TOP_KEYS = {"rules", "exports", "commitments"}
_COMMITMENT_KEYS = {"commitment", "match"}


def json_column(name: str) -> tuple[str, str] | None:
    """``(column, key)`` for a rule column ``Tags.<key>`` or ``SkuPriceDetails.<key>``.

    >>> json_column("SkuPriceDetails.ModelId"), json_column("ServiceName")
    (('SkuPriceDetails', 'ModelId'), None)
    """
    for col in JSON_COLUMNS:
        if name.startswith(col + ".") and len(name) > len(col) + 1:
            return col, name[len(col) + 1 :]
    return None


def base_column(name: str) -> str:
    """The export column a rule column reads (``Tags`` for ``Tags.team``)."""
    j = json_column(name)
    return j[0] if j else name


@dataclass(frozen=True)
class Rule:
    """One mapping rule: ``match`` conditions (column -> value), the line, the scale."""

    line: str
    match: tuple[tuple[str, str], ...]
    quantity_scale: float | None = None

    def names_category(self) -> bool:
        """The rule names ``ChargeCategory``; otherwise it matches ``Usage`` rows only."""
        return any(col == "ChargeCategory" for col, _ in self.match)


@dataclass(frozen=True)
class Mapping:
    """The validated rules of a mapping file, in order (first match wins), and the
    ``commitments`` section: one :class:`Rule` per commitment, its ``line`` the
    commitment's name, matching that commitment's Unused rows."""

    rules: tuple[Rule, ...]
    path: str = ""
    exports: str = "restated"
    commitments: tuple[Rule, ...] = ()

    def columns(self) -> set[str]:
        """The export columns the rules and commitments read (``Tags`` for any
        ``Tags.<key>``)."""
        out: set[str] = set()
        for r in (*self.rules, *self.commitments):
            for col, _ in r.match:
                out.add(base_column(col))
        return out


def known_column(name: str) -> bool:
    """A FOCUS column, ``Tags.<key>``, ``SkuPriceDetails.<key>`` or a provider's ``x_``
    column. Rules may name any column of the export; the reader checks them against the
    files' headers, and this only tells a likely typo from a known name.

    Examples
    --------
    >>> known_column("SkuMeter"), known_column("Tags.team"), known_column("Skumeter")
    (True, True, False)
    """
    if json_column(name):
        return True
    return name in FOCUS_COLUMNS or name.startswith("x_")


@functools.cache
def _re2() -> Any:
    """One in-memory DuckDB for the patterns' checks (a new database for each costs more
    than the check); each check runs on a cursor of its own. One thread: no worker
    threads are left behind for the life of the process."""
    import duckdb

    return duckdb.connect(config={"threads": 1})


def regex_problem(pattern: str) -> str | None:
    """Why DuckDB's regular-expression engine (RE2, which runs the rules) refuses
    ``pattern``, or None. Python's ``re`` accepts look-arounds and back-references that
    RE2 does not.

    >>> regex_problem("claims-.*") is None, "(?=" in regex_problem("(?=a)b")
    (True, True)
    """
    import duckdb

    try:
        with _re2().cursor() as con:
            con.execute("SELECT regexp_full_match('', ?)", [pattern]).fetchall()
    except duckdb.Error as e:
        first = next((x.strip() for x in str(e).splitlines() if x.strip()), str(e))
        return first.removeprefix("Invalid Input Error: ")
    return None


#: Largest mapping file read, in bytes (a real one is a few KB).
MAX_MAPPING_BYTES = 1_000_000


def _read_mapping_text(path: Path) -> str:
    """The text of a mapping file: a regular file of at most :data:`MAX_MAPPING_BYTES`."""
    if path.is_dir():
        raise IsADirectoryError(path)
    data = read_regular(path, MAX_MAPPING_BYTES)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputFileError(f"not a UTF-8 text file: {e}") from None


def load_mapping(
    path: str | Path, lines: set[str] | None = None, commitments: set[str] | None = None
) -> Mapping:
    """Read and validate a mapping file.

    Parameters
    ----------
    path : str or Path
        The YAML file.
    lines : set of str, optional
        The scenario's cost line names; a rule naming another line is an error.
    commitments : set of str, optional
        The scenario's commitment names; a ``commitments`` entry naming another is an
        error.

    Raises
    ------
    DataError
        With every problem: unreadable YAML, no ``rules`` list, a rule without
        ``line`` or ``match``, an unknown line, an unknown column, a regular
        expression that does not compile, a ``quantity_scale`` that is not a
        positive number, unknown keys; in ``commitments``: an unknown or repeated
        commitment name, a missing or bad ``match``.
    """
    import yaml

    file = str(path)
    repeated: list[tuple[str, str]] = []
    try:  # numbers as YAML 1.2 reads them; a repeated key is listed with the rest
        data = load_yaml(_read_mapping_text(Path(path)), repeated)
    except FileNotFoundError:
        raise DataError(Problem(file, "", "file not found")) from None
    except IsADirectoryError:
        raise DataError(Problem(file, "", "a folder, not a mapping file")) from None
    except InputFileError as e:  # a FIFO, a device, too large
        raise DataError(Problem(file, "", str(e))) from None
    except YamlError as e:  # too deeply nested, an alias bomb
        raise DataError([Problem(file, w, m) for w, m in e.problems]) from None
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise DataError(Problem(file, "", f"not a readable YAML file: {e}")) from None
    problems: list[Problem] = [Problem(file, where, why) for where, why in repeated]
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise DataError(Problem(file, "rules", "expected a list of rules under `rules:`"))
    for key in data:
        if key not in _TOP_KEYS:
            problems.append(
                Problem(
                    file,
                    str(key),
                    "unknown field; expected `rules` and optional `exports` and `commitments`",
                )
            )
    exports = data.get("exports", "restated")
    if exports not in EXPORT_STYLES:
        problems.append(
            Problem(
                file,
                "exports",
                f"expected `incremental` (later deliveries add changes) or `restated` (the "
                f"default: the latest delivery of a billing period replaces the others), "
                f"got {exports!r}",
            )
        )
    rules: list[Rule] = []
    for i, raw in enumerate(data["rules"]):
        where = f"rules[{i}]"
        rule = _rule(raw, where, file, lines, problems)
        if rule is not None:
            rules.append(rule)
    found = _commitments(data.get("commitments"), file, commitments, problems)
    if problems:
        raise DataError(problems)
    return Mapping(tuple(rules), file, str(exports), found)


def _commitments(
    raw: Any, file: str, names: set[str] | None, problems: list[Problem]
) -> tuple[Rule, ...]:
    """The ``commitments`` section: ``- {commitment: NAME, match: {...}}`` entries (or a
    mapping ``NAME: {match: {...}}``), each a :class:`Rule` whose ``line`` is the
    commitment's name; problems are appended."""
    if raw is None:
        return ()
    if isinstance(raw, dict):  # NAME: {match: {...}}, or NAME: {column: value}
        raw = [
            {"commitment": k, **v}
            if isinstance(v, dict) and "match" in v
            else {"commitment": k, "match": v}
            for k, v in raw.items()
        ]
    if not isinstance(raw, list):
        problems.append(
            Problem(file, "commitments", "expected a list of `- commitment: NAME` with a `match`")
        )
        return ()
    out: list[Rule] = []
    seen: set[str] = set()
    for i, entry in enumerate(raw):
        where = f"commitments[{i}]"
        if not isinstance(entry, dict):
            problems.append(
                Problem(file, where, "expected a mapping with `commitment` and `match`")
            )
            continue
        n = len(problems)
        for key in entry:
            if key not in _COMMITMENT_KEYS:
                problems.append(
                    Problem(file, f"{where}.{key}", "unknown field; expected `commitment`, `match`")
                )
        name = entry.get("commitment")
        if not isinstance(name, str) or not name:
            problems.append(
                Problem(file, f"{where}.commitment", "missing: the scenario's commitment name")
            )
        elif names is not None and name not in names:
            near = difflib.get_close_matches(name, sorted(names), n=1)
            hint = (
                f"; did you mean {near[0]}?"
                if near
                else f"; the scenario's commitments: {', '.join(sorted(names)) or 'none'}"
            )
            problems.append(
                Problem(file, f"{where}.commitment", f"unknown commitment {name!r}{hint}")
            )
        elif name in seen:
            problems.append(
                Problem(file, f"{where}.commitment", f"{name!r} is named twice; keep one entry")
            )
        else:
            seen.add(name)
        conds = _conditions(entry.get("match"), where, file, problems)
        if len(problems) == n:
            out.append(Rule(str(name), tuple(conds)))
    return tuple(out)


def _conditions(
    match: Any, where: str, file: str, problems: list[Problem]
) -> list[tuple[str, str]]:
    """The ``column: value`` conditions of a ``match``; problems are appended."""
    conds: list[tuple[str, str]] = []
    if not isinstance(match, dict) or not match:
        problems.append(Problem(file, f"{where}.match", "expected at least one `column: value`"))
        return conds
    for col, value in match.items():
        col = str(col)
        at = f"{where}.match.{col}"
        if not col.strip() or col != col.strip():
            problems.append(Problem(file, at, "expected a column name"))
        elif not known_column(col):
            near = difflib.get_close_matches(col, sorted(FOCUS_COLUMNS), n=1)
            if near and near[0].lower() == col.lower():  # Skumeter: a typo, not a column
                problems.append(Problem(file, at, f"unknown column; did you mean {near[0]}?"))
        if value is None or isinstance(value, dict | list):
            problems.append(Problem(file, at, f"expected a text value, got {value!r}"))
            continue
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if text.startswith("~") and (why := regex_problem(text[1:])) is not None:
            problems.append(Problem(file, at, f"bad regular expression {text[1:]!r}: {why}"))
        conds.append((col, text))
    return conds


def _rule(
    raw: Any, where: str, file: str, lines: set[str] | None, problems: list[Problem]
) -> Rule | None:
    if not isinstance(raw, dict):
        problems.append(Problem(file, where, "expected a mapping with `line` and `match`"))
        return None
    n = len(problems)
    for key in raw:
        if key not in _RULE_KEYS:
            problems.append(Problem(file, f"{where}.{key}", "unknown field"))
    line = raw.get("line")
    if not isinstance(line, str) or not line:
        problems.append(Problem(file, f"{where}.line", "missing: the cost line this rule maps to"))
    elif lines is not None and line not in lines:
        near = difflib.get_close_matches(line, sorted(lines), n=1)
        hint = f"; did you mean {near[0]}?" if near else f"; lines: {', '.join(sorted(lines))}"
        problems.append(Problem(file, f"{where}.line", f"unknown cost line {line!r}{hint}"))
    conds = _conditions(raw.get("match"), where, file, problems)
    scale = raw.get("quantity_scale")
    if scale is not None and (
        isinstance(scale, bool)
        or not isinstance(scale, int | float)
        or not 0 < scale < float("inf")
    ):
        problems.append(
            Problem(file, f"{where}.quantity_scale", f"must be a number > 0, got {scale!r}")
        )
    if len(problems) > n:
        return None
    return Rule(str(line), tuple(conds), None if scale is None else float(scale))


def sql_string(text: str) -> str:
    """A SQL string literal.

    >>> sql_string("it's")
    "'it''s'"
    """
    return "'" + text.replace("'", "''") + "'"


def sql_ident(name: str) -> str:
    """A quoted SQL identifier.

    >>> print(sql_ident('a"b'))
    "a""b"
    """
    return '"' + name.replace('"', '""') + '"'


def case_sql(mapping: Mapping, column_sql: dict[str, str], usage_only: bool = True) -> str:
    """One SQL ``CASE`` giving the index of the first matching rule, or NULL.

    Parameters
    ----------
    mapping : Mapping
    column_sql : dict of str to str
        The SQL expression of each column the rules read (text, ``NULL`` for an
        empty value), and of ``ChargeCategory``; ``Tags`` and ``SkuPriceDetails`` are
        JSON text. A provider column missing from the dict is looked up under its other
        name; any other column missing from it (no file has it) matches nothing.
    usage_only : bool
        A rule that does not name ``ChargeCategory`` matches ``Usage`` rows only (for
        the ``commitments`` section, which matches Unused rows, False).

    Examples
    --------
    >>> m = Mapping((Rule("a", (("ServiceName", "X"), ("Tags.team", "~cl.*"))),))
    >>> sql = case_sql(m, {"ServiceName": "s", "Tags": "t", "ChargeCategory": "c"})
    >>> print(sql)  # doctest: +NORMALIZE_WHITESPACE
    CASE WHEN (s = 'X' AND regexp_full_match(CASE WHEN json_valid(t) THEN
    json_extract_string(t, '$."team"') END, 'cl.*') AND c = 'Usage') THEN 0 ELSE NULL END
    """
    if not mapping.rules:
        return "CAST(NULL AS INTEGER)"
    whens = []
    for i, rule in enumerate(mapping.rules):
        conds = []
        for col, value in rule.match:
            if (j := json_column(col)) is not None:
                src = column_sql.get(j[0], "CAST(NULL AS VARCHAR)")
                path = '$."' + j[1].replace('"', '\\"') + '"'
                expr = (
                    f"CASE WHEN json_valid({src}) THEN "
                    f"json_extract_string({src}, {sql_string(path)}) END"
                )
            else:
                found = column_sql.get(col)
                if found is None and col in PROVIDER_COLUMNS:
                    other = PROVIDER_COLUMNS[1 - PROVIDER_COLUMNS.index(col)]
                    found = column_sql.get(other)
                expr = "CAST(NULL AS VARCHAR)" if found is None else found
            if value.startswith("~"):
                conds.append(f"regexp_full_match({expr}, {sql_string(value[1:])})")
            else:
                conds.append(f"{expr} = {sql_string(value)}")
        if usage_only and not rule.names_category():
            conds.append(f"{column_sql['ChargeCategory']} = 'Usage'")
        whens.append(f"WHEN ({' AND '.join(conds)}) THEN {i}")
    return "CASE " + " ".join(whens) + " ELSE NULL END"
