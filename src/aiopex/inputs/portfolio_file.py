"""The portfolio file: which scenarios make up one budget, and what they share.

```yaml
name: ai-portfolio-2027
members: [claims_triage.yaml, support_assistant.yaml, scenarios/]   # files or folders
shared:                           # one draw per portfolio draw, common to every member
  - finance.discount_rate
  - costs.*.escalation_per_year   # `*` matches any cost line name
budget: {"2027": 2500000, "2028": 2800000}   # optional envelope per fiscal year
fiscal_year_start: 1
```

This module reads and checks the file on its own (its fields, the member files, the
members' names and currency); the checks that need the engine's list of fields (a
``shared`` path no member has) and the members' timeline (a budget year outside it)
are in :mod:`aiopex.analyses.portfolio`. Every problem names the file and the field.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from aiopex.errors import AiopexError, Problem, ScenarioError
from aiopex.inputs.files import cap, key_texts
from aiopex.inputs.scenario import Scenario, _problems, _read_yaml, load_scenario

SCENARIO_SUFFIXES = (".yaml", ".yml")
#: Budget envelopes are at most this (a sanity bound, as for money in a scenario).
MAX_BUDGET = 1e15
#: A ``shared`` entry: dotted field names, ``*`` standing for one cost line's name.
SHARED_PATTERN = r"^[A-Za-z_][A-Za-z0-9_\-]*(\.([A-Za-z0-9_\-]+|\*))*$"


class PortfolioModel(BaseModel):
    """The fields of a portfolio file (unknown fields are errors)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, Field(strict=True, min_length=1, max_length=200)] = Field(
        description="the portfolio's name, used in outputs"
    )
    description: str = Field("", description="free text shown in the report")
    members: Annotated[
        list[Annotated[str, Field(strict=True, min_length=1)]], Field(min_length=1)
    ] = Field(description="scenario files or folders of them, relative to this file")
    shared: list[Annotated[str, Field(strict=True, pattern=SHARED_PATTERN)]] = Field(
        default_factory=list,
        description="field paths drawn once per portfolio draw for every member that has them",
    )
    budget: dict[
        str | int, Annotated[float, Field(strict=True, allow_inf_nan=False, ge=0, le=MAX_BUDGET)]
    ] = Field(
        default_factory=dict, description="envelope per fiscal year, in the members' currency"
    )
    fiscal_year_start: Annotated[int, Field(strict=True, ge=1, le=12)] = Field(
        1, description="month (1-12) the fiscal year starts; FY named by the year it ends in"
    )


@dataclass
class Portfolio:
    """A validated portfolio: its members loaded as scenarios.

    Attributes
    ----------
    path : Path
        The portfolio file.
    model : PortfolioModel
        The file's fields.
    members : list of Scenario
        In the order the file lists them (a folder's files sorted by name); a member's
        name is its scenario's ``name``.
    budget : dict of int to float
        Envelope per fiscal year.
    """

    path: Path
    model: PortfolioModel
    members: list[Scenario]
    budget: dict[int, float] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The portfolio's name."""
        return self.model.name

    @property
    def shared(self) -> list[str]:
        """The ``shared`` patterns, as written."""
        return list(self.model.shared)

    @property
    def fiscal_year_start(self) -> int:
        """The month (1-12) the portfolio's fiscal year starts."""
        return self.model.fiscal_year_start

    @property
    def currency(self) -> str:
        """The members' one currency."""
        return self.members[0].currency


def shared_matches(pattern: str, path: str) -> bool:
    """Whether a ``shared`` entry names a field path: ``*`` stands for exactly one name.

    Examples
    --------
    >>> shared_matches("costs.*.escalation_per_year", "costs.llm_api.escalation_per_year")
    True
    >>> shared_matches("costs.*.rate", "costs.llm_api.escalation_per_year")
    False
    >>> shared_matches("finance.discount_rate", "finance.discount_rate")
    True
    """
    want, have = pattern.split("."), path.split(".")
    return len(want) == len(have) and all(
        w == "*" or w == h for w, h in zip(want, have, strict=True)
    )


def _member_files(
    entries: list[str], base: Path, label: str, problems: list[Problem]
) -> list[tuple[str, Path]]:
    """Expand ``members`` into ``(field, file)`` pairs; a folder gives its YAML files.

    A file reached twice is a problem (it would count once, and a portfolio's total
    would silently miss the member its author meant to list).
    """
    out: list[tuple[str, Path]] = []
    seen: dict[Path, str] = {}
    for i, entry in enumerate(entries):
        where = f"members[{i}]"
        path = Path(entry) if Path(entry).is_absolute() else base / entry
        if path.is_dir():
            found = sorted(q for q in path.iterdir() if q.suffix in SCENARIO_SUFFIXES)
            if not found:
                problems.append(Problem(label, where, f"folder {entry} has no scenario files"))
        elif path.is_file():
            found = [path]
        else:
            problems.append(Problem(label, where, f"no such file or folder: {entry}"))
            found = []
        for f in found:
            key = Path(os.path.realpath(f))  # a symlink loop is named when read
            if key in seen:
                problems.append(
                    Problem(
                        label, where, f"{f.name} is already a member ({seen[key]}); list it once"
                    )
                )
            else:
                seen[key] = where
                out.append((where, f))
    return out


