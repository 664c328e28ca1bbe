"""Loading a scenario file: YAML, ``extends``, dotted overrides, validation, hash.

See SCENARIO.md, "Composition" and "Bad input". :func:`load_scenario` is the
only way in; it either returns a frozen, validated :class:`Scenario` or raises
:class:`aiopex.errors.ScenarioError` listing every problem with file and field.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from aiopex.errors import Problem, ScenarioError
from aiopex.inputs.schema import ScenarioModel, all_field_names
from aiopex.inputs.uncertain import Range, point
from aiopex.names import LINE_DEFAULTS

# -- reading and composing ----------------------------------------------------------------


def _read_yaml(path: Path, label: str) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(Problem(label, "", "file not found")) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ScenarioError(Problem(label, "", f"cannot read file: {e}")) from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        why = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ScenarioError(Problem(label, where, f"not valid YAML: {why}")) from None
    if not isinstance(doc, dict):
        raise ScenarioError(
            Problem(label, "", f"a scenario file is a YAML mapping, got {type(doc).__name__}")
        )
    return doc


def _absolutize(doc: dict[str, Any], base: Path) -> None:
    """Make paths that SCENARIO.md defines relative to their file absolute."""
    usage = doc.get("usage")
    if isinstance(usage, dict) and isinstance(usage.get("history"), str):
        usage["history"] = str((base / usage["history"]).resolve())


def merge(parent: Any, child: Any) -> Any:
    """Merge a child scenario onto its parent (SCENARIO.md, Composition).

    Mappings merge key by key, lists replace, except ``costs``, which merge by
    ``name``: a child line with a parent's name merges onto it key by key, a line
    with ``remove: true`` drops the inherited line, other lines are appended.

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
                out[k] = _merge_costs(parent[k], v)
            elif k in parent:
                out[k] = merge(parent[k], v)
            else:
                out[k] = copy.deepcopy(v)
        return out
    return copy.deepcopy(child)


def _merge_costs(parent: list[Any], child: list[Any]) -> list[Any]:
    out = [copy.deepcopy(x) for x in parent]
    index = {x.get("name"): i for i, x in enumerate(out) if isinstance(x, dict)}
    drop: set[int] = set()
    for line in child:
        name = line.get("name") if isinstance(line, dict) else None
        if name is not None and name in index:
            i = index[name]
            if line.get("remove") is True:
                drop.add(i)
            else:
                out[i] = merge(out[i], line)
        elif isinstance(line, dict) and line.get("remove") is True:
            continue  # removing a line nobody defined: nothing to drop
        else:
            out.append(copy.deepcopy(line))
    return [x for i, x in enumerate(out) if i not in drop]


def _compose(path: Path, label: str, chain: tuple[Path, ...]) -> dict[str, Any]:
    real = path.resolve()
    if real in chain:
        cycle = " -> ".join(p.name for p in (*chain, real))
        raise ScenarioError(Problem(label, "extends", f"extends cycle: {cycle}"))
    doc = _read_yaml(path, label)
    _absolutize(doc, path.parent)
    parent_ref = doc.pop("extends", None)
    if parent_ref is None:
        return doc
    if not isinstance(parent_ref, str):
        raise ScenarioError(Problem(label, "extends", "must be a file name (a string)"))
    parent_path = path.parent / parent_ref
    if not parent_path.exists():
        raise ScenarioError(
            Problem(label, "extends", f"parent scenario {parent_ref!r} not found ({parent_path})")
        )
    parent = _compose(parent_path, str(parent_path), (*chain, real))
    return merge(parent, doc)


# -- overrides ----------------------------------------------------------------------------


def parse_overrides(items: Iterable[str] | Mapping[str, Any] | None) -> dict[str, Any]:
    """Turn ``["usage.bypass_rate=0.3", ...]`` (or a mapping) into ``{path: value}``.

    Values given as text are read as YAML, so ``0.3`` is a number and
    ``{low: 1, high: 2}`` a range.

    Examples
    --------
    >>> parse_overrides(["usage.bypass_rate=0.3", "costs.llm_api.rate={low: 1, high: 2}"])
    {'usage.bypass_rate': 0.3, 'costs.llm_api.rate': {'low': 1, 'high': 2}}
    """
    if items is None:
        return {}
    if isinstance(items, Mapping):
        return {str(k): (_yaml_value(v) if isinstance(v, str) else v) for k, v in items.items()}
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise ScenarioError(
                Problem("<override>", item, "an override is PATH=VALUE, e.g. usage.bypass_rate=0.3")
            )
        k, v = item.split("=", 1)
        out[k.strip()] = _yaml_value(v)
    return out


