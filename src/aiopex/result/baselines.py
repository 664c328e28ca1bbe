"""Baselines: the forecast that was approved, saved once and never changed.

A baseline is a saved run (:meth:`aiopex.result.Result.save`, kept draws included)
plus ``as_of``, the last month of actuals known when it was made, stored under
``DIR/<scenario name>/<as_of>/``::

    baseline.json     as_of, scenario, inputs_hash, version, seed, draws, created,
                      sha256 of every file of the saved result, and its own
                      sha256 (``manifest_sha256``, of the rest of the manifest)
    result/           the saved Result

Saving where a baseline exists is refused; loading checks every file's hash and the
manifest's own, so a baseline edited by hand is refused too.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiopex.errors import DataError, Problem
from aiopex.inputs.files import sha256_file
from aiopex.result.load import load_result
from aiopex.version import __version__

MANIFEST = "baseline.json"
RESULT_DIR = "result"
#: The scenario's usage history, copied into the saved result: a baseline holds every
#: input it was made from (editing or deleting the file later changes nothing).
HISTORY_FILE = "usage_history.csv"
#: Fewest kept draws a baseline needs for its bands
#: (docs/review.md#1-save-a-baseline-when-the-forecast-is-approved).
MIN_DRAWS = 1000
_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


@dataclass
class Baseline:
    """A loaded baseline: the saved result, ``as_of`` and where it came from."""

    result: Any
    as_of: str
    path: Path
    manifest: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.result.scenario.name)

    @property
    def inputs_hash(self) -> str:
        return str(self.result.scenario.inputs_hash)


def check_month(text: str, where: str, file: str = "<command line>") -> str:
    """``text`` if it is exactly ``YYYY-MM`` (ASCII digits, nothing around: it names a
    folder), else a :class:`DataError`."""
    if not isinstance(text, str) or not _MONTH.fullmatch(text):
        raise DataError(Problem(file, where, f"expected YYYY-MM, got {text!r}"))
    return str(text)


def _hashes(folder: Path) -> dict[str, str]:
    out = {}
    for f in sorted(p for p in folder.rglob("*") if p.is_file()):
        out[f.relative_to(folder).as_posix()] = sha256_file(f)
    return out


def _save_result(result: Any, rdir: Path) -> None:
    """Save ``result`` to ``rdir`` with a copy of its scenario's usage history, if any."""
    result.save(rdir)
    s = result.scenario
    source = getattr(s, "history_copy", None) or getattr(s.model.usage, "history", None)
    if source and Path(source).is_file():
        shutil.copyfile(source, rdir / HISTORY_FILE)


def baseline_path(out_dir: str | Path, name: str, as_of: str) -> Path:
    """``out_dir/<name>/<as_of>``."""
    return Path(out_dir) / name / as_of


