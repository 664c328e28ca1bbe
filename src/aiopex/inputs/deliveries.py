"""Exports delivered more than once: which delivery of a billing period stands.

Providers deliver a billing period again and again while it is open and restate it
after it closes (docs/review.md, "Exports delivered more than once"). A **delivery**
is one file, or one provider run folder: a folder holding the provider's run
manifest (``manifest.json``, or a name ending in ``-Manifest.json``; AWS Data Exports
write it in the same path under ``metadata/`` beside ``data/``), or a partition
folder named ``key=value`` (AWS Data Exports overwrite a billing-period partition),
whose files are the parts of one delivery. Its export time is the time its manifest gives
(``submittedTime``, as in an Azure cost export's run), else the latest
``x_ExportDateTime`` of its rows; deliveries with equal export times are one.

By default, where two deliveries hold rows of the same ``BillingAccountId`` and
``BillingPeriodStart``, the latest one's rows of that account and period replace
the others' (:func:`standing`). With ``exports: incremental`` every delivery is added.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from aiopex.errors import Problem

#: Keys of a run manifest that give the run's time (Azure cost exports: ``runInfo``).
_TIME_KEYS = ("submittedTime", "exportTime")
_MAX_MANIFEST = 10 * 2**20


@dataclass(frozen=True)
class Delivery:
    """One delivery: a file, or a run folder with its manifest's time (None if none)."""

    name: str
    manifest_time: pd.Timestamp | None = None


def is_manifest(path: Path) -> bool:
    """A provider's run manifest: ``manifest.json`` or ``<export>-Manifest.json``.

    >>> is_manifest(Path("manifest.json")), is_manifest(Path("cur-Manifest.json"))
    (True, True)
    """
    name = path.name.lower()
    return name == "manifest.json" or name.endswith(("-manifest.json", "_manifest.json"))


def _find_time(data: Any) -> str | None:
    if isinstance(data, dict):
        for k in _TIME_KEYS:
            if isinstance(data.get(k), str):
                return str(data[k])
        for v in data.values():
            if (t := _find_time(v)) is not None:
                return t
    return None


def _manifest_time(folder: Path, problems: list[Problem]) -> pd.Timestamp | None:
    for m in sorted(folder.iterdir()):
        if not (m.is_file() and is_manifest(m)):
            continue
        try:
            if m.stat().st_size > _MAX_MANIFEST:
                raise ValueError("larger than 10 MB")
            text = _find_time(json.loads(m.read_text(encoding="utf-8")))
        except (OSError, ValueError, UnicodeDecodeError) as e:
            problems.append(Problem(str(m), "", f"not a readable run manifest: {e}"))
            return None
        if text is None:
            return None
        try:
            t = pd.Timestamp(text)
        except ValueError:
            problems.append(Problem(str(m), "submittedTime", f"not a date-time: {text!r}"))
            return None
        return t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
    return None


def _has_manifest(folder: Path | None) -> bool:
    return (
        folder is not None
        and folder.is_dir()
        and any(is_manifest(m) for m in folder.iterdir() if m.is_file())
    )


def _metadata(folder: Path) -> Path | None:
    """Where AWS Data Exports put the manifest of the data in ``folder``: the same path
    under the export's ``metadata/`` beside its ``data/`` (``<export>/data/<partition>/``
    and ``<export>/metadata/<partition>/<export>-Manifest.json``), or None.

    >>> print(_metadata(Path("cur/data/BILLING_PERIOD=2025-07")))
    cur/metadata/BILLING_PERIOD=2025-07
    >>> _metadata(Path("exports/2025-07")) is None
    True
    """
    for up in (folder, *folder.parents):
        if up.name == "data":
            return up.parent / "metadata" / folder.relative_to(up)
    return None


