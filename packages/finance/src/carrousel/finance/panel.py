"""Training windows of many series, gathered lazily per batch (memory bounded for hundreds of tickers).

A global model over ``S`` series of ``N`` days with lookback ``L``, ``F`` features and horizon ``H`` would
hold ``S * N * (L * F + H)`` floats if every window were materialised; :class:`PanelWindows` keeps each
series' scaled features and targets once (``S * N * (F + H)`` floats, the rows the windows cover) and an
index of origins, and gathers the ``(B, L, F)`` windows of a batch when the batch is drawn. The gathered
windows are exactly those :func:`carrousel.finance.features.make_windows` would build, in the same order,
so a fit on a panel is bit for bit the fit on materialised windows with the same seed.

Sampling (``TrainSettings.sampling``): ``windows`` draws every training window once per epoch (long series
weigh more), ``series`` draws windows with replacement so that every series is equally likely (each epoch
still has as many draws as there are windows).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    RandomSampler,
    SequentialSampler,
    WeightedRandomSampler,
)

from carrousel.core.args import check_args
from carrousel.core.option_names import option
from carrousel.finance.config import MAX_HOLDOUT_DAYS, FinanceConfig
from carrousel.finance.errors import FrameError, PriceDataError
from carrousel.finance.features import (
    Scaler,
    SeriesData,
    cumulative_targets,
    fit_scaler,
    input_features,
    target_scales,
    training_order,
    training_origins,
)

__all__ = [
    "MATERIALISE_BYTES",
    "MIN_SERIES_ORIGINS",
    "MIN_TRAIN",
    "PanelData",
    "PanelWindows",
    "check_holdout_days",
    "panel_loader",
    "panel_windows",
    "rows_needed",
]

MIN_TRAIN = 100  # fewest training windows a fit accepts
MIN_SERIES_ORIGINS = 20  # a series with fewer training origins before its cut-off is left out of a fit
MATERIALISE_BYTES = 64 << 20  # windows gathered once per fit up to this size (else one gather per batch)


class PanelWindows(Dataset[dict[str, Tensor]]):
    """Windows of many series gathered on demand (one ``__getitem__`` per batch of rows).

    Args:
        features: ``(R, F)`` float32 scaled features of every series, concatenated.
        targets: ``(R, H)`` float32 scaled targets of the row as an origin (NaN past the data).
        origins: ``(n,)`` int64 rows of ``features`` that end each window.
        series: ``(n,)`` int32 index of each window's series.
        lookback: ``L``.
    """

    @check_args
    def __init__(
        self,
        features: np.ndarray,
        targets: np.ndarray,
        origins: np.ndarray,
        series: np.ndarray,
        lookback: int,
    ) -> None:
        self.features = features
        self.targets = targets
        self.origins = origins
        self.series = series
        self.lookback = lookback
        self._offsets = np.arange(-lookback + 1, 1, dtype=np.int64)
        self._gathered: tuple[Tensor, Tensor] | None = None

    def __len__(self) -> int:
        return int(self.origins.shape[0])

    @check_args
    def materialise(self, max_bytes: int = MATERIALISE_BYTES) -> bool:
        """Gathers every window and target once when they take at most ``max_bytes``, so that each batch
        is then one index into a ``(n, L, F)`` tensor instead of a gather from the store (the same values:
        a fit is unchanged bit for bit). Returns whether the windows are held gathered."""
        if self._gathered is None and self.materialised_nbytes() <= max_bytes:
            rows = np.arange(len(self))
            self._gathered = (
                torch.from_numpy(self.windows(rows)),
                torch.from_numpy(self.targets[self.origins]),
            )
        return self._gathered is not None

    def windows(self, rows: Any) -> np.ndarray:
        """``(B, L, F)`` float32 windows of ``rows`` (indices into this set)."""
        idx = self.origins[np.asarray(rows, dtype=np.int64)]
        return self.features[idx[:, None] + self._offsets]

    def __getitem__(self, rows: Any) -> dict[str, Tensor]:
        if self._gathered is not None:
            at = torch.as_tensor(rows, dtype=torch.int64)
            return {"x": self._gathered[0][at], "y": self._gathered[1][at]}
        idx = self.origins[np.asarray(rows, dtype=np.int64)]
        return {
            "x": torch.from_numpy(self.features[idx[:, None] + self._offsets]),
            "y": torch.from_numpy(self.targets[idx]),
        }

    @property
    def nbytes(self) -> int:
        """Bytes of the store (shared arrays counted once per set); windows gathered by :meth:`materialise`
        (at most :data:`MATERIALISE_BYTES`) come on top."""
        return int(self.features.nbytes + self.targets.nbytes + self.origins.nbytes + self.series.nbytes)

    def materialised_nbytes(self) -> int:
        """Bytes the same windows and targets would take as float32 arrays (``n * (L * F + H) * 4``)."""
        f, h = self.features.shape[1], self.targets.shape[1]
        return len(self) * (self.lookback * f + h) * 4


@dataclass(frozen=True, eq=False)
class PanelData:
    """Training and validation windows of every series, sharing one feature/target store.

    Attributes:
        train: the training windows.
        val: the most recent windows of each series (early stopping, conformal offsets).
        y_val: ``(m, H)`` float64 validation targets (the conformal offsets are fitted in float64).
        scalers: per-series :class:`Scaler` fitted on rows up to the series' cut-off.
        names: the series in the order of the store (``series`` indices point here).
        val_origins: each named series' validation origin rows (``y_val``'s rows, in the same order).
    """

    train: PanelWindows
    val: PanelWindows
    y_val: np.ndarray
    scalers: dict[str, Scaler]
    names: tuple[str, ...]
    val_origins: tuple[np.ndarray, ...] = ()

    def first_val_origins(self) -> dict[str, int]:
        """Each named series' first validation origin row (where its windows stop being trained on)."""
        return {name: int(v[0]) for name, v in zip(self.names, self.val_origins, strict=True) if len(v)}

    def earliest(self, share: float) -> PanelData:
        """These windows with each series' validation windows cut to the earliest ``share`` of them (at least
        one; what a global model's calibration is fitted on, ``[backtest] calibration_share``); ``self`` when
        ``share >= 1``. The validation rows are stored series by series in ``names`` order."""
        if share >= 1.0:
            return self
        keep = [max(int(len(v) * share), 1) for v in self.val_origins]
        mask = np.concatenate([np.arange(len(v)) < k for v, k in zip(self.val_origins, keep, strict=True)])
        val = self.val
        sub = PanelWindows(val.features, val.targets, val.origins[mask], val.series[mask], val.lookback)
        parts = tuple(v[:k] for v, k in zip(self.val_origins, keep, strict=True))
        return PanelData(self.train, sub, self.y_val[mask], self.scalers, self.names, parts)


