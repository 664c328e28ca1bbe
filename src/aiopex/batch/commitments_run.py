"""Write a commitment plan into a folder: ``commitments.json``, ``commitments.csv`` (one
row per level) and ``commitments.png`` (the chart), each whole or not at all."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from aiopex.atomic import atomic_path, write_csv

if TYPE_CHECKING:  # pragma: no cover
    from aiopex.analyses.commitments import CommitmentPlan

FILES = ("commitments.json", "commitments.csv", "commitments.png")


def write_plan(plan: CommitmentPlan, out: str | Path) -> list[Path]:
    """Render everything first, then write the three files into ``out``; return them."""
    from aiopex.outputs import charts
    from aiopex.result import jsonable

    fig = charts.commitment_levels(plan)
    import io

    png = io.BytesIO()
    fig.savefig(png, format="png")
    text = json.dumps(jsonable(plan.to_json()), indent=2) + "\n"
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    json_path, csv_path, png_path = (folder / name for name in FILES)
    with atomic_path(json_path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    write_csv(plan.levels, csv_path)
    with atomic_path(png_path) as tmp:
        tmp.write_bytes(png.getvalue())
    return [json_path, csv_path, png_path]
