"""Reading a saved result back: the folder :mod:`aiopex.result.saved` writes.

Equal metrics, and frames and arrays bit for bit.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from aiopex.errors import DataError, Problem
from aiopex.inputs.scenario import Scenario
from aiopex.inputs.schema import ScenarioModel
from aiopex.model.costs import LineSpec
from aiopex.result.result import Draws, Frames, Result
from aiopex.result.saved import FORMAT, FORMAT_VERSION, MANIFEST, _check_hashes, _read_frame


def load_result(path: str | os.PathLike[str]) -> Result:
    """Read a result written by :meth:`Result.save <aiopex.result.Result.save>`.

    The scenario is rebuilt from the resolved scenario in the manifest (its inputs
    hash is the one recorded), so the scenario file need not exist any more. The
    manifest's checksum and every file's are checked first.

    Raises
    ------
    DataError
        When ``path`` is not a saved result (no manifest, another format or a newer
        layout), a checksum differs or is missing, or a file is damaged.
    """
    folder = Path(path)
    try:
        return _load(folder)
    except DataError:
        raise
    except Exception as e:  # noqa: BLE001 - a damaged save: KeyError, ArrowInvalid, ...
        why = str(e).splitlines()[0] if str(e) else ""
        raise DataError(
            Problem(str(folder), "", f"a damaged saved result: {type(e).__name__}: {why}"[:300])
        ) from None


def _load(folder: Path) -> Result:
    import pyarrow.parquet as pq

    mpath = folder / MANIFEST
    try:
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(Problem(str(folder), "", "not a saved result: no manifest.json")) from None
    except json.JSONDecodeError as e:
        raise DataError(Problem(str(mpath), "", f"not valid JSON: {e}")) from None
    if manifest.get("format") != FORMAT or manifest.get("format_version", 0) > FORMAT_VERSION:
        raise DataError(
            Problem(
                str(mpath),
                "format",
                f"not a result this version can read: {manifest.get('format')!r} "
                f"version {manifest.get('format_version')!r}",
            )
        )
    problems = _check_hashes(folder, manifest)
    if problems:
        raise DataError(problems)
    resolved = manifest["resolved"]
    scenario = Scenario(Path(manifest["file"]), ScenarioModel.model_validate(resolved), resolved)
    scenario.inputs_hash = manifest["inputs_hash"]
    draws = None
    if (folder / "kept.parquet").exists():
        per_draw = _read_frame(folder / "draws.parquet", "draw")
        t = pq.read_table(folder / "kept.parquet")
        n_lines = len(manifest["line_specs"])
        H = len(manifest["months"])
        k = t.num_rows // n_lines if n_lines else int(manifest["kept_draws"])

        def cube(col: str) -> np.ndarray:
            flat = t.column(col).combine_chunks().flatten().to_numpy()
            return flat.reshape(k, n_lines, H)

        kept = t.column("draw").to_numpy()[::n_lines] if n_lines else np.arange(k)
        requests = None  # a result saved before requests were kept has none
        if (folder / "kept_requests.parquet").exists():
            rt = pq.read_table(folder / "kept_requests.parquet")
            requests = rt.column("requests").combine_chunks().flatten().to_numpy()
            requests = requests.reshape(rt.num_rows, H)
        draws = Draws(
            metrics=per_draw,
            kept=np.ascontiguousarray(kept, dtype=np.int64),
            line_names=[ln["name"] for ln in manifest["line_specs"]],
            amount=cube("amount") if n_lines else np.zeros((k, 0, H)),
            quantity=cube("quantity") if n_lines else np.zeros((k, 0, H)),
            requests=requests,
        )
    unc = folder / "uncertainty.parquet"
    monthly = folder / "monthly.parquet"
    return Result(
        scenario=scenario,
        n_draws=manifest["draws"],
        seed=manifest["seed"],
        months=manifest["months"],
        line_specs=[LineSpec(**ln) for ln in manifest["line_specs"]],
        frames=Frames(
            drivers=_read_frame(folder / "drivers.parquet", "m"),
            lines=_read_frame(folder / "lines.parquet", None),
            categories=_read_frame(folder / "categories.parquet", "m"),
            commitment_months=(
                _read_frame(folder / "commitments.parquet", None)
                if (folder / "commitments.parquet").exists()
                else None
            ),
        ),
        metrics=manifest["metrics"],
        pilot=manifest["pilot"],
        readiness=manifest["readiness"],
        history=manifest["history"],
        uncertainty=_read_frame(unc, "metric") if unc.exists() else None,
        probabilities=manifest["probabilities"],
        monthly=_read_frame(monthly, "m") if monthly.exists() else None,
        draws=draws,
        commitments=manifest.get("commitments") or [],
    )
