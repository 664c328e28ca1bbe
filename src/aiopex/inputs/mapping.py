"""The mapping file: which rows of a FOCUS billing export belong to which cost line.

A mapping file is YAML with a list of ``rules``; the first rule whose every
condition holds assigns a row to its ``line``::

    rules:
      - line: llm_input_tokens
        match: {ServiceName: "Azure OpenAI", SkuMeter: "~.*Inp.*Tokens"}
        quantity_scale: 1.0
      - line: vector_store
        match: {ResourceId: "~.*/claims-vectors$", "Tags.team": claims}

A condition is ``column: value``. The value is compared exactly, or, when it
starts with ``~``, as a regular expression that must match the whole value.
``Tags.<key>`` reads ``<key>`` from the JSON object in the ``Tags`` column.
``ProviderName`` (FOCUS 1.0 to 1.2) and ``ServiceProviderName`` (1.3) are the
same condition: whichever column the export has is used. ``quantity_scale``
(default 1) turns ``PricingQuantity`` into the line's driver unit.

:func:`load_mapping` validates the file and lists every problem at once;
:func:`case_sql` compiles the rules into one SQL ``CASE`` expression for DuckDB.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiopex.errors import DataError, Problem

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


@dataclass(frozen=True)
class Rule:
    """One mapping rule: ``match`` conditions (column -> value), the line, the scale."""

    line: str
    match: tuple[tuple[str, str], ...]
    quantity_scale: float = 1.0


@dataclass(frozen=True)
class Mapping:
    """The validated rules of a mapping file, in order (first match wins)."""

    rules: tuple[Rule, ...]
    path: str = ""

    def columns(self) -> set[str]:
        """The export columns the rules read (``Tags`` for any ``Tags.<key>``)."""
        out: set[str] = set()
        for r in self.rules:
            for col, _ in r.match:
                out.add("Tags" if col.startswith("Tags.") else col)
        return out


def known_column(name: str) -> bool:
    """A column a rule may name: a FOCUS column, ``Tags.<key>`` or a provider's ``x_`` column.

    Examples
    --------
    >>> known_column("SkuMeter"), known_column("Tags.team"), known_column("Skumeter")
    (True, True, False)
    """
    if name.startswith("Tags.") and len(name) > 5:
        return True
    return name in FOCUS_COLUMNS or name.startswith("x_")


def load_mapping(path: str | Path, lines: set[str] | None = None) -> Mapping:
    """Read and validate a mapping file.

    Parameters
    ----------
    path : str or Path
        The YAML file.
    lines : set of str, optional
        The scenario's cost line names; a rule naming another line is an error.

    Raises
    ------
    DataError
        With every problem: unreadable YAML, no ``rules`` list, a rule without
        ``line`` or ``match``, an unknown line, an unknown column, a regular
        expression that does not compile, a ``quantity_scale`` that is not a
        positive number, unknown keys.
    """
    import yaml

    from aiopex.inputs.files import YamlError, load_yaml

    file = str(path)
    repeated: list[tuple[str, str]] = []
    try:  # numbers as YAML 1.2 reads them; a repeated key is listed with the rest
        data = load_yaml(Path(path).read_text(encoding="utf-8"), repeated)
    except FileNotFoundError:
        raise DataError(Problem(file, "", "file not found")) from None
    except IsADirectoryError:
        raise DataError(Problem(file, "", "a folder, not a mapping file")) from None
    except YamlError as e:  # too deeply nested, an alias bomb
        raise DataError([Problem(file, w, m) for w, m in e.problems]) from None
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise DataError(Problem(file, "", f"not a readable YAML file: {e}")) from None
    problems: list[Problem] = [Problem(file, where, why) for where, why in repeated]
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise DataError(Problem(file, "rules", "expected a list of rules under `rules:`"))
    for key in data:
        if key != "rules":
            problems.append(Problem(file, str(key), "unknown field; expected only `rules`"))
    rules: list[Rule] = []
    for i, raw in enumerate(data["rules"]):
        where = f"rules[{i}]"
        rule = _rule(raw, where, file, lines, problems)
        if rule is not None:
            rules.append(rule)
    if problems:
        raise DataError(problems)
    return Mapping(tuple(rules), file)


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
        import difflib

        near = difflib.get_close_matches(line, sorted(lines), n=1)
        hint = f"; did you mean {near[0]}?" if near else f"; lines: {', '.join(sorted(lines))}"
        problems.append(Problem(file, f"{where}.line", f"unknown cost line {line!r}{hint}"))
    match = raw.get("match")
    conds: list[tuple[str, str]] = []
    if not isinstance(match, dict) or not match:
        problems.append(Problem(file, f"{where}.match", "expected at least one `column: value`"))
    else:
        for col, value in match.items():
            col = str(col)
            at = f"{where}.match.{col}"
            if not known_column(col):
                import difflib

                near = difflib.get_close_matches(col, sorted(FOCUS_COLUMNS), n=1)
                hint = f"; did you mean {near[0]}?" if near else ""
                problems.append(Problem(file, at, f"unknown FOCUS column{hint}"))
            if value is None or isinstance(value, dict | list):
                problems.append(Problem(file, at, f"expected a text value, got {value!r}"))
                continue
            text = str(value).lower() if isinstance(value, bool) else str(value)
            if text.startswith("~"):
                try:
                    re.compile(text[1:])
                except re.error as e:
                    problems.append(Problem(file, at, f"bad regular expression {text[1:]!r}: {e}"))
            conds.append((col, text))
    scale = raw.get("quantity_scale", 1.0)
    if isinstance(scale, bool) or not isinstance(scale, int | float) or not scale > 0:
        problems.append(
            Problem(file, f"{where}.quantity_scale", f"must be a number > 0, got {scale!r}")
        )
    if len(problems) > n:
        return None
    return Rule(str(line), tuple(conds), float(scale))


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


def case_sql(mapping: Mapping, column_sql: dict[str, str]) -> str:
    """One SQL ``CASE`` giving the index of the first matching rule, or NULL.

    Parameters
    ----------
    mapping : Mapping
    column_sql : dict of str to str
        The SQL expression of each column the rules read (text, ``NULL`` for an
        empty value); ``Tags`` is the JSON text of the tags. A provider column
        missing from the dict is looked up under its other name.

    Examples
    --------
    >>> m = Mapping((Rule("a", (("ServiceName", "X"), ("Tags.team", "~cl.*"))),))
    >>> sql = case_sql(m, {"ServiceName": "s", "Tags": "t"})
    >>> print(sql[:35]); print(sql[35:])
    CASE WHEN (s = 'X' AND regexp_full_
    match(json_extract_string(t, '$."team"'), 'cl.*')) THEN 0 ELSE NULL END
    """
    if not mapping.rules:
        return "CAST(NULL AS INTEGER)"
    whens = []
    for i, rule in enumerate(mapping.rules):
        conds = []
        for col, value in rule.match:
            if col.startswith("Tags."):
                path = '$."' + col[5:].replace('"', '\\"') + '"'
                expr = f"json_extract_string({column_sql['Tags']}, {sql_string(path)})"
            else:
                expr = column_sql.get(col)
                if expr is None and col in PROVIDER_COLUMNS:
                    other = PROVIDER_COLUMNS[1 - PROVIDER_COLUMNS.index(col)]
                    expr = column_sql[other]
                assert expr is not None, col
            if value.startswith("~"):
                conds.append(f"regexp_full_match({expr}, {sql_string(value[1:])})")
            else:
                conds.append(f"{expr} = {sql_string(value)}")
        whens.append(f"WHEN ({' AND '.join(conds)}) THEN {i}")
    return "CASE " + " ".join(whens) + " ELSE NULL END"
