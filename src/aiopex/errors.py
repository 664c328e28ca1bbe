"""One exception family for everything a user can get wrong.

The command line turns an :class:`AiopexError` into its messages on stderr and
exit code 2, never a traceback. Every error carries *all* the problems found,
each naming the file and the field path, so a user fixes a file in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input.

    Parameters
    ----------
    file : str
        The file the problem is in (as the user named it), or ``"<override>"``.
    field : str
        Field path in the file, ``costs[2].rate`` or ``usage.bypass_rate``; for a CSV,
        ``row 7, requests`` or a column name; empty when the whole file is at fault.
    message : str
        What is wrong, with the value received where there is one.
    """

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return f"{where}: {self.message}"


class AiopexError(Exception):
    """Base of every error caused by bad input; carries a list of :class:`Problem`."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem("", "", problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ScenarioError(AiopexError):
    """A scenario file (or an override of it) breaks a rule of docs/scenario.md."""


class DataError(AiopexError):
    """A data file (usage history, actuals CSV, billing export) is unusable."""
