"""Loading a scenario file: YAML, ``extends``, dotted overrides, validation, hash.

See docs/scenario.md#composition and #overrides. :func:`load_scenario` is the
only way in; it either returns a frozen, validated :class:`Scenario` or raises
:class:`aiopex.errors.ScenarioError` listing every problem with file and field.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from aiopex.errors import DataError, Problem, ScenarioError
from aiopex.inputs.files import (
    MAX_SCENARIO_BYTES,
    InputFileError,
    YamlError,
    cap,
    excerpt,
    load_yaml,
    read_regular,
)
from aiopex.inputs.schema import (
    ScenarioModel,
    all_field_names,
    commitment_problems,
    duplicate_names,
    ignored_by_policy,
    not_a_number,
)
from aiopex.inputs.uncertain import Range, point
from aiopex.names import LINE_DEFAULTS

# -- reading and composing ----------------------------------------------------------------


def _read_yaml(path: Path, label: str, problems: list[Problem] | None = None) -> dict[str, Any]:
    """Read a scenario (or portfolio) file as a YAML mapping; problems raise.

    A key repeated in a mapping is appended to ``problems`` (when given) and the file
    is read on (the later value kept), so that its other problems are listed with it.
    """
    repeated: list[tuple[str, str]] = []
    try:
        data = read_regular(path, MAX_SCENARIO_BYTES)
    except FileNotFoundError:
        raise ScenarioError(Problem(label, "", "file not found")) from None
    except InputFileError as e:
        raise ScenarioError(Problem(label, "", f"cannot read as a scenario: {e}")) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(Problem(label, "", "not a text file (not UTF-8)")) from None
    try:
        doc = load_yaml(text, repeated if problems is not None else None)
    except YamlError as e:
        raise ScenarioError([Problem(label, w, m) for w, m in e.problems]) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        why = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ScenarioError(Problem(label, where, f"not valid YAML: {cap(why, 200)}")) from None
    except RecursionError:  # pragma: no cover - the depth limit comes first
        raise ScenarioError(Problem(label, "", "nested too deeply")) from None
    if not isinstance(doc, dict):
        raise ScenarioError(
            Problem(label, "", f"a scenario file is a YAML mapping, got {type(doc).__name__}")
        )
    if problems is not None:
        problems.extend(Problem(label, w, m) for w, m in repeated)
    return doc


def _absolutize(doc: dict[str, Any], base: Path) -> None:
    """Make paths that docs/scenario.md defines relative to their file absolute."""
    usage = doc.get("usage")
    if isinstance(usage, dict) and isinstance(usage.get("history"), str):
        usage["history"] = str((base / usage["history"]).resolve())


def merge(parent: Any, child: Any, problems: list[Problem] | None = None, label: str = "") -> Any:
    """Merge a child scenario onto its parent (docs/scenario.md#composition).

    Mappings merge key by key, lists replace, except ``costs``, which merge by
    ``name``: a child line with a parent's name merges onto it key by key, a line
    with ``remove: true`` drops the inherited line, other lines are appended.
    Removing a line the parent does not have is a problem (appended to ``problems``).

    Examples
    --------
    >>> p = {"a": {"x": 1, "y": 2}, "costs": [{"name": "k", "rate": 1}, {"name": "j", "rate": 2}]}
    >>> c = {"a": {"y": 3}, "costs": [{"name": "j", "remove": True}, {"name": "n", "rate": 5}]}
    >>> merge(p, c)
    {'a': {'x': 1, 'y': 3}, 'costs': [{'name': 'k', 'rate': 1}, {'name': 'n', 'rate': 5}]}
    """
    if isinstance(parent, dict) and isinstance(child, dict):
        out = dict(parent)
        for k, v in child.items():
            if k == "costs" and isinstance(v, list) and isinstance(parent.get(k), list):
                out[k] = _merge_costs(parent[k], v, problems, label)
            elif k in parent:
                out[k] = merge(parent[k], v, problems, label)
            else:
                out[k] = copy.deepcopy(v)
        return out
    return copy.deepcopy(child)


def _merge_costs(
    parent: list[Any], child: list[Any], problems: list[Problem] | None, label: str
) -> list[Any]:
    out = [copy.deepcopy(x) for x in parent]
    index = {x.get("name"): i for i, x in enumerate(out) if isinstance(x, dict)}
    drop: set[int] = set()
    for j, line in enumerate(child):
        name = line.get("name") if isinstance(line, dict) else None
        removing = isinstance(line, dict) and line.get("remove") is True
        if isinstance(name, str) and name in index:
            i = index[name]
            if removing:
                drop.add(i)
            else:
                out[i] = merge(out[i], line, problems, label)
        elif removing:
            if problems is not None:
                names = [n for n in index if isinstance(n, str)]
                problems.append(
                    Problem(
                        label,
                        f"costs[{j}].name",
                        f"no inherited cost line named {excerpt(name)} to remove"
                        + _did_you_mean(str(name), names),
                    )
                )
        else:
            out.append(copy.deepcopy(line))
    return [x for i, x in enumerate(out) if i not in drop]


def _check_removes(
    doc: dict[str, Any], label: str, has_parent: bool, problems: list[Problem]
) -> None:
    """Only ``remove: true`` removes, only a named line of a file that extends another.

    Reports every other use of ``remove`` and takes the key out, so that the line
    is not also reported as having an unknown field.
    """
    costs = doc.get("costs")
    if not isinstance(costs, list):
        return
    keep = []
    for i, line in enumerate(costs):
        if not (isinstance(line, dict) and "remove" in line):
            keep.append(line)
            continue
        value = line["remove"]
        where = f"costs[{i}].remove"
        if value is not True:
            problems.append(
                Problem(
                    label,
                    where,
                    f"only `remove: true` removes an inherited line, got {excerpt(value)}",
                )
            )
            keep.append({k: v for k, v in line.items() if k != "remove"})
            continue
        extra = sorted(str(k) for k in line if k not in ("name", "remove"))
        if not has_parent:
            problems.append(
                Problem(label, where, "nothing to remove: this file extends no other scenario")
            )
            continue
        if extra:
            problems.append(
                Problem(
                    label,
                    where,
                    "a removed line takes only name and remove; it also sets "
                    + cap(", ".join(extra), 120),
                )
            )
        keep.append(line)
    doc["costs"] = keep


def _compose(
    path: Path,
    label: str,
    seen: tuple[Path, ...],
    files: list[tuple[str, dict[str, Any]]],
    problems: list[Problem],
) -> dict[str, Any]:
    """Read ``path`` and its ``extends`` chain and merge them.

    Appends ``(label, document)`` of every file in the chain to ``files``, the file
    itself first, so that problems can be named against the file a value comes from.
    Reading problems raise; problems of ``remove`` are appended to ``problems``.
    """
    real = Path(os.path.realpath(path))  # a symlink loop is named when read
    if real in seen:
        cycle = " -> ".join(p.name for p in (*seen, real))
        raise ScenarioError(Problem(label, "extends", f"extends cycle: {cycle}"))
    doc = _read_yaml(path, label, problems)
    _absolutize(doc, path.parent)
    parent_ref = doc.pop("extends", None)
    _check_removes(doc, label, parent_ref is not None, problems)
    files.append((label, copy.deepcopy(doc)))
    if parent_ref is None:
        return doc
    if not isinstance(parent_ref, str) or not parent_ref.strip():
        raise ScenarioError(
            Problem(label, "extends", f"must be a file name (a string), got {excerpt(parent_ref)}")
        )
    parent_path = path.parent / parent_ref
    if not parent_path.exists():
        raise ScenarioError(
            Problem(
                label,
                "extends",
                f"parent scenario {excerpt(parent_ref)} not found ({cap(str(parent_path), 200)})",
            )
        )
    parent = _compose(parent_path, str(parent_path), (*seen, real), files, problems)
    return merge(parent, doc, problems, label)


# -- where a problem is: the file that gave the value ---------------------------------------

_PART = re.compile(r"\[([0-9]+)\]|([^.\[\]]+)")
_PATH = re.compile(r"[^.\[\]]+(?:\[[0-9]+\])*(?:\.[^.\[\]]+(?:\[[0-9]+\])*)*")


def split_path(path: str) -> list[str | int] | None:
    """``"costs[2].rate"`` -> ``["costs", 2, "rate"]``; ``None`` when it is not a path.

    Examples
    --------
    >>> split_path("costs[2].rate"), split_path("usage.bypass_rate"), split_path("a..b")
    (['costs', 2, 'rate'], ['usage', 'bypass_rate'], None)
    """
    if not _PATH.fullmatch(path):
        return None
    return [int(i) if i else key for i, key in _PART.findall(path)]


def _join_parts(parts: list[str | int]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _follow(parts: list[str | int], merged: Any, raw: Any) -> tuple[int, list[str | int]]:
    """How much of ``parts`` (a path in the merged document) ``raw`` itself defines.

    Returns the number of parts found and the path as ``raw`` spells it (cost
    lines found by name, so their index is the file's own). A list other than
    ``costs`` replaces the parent's whole, so it counts as defining all below it.
    """
    shown: list[str | int] = []
    for n, part in enumerate(parts):
        if isinstance(part, int):
            if not isinstance(raw, list) or not isinstance(merged, list):
                return n, shown
            if shown == ["costs"] and part < len(merged) and isinstance(merged[part], dict):
                name = merged[part].get("name")
                j = next(
                    (
                        j
                        for j, x in enumerate(raw)
                        if isinstance(x, dict) and name is not None and x.get("name") == name
                    ),
                    None,
                )
                if j is None:
                    return n, shown
                merged, raw = merged[part], raw[j]
                shown.append(j)
                continue
            return len(parts), shown + parts[n:]  # lists replace: the file owns it all
        if not isinstance(raw, dict) or part not in raw:
            return n, shown
        raw = raw[part]
        merged = merged.get(part) if isinstance(merged, dict) else None
        shown.append(part)
        if isinstance(raw, list) and shown != ["costs"]:
            return len(parts), shown + parts[n + 1 :]
    return len(parts), shown


def _attribute(
    problem: Problem,
    merged: dict[str, Any],
    files: list[tuple[str, dict[str, Any]]],
    overridden: list[list[str | int]],
) -> Problem:
    """Name ``problem`` against the file in the ``extends`` chain its value comes from."""
    parts = split_path(problem.field)
    if parts is None or len(files) < 2:
        return problem
    if any(parts[: len(o)] == o for o in overridden):
        return problem
    best, label, shown = 0, files[0][0], parts
    for file_label, raw in files:  # the file itself first: a tie stays with the nearer file
        n, spelt = _follow(parts, merged, raw)
        if n > best:
            best, label = n, file_label
            shown = spelt + parts[len(spelt) :] if n < len(parts) else spelt
    return Problem(label, _join_parts(shown), problem.message)


# -- overrides ----------------------------------------------------------------------------


def parse_overrides(items: Iterable[str] | Mapping[str, Any] | str | None) -> dict[str, Any]:
    """Turn overrides into ``{path: value}``.

    Accepts a mapping, a list of ``PATH=VALUE`` strings, or one string (as a notebook
    parameter arrives): a JSON object, or ``PATH=VALUE`` items separated by newlines
    or commas outside brackets. Values given as text are read as YAML, so ``0.3`` is
    a number and ``{low: 1, high: 2}`` a range.

    Examples
    --------
    >>> parse_overrides(["usage.bypass_rate=0.3", "costs.llm_api.rate={low: 1, high: 2}"])
    {'usage.bypass_rate': 0.3, 'costs.llm_api.rate': {'low': 1, 'high': 2}}
    >>> parse_overrides('{"usage.bypass_rate": 0.3}')
    {'usage.bypass_rate': 0.3}
    >>> parse_overrides("usage.bypass_rate=0.3, costs[0].rate={low: 1, high: 2}")
    {'usage.bypass_rate': 0.3, 'costs[0].rate': {'low': 1, 'high': 2}}
    """
    if items is None:
        return {}
    if isinstance(items, str):
        text = items.strip()
        if not text:
            return {}
        if text.startswith("{"):
            try:
                parsed = json.loads(text)
            except ValueError as e:
                raise ScenarioError(
                    Problem("<override>", "", f"overrides are not valid JSON: {cap(str(e), 120)}")
                ) from None
            if not isinstance(parsed, dict):  # pragma: no cover - starts with {
                raise ScenarioError(Problem("<override>", "", "overrides must be a JSON object"))
            return parse_overrides(parsed)
        return parse_overrides(_split_items(text))
    if isinstance(items, Mapping):
        return {str(k): (_yaml_value(v) if isinstance(v, str) else v) for k, v in items.items()}
    out: dict[str, Any] = {}
    for item in items:
        if not isinstance(item, str) or "=" not in item:
            raise ScenarioError(
                Problem(
                    "<override>",
                    cap(str(item), 120),
                    "an override is PATH=VALUE, e.g. usage.bypass_rate=0.3",
                )
            )
        k, v = item.split("=", 1)
        out[k.strip()] = _yaml_value(v)
    return out


def _split_items(text: str) -> list[str]:
    """Split ``a=1, b={low: 1, high: 2}`` at newlines and at commas outside brackets."""
    items, depth, cur = [], 0, ""
    for ch in text:
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        if (ch == "\n" or (ch == "," and depth <= 0)) and "=" in cur:
            items.append(cur.strip())
            cur = ""
            continue
        cur += ch
    if cur.strip():
        items.append(cur.strip())
    return [i for i in items if i]


def _yaml_value(text: str) -> Any:
    try:
        return load_yaml(text)
    except (yaml.YAMLError, YamlError):
        return text


def apply_overrides(
    doc: dict[str, Any],
    overrides: Mapping[str, Any],
    label: str,
    applied: list[list[str | int]] | None = None,
) -> list[Problem]:
    """Set dotted paths in ``doc`` in place.

    A cost line (or a commitment) is addressed by name, ``costs.<name>.<field>``
    (``commitments.<name>.<field>``), or by index as
    validation messages print it, ``costs[2].rate``; any list item by index
    (``usage.rollout[1].share``). Returns the problems (an unknown cost line, an
    index out of range, a path through a non-mapping). The paths set are appended
    to ``applied`` in index form.
    """
    problems: list[Problem] = []
    for path, value in overrides.items():
        parts = split_path(path)
        if parts is None or any(p == "" for p in parts):
            problems.append(Problem(label, cap(path, 120), "override path is not a field path"))
            continue
        if (
            len(parts) > 2
            and parts[0] == "costs"
            and isinstance(parts[1], str)
            and isinstance(doc.get("costs"), list)
        ):
            names = [c.get("name") if isinstance(c, dict) else None for c in doc["costs"]]
            if parts[1] not in names:
                hint = _did_you_mean(parts[1], [n for n in names if isinstance(n, str)])
                problems.append(
                    Problem(
                        label,
                        cap(path, 120),
                        f"no cost line named {excerpt(parts[1])} to override{hint}; "
                        "address a line as costs.<name>.<field> or costs[<index>].<field>",
                    )
                )
                continue
            parts = ["costs", names.index(parts[1]), *parts[2:]]
        elif len(parts) > 2 and parts[0] == "costs" and isinstance(parts[1], str):
            problems.append(Problem(label, cap(path, 120), "the scenario has no cost lines"))
            continue
        elif len(parts) > 2 and parts[0] == "commitments" and isinstance(parts[1], str):
            found = doc.get("commitments")
            listed = found if isinstance(found, list) else []
            names = [c.get("name") if isinstance(c, dict) else None for c in listed]
            if parts[1] not in names:
                hint = _did_you_mean(parts[1], [n for n in names if isinstance(n, str)])
                problems.append(
                    Problem(label, cap(path, 120), f"no commitment named {excerpt(parts[1])} "
                            f"to override{hint}")
                )  # fmt: skip
                continue
            parts = ["commitments", names.index(parts[1]), *parts[2:]]
        node: Any = doc
        for key in parts[:-1]:
            if isinstance(key, int):
                if not isinstance(node, list) or not 0 <= key < len(node):
                    size = len(node) if isinstance(node, list) else 0
                    problems.append(
                        Problem(label, cap(path, 120), f"no item [{key}]; the list has {size}")
                    )
                    break
                node = node[key]
                continue
            if not isinstance(node, dict):
                problems.append(Problem(label, cap(path, 120), f"{key} is not under a mapping"))
                break
            if node.get(key) is None:
                node[key] = {}
            node = node[key]
        else:
            last = parts[-1]
            if isinstance(last, int):
                if isinstance(node, list) and 0 <= last < len(node):
                    node[last] = value
                else:
                    problems.append(Problem(label, cap(path, 120), f"no item [{last}] to set"))
                    continue
            elif isinstance(node, dict):
                node[last] = value
            else:
                problems.append(Problem(label, cap(path, 120), "not under a mapping"))
                continue
            if applied is not None:
                applied.append(parts)
    return problems


# -- validation messages ------------------------------------------------------------------

_REL = re.compile(
    r"^((?:\[\d+\])?[A-Za-z_][\w]*(?:\[\d+\])?(?:\.[A-Za-z_]\w*)*|\[\d+\][\w.\[\]]*): "
)


_BOUND_OPS = {
    "greater_than_equal": ">=",
    "less_than_equal": "<=",
    "greater_than": ">",
    "less_than": "<",
}


def _misplaced(key: str, known: Iterable[Any]) -> str:
    """The message of a field the model does not take where it was given.

    >>> _misplaced("extends", ["extends"])
    'only the top of a scenario file may name its parent (extends), not an override'
    >>> _misplaced("remove", ["remove"])
    'only a cost line of a file that extends another may be removed (remove: true)'
    >>> _misplaced("bypas_rate", ["bypass_rate"])
    'unknown field; did you mean bypass_rate?'
    """
    if key == "extends":
        return "only the top of a scenario file may name its parent (extends), not an override"
    if key == "remove":
        return "only a cost line of a file that extends another may be removed (remove: true)"
    if key in {str(k) for k in known}:
        return "not a field here (it is one elsewhere in a scenario: see docs/scenario.md)"
    return "unknown field" + _did_you_mean(key, known)


def _did_you_mean(key: str, options: Iterable[Any]) -> str:
    match = difflib.get_close_matches(key, [str(o) for o in options], n=1, cutoff=0.6)
    return f"; did you mean {match[0]}?" if match else ""


def _loc_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _join(base: str, rel: str) -> str:
    if rel.startswith("["):
        return base + rel
    return f"{base}.{rel}" if base else rel


#: How a message names the kind of value a YAML file gave.
_KINDS = {bool: "a boolean", int: "a number", float: "a number", dict: "a mapping", list: "a list"}


def _problems(e: ValidationError, label: str) -> list[Problem]:
    known = all_field_names()
    out: list[Problem] = []
    for err in e.errors():
        loc = tuple(err["loc"])
        path = _loc_path(loc)
        msg = err["msg"].removeprefix("Value error, ")
        kind = err["type"]
        if kind == "extra_forbidden":
            key = str(loc[-1]) if loc else ""
            msg = _misplaced(key, known)
        elif kind == "missing":
            msg = "required field is missing"
        elif kind == "literal_error":
            expected = err.get("ctx", {}).get("expected", "")
            got = err.get("input")
            msg = f"unknown value {excerpt(got)}; expected one of {expected}"
            hint = _did_you_mean(str(got)[:100], re.findall(r"'([^']+)'", expected))
            msg += hint
        elif kind in _BOUND_OPS:
            ctx = err.get("ctx", {})
            limit = next(iter(ctx.values()), "")
            msg = f"must be {_BOUND_OPS[kind]} {limit}, got {excerpt(err.get('input'))}"
        elif kind in ("float_parsing", "float_type", "finite_number"):
            msg = not_a_number(err.get("input"))
        elif kind in ("int_parsing", "int_type", "int_from_float"):
            got = err.get("input")
            if isinstance(got, float) and got.is_integer():
                msg = f"must be a whole number, got {got!r}; write {int(got)}"
            else:
                msg = not_a_number(got, "a whole number")
        elif kind in ("string_type", "dict_type", "list_type", "model_type"):
            wanted = {"string_type": "text", "list_type": "a list"}.get(kind, "a mapping")
            got = err.get("input")
            msg = f"must be {wanted}, got " + (
                "nothing (null)"
                if got is None
                else f"{_KINDS.get(type(got), 'text')} {excerpt(got)}"
            )
        elif kind == "string_pattern_mismatch":
            msg = f"{msg}, got {excerpt(err.get('input'))}"
        elif kind in ("too_long", "string_too_long"):
            msg = msg.split(" after validation")[0]
        else:
            parts = msg.split("; ")
            if len(parts) > 1 and all(_REL.match(p) for p in parts):
                for p in parts:
                    m = _REL.match(p)
                    assert m
                    out.append(Problem(label, _join(path, m.group(1)), p[m.end() :]))
                continue
            m = _REL.match(msg)
            if m:
                path, msg = _join(path, m.group(1)), msg[m.end() :]
        out.append(Problem(label, cap(path, 200), cap(msg, 400)))
    return out


# -- the scenario -------------------------------------------------------------------------


class Scenario:
    """A validated, resolved scenario: what every output records.

    Attributes
    ----------
    name, description, currency, start, horizon
        From the file (``horizon`` is ``horizon_months``).
    path : Path
        The scenario file.
    model : ScenarioModel
        The validated file (raw numbers and :class:`~aiopex.uncertain.Range` objects).
    resolved : dict
        The file after ``extends`` and overrides, as plain data.
    inputs_hash : str
        SHA-256 of ``resolved`` in canonical JSON, with a history file's path
        replaced by the hash of its content.
    """

    def __init__(self, path: Path, model: ScenarioModel, resolved: dict[str, Any]):
        self.path = path
        self.model = model
        self.resolved = resolved
        self.name = model.name
        self.description = model.description
        self.currency = model.currency
        self.start = model.start
        self.horizon = model.horizon_months
        self.inputs_hash = _hash(resolved)
        self.history_frame: Any = None  # the usage history, read and checked at load time
        #: A baseline's copy of the usage history (set by load_baseline), read instead of
        #: the file the scenario named.
        self.history_copy: str | None = None

    def __repr__(self) -> str:
        return f"Scenario({self.name!r}, {self.path.name}, hash={self.inputs_hash[:12]})"

    def notes(self) -> list[str]:
        """Cost lines that cost nothing in this horizon because of their months.

        By the formulas (docs/formulas.md#costs) a ``one_time`` cost in a month after the horizon,
        or a line whose ``from_month`` is after it, costs nothing here; that is allowed (a child
        scenario may shorten its parent's horizon), but said, so that an off-by-one month (month 36
        of a 36-month horizon, which ends at month 35) is seen.
        """
        last = self.horizon - 1
        out = []
        for i, ln in enumerate(self.model.costs):
            month = ln.month if ln.driver == "one_time" else ln.from_month
            if month is not None and month > last:
                field = "month" if ln.driver == "one_time" else "from_month"
                out.append(
                    f"costs[{i}] {ln.name}: {field} {month} is after the horizon (months 0 to "
                    f"{last}), so the line costs nothing in this forecast"
                )
        return out

    def scalar_inputs(self) -> list[tuple[str, float | int | str, str]]:
        """Every scalar input as ``(dotted path, point value, unit or note)``.

        Dotted paths are those that overrides accept (``costs.llm_api.rate``).
        Defaults the engine applies are listed too, so a workbook shows every input.
        """
        m = self.model
        H = self.horizon
        cur = self.currency
        rows: list[tuple[str, float | int | str, str]] = []

        def add(path: str, value: Any, unit: str) -> None:
            if value is None:
                return
            if isinstance(value, Range):
                rows.append((path, point(value), f"{unit}; range {value.describe()}".lstrip("; ")))
            elif isinstance(value, str):
                rows.append((path, value, unit))
            else:
                rows.append((path, value, unit))

        add("horizon_months", H, "months")
        u = m.usage
        if u.history_based:
            add("usage.method", u.method, "history forecasting method")
        add("usage.population", u.population, "people")
        add("usage.adoption.ceiling", u.adoption.ceiling, "share of people with access")
        add("usage.adoption.midpoint_months", u.adoption.midpoint_months, "months")
        add("usage.adoption.steepness", u.adoption.steepness, "per month")
        add("usage.items_per_user_month", u.items_per_user_month, "items per active user/month")
        add("usage.bypass_rate", u.bypass_rate, "share of items handled around the system")
        add("usage.growth_per_year", u.growth_per_year, "per year, compounding")
        add("usage.tokens_per_item.input", u.tokens_per_item.input, "tokens per item")
        add("usage.tokens_per_item.output", u.tokens_per_item.output, "tokens per item")
        q = m.quality
        add("quality.launch_accuracy", q.launch_accuracy, "share correct")
        add("quality.drift_per_month", q.drift_per_month, "accuracy lost per month")
        add("quality.floor", q.floor, "share correct")
        add("quality.acceptable", q.acceptable, "share correct")
        r = m.retraining
        add("retraining.policy", r.policy, "scheduled | triggered | none")
        add("retraining.every_months", r.every_months, "months")
        add("retraining.trigger_below", r.trigger_below, "share correct")
        add("degradation.fallback", m.degradation.fallback, "manual | none")
        if m.monitoring is not None:
            add(
                "monitoring.detection_lag_months",
                m.monitoring.detection_lag_months,
                "months (rounded half up to whole months per draw)",
            )
        b = m.benefits
        add("benefits.minutes_saved_per_item", b.minutes_saved_per_item, "minutes")
        add("benefits.hourly_rate", b.hourly_rate, f"{cur} per hour")
        add("benefits.cost_per_error", b.cost_per_error, f"{cur} per error")
        if b.human_check is not None:
            hc = b.human_check
            add("benefits.human_check.catch_rate", hc.catch_rate, "share of wrong outputs caught")
            add(
                "benefits.human_check.minutes_per_caught_error",
                hc.minutes_per_caught_error,
                "minutes of rework per caught error",
            )
        add("finance.discount_rate", m.finance.discount_rate, "per year, effective")
        for ln in m.costs:
            p = f"costs.{ln.name}"
            unit = {
                "fte": f"{cur} per FTE per year",
                "fixed": f"{cur} per month",
                "one_time": f"{cur} once",
            }.get(ln.driver, f"{cur} per unit of {ln.driver}")
            add(f"{p}.rate", ln.rate, unit)
            add(f"{p}.escalation_per_year", ln.escalation_per_year, "per year, compounding monthly")
            add(f"{p}.from_month", _or(ln.from_month, "from_month"), "month index")
            add(f"{p}.to_month", ln.to_month if ln.to_month is not None else H - 1, "month index")
            if ln.driver == "one_time":
                add(f"{p}.month", _or(ln.month, "month"), "month index")
            if ln.driver == "fte":
                add(f"{p}.fte", ln.fte, "full-time equivalents")
            if ln.driver == "capacity":
                add(f"{p}.capacity_per_unit", ln.capacity_per_unit, "requests per unit per month")
                add(f"{p}.min_units", _or(ln.min_units, "min_units"), "units")
        for c in m.commitments:
            p = f"commitments.{c.name}"
            add(f"{p}.amount_per_month", c.amount_per_month, f"{cur} per month of the term")
            add(f"{p}.discount", c.discount, "off the covered lines' rates")
            add(f"{p}.from_month", c.from_month, "month index: first month of the term")
            add(f"{p}.term_months", c.term_months, "months (cut at the horizon)")
        return rows


def _or(value: Any, field: str) -> Any:
    """A cost line's field, or its default (:data:`aiopex.names.LINE_DEFAULTS`)."""
    return LINE_DEFAULTS[field] if value is None else value


def _hash(resolved: dict[str, Any]) -> str:
    doc = copy.deepcopy(resolved)
    hist = doc.get("usage", {}).get("history") if isinstance(doc.get("usage"), dict) else None
    if isinstance(hist, str):
        try:
            doc["usage"]["history"] = (
                "sha256:" + hashlib.sha256(Path(hist).read_bytes()).hexdigest()
            )
        except OSError:
            doc["usage"]["history"] = "missing:" + Path(hist).name
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def load_scenario(
    path: str | Path,
    overrides: Mapping[str, Any] | Iterable[str] | str | None = None,
) -> Scenario:
    """Read, compose, override and validate a scenario file.

    Parameters
    ----------
    path : str or Path
        The scenario YAML file.
    overrides : mapping or list of str, optional
        Dotted paths and values, ``{"usage.bypass_rate": 0.3}`` or
        ``["costs.llm_api.rate=0.002"]``, or one string of them (see
        :func:`parse_overrides`); applied after ``extends``.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        With every problem found, each naming the file and the field path.
    """
    path = Path(path)
    label = str(path)
    files: list[tuple[str, dict[str, Any]]] = []
    problems: list[Problem] = []
    doc = _compose(path, label, (), files, problems)
    applied: list[list[str | int]] = []
    problems += apply_overrides(doc, parse_overrides(overrides), label, applied)
    for file, own in files:  # what a file says beside its own policy, not what it inherits
        for msg in ignored_by_policy(own.get("retraining")):
            key, _, why = msg.partition(": ")
            problems.append(Problem(file, f"retraining.{key}", why))
    try:
        model = ScenarioModel.model_validate(doc)
    except ValidationError as e:
        found = _problems(e, label)
        costs = doc.get("costs")
        if isinstance(costs, list):  # repeated names, which pydantic skips if a line is bad
            names = [c.get("name") if isinstance(c, dict) else None for c in costs]
            for msg in duplicate_names(names):
                where, _, why = msg.partition(": ")
                if not any(p.field == f"costs{where}" and p.message == why for p in found):
                    found.append(Problem(label, f"costs{where}", why))
        horizon = doc.get("horizon_months", 36)
        for msg in commitment_problems(costs, doc.get("commitments"), horizon):
            where, _, why = msg.partition(": ")  # listed even when other fields are bad
            if not any(p.field == where and p.message == why for p in found):
                found.append(Problem(label, where, why))
        problems.extend(_attribute(p, doc, files, applied) for p in found)
        model = None
    frame = None
    if model is not None and model.usage.history_based and not problems:
        frame = _read_history(model, label, problems)
    if problems:
        raise ScenarioError(problems)
    assert model is not None
    scenario = Scenario(path, model, json.loads(json.dumps(doc, default=str)))
    scenario.history_frame = frame
    return scenario


def _read_history(model: ScenarioModel, label: str, problems: list[Problem]) -> Any:
    """Read and check the usage history CSV; its problems name the scenario and the CSV."""
    from aiopex.inputs.history import read_history

    hist = Path(model.usage.history)  # type: ignore[arg-type]
    try:
        shown = os.path.relpath(hist)
    except ValueError:  # pragma: no cover - another drive on Windows
        shown = str(hist)
    if not hist.exists():
        problems.append(Problem(label, "usage.history", f"file not found: {shown}"))
        return None
    try:
        return read_history(hist, model.start, model.usage.method, label=shown)
    except DataError as e:
        for p in e.problems:
            where = f"{p.file}: {p.field}" if p.field else p.file
            problems.append(Problem(label, "usage.history", f"{where}: {p.message}"))
        return None


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file (for editors' validation and autocompletion).

    A file with ``extends`` holds only what differs from its parent (a cost line may be
    just its ``name`` and the fields that change), so nothing is required in it: such a
    file is checked against ``ScenarioExtending``, the same schema without ``required``;
    any other against ``Scenario``. The merged scenario is checked by ``aiopex validate``.
    """
    model = ScenarioModel.model_json_schema()
    defs = model.pop("$defs", {})
    line = defs.get("CostLine", {}).get("properties")
    if line is not None:
        line["remove"] = {"type": "boolean", "description": "drop the inherited line of this name"}
    model.setdefault("properties", {})["extends"] = {
        "type": "string",
        "description": "a parent scenario file, relative to this one",
    }
    model.pop("title", None)
    partial = {f"{k}Partial": _partial(v) for k, v in defs.items()}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "aiopex scenario",
        "description": "An aiopex scenario: what an AI system costs to run in production and"
        " what it is worth (docs/scenario.md). A file with `extends` gives only what differs"
        " from its parent.",
        "type": "object",
        "if": {"required": ["extends"]},
        "then": {"$ref": "#/$defs/ScenarioExtending"},
        "else": {"$ref": "#/$defs/Scenario"},
        "$defs": {**defs, **partial, "Scenario": model, "ScenarioExtending": _partial(model)},
    }


def _partial(schema: Any) -> Any:
    """``schema`` with no ``required`` anywhere, its ``$ref`` pointing at the partial defs."""
    if isinstance(schema, list):
        return [_partial(x) for x in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _partial(v) for k, v in schema.items() if k != "required"}
    ref = out.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        out["$ref"] = ref + "Partial"
    return out