def panel_windows(
    series_list: list[SeriesData],
    cuts: dict[str, int],
    cfg: FinanceConfig,
    on_series: Callable[[int], None] | None = None,
    cut_by: str = "test_days",
) -> PanelData:
    """Scales each series up to its cut-off and indexes its training and validation origins.

    Only the rows the windows and targets cover are kept (``cfg.train.max_windows`` most recent origins per
    series, plus the lookback before them), as float32.

    Args:
        series_list: the series' arrays.
        cuts: last observable row per series (series absent or with too little data are skipped).
        cfg: the run configuration (window spec, rolling window, window caps, validation share).
        on_series: called with 1 after each series is indexed (a progress bar).
        cut_by: the setting of the cut-offs, named in the error (``holdout_days`` for train-global).

    Raises:
        PriceDataError: when fewer than 100 training windows exist.
    """
    horizon, lookback = cfg.window.horizon, cfg.window.lookback
    feats: list[np.ndarray] = []
    targets: list[np.ndarray] = []
    index: dict[str, list[np.ndarray]] = {"t": [], "v": [], "ts": [], "vs": []}
    y_val: list[np.ndarray] = []
    val_origins: list[np.ndarray] = []
    scalers: dict[str, Scaler] = {}
    names: list[str] = []
    start = 0
    for s in training_order(series_list):  # by name: the fit does not depend on their order
        cut = cuts.get(s.ticker)
        origins = training_origins(s, cut, cfg) if cut is not None else np.empty(0, np.int64)
        if cut is None or len(origins) < MIN_SERIES_ORIGINS:
            if on_series is not None:
                on_series(1)
            continue
        scaler = fit_scaler(s, cut, cfg.window.vol_inputs)
        n_val = max(int(len(origins) * cfg.train.val_fraction), 1)
        val = origins[-n_val:]
        train = origins[origins + horizon <= val[0]]  # no target overlaps the validation windows
        lo, hi = int(origins[0]) - lookback + 1, int(origins[-1])
        rows = np.arange(lo, hi + 1)
        how = cfg.window.target_scale
        feats.append(scaler.transform(input_features(s, cfg.window.vol_inputs)[lo : hi + 1]))
        scale = target_scales(s, scaler, rows, horizon, how)
        targets.append((cumulative_targets(s, rows, horizon) / scale).astype(np.float32))
        y_val.append(cumulative_targets(s, val, horizon) / target_scales(s, scaler, val, horizon, how))
        k = len(names)
        index["t"].append(train - lo + start)
        index["v"].append(val - lo + start)
        index["ts"].append(np.full(len(train), k, np.int32))
        index["vs"].append(np.full(len(val), k, np.int32))
        scalers[s.ticker] = scaler
        names.append(s.ticker)
        val_origins.append(val)
        start += len(rows)
        if on_series is not None:
            on_series(1)
    n_train = sum(len(a) for a in index["t"])
    if n_train < MIN_TRAIN:
        raise PriceDataError(_too_few_windows(n_train, series_list, cuts, cfg, cut_by))
    f_all, t_all = np.concatenate(feats), np.concatenate(targets)
    del feats, targets

    def cat(key: str) -> np.ndarray:
        return np.concatenate(index[key]).astype(np.int64 if len(key) == 1 else np.int32)

    train_set = PanelWindows(f_all, t_all, cat("t"), cat("ts"), lookback)
    val_set = PanelWindows(f_all, t_all, cat("v"), cat("vs"), lookback)
    return PanelData(train_set, val_set, np.concatenate(y_val), scalers, tuple(names), tuple(val_origins))


