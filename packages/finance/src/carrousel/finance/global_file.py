"""The ``--config`` file of ``finance train-global``: the settings it reads, and a refusal of those it does not.

``train-global`` reads its series from ``--data`` (a long table) and scores held-out days
(``--holdout-days``), not a walk-forward backtest, so a file's ``[data]`` settings but ``calendar`` and the
walk-forward ones of ``[backtest]`` have no effect on it. A user who writes ``[data] start = ...`` believes it
is used; :func:`global_settings` refuses each such setting in one line naming the file and the setting,
before the table is read (as ``finance forecast`` refuses settings that do nothing).

The model folder it writes records what was used (:func:`save_global`): the bundle's ``config`` holds the
settings the command read and no others (so it is taken back as ``--config`` unchanged), and its ``run``
asset the table and the held-out days (``--data``, ``--holdout-days``), which are no settings of the file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from carrousel.core.args import check_args
from carrousel.core.bundle import read_manifest
from carrousel.core.config import TomlDocument, dotted_fields, read_toml, to_dict
from carrousel.core.option_names import named_path, option
from carrousel.finance.bundle import KIND, ForecasterBundle
from carrousel.finance.config import DataConfig, FinanceConfig
from carrousel.finance.data import read_price_csv
from carrousel.finance.errors import FinanceConfigError, PriceDataError

__all__ = ["RUN_ASSET", "UNUSED", "global_settings", "recorded_config", "run_prices", "save_global"]

RUN_ASSET = "run"  # the bundle asset of what train-global was given beside its settings: data, holdout_days

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


def recorded_config(cfg: FinanceConfig) -> dict[str, Any]:
    """``cfg`` as a global model's bundle records it: every setting ``train-global`` reads, none of
    :data:`UNUSED` (``[data] tickers = ["AAPL"]``, ``source = "auto"``: defaults it never read, which its
    ``--config`` refuses), so the record is taken back as the file unchanged. Loaded, a setting left out
    reads its default, as those were."""
    doc = to_dict(cfg)
    for name in UNUSED:
        table, key = name.split(".")
        doc[table].pop(key, None)
    return doc


@check_args
def save_global(
    bundle: ForecasterBundle,
    folder: str | Path,
    data: str | Path,
    holdout_days: int,
    also: Callable[[Path], object] | None = None,
) -> Path:
    """Writes a global model's ``bundle`` into ``folder`` (as ``bundle.save(folder, also)`` does), recording
    what was used: its :func:`recorded_config`, and as the ``run`` asset (:data:`RUN_ASSET`) the table read
    (``data``, as given) and the held-out days."""
    core = bundle.to_bundle()
    run = {"data": str(data), "holdout_days": holdout_days}
    assets = {**core.assets, "config": recorded_config(bundle.config), RUN_ASSET: run}
    return replace(core, assets=assets).save(folder, also)


def run_prices(folder: str | Path, saved: ForecasterBundle, source: str | None) -> DataConfig | None:
    """The prices the global model ``saved`` (loaded from ``folder``) is scored on: those of the series it
    was trained on (``saved.data``) with its ``[data]`` calendar, from ``source``, or (None or csv) its
    ``run`` asset's table (``train-global --data``) read as a price CSV; None for a model without that record
    (one of ``finance forecast``, whose settings name its prices).

    Raises:
        PriceDataError: the recorded table is gone or is no price CSV (one line naming it and ``--source``).
    """
    run = read_manifest(folder, KIND).get("assets", {}).get(RUN_ASSET)
    if not isinstance(run, dict) or not isinstance(run.get("data"), str):
        return None
    own = replace(saved.config.data, tickers=tuple(saved.data), start=None, end=None)
    if source not in (None, "csv"):
        return replace(own, source=source)
    table = run["data"]
    given = f"{folder} is a global model, scored on the table it was trained on (train-global --data {table})"
    other = f"give {option('source')} sample, yahoo or auto for its series' prices"
    if not Path(table).expanduser().is_file():  # a relative --data: read from where export runs
        raise PriceDataError(
            f"{given}, not found from {Path.cwd()}; run export where train-global ran, or {other}"
        )
    try:
        read_price_csv(table)
    except PriceDataError as exc:
        raise PriceDataError(f"{given}, which cannot be read as prices ({exc}); {other}") from None
    return replace(own, source="csv", csv_path=table)
