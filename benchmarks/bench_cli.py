"""The command line's start-up, as whole processes against ``python -c "import pandas"``.

Prints JSON lines (:mod:`figure`), each the median of interleaved pairs:

- ``cli_forecast_vs_import_pandas``: ``aiopex forecast data/scenarios/claims_triage.yaml
  --json``, the forecast a user runs first (README's tour): a deterministic run of a
  scenario with its usage from drivers, metrics printed as JSON (target <= 1.2x).
- ``cli_help_vs_import_pandas``: ``aiopex --help`` (target <= 0.5x).
- ``cli_forecast_history_vs_import_pandas``: the same ``forecast --json`` of
  ``data/scenarios/usage_history_reforecast.yaml``, whose usage is forecast from a
  history file by real statsmodels fits (statsmodels imports pandas and scipy): for
  information, no target.

Run: ``python benchmarks/bench_cli.py [--pairs N]`` (``make bench``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from figure import emit, paired

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "data" / "scenarios"


def _proc(cmd: list[str]) -> Callable[[], None]:
    return lambda: subprocess.run(cmd, check=True, capture_output=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=11, help="interleaved pairs per figure")
    args = ap.parse_args()
    pandas = _proc([sys.executable, "-c", "import pandas"])
    for name, cli_args, target, pairs in (
        ("cli_forecast_vs_import_pandas",
         ["forecast", str(SCENARIOS / "claims_triage.yaml"), "--json"], 1.2, args.pairs),
        ("cli_help_vs_import_pandas", ["--help"], 0.5, args.pairs),
        ("cli_forecast_history_vs_import_pandas",
         ["forecast", str(SCENARIOS / "usage_history_reforecast.yaml"), "--json"], None,
         max(3, args.pairs // 4)),
    ):  # fmt: skip
        cli = _proc([sys.executable, "-m", "aiopex", *cli_args])
        cli()  # warm the file cache
        pandas()
        ratio, t_cli, t_pd = paired(cli, pandas, pairs)
        command = " ".join(["aiopex", *cli_args]).replace(f"{ROOT}/", "")
        emit(name, ratio, target, cli_s=round(t_cli, 3), import_pandas_s=round(t_pd, 3),
             pairs=pairs, command=command)  # fmt: skip


if __name__ == "__main__":
    main()
