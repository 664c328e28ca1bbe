"""A saved result: a folder with ``manifest.json`` and Parquet tables.

:func:`save` writes what :class:`~aiopex.result.Result` holds;
:func:`aiopex.result.load.load_result` reads it back: equal metrics, and frames and
arrays bit for bit. The folder:

=======================  ================================================================
``manifest.json``        format, version, created (UTC), seed, draws, inputs hash, the
                         resolved scenario, months, line specs, metrics, pilot, readiness,
                         history info, Monte Carlo probabilities and kept-draw count
``drivers.parquet``      :attr:`Result.drivers` (column ``m`` is the index)
``lines.parquet``        :attr:`Result.lines`
``categories.parquet``   :attr:`Result.categories` (column ``m`` is the index)
``uncertainty.parquet``  with draws > 1: :attr:`Result.uncertainty` (column ``metric``)
``monthly.parquet``      with draws > 1: :attr:`Result.monthly` (column ``m``)
``draws.parquet``        with draws > 1: per-draw metrics of every draw (column ``draw``)
``kept.parquet``         with draws > 1: one row per kept draw and line: ``draw``, ``line``,
                         ``amount`` and ``quantity`` (a list of H months each)
``kept_requests.parquet``  with draws > 1: one row per kept draw: ``draw``, ``requests`` (a
                         list of H months); absent from results saved before it was kept
=======================  ================================================================

The folder is written beside its destination under a temporary name and renamed
into place, so it is whole or absent. pyarrow is imported only here.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from aiopex.atomic import atomic_dir
from aiopex.errors import Problem
from aiopex.inputs.files import sha256_file

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from aiopex.result.result import Result

#: What ``manifest.json`` says it is, and the layout version this module writes.
FORMAT, FORMAT_VERSION = "aiopex.result", 1
MANIFEST = "manifest.json"
#: The manifest of a baseline (``aiopex.result.baselines.MANIFEST``, a module above this one).
BASELINE_MANIFEST = "baseline.json"


def is_saved_result(folder: Path) -> bool:
    """Whether ``folder`` holds a result saved by :func:`save` (recognised by its manifest).

    A baseline's result is not one to replace: baselines are immutable.
    """
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if (folder / BASELINE_MANIFEST).exists() or (folder.parent / BASELINE_MANIFEST).exists():
        return False
    return isinstance(manifest, dict) and manifest.get("format") == FORMAT


def _write_frame(df: pd.DataFrame, path: Path, index: str | None) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = df.reset_index() if index else df
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)


def _read_frame(path: Path, index: str | None) -> pd.DataFrame:
    import pandas as pd
    import pyarrow.parquet as pq

    df = pq.read_table(path).to_pandas()
    if index is None:
        return df
    if index == "metric":
        df = df.set_index("metric")
    else:  # a month or draw number 0 .. n-1
        assert np.array_equal(df[index].to_numpy(), np.arange(len(df))), f"{path}: {index}"
        df = df.drop(columns=index)
        df.index = pd.RangeIndex(len(df), name=index)
    return df


def save(result: Result, path: str | os.PathLike[str]) -> Path:
    """Write ``result`` to the folder ``path``.

    ``path`` is new, an empty folder, or a saved result (replaced whole); anything
    else is refused with :class:`~aiopex.errors.AiopexError` (a folder of other files,
    a baseline, the current folder).

    Examples
    --------
    >>> import aiopex, pathlib, tempfile
    >>> s = aiopex.load_scenario(pathlib.Path("data/scenarios/claims_triage.yaml"))
    >>> r = aiopex.run(s, draws=50, seed=1)
    >>> folder = pathlib.Path(tempfile.mkdtemp()) / "claims"
    >>> _ = save(r, folder)
    >>> aiopex.load_result(folder).metrics == r.metrics
    True
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from aiopex.version import __version__

    s = result.scenario
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "version": __version__,
        "created": _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
        "scenario": s.name,
        "file": str(s.path),
        "inputs_hash": s.inputs_hash,
        "seed": result.seed,
        "draws": result.n_draws,
        "months": result.months,
        "resolved": s.resolved,
        "line_specs": [dataclasses.asdict(ln) for ln in result.line_specs],
        "metrics": result.metrics,
        "pilot": result.pilot,
        "readiness": result.readiness,
        "history": result.history,
        "probabilities": result.probabilities,
        "commitments": result.commitments,
        "kept_draws": None if result.draws is None else int(result.draws.kept.size),
    }
    target = Path(path)
    with atomic_dir(target, owner=is_saved_result) as tmp:
        _write_frame(result.drivers, tmp / "drivers.parquet", "m")
        _write_frame(result.lines, tmp / "lines.parquet", None)
        _write_frame(result.categories, tmp / "categories.parquet", "m")
        if result.commitment_months is not None:
            _write_frame(result.commitment_months, tmp / "commitments.parquet", None)
        if result.uncertainty is not None:
            _write_frame(result.uncertainty, tmp / "uncertainty.parquet", "metric")
        if result.monthly is not None:
            _write_frame(result.monthly, tmp / "monthly.parquet", "m")
        d = result.draws
        if d is not None:
            _write_frame(d.metrics, tmp / "draws.parquet", "draw")
            k, n, H = d.amount.shape
            table = pa.table(
                {
                    "draw": pa.array(np.repeat(d.kept, n).astype(np.int64)),
                    "line": pa.array(d.line_names * k, type=pa.string()),
                    "amount": pa.FixedSizeListArray.from_arrays(
                        pa.array(np.ascontiguousarray(d.amount).ravel()), H
                    ),
                    "quantity": pa.FixedSizeListArray.from_arrays(
                        pa.array(np.ascontiguousarray(d.quantity).ravel()), H
                    ),
                }
            )
            pq.write_table(table, tmp / "kept.parquet")
            if d.requests is not None:
                req = pa.table(
                    {
                        "draw": pa.array(d.kept.astype(np.int64)),
                        "requests": pa.FixedSizeListArray.from_arrays(
                            pa.array(np.ascontiguousarray(d.requests, dtype=float).ravel()), H
                        ),
                    }
                )
                pq.write_table(req, tmp / "kept_requests.parquet")
        manifest["files"] = {f.name: sha256_file(f) for f in sorted(tmp.glob("*.parquet"))}
        manifest["manifest_sha256"] = manifest_hash(manifest)
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return target


def manifest_hash(manifest: dict[str, Any]) -> str:
    """SHA-256 of a manifest without its ``manifest_sha256``, as sorted, compact JSON."""
    import hashlib

    rest = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    text = json.dumps(rest, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _check_hashes(folder: Path, manifest: dict[str, Any]) -> list[Problem]:
    """Problems with a saved result's checksums: the manifest's own and every file's."""
    mpath = str(folder / MANIFEST)
    own = manifest.get("manifest_sha256")
    files = manifest.get("files")
    if own is None or not isinstance(files, dict):
        return [
            Problem(
                mpath,
                "manifest_sha256",
                "missing: saved by an older aiopex, or its checksums were removed; save it again",
            )
        ]
    if own != manifest_hash(manifest):
        return [Problem(mpath, "", "altered since it was saved (checksum differs)")]
    problems = []
    found = {f.name for f in folder.glob("*.parquet")}
    for name in sorted(set(files) | found):
        f = folder / name
        if name not in found:
            problems.append(Problem(str(f), "", "missing since it was saved"))
        elif name not in files:
            problems.append(Problem(str(f), "", "added after it was saved"))
        elif sha256_file(f) != files[name]:
            problems.append(Problem(str(f), "", "altered since it was saved (checksum differs)"))
    return problems
