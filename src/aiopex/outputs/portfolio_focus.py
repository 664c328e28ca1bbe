"""The portfolio's forecast in FOCUS shape: ``forecast_focus.csv``.

One row per member, cost line and calendar month of the member, so a FinOps tool can
hold the forecast next to the billing actuals it already reads in FOCUS (FOCUS has no
forecast dataset yet; FOCUS issue #1029 asks for one). FOCUS columns where they fit,
``x_`` columns (FOCUS's prefix for columns of one's own) for the rest:

====================== ===================================================================
column                 value
====================== ===================================================================
``BillingPeriodStart`` the month's first instant, ``YYYY-MM-01T00:00:00Z`` (UTC)
``BillingPeriodEnd``   the next month's first instant (exclusive, as FOCUS has it)
``ChargePeriodStart``  as ``BillingPeriodStart``: the forecast is monthly
``ChargePeriodEnd``    as ``BillingPeriodEnd``
``BillingCurrency``    the members' currency (ISO 4217)
``EffectiveCost``      the point forecast of the line in the month (the member run at
                       point values)
``ServiceName``        the member (its scenario's ``name``)
``ChargeCategory``     ``Usage`` or ``Purchase``, by the line's driver (below)
``ChargeFrequency``    ``Usage-Based``, ``Recurring`` or ``One-Time``, by the driver
``ChargeClass``        empty: a regular charge, not a correction
``ChargeDescription``  the cost line's name
``ProviderName``       empty: a scenario does not say who provides a line
``PricingQuantity``    empty: the forecast is of cost
``x_CostLine``         the cost line's name
``x_CostCategory``     the line's category (compute, monitoring, ...)
``x_CostDriver``       the line's driver
``x_EffectiveCostP10`` P10, P50 and P90 of the line's cost in the month over the
``x_EffectiveCostP50`` member's Monte Carlo draws (equal to the point forecast with
``x_EffectiveCostP90`` one draw)
``x_ForecastVintage``  when the forecast was made (UTC, ``YYYY-MM-DDTHH:MM:SSZ``)
``x_InputsHash``       the member's inputs hash (SHA-256 of its resolved scenario)
``x_Portfolio``        the portfolio's name
====================== ===================================================================

**Usage or Purchase.** FOCUS's ``Usage`` is a charge for the quantity of a service
consumed in the period; ``Purchase`` a service bought up front or on a recurring basis
whether it is used or not. A line whose quantity moves with the system's use is
``Usage`` (``Usage-Based``): ``per_request``, ``per_1k_input_tokens``,
``per_1k_output_tokens``, ``per_active_user``, ``per_new_user``, ``per_retrain``,
``capacity``. A line bought for the period whatever the use is ``Purchase``:
``fixed``, ``fte`` and a commitment's own line (``commitment``, ``Recurring``),
``one_time`` (``One-Time``).

The file is UTF-8 CSV with a header; amounts are written with full precision. The
rows' ``EffectiveCost`` add up to the portfolio's point total.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiopex.atomic import write_csv
from aiopex.months import add as add_months

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

FOCUS_CSV = "forecast_focus.csv"

#: driver -> (ChargeCategory, ChargeFrequency); see the module's docstring.
CHARGE_KIND: dict[str, tuple[str, str]] = {
    "per_request": ("Usage", "Usage-Based"),
    "per_1k_input_tokens": ("Usage", "Usage-Based"),
    "per_1k_output_tokens": ("Usage", "Usage-Based"),
    "per_active_user": ("Usage", "Usage-Based"),
    "per_new_user": ("Usage", "Usage-Based"),
    "per_retrain": ("Usage", "Usage-Based"),
    "capacity": ("Usage", "Usage-Based"),
    "fixed": ("Purchase", "Recurring"),
    "fte": ("Purchase", "Recurring"),
    "commitment": ("Purchase", "Recurring"),
    "one_time": ("Purchase", "One-Time"),
}

#: The file's columns, in order.
FOCUS_COLUMNS: tuple[str, ...] = (
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "BillingCurrency",
    "EffectiveCost",
    "ServiceName",
    "ChargeCategory",
    "ChargeFrequency",
    "ChargeClass",
    "ChargeDescription",
    "ProviderName",
    "PricingQuantity",
    "x_CostLine",
    "x_CostCategory",
    "x_CostDriver",
    "x_EffectiveCostP10",
    "x_EffectiveCostP50",
    "x_EffectiveCostP90",
    "x_ForecastVintage",
    "x_InputsHash",
    "x_Portfolio",
)


def _instant(month: str) -> str:
    """``"2027-03"`` -> ``"2027-03-01T00:00:00Z"`` (FOCUS's date/time format, UTC)."""
    return f"{month}-01T00:00:00Z"


def focus_frame(result: Any, vintage: str) -> pd.DataFrame:
    """The forecast as FOCUS rows (see the module's docstring for every column).

    Parameters
    ----------
    result : aiopex.analyses.portfolio.PortfolioResult
        Its ``lines``: one row per member, cost line and month.
    vintage : str
        When the forecast was made, ``YYYY-MM-DDTHH:MM:SSZ``.
    """
    import pandas as pd

    lines = result.lines
    months = sorted(set(lines["month"])) if len(lines) else []
    start = {m: _instant(m) for m in months}
    end = {m: _instant(add_months(m, 1)) for m in months}
    hashes = {m.name: m.inputs_hash for m in result.members}
    unknown = sorted(set(lines["driver"]) - set(CHARGE_KIND)) if len(lines) else []
    if unknown:
        raise ValueError(f"no FOCUS charge category for drivers {unknown}")
    kind = lines["driver"].map(CHARGE_KIND)
    df = pd.DataFrame(
        {
            "BillingPeriodStart": lines["month"].map(start),
            "BillingPeriodEnd": lines["month"].map(end),
            "ChargePeriodStart": lines["month"].map(start),
            "ChargePeriodEnd": lines["month"].map(end),
            "BillingCurrency": result.currency,
            "EffectiveCost": lines["point"].astype(float),
            "ServiceName": lines["member"],
            "ChargeCategory": kind.map(lambda k: k[0]),
            "ChargeFrequency": kind.map(lambda k: k[1]),
            "ChargeClass": None,
            "ChargeDescription": lines["line"],
            "ProviderName": None,
            "PricingQuantity": None,
            "x_CostLine": lines["line"],
            "x_CostCategory": lines["category"],
            "x_CostDriver": lines["driver"],
            "x_EffectiveCostP10": lines["p10"].astype(float),
            "x_EffectiveCostP50": lines["p50"].astype(float),
            "x_EffectiveCostP90": lines["p90"].astype(float),
            "x_ForecastVintage": vintage,
            "x_InputsHash": lines["member"].map(hashes),
            "x_Portfolio": result.name,
        },
        columns=list(FOCUS_COLUMNS),
    )
    return df


def write_focus(result: Any, path: str | os.PathLike[str], vintage: str) -> Path:
    """Write ``forecast_focus.csv`` whole or not at all; returns its path."""
    target = Path(path)
    write_csv(focus_frame(result, vintage), target)
    return target
