"""Recalculate a workbook with LibreOffice headless, for the workbook parity tests.

openpyxl writes formulas without cached values, so the values a test reads back
from the converted file can only come from LibreOffice. To be sure LibreOffice
recalculates every formula on load (and does not trust a cached value a file may
carry), the helper starts it with a fresh user profile whose
``registrymodifications.xcu`` sets ``OOXMLRecalcMode`` (and ``ODFRecalcMode``) to
0, "always recalculate"; ``test_excel.py`` checks this with a file whose cached
value is deliberately wrong.

Without ``soffice`` the helper skips the test locally, and raises under CI
(``CI=true``): CI installs ``libreoffice-calc-nogui`` and the check never skips there.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

#: Seconds one LibreOffice conversion may take before it is killed.
TIMEOUT = 180

_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
           xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">\
<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">\
<prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""

_profiles: dict[int, Path] = {}


def soffice() -> str:
    """The LibreOffice executable; skip locally, raise under CI, when there is none."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe:
        return exe
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        raise RuntimeError(
            "LibreOffice (soffice) is not installed, and CI must run the workbook parity "
            "check: install libreoffice-calc-nogui"
        )
    pytest.skip("LibreOffice (soffice) is not installed")


def _profile() -> Path:
    """A LibreOffice user profile for this process, set to recalculate on load."""
    pid = os.getpid()
    if pid not in _profiles:
        root = Path(tempfile.mkdtemp(prefix="aiopex-lo-profile-"))
        (root / "user").mkdir()
        (root / "user" / "registrymodifications.xcu").write_text(_XCU, encoding="utf-8")
        _profiles[pid] = root
        atexit.register(shutil.rmtree, root, True)
    return _profiles[pid]


def recalculate(
    paths: Sequence[str | os.PathLike[str]], outdir: str | os.PathLike[str]
) -> list[Path]:
    """Open each workbook in LibreOffice, recalculate it, and save it as xlsx in ``outdir``.

    One LibreOffice start converts every file; file names must differ.

    Returns
    -------
    list of Path
        The recalculated files, in the order of ``paths``.
    """
    exe = soffice()
    srcs = [Path(p).resolve() for p in paths]
    names = [p.name for p in srcs]
    if len(set(names)) != len(names):
        raise ValueError(f"workbooks to recalculate need distinct names, got {names}")
    out = Path(outdir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    targets = [out / (p.stem + ".xlsx") for p in srcs]
    for t in targets:
        if t in srcs:
            raise ValueError(f"outdir would overwrite the input {t}")
        t.unlink(missing_ok=True)
    cmd = [
        exe,
        f"-env:UserInstallation={_profile().as_uri()}",
        "--headless",
        "--norestore",
        "--nolockcheck",
        "--convert-to",
        "xlsx:Calc MS Excel 2007 XML",
        "--outdir",
        str(out),
        *map(str, srcs),
    ]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, so a timeout kills soffice.bin too
    )
    try:
        stdout, stderr = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise RuntimeError(f"LibreOffice did not finish within {TIMEOUT} s: {cmd}") from None
    missing = [str(t) for t in targets if not t.exists()]
    if proc.returncode != 0 or missing:
        raise RuntimeError(
            f"LibreOffice conversion failed (exit {proc.returncode}); missing {missing}\n"
            f"stdout: {stdout}\nstderr: {stderr}"
        )
    return targets


def recalculated_values(path: str | os.PathLike[str], outdir: str | os.PathLike[str]) -> Any:
    """Recalculate one workbook with LibreOffice; return it loaded with ``data_only=True``."""
    return load_values(recalculate([path], outdir)[0])


def load_values(path: str | os.PathLike[str]) -> Any:
    """A workbook's cached values (openpyxl, ``data_only=True``)."""
    import openpyxl

    return openpyxl.load_workbook(path, data_only=True)
