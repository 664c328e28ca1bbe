"""What a batch did: a status per report and the batch as a whole."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class ReportStatus:
    """What happened to one report of a batch.

    Attributes
    ----------
    name : str
        The scenario name (the folder under ``OUT``), or ``"comparison"``.
    kind : str
        ``"scenario"`` or ``"comparison"``.
    sources : list of Path
        The scenario file(s) the report was made from.
    status : str
        ``"ok"`` or ``"failed"``.
    notebook, html, workbook : Path or None
        The outputs that exist (``None`` for one that was not written).
    error : str or None
        On failure, what went wrong (``"KeyError: 'x'"``, or why the kernel did not start).
    headline : dict
        Headline metrics from the notebook's ``summary.json`` (empty on failure).
    details : dict
        The rest of ``summary.json`` the index shows: ``prob_npv_negative`` and
        ``readiness`` (answered, total, flags by name, a line of text); empty on failure.
    seconds : float
        Wall time of the notebook run and HTML export.
    attempts : int
        Kernel starts it took (1 unless a start failed and was retried).
    """

    name: str
    kind: str
    sources: list[Path]
    status: str = "pending"
    notebook: Path | None = None
    html: Path | None = None
    workbook: Path | None = None
    error: str | None = None
    headline: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    attempts: int = 0

    @property
    def ok(self) -> bool:
        """Whether the notebook ran to the end."""
        return self.status == "ok"


@dataclass
class BatchResult:
    """What :func:`run_batch` did: one :class:`ReportStatus` per report, and the index."""

    out_dir: Path
    index: Path
    reports: list[ReportStatus]
    seconds: float = 0.0

    @property
    def failed(self) -> list[ReportStatus]:
        """The reports whose notebook did not run to the end."""
        return [r for r in self.reports if not r.ok]

    @property
    def ok(self) -> bool:
        """Whether every report ran to the end."""
        return not self.failed

    @property
    def exit_code(self) -> int:
        """``0`` when every report ran, else ``1`` (what ``aiopex run`` exits with)."""
        return 1 if self.failed else 0

    def describe(self) -> str:
        """What ``aiopex run`` prints when done: counts, failures, and where to look."""
        n = len(self.reports)
        lines = [
            f"{n} reports in {self.seconds:.0f} s, {len(self.failed)} failed"
            if self.failed
            else f"{n} reports in {self.seconds:.0f} s"
        ]
        for r in self.failed:
            first = (r.error or "failed").splitlines()[0]
            where = f" (see {r.notebook})" if r.notebook else ""
            lines.append(f"  failed: {r.name}: {first}{where}")
        lines.append(f"open {self.index}")
        return "\n".join(lines)
