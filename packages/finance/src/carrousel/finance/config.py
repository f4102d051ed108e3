"""Frozen, composed configuration of carrousel.finance.

One :class:`FinanceConfig` describes a ``forecast`` or a ``backtest`` run (both use every section; the
output paths are arguments of :func:`carrousel.finance.pipeline.forecast` / ``backtest``, not settings):

* ``data``: where prices come from (:class:`DataConfig`); ``window``: THE window spec (:class:`WindowConfig`:
  lookback, horizon, indicator features), the one description of inputs and targets that training, the
  backtest, forecasting and saved models share; ``model``: the network (:class:`ModelConfig`), ``train``:
  fitting (:class:`TrainSettings`), ``backtest``: the walk-forward evaluation (:class:`BacktestConfig`).

Build one with a plain constructor call, change it with :func:`dataclasses.replace`, read a TOML file
(sections named like the fields above) with :func:`load_config`. Choices have an :class:`enum.Enum` listing
the accepted names; the fields hold the plain names, so configs round-trip through JSON and TOML.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from carrousel.core.args import check_args
from carrousel.core.config import MAX_EPOCHS, TomlDocument, check_device, check_numbers, overlay, read_toml
from carrousel.core.export import InferencePrecision
from carrousel.core.export.choices import check_precision_name
from carrousel.core.option_names import naming_flags, option
from carrousel.finance.choices import Arch, Calibration, Sampling, Source, TargetScale, TrainWindow
from carrousel.finance.choices import check_choice as _choice
from carrousel.finance.config_csv import check_csv_setting, completed_csv
from carrousel.finance.config_dates import day_of as _date
from carrousel.finance.config_dates import iso_day as _iso
from carrousel.finance.errors import FinanceConfigError
from carrousel.finance.export_config import ExportConfig

__all__ = [
    "GLOBAL_CALIBRATION_SHARE",
    "GLOBAL_TARGET_SCALE",
    "GLOBAL_VOL_INPUTS",
    "MAX_HIDDEN",
    "MAX_HOLDOUT_DAYS",
    "MAX_HORIZON",
    "MAX_LOOKBACK",
    "MAX_MEMBERS",
    "MAX_TEST_DAYS",
    "MAX_WINDOWS",
    "MIN_LOOKBACK",
    "MIN_TEST_DAYS",
    "Arch",
    "BacktestConfig",
    "Calibration",
    "DataConfig",
    "ExportConfig",
    "FinanceConfig",
    "ModelConfig",
    "Sampling",
    "Source",
    "TargetScale",
    "TrainSettings",
    "TrainWindow",
    "WindowConfig",
    "checked_config",
    "for_series",
    "load_config",
]

# named bounds, read by the config checks and by the command-line options (their --help shows them)
MAX_HORIZON = 250  # trading days forecast (WindowConfig.horizon, -H)
MIN_LOOKBACK = 2  # days of history per input window (WindowConfig.lookback, --lookback)
# sanity caps, past any daily history (~400 years of sessions); what the data allows is checked on loading
MAX_LOOKBACK = 100_000  # WindowConfig.lookback, --lookback
MAX_WINDOWS = 100_000  # TrainSettings.max_windows, --max-windows (past a series' length: all of its windows)
MAX_TEST_DAYS = 100_000  # BacktestConfig.test_days, --test-days
MAX_HOLDOUT_DAYS = 100_000  # train_global's holdout_days, train-global --holdout-days
MAX_HIDDEN = 4096  # hidden units per direction (ModelConfig.hidden_size, --hidden), far above any run
MAX_MEMBERS = 100  # seed ensemble size (ModelConfig.members, --members)
MIN_TEST_DAYS = 20  # backtest forecast origins given (BacktestConfig.test_days, --test-days)

_SYMBOL = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9.^=_-]{0,19}|\^[A-Za-z0-9.=_-]{1,19}"
)  # AAPL BRK-B ^GSPC EURUSD=X


@dataclass(frozen=True)
class DataConfig:
    """Where prices come from and how they are checked."""

    tickers: tuple[str, ...] = ("AAPL",)  # one or more symbols (a str: one); several train one global model
    source: str = "auto"  # a Source name: auto (fresh cache, then Yahoo) | yahoo | csv | sample
    csv_path: str | None = None  # CSV file for source "csv" (yfinance layout or a common variant)
    start: str | None = None  # first date to use (YYYY-MM-DD; a date object is stored so); None = all history
    end: str | None = (
        None  # last date to use (YYYY-MM-DD, or a date object); None = up to the latest available
    )
    cache_dir: str | None = None  # Yahoo cache folder; None = ~/.cache/carrousel/finance
    # exchange calendar (exchange_calendars code) for sessions and forecast dates; "auto": per series, from
    # its symbol (7203.T, BTC-USD, EURUSD=X...) or the days its dates keep (carrousel.finance.calendar_pick)
    calendar: str = "auto"
    min_history: int = 250  # fewest trading days accepted after cleaning
    repair_splits: bool = True  # rescale unadjusted prices across detected split jumps (logged); else error
    timeout: float = 10.0  # seconds per Yahoo request

    def __post_init__(self) -> None:
        check_numbers(self, FinanceConfigError, paths="csv_path cache_dir")
        for name in ("start", "end"):
            object.__setattr__(self, name, _iso(name, getattr(self, name)))
        _choice(self.source, Source, "source")
        # one symbol as a plain string (read letter by letter otherwise) or a list: stored as a tuple
        tickers = (self.tickers,) if isinstance(self.tickers, str) else tuple(self.tickers)
        object.__setattr__(self, "tickers", tickers)
        if not self.tickers:
            raise FinanceConfigError("no ticker given; pass at least one symbol such as AAPL")
        bad = [str(t) for t in self.tickers if not _SYMBOL.fullmatch(str(t).strip())]
        if bad:
            shown = repr(bad[0] if len(bad[0]) <= 40 else f"{bad[0][:37]}...")  # a pasted paragraph: short
            shown += f" ({len(bad[0])} characters)" if len(bad[0]) > 20 else ""
            raise FinanceConfigError(
                f"{shown} is not a ticker symbol; use 1 to 20 letters, digits "
                "and . - ^ = _ only, e.g. AAPL, BRK-B, ^GSPC"
            )
        if self.source == "csv" and not self.csv_path:
            raise FinanceConfigError(f"source 'csv' needs a file; pass {option('csv_path', 'PATH', '--csv')}")
        if self.csv_path is not None and str(self.csv_path).strip() == "-":  # was "--csv - not found"
            raise FinanceConfigError(f"{option('csv_path', '-', '--csv')}: standard input is not read for "
                                     f"prices; save them to a file first and pass {option('csv_path', 'FILE', '--csv')}")  # fmt: skip
        if self.min_history < 30:
            raise FinanceConfigError(f"min_history={self.min_history} is too small; use at least 30 days")
        if not (math.isfinite(self.timeout) and self.timeout > 0):
            raise FinanceConfigError(f"timeout={self.timeout} must be a positive number of seconds")
        start, end = _date("start", self.start), _date("end", self.end)
        if start is not None and end is not None and start > end:
            raise FinanceConfigError(f"{option('start', self.start)} is after {option('end', self.end)};"
                                     " swap or correct the dates")  # fmt: skip


# The target scale and input scaling of a network trained on several series at once (a global model). They were
# chosen apart from the one-series defaults, on the validation period of the walk-forward backtest (the 500
# days before the test period; packages/finance/docs/results-global.md, "Choosing the target scale").
GLOBAL_TARGET_SCALE = "ewma"
GLOBAL_VOL_INPUTS = False
# The share of each series' validation windows (the earliest) a global model's calibration is fitted on (1: all).
# 0.5 passed a pre-registered rule on the validation period and was reverted (packages/finance/docs/
# results-global.md, "Tried, then reverted: the global model's calibration on the earlier half").
GLOBAL_CALIBRATION_SHARE = 1.0


@dataclass(frozen=True)
class WindowConfig:
    """The window spec: what the network sees at a forecast origin ``t`` and what it predicts.

    Inputs are the ``lookback`` days ``t-L+1..t`` of backward-looking features; targets are the cumulative
    log returns ``log(C[t+h]/C[t])`` for ``h = 1..horizon``. Training, the backtest, forecasting and a
    saved model all use this one spec.
    """

    lookback: int = 30  # trading days of history fed to the network per forecast origin (L)
    horizon: int = 5  # trading days forecast directly, one output per day ahead (H)
    indicators: bool = False  # add momentum (5, 20 days) and 20-day realised volatility features
    target_scale: str = "ewma"  # a TargetScale name: ewma (returns / EWMA volatility at origin) | static
    vol_inputs: bool = True  # divide the input features (not volume) by the EWMA volatility of the day before
    # the same two choices for ONE network trained on several series (a global model; see for_series)
    global_target_scale: str = GLOBAL_TARGET_SCALE
    global_vol_inputs: bool = GLOBAL_VOL_INPUTS

    def __post_init__(self) -> None:
        check_numbers(self, FinanceConfigError)
        _choice(self.target_scale, TargetScale, "target scale")
        _choice(self.global_target_scale, TargetScale, "global target scale")
        if not MIN_LOOKBACK <= self.lookback <= MAX_LOOKBACK:
            raise FinanceConfigError(
                f"lookback={self.lookback} must be between {MIN_LOOKBACK} and {MAX_LOOKBACK} days, e.g. 30"
            )
        if not 1 <= self.horizon <= MAX_HORIZON:
            raise FinanceConfigError(
                f"horizon={self.horizon} must be between 1 and {MAX_HORIZON} trading days"
            )


DEFAULT_MEMBERS = 3  # networks in the default seed ensemble (training time grows linearly: ~3x one network)


@dataclass(frozen=True)
class ModelConfig:
    """The recurrent quantile forecaster (its output size is the window's horizon)."""

    arch: str = "lstm"  # an Arch name: lstm | gru | bilstm (bidirectional LSTM over the lookback window)
    quantiles: tuple[float, ...] = (0.1, 0.5, 0.9)  # predicted quantile levels; 0.5 is always added
    hidden_size: int = 32  # hidden units per direction
    num_layers: int = 1  # stacked recurrent layers
    dropout: float = 0.1  # dropout before the quantile head (and between layers)
    members: int = DEFAULT_MEMBERS  # seed ensemble size: networks trained with seeds seed..seed+N-1, their
    # quantiles averaged; 1 = a single network

    def __post_init__(self) -> None:
        check_numbers(self, FinanceConfigError)
        _choice(self.arch, Arch, "model architecture")
        if not 1 <= self.members <= MAX_MEMBERS:
            raise FinanceConfigError(f"members={self.members} must lie between 1 and {MAX_MEMBERS}, "
                                     f"e.g. {option('members', 5)}")  # fmt: skip
        bad = [q for q in self.quantiles if not 0.0 < q < 1.0]
        if bad:
            raise FinanceConfigError(
                f"quantile level(s) {', '.join(f'{q:g}' for q in bad)} must lie strictly between 0 and 1; "
                f"use e.g. {option('quantiles', '0.1,0.5,0.9' if naming_flags() else (0.1, 0.5, 0.9))}"
            )
        qs = tuple(sorted(set(round(float(q), 6) for q in (*self.quantiles, 0.5))))
        if len(qs) < 2:
            raise FinanceConfigError(
                f"{option('quantiles')} needs a level besides the median 0.5 (always included) to give an interval; "
                f"use e.g. {option('quantiles', '0.1,0.9' if naming_flags() else (0.1, 0.9))}"
            )
        if not 1 <= self.hidden_size <= MAX_HIDDEN or self.num_layers < 1:
            raise FinanceConfigError(
                f"hidden_size={self.hidden_size} must be in [1, {MAX_HIDDEN}], num_layers={self.num_layers} >= 1"
            )
        if not 0.0 <= self.dropout < 1.0:
            raise FinanceConfigError(f"dropout={self.dropout} must lie in [0, 1), e.g. 0.1")
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
    device: str = "cpu"  # cpu | cuda | cuda:N | mps | auto (check_device); small sequence models are usually fastest on CPU
    threads: int = 1  # CPU threads while fitting (restored after); small nets run fastest on one; 0 = torch's
    seed: int = 0  # seed for weights and batch order
    sampling: str = "windows"  # a Sampling name: windows (each once per epoch) | series (equally likely)
    progress: bool = False  # a progress bar per epoch on stderr (the CLI turns it on in a terminal)
    # the networks' arithmetic end to end: fitting (autocast around forward and loss, float32 weights, as
    # Lightning's precision), calibration and forecasts: fp32 | bf16 | fp16 (core's InferencePrecision; fp16
    # needs a GPU and the forecasts run on the CPU, so it is refused)
    precision: InferencePrecision = InferencePrecision.FP32

    def __post_init__(self) -> None:
        check_numbers(self, FinanceConfigError)
        object.__setattr__(self, "device", check_device(self.device, FinanceConfigError))
        object.__setattr__(self, "precision", check_precision_name(self.precision, FinanceConfigError))
        _choice(self.sampling, Sampling, "sampling")
        if not 1 <= self.epochs <= MAX_EPOCHS or self.batch_size < 1:
            raise FinanceConfigError(
                f"epochs={self.epochs} must be in [1, {MAX_EPOCHS}] and batch_size={self.batch_size} at least "
                f"1; use e.g. {option('epochs', 10)}"
            )
        if not 0.0 < self.val_fraction < 0.5:
            raise FinanceConfigError(f"val_fraction={self.val_fraction} must lie in (0, 0.5)")
        if not (math.isfinite(self.lr) and self.lr > 0) or not self.weight_decay >= 0:
            raise FinanceConfigError(
                f"lr={self.lr} must be positive and weight_decay={self.weight_decay} not negative"
            )
        if not 1 <= self.max_windows <= MAX_WINDOWS:
            raise FinanceConfigError(
                f"max_windows={self.max_windows} must be in [1, {MAX_WINDOWS}], e.g. 2000"
            )
        if self.patience < 0 or self.threads < 0:
            raise FinanceConfigError(
                f"patience={self.patience} and threads={self.threads} must not be negative"
            )


DEFAULT_TEST_DAYS = 500  # backtest origins when --test-days is not given


@dataclass(frozen=True)
class BacktestConfig:
    """Walk-forward evaluation over the end of the history."""

    test_days: int | None = None  # forecast origins evaluated (the most recent days with a known outcome);
    # None: the last DEFAULT_TEST_DAYS, fewer on a short history (logged); a number given must fit the data
    window: str = "expanding"  # a TrainWindow name: expanding | rolling training window of each refit
    train_days: int = 2000  # rolling window length in trading days (ignored when expanding)
    refit_every: int = 250  # refit the models every N origins (each refit sees only data before it)
    # > 0: each network refit after the first starts from the previous refit's weights and trains this many
    # (packages/finance/docs/results-sample.md, "Warm-started refits")
    warm_refit_epochs: int = 0  # epochs (fresh AdamW, cosine); 0: from scratch
    conformal: bool = True  # widen/narrow intervals by calibration on held-out windows (see calibration)
    calibration: str = "scale"  # a Calibration name: scale (one shrunk factor) | offsets (split-conformal)
    calibration_share: float = (
        1.0  # share of each series' validation windows, the earliest, calibrating (1: all)
    )
    global_calibration_share: float = GLOBAL_CALIBRATION_SHARE  # the same for a global model (see for_series)
    garch_weight: float = 0.4  # weight of GARCH(1,1)'s quantiles averaged with the network's, then calibrated
    ensemble: bool = True  # also score the mean of the network and the statistical baselines
    aci_gamma: float = 0.005  # also score the network with adaptive conformal intervals (step size); 0 = off
    auto_baselines: bool = True  # also fit AutoETS, Theta and AutoARIMA baselines at each refit (slower)
    enabled: bool = True  # run the backtest at all (forecast only when False)

    @property
    def origins(self) -> int:
        """Origins asked for: ``test_days``, or :data:`DEFAULT_TEST_DAYS` when it is None."""
        return DEFAULT_TEST_DAYS if self.test_days is None else self.test_days

    def __post_init__(self) -> None:
        check_numbers(self, FinanceConfigError)
        _choice(self.window, TrainWindow, "window")
        _choice(self.calibration, Calibration, "calibration")
        if (days := self.test_days) is not None and days < MIN_TEST_DAYS:
            raise FinanceConfigError(
                f"{option('test_days', days)} is too few to score; use at least {MIN_TEST_DAYS}"
            )
        if days is not None and days > MAX_TEST_DAYS:
            raise FinanceConfigError(
                f"{option('test_days', days)} is past any history; use at most {MAX_TEST_DAYS}"
            )
        unit = (("garch_weight", self.garch_weight, 0.4), ("aci_gamma", self.aci_gamma, 0.05))  # in [0, 1]
        for name, value, e_g in unit:
            if not (math.isfinite(value) and 0.0 <= value <= 1.0):
                raise FinanceConfigError(f"{name}={value} must lie in [0, 1], e.g. {e_g} (0 = off)")
        for name in ("calibration_share", "global_calibration_share"):
            if not (math.isfinite(share := getattr(self, name)) and 0.0 < share <= 1.0):
                raise FinanceConfigError(f"{name}={share} must lie in (0, 1], e.g. 0.5 (1 = all windows)")
        if self.refit_every < 1:
            raise FinanceConfigError(
                f"{option('refit_every', self.refit_every)} must be at least 1 (origins between refits)"
            )
        if not 0 <= (warm := self.warm_refit_epochs) <= MAX_EPOCHS:
            raise FinanceConfigError(
                f"warm_refit_epochs={warm} must be in [0, {MAX_EPOCHS}], e.g. 3 (0 = off)"
            )
        if self.train_days < 30:
            raise FinanceConfigError(
                f"train_days={self.train_days} is too short a rolling window; use at least 30"
            )


@dataclass(frozen=True)
class FinanceConfig:
    """Everything a forecast or backtest run needs."""

    data: DataConfig = field(default_factory=DataConfig)  # price source and validation
    window: WindowConfig = field(default_factory=WindowConfig)  # inputs and targets (lookback, horizon)
    model: ModelConfig = field(default_factory=ModelConfig)  # the network
    train: TrainSettings = field(default_factory=TrainSettings)  # fitting
    backtest: BacktestConfig = field(default_factory=BacktestConfig)  # walk-forward evaluation


def checked_config(cfg: object) -> FinanceConfig:
    """``cfg`` when it is a :class:`FinanceConfig` (None: the defaults); anything else (a dict, a path) is
    one :class:`~carrousel.finance.errors.FinanceConfigError` line naming how to build one."""
    if cfg is None or isinstance(cfg, FinanceConfig):
        return cfg if cfg is not None else FinanceConfig()
    raise FinanceConfigError(
        f"cfg is a {type(cfg).__name__}, not a FinanceConfig; build one from carrousel.finance.config, e.g. "
        "FinanceConfig(window=WindowConfig(horizon=3)), or load_config('run.toml') for a TOML file's settings"
    )


@check_args
def for_series(cfg: FinanceConfig, n_series: int) -> FinanceConfig:
    """``cfg`` as a network trained on ``n_series`` series uses it: with several, the window's
    ``global_target_scale`` and ``global_vol_inputs`` become its ``target_scale`` and ``vol_inputs``, and the
    backtest's ``global_calibration_share`` its ``calibration_share`` (the settings every later step reads,
    and the ones a saved model records); with one, ``cfg`` unchanged. Applying it twice changes nothing."""
    w, b = cfg.window, cfg.backtest
    if n_series <= 1 or (w.target_scale, w.vol_inputs, b.calibration_share) == (
        w.global_target_scale,
        w.global_vol_inputs,
        b.global_calibration_share,
    ):
        return cfg
    window = replace(w, target_scale=w.global_target_scale, vol_inputs=w.global_vol_inputs)
    return replace(cfg, window=window, backtest=replace(b, calibration_share=b.global_calibration_share))


def load_config(path: str | Path | TomlDocument | None, base: FinanceConfig | None = None) -> FinanceConfig:
    """``base`` (default: the defaults) with the options a TOML file sets, and only those.

    The file has a table per section, e.g. ``[window]`` ``horizon = 10`` or ``[model]`` ``arch = "gru"``.

    The file is read once (a FIFO or device is refused: reading it again would wait forever); ``path`` may
    be its document already read (:func:`~carrousel.core.config.read_toml`), for a caller that reads it too.
    A ``base`` CSV file (the command line's ``--csv``) completes a file's ``[data] source = "csv"`` that
    names none.

    Raises:
        ConfigError: the file is missing, a FIFO or device, not TOML, names an unknown option or holds an
            invalid value.
    """
    base = base if base is not None else FinanceConfig()
    if path is None:
        return base
    doc = path if isinstance(path, TomlDocument) else read_toml(path, option("path", flag="--config"))
    check_csv_setting(doc.get("data"), doc.source or "the config document given", base.data.csv_path)
    return overlay(base, completed_csv(doc, base.data.csv_path))
