"""What a global model's bundle records of its run (:func:`~carrousel.finance.multiseries.train_global`,
``finance train-global``): its settings as the command reads them (:func:`recorded_config`, none of
:data:`UNUSED`) and, as the ``run`` asset (:data:`RUN_ASSET`), the table it was given and the held-out days,
which are no settings of a ``--config`` file. :class:`~carrousel.finance.bundle.ForecasterBundle` writes both
when it carries a run record, so a Python caller's ``result.bundle.save(folder)`` writes what the command does.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from carrousel.core.config import to_dict
from carrousel.finance.config import DataConfig, FinanceConfig

__all__ = ["RUN_ASSET", "UNUSED", "recorded_config"]

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
