"""The quarterly review's report: its notebook run in a kernel and exported to HTML."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiopex.batch.export import export_html
from aiopex.batch.kernels import execute_notebook
from aiopex.batch.layout import notebooks_dir
from aiopex.outputs.review_report import NOTEBOOK


def render_review(review: dict[str, Any], folder: Path) -> Path:
    """Run the review notebook on ``folder/review.json``; write ``review.ipynb`` and
    ``review.html`` (no code). Raises RuntimeError when the notebook fails."""
    run = execute_notebook(
        notebooks_dir() / NOTEBOOK,
        folder / "review.ipynb",
        {"review_json": str((folder / "review.json").resolve())},
        cwd=folder,
    )
    if not run.ok:
        raise RuntimeError(f"the review notebook failed: {run.error}")
    return export_html(folder / "review.ipynb", folder / "review.html", title="Cost review")
