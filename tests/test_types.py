"""The typed records match the metric registry: ``Result.metrics`` is a
:class:`aiopex.metrics.Metrics`, ``Result.pilot`` a :class:`aiopex.model.pilot.PilotExposure`,
with one key per registry metric, and a run fills exactly those keys with those types."""

from __future__ import annotations

import typing
from pathlib import Path

import pytest

import aiopex
from aiopex.metrics import REGISTRY, WHOLE_MONTH_METRICS, Metrics
from aiopex.model.pilot import PilotExposure
from aiopex.names import COMMITMENT_METRICS, METRICS, PILOT_METRICS

ROOT = Path(__file__).resolve().parents[1]


def test_metrics_record_has_the_registry_metrics() -> None:
    assert Metrics.__required_keys__ == frozenset(METRICS)
    assert Metrics.__optional_keys__ == frozenset(COMMITMENT_METRICS)
    hints = typing.get_type_hints(Metrics)
    for name, hint in hints.items():
        assert name in REGISTRY, name
        want = int if name in WHOLE_MONTH_METRICS else float
        if name != "cost_by_category":
            assert want in typing.get_args(hint) or hint is want, (name, hint)


def test_pilot_record_has_the_registry_pilot_metrics() -> None:
    keys = set(PilotExposure.__required_keys__)
    assert set(PILOT_METRICS) <= keys
    assert all(k in REGISTRY for k in PILOT_METRICS)
    assert keys - set(PILOT_METRICS) == {"bridge", "unbudgeted_absorbed"}


@pytest.mark.parametrize("name", ["claims_triage", "support_assistant"])
def test_a_run_fills_the_records(name: str) -> None:
    r = aiopex.run(aiopex.load_scenario(ROOT / "data" / "scenarios" / f"{name}.yaml"))
    assert set(r.metrics) == set(Metrics.__required_keys__)
    for k, v in r.metrics.items():
        if k == "cost_by_category":
            assert all(isinstance(x, float) for x in v.values())  # type: ignore[union-attr]
        elif v is not None:
            assert isinstance(v, int if k in WHOLE_MONTH_METRICS else float), (k, v)
    assert r.pilot is not None and set(r.pilot) == set(PilotExposure.__required_keys__)
