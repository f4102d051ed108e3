"""Log-return targets and OHLCV features, scaled with statistics of the training window only.

Shapes: ``N`` trading days, ``F`` features, ``L`` lookback, ``H`` horizon, ``n`` forecast origins. A forecast
origin ``t`` is the last observed day; its input is days ``t-L+1..t`` and its target the cumulative log
returns ``log(C[t+h] / C[t])`` for ``h = 1..H`` (prices are rebuilt as ``C[t] * exp(.)``).
Every feature of day ``t`` uses rows ``<= t`` only, and :func:`fit_scaler` sees rows ``<= train_end`` only,
so nothing after a training cut-off can reach the inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from carrousel.core.args import check_args
from carrousel.core.option_names import option
from carrousel.finance.config import FinanceConfig
from carrousel.finance.errors import PriceDataError

__all__ = [
    "Scaler",
    "SeriesData",
    "TrainingWindows",
    "build_series",
    "cumulative_targets",
    "ewma_volatility",
    "feature_names",
    "fit_scaler",
    "input_features",
    "known_scalers",
    "make_windows",
    "target_scales",
    "training_origins",
    "training_windows",
    "valid_origins",
]

_BASE = ("ret", "gap", "body", "range", "volume_change")
_INDICATORS = ("momentum_5", "momentum_20", "volatility_20")
_MIN_TRAIN = 100  # fewest training windows a fit accepts
_MIN_TICKER_ORIGINS = 20  # a ticker with fewer training origins before its cut-off is left out of a fit
_CLIP = 8.0  # scaled features are clipped to +-8 standard deviations (data errors must not explode the net)
EWMA_LAMBDA = (
    0.94  # RiskMetrics decay of the EWMA volatility (the ewma baselines and the "ewma" target scale)
)


@check_args
def feature_names(indicators: bool = False) -> tuple[str, ...]:
    """Names of the feature columns, in order."""
    return _BASE + (_INDICATORS if indicators else ())


@dataclass(frozen=True, eq=False)
class SeriesData:
    """One ticker's arrays.

    Attributes:
        ticker: symbol.
        dates: ``(N,)`` trading dates.
        close: ``(N,)`` adjusted closes.
        logret: ``(N,)`` close-to-close log returns (``logret[0]`` is NaN).
        features: ``(N, F)`` unscaled features (NaN before ``first_valid``).
        first_valid: first row where every feature is defined.
    """

    ticker: str
    dates: pd.DatetimeIndex
    close: np.ndarray
    logret: np.ndarray
    features: np.ndarray
    first_valid: int


@check_args
def build_series(ticker: str, frame: pd.DataFrame, indicators: bool = False) -> SeriesData:
    """Computes log returns and backward-looking features from a clean OHLCV frame."""
    o, h, lo, c = (frame[k].to_numpy(np.float64) for k in ("open", "high", "low", "close"))
    v = np.log1p(frame["volume"].to_numpy(np.float64))
    prev_c = np.concatenate([[np.nan], c[:-1]])
    ret = np.log(c / prev_c)
    cols = [ret, np.log(o / prev_c), np.log(c / o), np.log(h / lo), np.concatenate([[np.nan], np.diff(v)])]
    first = 1
    if indicators:
        logc = pd.Series(np.log(c))
        cols += [
            (logc - logc.shift(5)).to_numpy(),
            (logc - logc.shift(20)).to_numpy(),
            pd.Series(ret).rolling(20).std().to_numpy(),
        ]
        first = 20
    feats = np.stack(cols, axis=1)
    if len(c) <= first + 1:
        raise PriceDataError(f"{ticker}: too few rows ({len(c)}) to build features")
    return SeriesData(ticker, pd.DatetimeIndex(frame.index), c, ret, feats, first)


@dataclass(frozen=True)
class Scaler:
    """Per-feature standardisation and return scale fitted on a training window.

    Attributes:
        mean: ``(F,)`` feature means.
        std: ``(F,)`` feature standard deviations (at least 1e-8).
        ret_std: standard deviation of daily log returns; targets of horizon ``h`` are divided by
            ``ret_std * sqrt(h)`` so the network sees unit-scale quantiles.
        train_end: last row index the statistics saw.
    """

    mean: tuple[float, ...]
    std: tuple[float, ...]
    ret_std: float
    train_end: int

    def transform(self, features: np.ndarray) -> np.ndarray:
        """Scales ``(N, F)`` features; NaNs become 0, values are clipped to +-8."""
        out = (features - np.asarray(self.mean)) / np.asarray(self.std)
        return np.clip(np.nan_to_num(out, nan=0.0), -_CLIP, _CLIP).astype(np.float32)

    @check_args
    def target_scale(self, horizon: int) -> np.ndarray:
        """``(H,)`` divisor of the cumulative-return targets per horizon (the ``static`` target scale)."""
        return (self.ret_std * np.sqrt(np.arange(1, horizon + 1))).astype(np.float64)


def known_scalers(scalers: dict[str, Scaler]) -> dict[str, Scaler]:
    """Scalers without NaN statistics (an absent column: mean 0, std 1, so its inputs stay 0 when saved)."""
    out = {}
    for name, scaler in scalers.items():
        mean = tuple(v if np.isfinite(v) else 0.0 for v in scaler.mean)
        std = tuple(v if np.isfinite(v) else 1.0 for v in scaler.std)
        out[name] = replace(scaler, mean=mean, std=std)
    return out


def ewma_volatility(logret: np.ndarray, lam: float = EWMA_LAMBDA) -> np.ndarray:
    """``(N,)`` RiskMetrics volatility known at the close of each day (uses returns up to that day;
    the recursion starts from the mean square of the first 59 returns)."""
    r2 = np.nan_to_num(logret) ** 2
    var = np.empty_like(r2)
    seed = float(np.mean(r2[1 : min(len(r2), 60)])) if len(r2) > 2 else 1e-4
    acc = seed
    for i, x in enumerate(r2):
        acc = lam * acc + (1 - lam) * x if i > 0 else seed
        var[i] = acc
    return np.sqrt(np.maximum(var, 1e-12))


@check_args
def target_scales(
    series: SeriesData, scaler: Scaler, origins: np.ndarray, horizon: int, how: str = "static"
) -> np.ndarray:
    """``(n, H)`` divisors of the cumulative-return targets of ``origins`` (known at each origin).

    Args:
        series: the ticker's arrays.
        scaler: its scaler (``ret_std``, the training rows' return deviation).
        origins: ``(n,)`` origin rows.
        horizon: ``H``.
        how: ``static`` (``ret_std * sqrt(h)``, the same at every origin) or ``ewma`` (the RiskMetrics
            volatility at the origin ``* sqrt(h)``: the network then predicts quantiles of volatility-
            standardised returns, and its conformal offsets scale with the volatility of the day).
    """
    root = np.sqrt(np.arange(1, horizon + 1, dtype=np.float64))[None, :]
    if how == "ewma":
        vol = np.maximum(ewma_volatility(series.logret)[origins], 1e-3 * scaler.ret_std)
        return vol[:, None] * root
    return np.broadcast_to(scaler.target_scale(horizon)[None, :], (len(origins), horizon))


@check_args
def input_features(series: SeriesData, vol_inputs: bool = False) -> np.ndarray:
    """``(N, F)`` unscaled network inputs: the features, or with ``vol_inputs`` every feature but the volume
    change divided by the EWMA volatility of the day before (returns in units of the volatility they were
    drawn under; row 0 uses its own day's)."""
    if not vol_inputs:
        return series.features
    vol = ewma_volatility(series.logret)
    prev = np.concatenate([vol[:1], vol[:-1]])
    out = series.features / prev[:, None]
    out[:, _BASE.index("volume_change")] = series.features[:, _BASE.index("volume_change")]
    return out


@check_args
def fit_scaler(series: SeriesData, train_end: int, vol_inputs: bool = False) -> Scaler:
    """Fits a :class:`Scaler` on rows ``first_valid..train_end`` (inclusive) of the inputs only."""
    rows = input_features(series, vol_inputs)[series.first_valid : train_end + 1]
    if len(rows) < 2:
        raise PriceDataError(f"{series.ticker}: training window too short to fit a scaler")
    mean = np.nanmean(rows, axis=0)
    std = np.maximum(np.nanstd(rows, axis=0), 1e-8)
    ret = series.logret[1 : train_end + 1]
    ret_std = float(max(np.nanstd(ret), 1e-6))
    return Scaler(tuple(map(float, mean)), tuple(map(float, std)), ret_std, int(train_end))


@check_args
def valid_origins(series: SeriesData, lookback: int, horizon: int, with_target: bool = True) -> np.ndarray:
    """Row indices usable as forecast origins (full lookback; full target when ``with_target``)."""
    lo = series.first_valid + lookback - 1
    hi = len(series.close) - (horizon if with_target else 0)
    return np.arange(lo, hi)


@check_args
def make_windows(scaled: np.ndarray, origins: np.ndarray, lookback: int) -> np.ndarray:
    """Gathers input windows.

    Args:
        scaled: ``(N, F)`` scaled features.
        origins: ``(n,)`` origin rows (each ``>= lookback - 1``).
        lookback: window length ``L``.

    Returns:
        ``(n, L, F)`` float32 windows ending at each origin.
    """
    view = sliding_window_view(scaled, lookback, axis=0)  # (N-L+1, F, L)
    return np.ascontiguousarray(view[origins - lookback + 1].transpose(0, 2, 1), dtype=np.float32)


@check_args
def cumulative_targets(series: SeriesData, origins: np.ndarray, horizon: int) -> np.ndarray:
    """``(n, H)`` cumulative log returns ``log(C[t+h] / C[t])``; NaN where ``t+h`` is past the data."""
    logc = np.log(series.close)
    out = np.full((len(origins), horizon), np.nan)
    for h in range(1, horizon + 1):
        ok = origins + h < len(logc)
        out[ok, h - 1] = logc[origins[ok] + h] - logc[origins[ok]]
    return out


@check_args
def training_origins(series: SeriesData, cut: int, cfg: FinanceConfig) -> np.ndarray:
    """Origins whose whole target lies at or before row ``cut`` (window/rolling limits applied)."""
    horizon = cfg.window.horizon
    origins = valid_origins(series, cfg.window.lookback, horizon)
    origins = origins[origins + horizon <= cut]
    if cfg.backtest.window == "rolling":
        origins = origins[origins >= cut - cfg.backtest.train_days]
    return origins[-cfg.train.max_windows :]


def training_order(series_list: list[SeriesData]) -> list[SeriesData]:
    """The series sorted by name: the order a fit windows them in, so that one network over several series
    does not depend on the order they came in (a frame's rows, the tickers typed; before, ``MSFT AAPL``
    trained another network than ``AAPL MSFT``)."""
    return sorted(series_list, key=lambda s: s.ticker)


@dataclass(frozen=True, eq=False)
class TrainingWindows:
    """Scaled windows and targets of every ticker up to its cut-off, split for early stopping.

    Attributes:
        x_train: ``(n, L, F)`` windows; y_train: ``(n, H)`` targets in units of each ticker's return scale.
        x_val: ``(m, L, F)`` the most recent windows of each ticker; y_val: ``(m, H)``.
        scalers: per-ticker :class:`Scaler` fitted on rows up to the ticker's cut-off.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    scalers: dict[str, Scaler]


def training_windows(
    series_list: list[SeriesData], cuts: dict[str, int], cfg: FinanceConfig
) -> TrainingWindows:
    """Gathers the training and validation windows of every ticker whose data reach its cut-off row.

    Args:
        series_list: the tickers' arrays.
        cuts: last observable row per ticker (tickers absent or with too little data are skipped).
        cfg: the run configuration (window spec, rolling window, window caps, validation share).

    Raises:
        PriceDataError: when fewer than 100 training windows exist.
    """
    horizon, lookback = cfg.window.horizon, cfg.window.lookback
    parts: dict[str, list[np.ndarray]] = {"xt": [], "yt": [], "xv": [], "yv": []}
    scalers: dict[str, Scaler] = {}
    for s in training_order(series_list):
        cut = cuts.get(s.ticker)
        if cut is None:
            continue
        origins = training_origins(s, cut, cfg)
        if len(origins) < _MIN_TICKER_ORIGINS:
            continue
        scaler = fit_scaler(s, cut, cfg.window.vol_inputs)
        scalers[s.ticker] = scaler
        scaled = scaler.transform(input_features(s, cfg.window.vol_inputs))
        n_val = max(int(len(origins) * cfg.train.val_fraction), 1)
        val = origins[-n_val:]
        train = origins[origins + horizon <= val[0]]  # no target overlaps the validation windows
        for key, org in (("t", train), ("v", val)):
            parts["x" + key].append(make_windows(scaled, org, lookback))
            scale = target_scales(s, scaler, org, horizon, cfg.window.target_scale)
            parts["y" + key].append(cumulative_targets(s, org, horizon) / scale)
    n_train = sum(len(a) for a in parts["xt"])
    if n_train < _MIN_TRAIN:
        raise PriceDataError(
            f"only {n_train} training windows before the cut-off, at least {_MIN_TRAIN} are needed; "
            f"use a longer history, a shorter {option('lookback')} or fewer {option('test_days')}"
        )
    xt, yt = np.concatenate(parts["xt"]), np.concatenate(parts["yt"])
    xv, yv = np.concatenate(parts["xv"]), np.concatenate(parts["yv"])
    return TrainingWindows(xt, yt, xv, yv, scalers)
