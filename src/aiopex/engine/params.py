"""A run's parameters: the scenario's uncertain fields, their point values and their
Monte Carlo samples (each from its own random stream), the cost lines, and the usage
history's forecast."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

import numpy as np
from annotated_types import GroupedMetadata
from pydantic import BaseModel

from aiopex.inputs.scenario import Scenario
from aiopex.inputs.uncertain import Bounds, Uncertain, is_constant, point, sample, stream
from aiopex.model import commitments as _commit
from aiopex.model import costs as _costs
from aiopex.model.costs import LineSpec

if TYPE_CHECKING:  # pragma: no cover
    pass

#: The stream name of the history forecast's Monte Carlo paths.
HISTORY_STREAM = "usage.history"


def fresh_seed() -> int:
    """A seed from the operating system's entropy, for a run given none (recorded in its
    outputs, so the run can be repeated)."""
    entropy = np.random.SeedSequence().entropy
    assert isinstance(entropy, int)  # a SeedSequence made without entropy draws an int
    return entropy % (2**32)


def uncertain_fields(model: BaseModel, prefix: str = "") -> list[tuple[str, Uncertain, Bounds]]:
    """Every *(u)* field of a scenario as ``(dotted path, value, bounds)``, in file order.

    Cost lines are addressed by name (``costs.llm_api.rate``), as overrides are.
    """
    out: list[tuple[str, Uncertain, Bounds]] = []
    for name, bounds in _field_bounds(type(model)):
        value = getattr(model, name)
        path = f"{prefix}{name}"
        if bounds is not None:
            if value is not None:
                out.append((path, value, bounds))
        elif isinstance(value, BaseModel):
            out.extend(uncertain_fields(value, path + "."))
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            for item in value:
                key = getattr(item, "name", None)
                if key is not None:
                    out.extend(uncertain_fields(item, f"{path}.{key}."))
    return out


@functools.cache
def _field_bounds(cls: type[BaseModel]) -> tuple[tuple[str, Bounds | None], ...]:
    """``(field name, Bounds or None)`` of every field of a model class (computed once)."""
    return tuple((n, _bounds(f.metadata, f.annotation)) for n, f in cls.model_fields.items())


def _bounds(metadata: list[Any], annotation: Any) -> Bounds | None:
    """The :class:`Bounds` of a *(u)* field, also when the field is optional."""
    for item in metadata:
        for b in item if isinstance(item, GroupedMetadata) else (item,):
            if isinstance(b, Bounds):
                return b
    for arg in get_args(annotation):
        b = _bounds(list(getattr(arg, "__metadata__", ())), None)
        if b is not None:
            return b
    return None


def line_specs(scenario: Scenario) -> list[LineSpec]:
    """The scenario's cost lines at point values, defaults applied (:func:`costs.line_spec`),
    then each commitment's own line (:func:`commitments.line_spec`)."""
    H = scenario.horizon
    lines = [_costs.line_spec(ln, H, point) for ln in scenario.model.costs]
    return lines + [_commit.line_spec(c, lines, H) for c in scenario.model.commitments]


def _point_params(scenario: Scenario) -> dict[str, np.ndarray]:
    return {p: np.array([[point(v)]]) for p, v, _ in uncertain_fields(scenario.model)}


#: Gives the random stream of a field's dotted path (a portfolio keys members' fields apart).
Streams = Callable[[str], np.random.Generator]


def _sampled_params(
    scenario: Scenario,
    draws: int,
    seed: int,
    streams: Streams | None = None,
    only: frozenset[str] | None = None,
) -> dict[str, np.ndarray]:
    """Sample every *(u)* field: ``(draws, 1)`` arrays; constants stay ``(1, 1)`` and broadcast.

    Field ``path`` draws from its own stream, ``stream(seed, path)`` (common random
    numbers: the other fields' draws do not depend on it), or ``streams(path)`` when
    given; with ``only``, just those fields.
    """
    out = {}
    for p, v, b in uncertain_fields(scenario.model):
        if only is not None and p not in only:
            continue
        rng = streams(p) if streams is not None else stream(seed, p)
        x = sample(v, draws, rng, b)
        out[p] = x[:1].reshape(1, 1) if is_constant(v) else x.reshape(draws, 1)
    return out


def _history(scenario: Scenario) -> Any:
    """Fit the history-based usage forecast (statsmodels is imported only here)."""
    from aiopex.inputs.history import read_history
    from aiopex.model import forecasting as history

    u = scenario.model.usage
    frame = scenario.history_frame
    if frame is None:
        assert u.history is not None  # a history-based scenario names its file
        frame = read_history(Path(u.history), scenario.start, u.method)
    fc = history.forecast_series(frame["requests"], scenario.start, scenario.horizon, u.method)
    users = None
    if "active_users" in frame.columns:
        users = history.forecast_series(
            frame["active_users"], scenario.start, scenario.horizon, fc.method
        )
    return fc, users
