"""The ``--config`` file of ``finance train-global``: the settings it reads, and a refusal of those it does not.

``train-global`` reads its series from ``--data`` (a long table) and scores held-out days
(``--holdout-days``), not a walk-forward backtest, so a file's ``[data]`` settings but ``calendar`` and the
walk-forward ones of ``[backtest]`` have no effect on it. A user who writes ``[data] start = ...`` believes it
is used; :func:`global_settings` refuses each such setting in one line naming the file and the setting,
before the table is read (as ``finance forecast`` refuses settings that do nothing).
"""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

from carrousel.core.config import TomlDocument, dotted_fields, read_toml
from carrousel.core.option_names import named_path, option
from carrousel.finance.config import DataConfig
from carrousel.finance.errors import FinanceConfigError

__all__ = ["UNUSED", "global_settings"]

# settings of a --config file that train-global does not read -> why, for the refusal
UNUSED = {
    **{
        f"data.{f.name}": "it reads its series from --data; of [data] only calendar applies"
        for f in fields(DataConfig)
        if f.name != "calendar"
    },
    **{
        f"backtest.{name}": "it runs no walk-forward backtest; --holdout-days scores the last days instead"
        for name in ("enabled", "test_days", "refit_every", "warm_refit_epochs")
    },
}  # fmt: skip


def global_settings(path: str | Path | None) -> TomlDocument | None:
    """The document of ``train-global``'s ``--config`` file (None: no file), read once.

    Raises:
        FinanceConfigError: the file sets one of :data:`UNUSED` (named with the file and why it does nothing).
        ConfigError: the file is missing, a FIFO or device, or not TOML (core ``read_toml``).
    """
    if path is None:
        return None
    flag = option("path", flag="--config")  # --config inside the command, path= for a Python caller
    doc = read_toml(path, flag)
    for field, value in dotted_fields(doc).items():
        if field in UNUSED:
            table, key = field.split(".", 1)
            raise FinanceConfigError(
                f"{named_path(path, flag)}: [{table}] {key} = {json.dumps(value, default=str)}: not used by "
                f"finance train-global ({UNUSED[field]}); drop it from the file"
            )
    return doc