def deliveries(files: list[Path], roots: list[Path]) -> tuple[dict[str, Delivery], list[Problem]]:
    """``{file: Delivery}``: each file's run folder (the nearest folder at or under a named
    folder of ``roots`` that holds a run manifest, whose manifest AWS Data Exports put in
    the mirror folder under ``metadata/`` (:func:`_metadata`), or is named ``key=value``),
    or the file itself."""
    problems: list[Problem] = []
    folders: dict[Path, Delivery | None] = {}
    out: dict[str, Delivery] = {}
    dirs = [r.resolve() for r in roots if r.is_dir()]
    for f in files:
        d: Delivery | None = None
        top = next((r for r in dirs if r in f.resolve().parents), None)
        if top is not None:
            here = f.resolve().parent
            while True:
                if here not in folders:
                    meta = next((m for m in (here, _metadata(here)) if _has_manifest(m)), None)
                    folders[here] = (
                        Delivery(str(here), _manifest_time(meta, problems))
                        if meta is not None
                        else Delivery(str(here))
                        if "=" in here.name
                        else None
                    )
                if folders[here] is not None or here == top:
                    d = folders[here]
                    break
                here = here.parent
        out[str(f)] = d or Delivery(str(f))
    return out, problems


def standing(
    groups: pd.DataFrame, delivery: dict[str, Delivery], incremental: bool
) -> tuple[pd.Series, list[dict[str, Any]], list[Problem]]:
    """Which row groups stand, the superseded deliveries, and the deliveries that cannot
    be ordered.

    Parameters
    ----------
    groups : DataFrame
        ``filename, account, billing_month, exported, amount, rows`` per row group.
    delivery : dict
        :func:`deliveries`.
    incremental : bool
        ``exports: incremental``: every delivery is added.

    Returns
    -------
    keep : Series of bool
        Per group of ``groups``.
    superseded : list of dict
        ``delivery, account, billing_period, export_time, replaced_by, rows, amount``.
    problems : list of Problem
        Deliveries of one account and period with no export time to order them.
    """
    keep = pd.Series(True, index=groups.index)
    if incremental or groups.empty or len({d.name for d in delivery.values()}) < 2:
        return keep, [], []
    dname = groups["filename"].map(lambda f: delivery[str(f)].name)
    times = groups.assign(d=dname).groupby("d")["exported"].max()
    for d in delivery.values():
        if d.manifest_time is not None and d.name in times.index:
            times[d.name] = d.manifest_time
    superseded: list[dict[str, Any]] = []
    problems: list[Problem] = []
    key = groups["account"].fillna("").astype(str) + "\x00" + groups["billing_month"].astype(str)
    for k, idx in groups.groupby(key).groups.items():
        names = sorted(set(dname[idx]))
        if len(names) < 2:
            continue
        account, period = str(k).split("\x00")
        t = {n: times.get(n) for n in names}
        of = f" of account {account}" if account else ""
        if any(v is None or pd.isna(v) for v in t.values()):
            undated = [n for n in names if t[n] is None or pd.isna(t[n])]
            problems.append(
                Problem(
                    ", ".join(names),
                    "",
                    f"{len(names)} deliveries hold billing period {period}{of} and cannot be "
                    f"ordered ({', '.join(undated)}: no x_ExportDateTime and no run manifest); "
                    "keep one of them, or declare `exports: incremental` in the mapping file "
                    "if later deliveries hold only changes",
                )
            )
            continue
        dated = {n: pd.Timestamp(v) for n, v in t.items() if v is not None}
        latest = max(dated.values())
        winners = [n for n in names if dated[n] == latest]
        for n in names:
            if n in winners:
                continue
            sel = idx[(dname[idx] == n).to_numpy()]
            keep[sel] = False
            superseded.append(
                {
                    "delivery": n,
                    "account": account or None,
                    "billing_period": period,
                    "export_time": dated[n].strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "replaced_by": winners,
                    "rows": int(groups.loc[sel, "rows"].sum()),
                    "amount": float(groups.loc[sel, "amount"].sum()),
                }
            )
    return keep, superseded, problems
