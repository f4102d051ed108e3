"""Frozen, composed configuration of carrousel.finance.

``FinanceConfig(data=..., features=..., model=..., train=..., backtest=...)``; override parts with
:func:`dataclasses.replace`, read a TOML file with :func:`carrousel.core.config.load_toml`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from typing import Any

from carrousel.core.errors import ConfigError

__all__ = [
    "ARCHITECTURES",
    "SOURCES",
    "BacktestConfig",
    "DataConfig",
    "FeatureConfig",
    "FinanceConfig",
    "ModelConfig",
    "TrainSettings",
    "override_flat",
]

SOURCES = ("auto", "yahoo", "csv", "sample")
ARCHITECTURES = ("lstm", "gru", "bilstm")
_SYMBOL = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9.^=_-]{0,19}|\^[A-Za-z0-9.=_-]{1,19}"
)  # AAPL BRK-B ^GSPC EURUSD=X


def _date(name: str, value: str | None) -> date | None:
    """Parses a ``--start``/``--end`` value (``YYYY-MM-DD``); None stays None.

    Raises:
        ConfigError: when the value is not a real calendar date in that form.
    """
    if value is None:
        return None
    try:
        return datetime.strptime(str(value).strip(), "%Y-%m-%d").date()
    except ValueError:
        raise ConfigError(f"--{name} {value!r} is not a date; use YYYY-MM-DD, e.g. 2010-01-04") from None


@dataclass(frozen=True)
class DataConfig:
    """Where prices come from and how they are checked."""

    tickers: tuple[str, ...] = ("AAPL",)  # one or more symbols; several train one global model
    source: str = "auto"  # auto (fresh cache, then Yahoo) | yahoo | csv | sample (bundled 2000-2013 history)
    csv_path: str | None = None  # CSV file for source "csv" (yfinance layout or a common variant)
    start: str | None = None  # first date to use (YYYY-MM-DD); None = all available history
    end: str | None = None  # last date to use (YYYY-MM-DD); None = up to the latest available
    cache_dir: str | None = None  # Yahoo cache folder; None = ~/.cache/carrousel/finance
    calendar: str = "XNYS"  # exchange calendar (exchange_calendars code) for sessions and forecast dates
    min_history: int = 250  # fewest trading days accepted after cleaning
    repair_splits: bool = True  # rescale unadjusted prices across detected split jumps (logged); else error
    timeout: float = 10.0  # seconds per Yahoo request

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ConfigError(f"unknown source {self.source!r}; use one of {', '.join(SOURCES)}")
        if not self.tickers:
            raise ConfigError("no ticker given; pass at least one symbol such as AAPL")
        bad = [t for t in self.tickers if not _SYMBOL.fullmatch(str(t).strip())]
        if bad:
            raise ConfigError(
                f"{bad[0]!r} is not a ticker symbol; use letters, digits and . - ^ = only, "
                "e.g. AAPL, BRK-B, ^GSPC"
            )
        if self.source == "csv" and not self.csv_path:
            raise ConfigError("source 'csv' needs a file; pass --csv PATH")
        if self.min_history < 30:
            raise ConfigError(f"min_history={self.min_history} is too small; use at least 30 days")
        start, end = _date("start", self.start), _date("end", self.end)
        if start is not None and end is not None and start > end:
            raise ConfigError(f"--start {self.start} is after --end {self.end}; swap or correct the dates")


@dataclass(frozen=True)
class FeatureConfig:
    """Inputs built from OHLCV; every feature looks only backwards in time."""

    lookback: int = 30  # trading days of history fed to the network per forecast origin
    indicators: bool = False  # add momentum (5, 20 days) and 20-day realised volatility features

    def __post_init__(self) -> None:
        if self.lookback < 2:
            raise ConfigError(f"lookback={self.lookback} must be at least 2 days")


@dataclass(frozen=True)
class ModelConfig:
    """The recurrent quantile forecaster."""

    arch: str = "lstm"  # lstm | gru | bilstm (a bidirectional LSTM encoder over the lookback window)
    horizon: int = 5  # trading days forecast directly (one output per day ahead)
    quantiles: tuple[float, ...] = (0.1, 0.5, 0.9)  # predicted quantiles; 0.5 is always added (the point)
    hidden_size: int = 32  # hidden units per direction
    num_layers: int = 1  # stacked recurrent layers
    dropout: float = 0.1  # dropout before the quantile head (and between layers)

    def __post_init__(self) -> None:
        if self.arch not in ARCHITECTURES:
            raise ConfigError(f"unknown model {self.arch!r}; use one of {', '.join(ARCHITECTURES)}")
        if not 1 <= self.horizon <= 250:
            raise ConfigError(f"horizon={self.horizon} must be between 1 and 250 trading days")
        bad = [q for q in self.quantiles if not 0.0 < q < 1.0]
        if bad:
            raise ConfigError(
                f"quantile level(s) {', '.join(f'{q:g}' for q in bad)} must lie strictly between 0 and 1; "
                "use e.g. --quantiles 0.1,0.5,0.9"
            )
        qs = tuple(sorted(set(round(float(q), 6) for q in (*self.quantiles, 0.5))))
        if len(qs) < 2:
            raise ConfigError(
                "--quantiles needs a level besides the median 0.5 (always included) to give an interval; "
                "use e.g. --quantiles 0.1,0.9"
            )
        if self.hidden_size < 1 or self.num_layers < 1:
            raise ConfigError(
                f"hidden_size={self.hidden_size} and num_layers={self.num_layers} must be at least 1; "
                "use e.g. --hidden 32"
            )
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"dropout={self.dropout} must lie in [0, 1), e.g. 0.1")
        object.__setattr__(self, "quantiles", qs)


@dataclass(frozen=True)
class TrainSettings:
    """How each network is fitted (mapped onto :class:`carrousel.core.train.TrainConfig`)."""

    epochs: int = 10  # passes over the training windows per fit
    batch_size: int = 256  # windows per optimisation step
    lr: float = 1e-2  # AdamW peak learning rate (cosine decay over the epochs)
    weight_decay: float = 1e-4  # AdamW weight decay
    patience: int = 3  # early stopping on the validation pinball loss (epochs without improvement)
    val_fraction: float = 0.15  # most recent share of the training windows held out for early stopping
    max_windows: int = 2000  # most recent training windows per ticker used per fit (bounds the run time)
    device: str = "cpu"  # cpu | cuda | auto; small sequence models are usually fastest on CPU
    threads: int = 1  # CPU threads while fitting (restored after); small nets run fastest on one; 0 = torch's
    seed: int = 0  # seed for weights and batch order

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1:
            raise ConfigError(
                f"epochs={self.epochs} and batch_size={self.batch_size} must be at least 1; "
                "use e.g. --epochs 10"
            )
        if not 0.0 < self.val_fraction < 0.5:
            raise ConfigError(f"val_fraction={self.val_fraction} must lie in (0, 0.5)")


@dataclass(frozen=True)
class BacktestConfig:
    """Walk-forward evaluation over the end of the history."""

    test_days: int = 500  # forecast origins evaluated (the most recent trading days with a known outcome)
    window: str = "expanding"  # expanding | rolling training window
    train_days: int = 2000  # rolling window length in trading days (ignored when expanding)
    refit_every: int = 250  # refit the models every N origins (each refit sees only data before it)
    conformal: bool = True  # widen/narrow intervals by split-conformal calibration on held-out windows
    ensemble: bool = True  # also score the mean of the network and the statistical baselines
    enabled: bool = True  # run the backtest at all (forecast only when False)

    def __post_init__(self) -> None:
        if self.window not in ("expanding", "rolling"):
            raise ConfigError(f"unknown window {self.window!r}; use expanding or rolling")
        if self.test_days < 20:
            raise ConfigError(f"--test-days {self.test_days} is too few to score; use at least 20")
        if self.refit_every < 1:
            raise ConfigError(f"--refit-every {self.refit_every} must be at least 1 (origins between refits)")
        if self.train_days < 30:
            raise ConfigError(f"train_days={self.train_days} is too short a rolling window; use at least 30")


@dataclass(frozen=True)
class FinanceConfig:
    """Everything a forecast or backtest run needs."""

    data: DataConfig = field(default_factory=DataConfig)  # price source and validation
    features: FeatureConfig = field(default_factory=FeatureConfig)  # model inputs
    model: ModelConfig = field(default_factory=ModelConfig)  # network and outputs
    train: TrainSettings = field(default_factory=TrainSettings)  # fitting
    backtest: BacktestConfig = field(default_factory=BacktestConfig)  # walk-forward evaluation


def override_flat(cfg: FinanceConfig, **options: Any) -> FinanceConfig:
    """Returns ``cfg`` with options given by their field names (unique across sections); None is skipped.

    Example: ``override_flat(cfg, horizon=10, source="sample")`` changes ``cfg.model.horizon`` and
    ``cfg.data.source``.

    Raises:
        ConfigError: for a name no section has, or an invalid value.
    """
    changes: dict[str, dict[str, Any]] = {}
    for name, value in options.items():
        if value is None:
            continue
        section = next(
            (f.name for f in fields(cfg) if name in {g.name for g in fields(getattr(cfg, f.name))}), None
        )
        if section is None:
            raise ConfigError(f"unknown option {name!r}")
        changes.setdefault(section, {})[name] = value
    try:
        return replace(cfg, **{sec: replace(getattr(cfg, sec), **vals) for sec, vals in changes.items()})
    except TypeError as exc:
        raise ConfigError(str(exc)) from None