def _yaml_value(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def apply_overrides(doc: dict[str, Any], overrides: Mapping[str, Any], label: str) -> list[Problem]:
    """Set dotted paths in ``doc`` in place; ``costs.<name>.<field>`` addresses a line by name.

    Returns the problems (an unknown cost line, a path through a non-mapping).
    """
    problems: list[Problem] = []
    for path, value in overrides.items():
        parts = path.split(".")
        if not all(parts):
            problems.append(Problem(label, path, "override path has an empty part"))
            continue
        node: dict[str, Any] = doc
        keys = parts[:-1]
        if parts[0] == "costs":
            lines = {c.get("name"): c for c in doc.get("costs") or [] if isinstance(c, dict)}
            name = parts[1] if len(parts) > 2 else ""
            if name not in lines:
                hint = _did_you_mean(name, lines)
                problems.append(
                    Problem(
                        label,
                        path,
                        f"no cost line named {name!r} to override{hint}; "
                        "address a line as costs.<name>.<field>",
                    )
                )
                continue
            node, keys = lines[name], parts[2:-1]
        for key in keys:
            if node.get(key) is None:
                node[key] = {}
            if not isinstance(node[key], dict):
                problems.append(Problem(label, path, f"{key} is not a mapping"))
                break
            node = node[key]
        else:
            node[parts[-1]] = value
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
            msg = "unknown field" + _did_you_mean(key, known)
        elif kind == "missing":
            msg = "required field is missing"
        elif kind == "literal_error":
            expected = err.get("ctx", {}).get("expected", "")
            got = err.get("input")
            msg = f"unknown value {got!r}; expected one of {expected}"
            hint = _did_you_mean(str(got), re.findall(r"'([^']+)'", expected))
            msg += hint
        elif kind in _BOUND_OPS:
            ctx = err.get("ctx", {})
            limit = next(iter(ctx.values()), "")
            msg = f"must be {_BOUND_OPS[kind]} {limit}, got {err.get('input')!r}"
        elif kind in ("float_parsing", "int_parsing", "float_type", "int_type", "string_type"):
            msg = f"{msg}, got {err.get('input')!r}"
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
        out.append(Problem(label, path, msg))
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

    def __repr__(self) -> str:
        return f"Scenario({self.name!r}, {self.path.name}, hash={self.inputs_hash[:12]})"

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
        b = m.benefits
        add("benefits.minutes_saved_per_item", b.minutes_saved_per_item, "minutes")
        add("benefits.hourly_rate", b.hourly_rate, f"{cur} per hour")
        add("benefits.cost_per_error", b.cost_per_error, f"{cur} per error")
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
    overrides: Mapping[str, Any] | Iterable[str] | None = None,
) -> Scenario:
    """Read, compose, override and validate a scenario file.

    Parameters
    ----------
    path : str or Path
        The scenario YAML file.
    overrides : mapping or list of str, optional
        Dotted paths and values, ``{"usage.bypass_rate": 0.3}`` or
        ``["costs.llm_api.rate=0.002"]``; applied after ``extends``.

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
    doc = _compose(path, label, ())
    problems = apply_overrides(doc, parse_overrides(overrides), label)
    if isinstance(doc.get("costs"), list):
        doc["costs"] = [c for c in doc["costs"] if not (isinstance(c, dict) and c.get("remove"))]
    try:
        model = ScenarioModel.model_validate(doc)
    except ValidationError as e:
        problems.extend(_problems(e, label))
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
    import os

    from aiopex.errors import DataError
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
    """The JSON Schema of a scenario file (for editors' validation and autocompletion)."""
    schema = ScenarioModel.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "aiopex scenario"
    line = schema.get("$defs", {}).get("CostLine", {}).get("properties")
    if line is not None:
        line["remove"] = {"type": "boolean", "description": "drop the inherited line of this name"}
    schema.setdefault("properties", {})["extends"] = {
        "type": "string",
        "description": "a parent scenario file, relative to this one",
    }
    return schema
