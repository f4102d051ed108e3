"""A ``--config`` file's ``[data] csv_path`` and ``source = "csv"`` checked where the file is read
(:func:`carrousel.finance.config.load_config`): each unusable value is one line naming the file and the
setting, not a run that goes elsewhere (``""`` was dropped silently and the prices came from Yahoo), a path
shown blank (``"   "``: ``[data] csv_path in FILE:  not found``) or an internal error (a NUL character).
"""

from __future__ import annotations

import json
from typing import Any

from carrousel.core.option_names import option
from carrousel.finance.errors import FinanceConfigError

__all__ = ["check_csv_setting"]


def check_csv_setting(data: Any, where: str) -> None:
    """Refuses the ``[data]`` table ``data`` of the file ``where`` when its ``csv_path`` is empty, blank,
    ``-`` (standard input) or holds a NUL character, or when it sets ``source = "csv"`` with no
    ``csv_path`` (a table checked alone, as core's ``overlay`` builds it: ``--csv`` does not complete it).

    Raises:
        FinanceConfigError: one line naming the file, the setting and the fix.
    """
    if not isinstance(data, dict):
        return
    held = data.get("csv_path")
    named = f"[data] csv_path in {where}"
    if isinstance(held, str):
        shown = json.dumps(held)  # "   " and "\u0000" visible
        if not held.strip():
            raise FinanceConfigError(
                f"{named} is empty ({shown}); give the price CSV's path, or drop the line to read [data] source"
            )
        if "\0" in held:
            raise FinanceConfigError(
                f"{named} holds a NUL character ({shown}); give the price CSV's path as plain text"
            )
        if held.strip() == "-":  # was "[data] in FILE: --csv -: ...", a flag never typed
            raise FinanceConfigError(
                f"{named}: '-' (standard input) is not read for prices; save them to a file first and give "
                "that file"
            )
    elif data.get("source") == "csv" and "csv_path" not in data:
        raise FinanceConfigError(
            f'[data] source = "csv" in {where} needs a file: set [data] csv_path = "PATH" in it, or drop '
            f"the source line and pass {option('csv_path', 'PATH', '--csv')} (a CSV file implies source csv)"
        )