def save_baseline(
    result: Any, as_of: str, out_dir: str | Path, extra: dict[str, Any] | None = None
) -> Path:
    """Save ``result`` as the baseline of its scenario as of ``as_of``.

    Written to a temporary folder beside the target and renamed into place, so a
    baseline is there whole or not at all.

    Raises
    ------
    DataError
        ``as_of`` not ``YYYY-MM``, fewer than :data:`MIN_DRAWS` kept draws, or a
        baseline already at ``out_dir/<name>/<as_of>`` (baselines are immutable).
    """
    check_month(as_of, "--as-of")
    draws = getattr(result, "draws", None)
    kept = 0 if draws is None else len(draws.kept)
    if kept < MIN_DRAWS:
        raise DataError(
            Problem(
                "<command line>",
                "--draws",
                f"a baseline needs at least {MIN_DRAWS} Monte Carlo draws for its bands, "
                f"got {kept}",
            )
        )
    target = baseline_path(out_dir, result.scenario.name, as_of)
    if target.exists():
        raise DataError(
            Problem(str(target), "", "a baseline already exists here; baselines are immutable")
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{as_of}.", dir=target.parent))
    try:
        _save_result(result, tmp / RESULT_DIR)
        manifest = {
            "as_of": as_of,
            "scenario": result.scenario.name,
            "inputs_hash": result.scenario.inputs_hash,
            "currency": result.scenario.currency,
            "version": __version__,
            "seed": result.seed,
            "draws": result.n_draws,
            "kept_draws": kept,
            "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            **(extra or {}),
            "files": _hashes(tmp / RESULT_DIR),
        }
        manifest["manifest_sha256"] = _manifest_hash(manifest)
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        os.chmod(tmp, 0o755)
        if target.exists():  # another process got there first
            raise DataError(
                Problem(str(target), "", "a baseline already exists here; baselines are immutable")
            )
        os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def differences(result: Any, existing: Baseline) -> list[str]:
    """What differs between ``result`` and a saved baseline: empty when the baseline
    already holds this very result.

    Compared: the inputs hash, seed and draws of the manifest, and every file of the
    saved result byte for byte (``result/manifest.json`` apart from when it was
    ``created``), ``result`` being saved to a temporary folder to compare.
    """
    man = existing.manifest
    diffs = [
        key
        for key, value in (
            ("inputs_hash", result.scenario.inputs_hash),
            ("seed", result.seed),
            ("draws", result.n_draws),
        )
        if man.get(key) != value
    ]
    expected = dict(man.get("files", {}))
    with tempfile.TemporaryDirectory(prefix="aiopex-baseline-") as tmp:
        rdir = Path(tmp) / RESULT_DIR
        _save_result(result, rdir)
        got = _hashes(rdir)
        for name in sorted(set(expected) | set(got)):
            if name == "manifest.json" and name in got and name in expected:
                new = json.loads((rdir / name).read_text(encoding="utf-8"))
                old_path = existing.path / RESULT_DIR / name
                old = json.loads(old_path.read_text(encoding="utf-8"))
                for doc in (new, old):  # when it was saved, and the checksum that says it
                    doc.pop("created", None)
                    doc.pop("manifest_sha256", None)
                if new != old:
                    diffs.append(f"{RESULT_DIR}/{name}")
            elif got.get(name) != expected.get(name):
                diffs.append(f"{RESULT_DIR}/{name}")
    return diffs


def _manifest_hash(manifest: dict[str, Any]) -> str:
    """sha256 of the manifest without ``manifest_sha256``, as sorted, compact JSON."""
    rest = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    text = json.dumps(rest, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_baseline(path: str | Path) -> Baseline:
    """Read a baseline back, checking that no file of it changed.

    Parameters
    ----------
    path : str or Path
        The baseline's folder (``DIR/<name>/<as_of>``).

    Raises
    ------
    DataError
        Missing folder or manifest, a file added, removed or altered since it was saved.
    """
    folder = Path(path)
    file = str(folder)
    man = folder / MANIFEST
    if not folder.is_dir():
        raise DataError(Problem(file, "", "no such baseline folder"))
    if not man.is_file():
        raise DataError(Problem(file, "", f"not a baseline: no {MANIFEST} (see `aiopex baseline`)"))
    try:
        manifest = json.loads(man.read_text(encoding="utf-8"))
        expected = dict(manifest["files"])
        as_of = str(manifest["as_of"])
    except (ValueError, KeyError, TypeError) as e:
        raise DataError(Problem(str(man), "", f"unreadable baseline manifest: {e}")) from None
    rdir = folder / RESULT_DIR
    got = _hashes(rdir) if rdir.is_dir() else {}
    problems = []
    own = manifest.get("manifest_sha256")
    if own is None:  # removed, and with it the check of everything the manifest says
        problems.append(
            Problem(
                file,
                f"{MANIFEST}: manifest_sha256",
                "missing: the manifest's checksum was removed (or the baseline predates it); "
                "it cannot be trusted: save a new baseline",
            )
        )
    elif own != _manifest_hash(manifest):
        problems.append(Problem(file, MANIFEST, "altered since it was saved (hash differs)"))
    for name in sorted(set(expected) | set(got)):
        if name not in got:
            problems.append(Problem(file, f"{RESULT_DIR}/{name}", "missing since it was saved"))
        elif name not in expected:
            problems.append(Problem(file, f"{RESULT_DIR}/{name}", "added after it was saved"))
        elif got[name] != expected[name]:
            problems.append(
                Problem(file, f"{RESULT_DIR}/{name}", "altered since it was saved (hash differs)")
            )
    if problems:
        raise DataError(problems)
    result = load_result(rdir)
    if (rdir / HISTORY_FILE).is_file():  # the copy, never the file the scenario named
        result.scenario.history_copy = str(rdir / HISTORY_FILE)
    return Baseline(result=result, as_of=as_of, path=folder, manifest=manifest)


def find_baselines(path: str | Path) -> list[Path]:
    """Every baseline folder at or under ``path`` (a baseline, or a folder of them)."""
    p = Path(path)
    if (p / MANIFEST).is_file():
        return [p]
    if not p.is_dir():
        raise DataError(Problem(str(p), "", "no such baseline folder"))
    found = sorted(m.parent for m in p.rglob(MANIFEST) if not m.parent.name.startswith("."))
    if not found:
        raise DataError(Problem(str(p), "", "no baselines in this folder (see `aiopex baseline`)"))
    return found
