"""The portfolio's report: its notebook run in a kernel and exported to HTML."""

from __future__ import annotations

from pathlib import Path

from aiopex.batch.export import export_html
from aiopex.batch.kernels import execute_notebook
from aiopex.batch.layout import notebooks_dir
from aiopex.outputs.portfolio_report import NOTEBOOK
from aiopex.portfolio import OUTPUT_FILES


def render_portfolio(folder: Path, independent: bool) -> Path:
    """Run the portfolio notebook on ``folder/result`` (and ``folder/independent``);
    write ``portfolio.ipynb`` and ``portfolio.html`` (no code) in ``folder``.

    Raises RuntimeError when the notebook fails.
    """
    folder = Path(folder)
    run = execute_notebook(
        notebooks_dir() / NOTEBOOK,
        folder / OUTPUT_FILES["notebook"],
        {
            "saved": str((folder / OUTPUT_FILES["result"]).resolve()),
            "independent": (
                str((folder / OUTPUT_FILES["independent"]).resolve()) if independent else ""
            ),
            "output_dir": str(folder.resolve()),
        },
        cwd=folder,
    )
    if not run.ok:
        raise RuntimeError(f"the portfolio notebook failed: {run.error}")
    return export_html(
        folder / OUTPUT_FILES["notebook"], folder / OUTPUT_FILES["report"], title="AI portfolio"
    )
