"""Bad output paths are refused before anything is written, as a user meets them.

``tests/bad_outputs/cases.yaml`` lists each case: its setup (symlinks, FIFOs,
devices, folders where a file goes, a locked output folder, a scenario whose name
is too long for file names), the ``aiopex`` command, and the exit code, messages
and files it must give. Each runs as a subprocess in a fresh folder. The ``slow``
test interrupts a real batch with SIGTERM and checks nothing is left behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from aiopex.batch.lock import LOCK_FILE, TEMP_NAME, lock_output

ROOT = Path(__file__).resolve().parents[1]
CLAIMS = ROOT / "data" / "scenarios" / "claims_triage.yaml"
CASES: dict[str, dict[str, Any]] = yaml.safe_load(
    (ROOT / "tests" / "bad_outputs" / "cases.yaml").read_text()
)
LONG_NAME = "n" * 240


def _fill(text: str) -> str:
    return text.replace("{claims}", str(CLAIMS)).replace("{long}", LONG_NAME)


def _setup(w: Path, setup: dict[str, Any]) -> None:
    for path, text in setup.get("files", {}).items():
        (w / path).parent.mkdir(parents=True, exist_ok=True)
        (w / path).write_text(text)
    for path in setup.get("dirs", []):
        (w / path).mkdir(parents=True, exist_ok=True)
    for path, target in setup.get("symlinks", {}).items():
        (w / path).parent.mkdir(parents=True, exist_ok=True)
        (w / path).symlink_to(target)
    for path in setup.get("fifos", []):
        os.mkfifo(w / path)
    for path in setup.get("devices", []):
        if os.geteuid() != 0:
            pytest.skip("making a device node needs root")
        os.mknod(w / path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # like /dev/null
    for path, name in setup.get("scenarios", {}).items():
        text = CLAIMS.read_text().replace("name: claims_triage", f"name: {_fill(name)}")
        (w / path).write_text(text)


def _snapshot(path: Path) -> tuple[str, str]:
    """What a path is: its kind and its content (file) or target (link)."""
    st = path.lstat()
    if stat.S_ISLNK(st.st_mode):
        return "link", os.readlink(path)
    if stat.S_ISDIR(st.st_mode):
        return "dir", ",".join(sorted(p.name for p in path.iterdir()))
    if stat.S_ISREG(st.st_mode):
        return "file", path.read_text()
    return stat.filemode(st.st_mode)[0], ""


def _temporaries(w: Path) -> list[Path]:
    return [p for p in w.rglob("*") if TEMP_NAME.match(p.name) or p.name == LOCK_FILE]


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_output_refused(name, tmp_path):
    case = CASES[name]
    w = tmp_path / "w"
    w.mkdir()
    setup = case.get("setup", {})
    _setup(w, setup)
    before = {p: _snapshot(w / p) for p in case.get("unchanged", [])}
    args = [_fill(a) for a in case["args"]]
    with lock_output(w / setup["locked"]) if "locked" in setup else contextlib.nullcontext():
        r = subprocess.run(
            [sys.executable, "-m", "aiopex", *args],
            cwd=w,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert r.returncode == case["exit"], r.stderr
    assert "Traceback" not in r.stderr
    assert r.stdout == ""
    for text in case["stderr"]:
        assert text in r.stderr, f"{text!r} not in:\n{r.stderr}"
    for p in case.get("absent", []):
        assert not (w / p).exists() and not (w / p).is_symlink(), p
    for p, snap in before.items():
        assert _snapshot(w / p) == snap, p
    assert _temporaries(w) == []


def test_lock_refuses_a_second_holder_and_is_removed(tmp_path):
    from aiopex.errors import AiopexError

    out = tmp_path / "r"
    with lock_output(out) as lock:
        assert lock.is_file()
        with pytest.raises(AiopexError, match="another aiopex run"):
            with lock_output(out):
                pass
    assert not lock.exists()
    with lock_output(out):  # free again
        pass


def test_stale_temporaries_removed_under_the_lock(tmp_path):
    out = tmp_path / "r"
    (out / "a").mkdir(parents=True)
    stale = [out / ".index.html.abcd1234.tmp", out / "a" / ".a.k2j4h5g6.tmp.ipynb"]
    keep = [out / "a" / "a.html", out / "a" / ".hidden"]
    for p in stale + keep:
        p.write_text("")
    with lock_output(out):
        pass
    assert [p.exists() for p in stale] == [False, False]
    assert all(p.exists() for p in keep)


@pytest.mark.slow
def test_sigterm_leaves_no_kernel_or_temporary_file(tmp_path):
    # A private temporary folder: the kernels' folders (sockets, connection files)
    # go there, so anything left behind is this run's.
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    out = tmp_path / "r"
    env = {**os.environ, "TMPDIR": str(tmp)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "aiopex", "run", str(CLAIMS), "--out", str(out), "--draws", "50"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(tmp.glob("aiopex-kernel-*/kernel-*.json")):
        time.sleep(0.05)
    assert list(tmp.glob("aiopex-kernel-*")), "no kernel started"
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 143, err
    assert "aiopex: terminated" in err and "Traceback" not in err
    assert list(tmp.iterdir()) == []
    assert _temporaries(out) == []
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert str(tmp) not in ps, "a kernel outlived the run"
