"""The console of a command's results on stdout (:data:`carrousel.core.cli.stdout`): rich's
:class:`~rich.console.Console` with the conventions' endings for a reader gone (``| head``), a write error
(``> /dev/full``) and a table wider than the terminal (extra ``[cli]``).
"""

from __future__ import annotations

import select
from contextlib import suppress
from typing import Any

from carrousel.core.cli_streams import writing_stdout
from carrousel.core.optional import missing_extra

try:  # the carrousel-core[cli] extra
    from rich.console import Console
    from rich.measure import Measurement
    from rich.table import Table
except ImportError as e:
    raise missing_extra(e, "rich", "carrousel-core[cli]", "the CLI helper (carrousel.core.cli)") from None

__all__ = ["ResultsConsole", "stdout_gone"]


class ResultsConsole(Console):
    """The console of results (stdout): a closed pipe, a write error and a wide table handled."""

    def on_broken_pipe(self) -> None:  # rich would exit 1; a reader gone (``| head``) ends quietly instead
        raise BrokenPipeError(32, "stdout closed")

    def _check_buffer(self) -> None:  # ENOSPC and the like: one line naming stdout (rich's one writer)
        with writing_stdout():
            super()._check_buffer()

    def print(self, *objects: Any, **kwargs: Any) -> None:
        """Prints as rich does, but a table wider than the terminal keeps its full width (the terminal
        folds its lines) instead of being squeezed into it: at 80 columns finance's forecast table showed
        '5…' for every baseline, at ``COLUMNS=20`` its dates alone. Piped output is left to the caller."""
        need = max((_table_width(self, o) for o in objects if isinstance(o, Table)), default=0)
        if not self.is_terminal or need <= self.width:
            super().print(*objects, **kwargs)
            return
        previous, self.width = self.width, need
        try:
            super().print(*objects, **kwargs)
        finally:
            self.width = previous


def _table_width(console: Console, table: Table) -> int:
    """The width ``table`` takes when nothing limits it (its widest cells, borders, padding)."""
    return Measurement.get(console, console.options.update(max_width=10_000), table).maximum


def stdout_gone() -> bool:
    """True when stdout is a pipe whose reader left (a FIFO given to -o is another matter)."""
    with suppress(OSError, ValueError, AttributeError):
        (poll := select.poll()).register(1, select.POLLOUT)
        return any(ev & select.POLLERR for _, ev in poll.poll(0))
    return False