@check_args
def panel_loader(
    data: Dataset[dict[str, Tensor]],
    batch_size: int,
    shuffle: bool,
    seed: int = 0,
    sampling: str = "windows",
    pin_memory: bool = False,
) -> DataLoader[dict[str, Tensor]]:
    """Batches of ``{"x": (B, L, F), "y": (B, H)}`` gathered in the main process.

    Args:
        data: a :class:`PanelWindows` (or any dataset indexed by a list of rows).
        batch_size: windows per batch.
        shuffle: random order (training) or sequential (validation).
        seed: seed of the order.
        sampling: ``windows`` (every window once per epoch) or ``series`` (every series equally likely;
            needs a :class:`PanelWindows`); only used when ``shuffle``.
        pin_memory: page-locked batches for a fast, non-blocking copy to a GPU.
    """
    gen = torch.Generator().manual_seed(seed)
    sized: Any = data  # every dataset here has a length
    base: Any
    if not shuffle:
        base = SequentialSampler(sized)
    elif sampling == "series" and isinstance(data, PanelWindows):
        weights: Any = torch.from_numpy(1.0 / np.bincount(data.series)[data.series])
        base = WeightedRandomSampler(weights, num_samples=len(data), replacement=True, generator=gen)
    else:
        base = RandomSampler(sized, generator=gen)
    sampler = BatchSampler(base, batch_size=batch_size, drop_last=False)
    return DataLoader(data, sampler=sampler, batch_size=None, pin_memory=pin_memory)


def _too_few_windows(
    n_train: int, series_list: list[SeriesData], cuts: dict[str, int], cfg: FinanceConfig, cut_by: str
) -> str:
    """The error of a fit with fewer than ``MIN_TRAIN`` training windows: the rows one series would need at
    this window spec (a forecast of a short series must not be sent to a setting that cannot help)."""
    horizon, lookback = cfg.window.horizon, cfg.window.lookback
    longest = max(series_list, key=lambda s: len(s.close), default=None)
    need = rows_needed(longest, cfg)
    have = f"; the longest series, {longest.ticker}, has {len(longest.close)}" if longest is not None else ""
    backtest = any(cuts.get(s.ticker, len(s.close) - 1) < len(s.close) - 1 for s in series_list)
    return (
        f"only {n_train} training windows{' before the cut-off' if backtest else ''}, at least {MIN_TRAIN} "
        f"are needed: one series needs {need} rows{' before it' if backtest else ''} at "
        f"{option('lookback', lookback)} and {option('horizon', horizon)}{have}; use a longer history, a shorter "
        f"{option('lookback')}" + (f" or fewer {option(cut_by)}" if backtest else "")
    )


def rows_needed(series: SeriesData | None, cfg: FinanceConfig) -> int:
    """The rows ``series`` alone needs up to its cut-off for a fit (:data:`MIN_TRAIN` training windows
    besides those held out for early stopping) at ``cfg``'s window spec; ``None``: a series whose first row
    is valid."""
    horizon, lookback = cfg.window.horizon, cfg.window.lookback
    n_origins = MIN_SERIES_ORIGINS
    while n_origins - max(int(n_origins * cfg.train.val_fraction), 1) - horizon + 1 < MIN_TRAIN:
        n_origins += 1  # windows held out for early stopping and those whose target overlaps them excluded
    first_valid = series.first_valid if series is not None else 1
    return n_origins + horizon + first_valid + lookback - 1


@check_args
def check_holdout_days(holdout_days: int, horizon: int) -> None:
    """Refuses ``holdout_days`` outside 0..:data:`MAX_HOLDOUT_DAYS`, or from 1 to ``horizon - 1``: held-out
    days too few for one forecast of ``horizon`` days to be scored (before: "internal error (ValueError:
    zero-size array ...)" after the training).

    Raises:
        FrameError: one line naming the value and the fix.
    """
    if not 0 <= holdout_days <= MAX_HOLDOUT_DAYS:
        raise FrameError(
            f"{option('holdout_days', holdout_days)} must be between 0 and {MAX_HOLDOUT_DAYS}; use 0 to train on "
            "every day"
        )
    if 0 < holdout_days < horizon:
        raise FrameError(
            f"{option('holdout_days', holdout_days)} holds no forecast of {option('horizon', horizon)} days to "
            f"score; use {option('holdout_days', horizon)} or more, or 0 to train on every day"
        )