def _budget(
    raw: dict[Any, float], written: list[tuple[str, int]], label: str, problems: list[Problem]
) -> dict[int, float]:
    """Budget keys as fiscal-year names (``2027``, ``FY2027``), parsed strictly from the
    text as written: ``2027.0`` or ``0x7eb`` are refused, and two keys naming one fiscal
    year are refused naming both (YAML read them as one number, the later value kept)."""
    first: dict[int, tuple[str, int]] = {}
    for text, line in written:
        m = re.fullmatch(r"(?:FY)?([0-9]{4})", text.strip(), flags=re.IGNORECASE)
        if m is None or not 1900 <= int(m.group(1)) <= 2200:
            problems.append(
                Problem(
                    label,
                    f"budget.{cap(text)}",
                    "expected a fiscal year such as 2027 or FY2027",
                )
            )
            continue
        year = int(m.group(1))
        if year in first:
            was, at = first[year]
            problems.append(
                Problem(
                    label,
                    f"budget.{cap(text)}",
                    f"FY{year} is given twice ({was!r} on line {at} and {text!r} on line "
                    f"{line}); keep one",
                )
            )
        first.setdefault(year, (text, line))
    out: dict[int, float] = {}
    for key, value in raw.items():
        m = re.fullmatch(r"(?:FY)?([0-9]{4})", str(key).strip(), flags=re.IGNORECASE)
        if m is not None:
            out[int(m.group(1))] = float(value)
    return out


def read_portfolio(path: str | Path) -> Portfolio:
    """Read a portfolio file and load its members.

    Checks the file's fields, that every member file or folder exists and loads (a
    member's own problems name the member's file), that no two members share a
    name, that they share one currency, and that budget keys are fiscal years.

    Raises
    ------
    ScenarioError
        With every problem found.
    """
    path = Path(path)
    label = str(path)
    problems: list[Problem] = []
    doc = _read_yaml(path, label, problems)
    model: PortfolioModel | None = None
    try:
        model = PortfolioModel.model_validate(doc)
    except ValidationError as e:
        problems += [_portfolio_problem(p) for p in _problems(e, label)]
    # the members are read even when the file has problems of its own: all at once
    listed = model.members if model is not None else doc.get("members")
    entries = [m for m in listed if isinstance(m, str) and m] if isinstance(listed, list) else []
    files = _member_files(entries, path.parent, label, problems)
    members: list[Scenario] = []
    for _, f in files:
        try:
            members.append(load_scenario(f))
        except AiopexError as e:
            problems.extend(e.problems)
    by_name: dict[str, Path] = {}
    for s in members:
        if s.name in by_name:
            problems.append(
                Problem(
                    label,
                    "members",
                    f"two members are named {s.name!r} ({by_name[s.name]} and {s.path}); "
                    "a member's name keys its random numbers, so names must differ",
                )
            )
        else:
            by_name[s.name] = s.path
    currencies = sorted({s.currency for s in members})
    if len(currencies) > 1:
        listed = ", ".join(f"{s.name}: {s.currency}" for s in members)
        problems.append(
            Problem(label, "members", f"members must share one currency to be summed ({listed})")
        )
    written = key_texts(path.read_text(encoding="utf-8"), "budget") if model is not None else []
    budget = _budget(dict(model.budget), written, label, problems) if model is not None else {}
    if problems or model is None:
        raise ScenarioError(problems)
    return Portfolio(path=path, model=model, members=members, budget=budget)


_FIELDS = tuple(PortfolioModel.model_fields)


def _portfolio_problem(p: Problem) -> Problem:
    """Re-word the scenario reader's hints for a portfolio file's own fields."""
    if p.message.startswith("unknown field"):
        key = p.field.rsplit(".", 1)[-1]
        match = difflib.get_close_matches(key, _FIELDS, n=1, cutoff=0.6)
        hint = f"; did you mean {match[0]}?" if match else f"; expected {', '.join(_FIELDS)}"
        return Problem(p.file, p.field, "unknown field" + hint)
    if p.field.startswith("shared[") and "pattern" in p.message:
        return Problem(p.file, p.field, "expected a dotted field path, `*` for a cost line's name")
    return p


__all__ = ["Portfolio", "PortfolioModel", "read_portfolio", "shared_matches"]
