"""A ``--config`` file's ``[data] csv_path`` and ``source = "csv"`` checked where the file is read
(:func:`carrousel.finance.config.load_config`): each unusable value is one line naming the file and the
setting, not a run that goes elsewhere (``""`` was dropped silently and the prices came from Yahoo), a path
shown blank (``"   "``: ``[data] csv_path in FILE:  not found``) or an internal error (a NUL character).
"""

from __future__ import annotations

import json
from typing import Any

from carrousel.core.config import TomlDocument
from carrousel.core.option_names import option
from carrousel.finance.errors import FinanceConfigError

__all__ = ["check_csv_setting", "completed_csv"]


def check_csv_setting(data: Any, where: str, given: str | None = None) -> None:
    """Refuses the ``[data]`` table ``data`` of the file ``where`` when its ``csv_path`` is empty, blank,
    ``-`` (standard input) or holds a NUL character, or when it sets ``source = "csv"`` with no
    ``csv_path`` and no file is ``given`` (``--csv``, which :func:`completed_csv` adds to the table: core's
    ``overlay`` builds a table whole, so a table lacking it was refused beside ``--csv`` before).

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
    elif data.get("source") == "csv" and "csv_path" not in data and given is None:
        raise FinanceConfigError(
            f'[data] source = "csv" in {where} needs a file: set [data] csv_path = "PATH" in it, or drop '
            f"the source line and pass {option('csv_path', 'PATH', '--csv')} (a CSV file implies source csv)"
        )


def completed_csv(doc: TomlDocument, given: str | None) -> TomlDocument:
    """``doc`` with ``given`` (the command line's ``--csv``) as the ``csv_path`` of a ``[data]`` table that
    sets ``source = "csv"`` and no path (so file and flag combine, as other settings do); else ``doc``."""
    data = doc.get("data")
    if given is None or not isinstance(data, dict) or data.get("source") != "csv" or "csv_path" in data:
        return doc
    return TomlDocument({**doc, "data": {**data, "csv_path": given}}, doc.source)
