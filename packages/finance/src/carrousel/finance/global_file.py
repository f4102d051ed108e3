"""The ``--config`` file of ``finance train-global``: the settings it reads, and a refusal of those it does not.

``train-global`` reads its series from ``--data`` (a long table) and scores held-out days
(``--holdout-days``), not a walk-forward backtest, so a file's ``[data]`` settings but ``calendar`` and the
walk-forward ones of ``[backtest]`` have no effect on it. A user who writes ``[data] start = ...`` believes it
is used; :func:`global_settings` refuses each such setting in one line naming the file and the setting,
before the table is read (as ``finance forecast`` refuses settings that do nothing).

The model folder it writes records what was used (:mod:`carrousel.finance.global_record`): the bundle's
``config`` holds the settings the command read and no others (so it is taken back as ``--config``
unchanged), and its ``run`` asset the table and the held-out days (``--data``, ``--holdout-days``), which
are no settings of the file; :func:`run_prices` reads the table back for ``finance export``.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from carrousel.core.config import TomlDocument, dotted_fields, read_toml
from carrousel.core.option_names import named_path, option
from carrousel.finance.bundle import ForecasterBundle
from carrousel.finance.config import DataConfig
from carrousel.finance.data import PriceHistory, load_histories
from carrousel.finance.errors import FinanceConfigError, PriceDataError
from carrousel.finance.global_record import UNUSED

__all__ = ["global_settings", "run_histories", "run_prices"]


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


def run_prices(folder: str | Path, saved: ForecasterBundle, source: str | None) -> DataConfig | None:
    """The prices the global model ``saved`` (loaded from ``folder``) is scored on: those of the series it
    was trained on (``saved.data``) with its ``[data]`` calendar, from ``source``, or (None or csv) its
    ``run`` record's table (``train-global --data``) as a price CSV (not read here: :func:`run_histories`
    reads it); None for a model without that record (one of ``finance forecast``, whose settings name its
    prices).

    Raises:
        PriceDataError: the recorded table is gone, or none was recorded (a frame given to ``train_global``
            in Python): one line naming it and ``--source``.
    """
    if saved.run is None:
        return None
    own = replace(saved.config.data, tickers=tuple(saved.data), start=None, end=None)
    if source not in (None, "csv"):
        return replace(own, source=source)
    table = saved.run.get("data")
    other = _other_source()
    if not isinstance(table, str):  # train_global(df) in Python: a frame, no file to read again
        raise PriceDataError(f"{folder} is a global model trained on a frame given in Python (no table "
                             f"recorded to score it on); {other}")  # fmt: skip
    if not Path(table).expanduser().is_file():  # a relative --data: read from where export runs
        raise PriceDataError(
            f"{_given(folder, table)}, not found from {Path.cwd()}; run export where train-global ran, or {other}"
        )
    return replace(own, source="csv", csv_path=table)


def run_histories(
    folder: str | Path, saved: ForecasterBundle, source: str | None
) -> list[PriceHistory] | None:
    """The prices of :func:`run_prices`, read once (``finance export`` passes them to its scoring and to the
    fine-tuning of ``--prune`` / ``--distill``); None for a model without a run record.

    Raises:
        PriceDataError: as :func:`run_prices`, or the recorded table is no price CSV (one line naming it and
            ``--source``).
    """
    own = run_prices(folder, saved, source)
    if own is None:
        return None
    if own.source != "csv":  # --source sample, yahoo or auto: the series' own prices
        return load_histories(own)
    try:
        return load_histories(own)
    except PriceDataError as exc:
        raise PriceDataError(
            f"{_given(folder, str(own.csv_path))}, which cannot be read as prices ({exc}); {_other_source()}"
        ) from None


def _other_source() -> str:
    """The fix of a global model's recorded table that cannot be scored on: its series' prices from elsewhere."""
    return f"give {option('source')} sample, yahoo or auto for its series' prices"


def _given(folder: str | Path, table: str) -> str:
    return f"{folder} is a global model, scored on the table it was trained on (train-global --data {table})"
