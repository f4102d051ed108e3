"""The log handler of the command lines (:mod:`carrousel.core.cli`): each record on one line of stderr.

Rich's :class:`~rich.logging.RichHandler` lays a record out as a table as wide as the console, so a long
message was wrapped into several lines padded with spaces: at 80 columns whenever stderr is not a
terminal (a pipe, a file, a CI log), which split every long warning for ``grep`` and for the tools that
read logs line by line. :class:`OneLineHandler` keeps Rich's level names, styles and highlighting and
prints the record as one line (a terminal still folds it on screen).
"""

from __future__ import annotations

import logging
from typing import Any

from carrousel.core.args import check_args
from carrousel.core.optional import missing_extra

try:  # the carrousel-core[cli] extra
    from rich.logging import RichHandler
    from rich.text import Text
except ImportError as e:
    raise missing_extra(e, "rich", "carrousel-core[cli]", "the CLI helper (carrousel.core.cli)") from None

__all__ = ["OneLineHandler", "route_third_party"]


class OneLineHandler(RichHandler):
    """A :class:`~rich.logging.RichHandler` that prints each record as ``LEVEL    message`` on one line."""

    def emit(self, record: logging.LogRecord) -> None:
        """Prints the record (its level padded to 8 characters, a space, its message), never wrapped."""
        try:
            message = self.render_message(record, self.format(record))
            line = Text.assemble(self.get_level_text(record), " ")
            line.append_text(message if isinstance(message, Text) else Text(str(message)))
            self.console.print(line, soft_wrap=True)
        except Exception:
            self.handleError(record)


@check_args
def route_third_party(console: Any, level: int) -> None:
    """Prints the records of other libraries' loggers (those reaching the root logger) on ``console``,
    one line each, from ``level`` up; replaces the handler an earlier call added.

    Without it, Python's last-resort handler printed every third-party warning: matplotlib's two long
    lines about a ``MPLCONFIGDIR`` or ``HOME`` it cannot write, in every command that draws a chart. The
    CLI passes ``ERROR``, or ``WARNING`` under ``--verbose`` (third-party warnings are for bug reports).

    Args:
        console: a :class:`rich.console.Console` (the CLI's stderr).
        level: the least level shown.
    """
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if not getattr(h, "carrousel_cli", False)]
    handler = OneLineHandler(console=console, show_path=False, show_time=False, rich_tracebacks=False)
    handler.carrousel_cli = True  # type: ignore[attr-defined]
    handler.setLevel(level)
    root.addHandler(handler)
