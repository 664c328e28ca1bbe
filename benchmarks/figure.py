"""The one format of a benchmark figure, and the pairing every ratio is measured with.

Each figure is one line of JSON::

    {"bench": NAME, "ratio": R, "target": T, "met": R <= T, ...details}

``ratio`` is lower-is-better (a time against a baseline timed in the same run); a
figure that is not a ratio (peak memory) carries ``value`` and ``unit`` instead, with
the same meaning of ``target`` and ``met``. ``details`` are the times behind the ratio
and the size of the work. ``bench_all.py`` reads these lines back for its summary
(:func:`normalize` also reads the older shapes some scripts still print).
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from typing import Any


def _sig(x: float) -> float:
    """``x`` to 4 significant digits (a ratio of 0.0004 stays visible)."""
    return float(f"{x:.4g}")


def emit(bench: str, ratio: float, target: float | None, **details: Any) -> dict[str, Any]:
    """Print one figure (a ratio, lower is better) as a JSON line, and return it.

    ``target`` None: a figure measured for information (``met`` is None)."""
    met = None if target is None else ratio <= target
    line = {"bench": bench, "ratio": _sig(ratio), "target": target, "met": met}
    line.update(details)
    print(json.dumps(line), flush=True)
    return line


def emit_value(bench: str, value: float, unit: str, target: float, **details: Any) -> None:
    """Print one figure that is a quantity, not a ratio (``value <= target`` is met)."""
    line = {"bench": bench, "value": _sig(value), "unit": unit, "target": target}
    line["met"] = value <= target
    line.update(details)
    print(json.dumps(line), flush=True)


def paired(
    a: Callable[[], object], b: Callable[[], object], pairs: int
) -> tuple[float, float, float]:
    """Median of ``a() / b()`` over interleaved pairs, and the median times of each side.

    The order alternates pair by pair, so load from other work on the machine and
    cache warmth hit both sides alike.
    """
    ta, tb, ratios = [], [], []
    for i in range(pairs):
        t: dict[int, float] = {}
        for k in (0, 1) if i % 2 == 0 else (1, 0):
            t0 = time.perf_counter()
            (a, b)[k]()
            t[k] = time.perf_counter() - t0
        ta.append(t[0])
        tb.append(t[1])
        ratios.append(t[0] / t[1])
    return statistics.median(ratios), statistics.median(ta), statistics.median(tb)


def normalize(line: dict[str, Any]) -> dict[str, Any] | None:
    """A figure as :func:`emit` prints it, from any JSON line a benchmark prints:
    ``benchmark`` for ``bench``, a target written ``"<= 2"``, ``met`` computed when
    missing, and peak memory printed as ``mb``/``peak_mb`` beside ``target_mb``.
    None when the line is not a figure."""
    name = line.get("bench", line.get("benchmark"))
    if not isinstance(name, str):
        return None
    out = dict(line)
    out.pop("benchmark", None)
    out["bench"] = name
    target = out.get("target")
    if isinstance(target, str):
        text = target.replace("<=", "").replace("<", "").strip()
        try:
            out["target"] = target = float(text)
        except ValueError:
            return out
    if "target_mb" in out:
        mb = next((k for k in ("peak_mb", "mb", "peak_rss_mb") if k in out), None)
        if mb is not None:
            out.update(value=out[mb], unit="MB", target=out["target_mb"])
            target = out["target"]
    measured = out.get("ratio", out.get("value"))
    if "met" not in out and isinstance(measured, int | float) and isinstance(target, int | float):
        out["met"] = measured <= target
    return out
