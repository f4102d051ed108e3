"""End-to-end runs: ``forecast(cfg)`` and ``backtest(cfg)`` return result dataclasses; a saved
:class:`ForecasterBundle` (weights, scalers, conformal offsets, config, data hashes) forecasts again
without retraining.

Data flows one way: config -> data -> features -> backtest (network + baselines, scored) -> final fit on
all data -> forecast rows with exchange dates -> result. Rendering is the CLI's job.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from carrousel.core.config import from_dict, to_dict
from carrousel.core.errors import CheckpointError
from carrousel.core.io import atomic_write_text, load_module, read_config, save_module
from carrousel.finance.backtest import ENSEMBLE_MEMBERS, BacktestResult, run_backtest
from carrousel.finance.baselines import baseline_forecasts
from carrousel.finance.calendar import future_sessions
from carrousel.finance.config import FinanceConfig
from carrousel.finance.data import PriceHistory, load_histories
from carrousel.finance.errors import BundleError
from carrousel.finance.evaluate import Scoreboard, score_backtest
from carrousel.finance.features import Scaler, SeriesData, build_series
from carrousel.finance.forecaster import FittedForecaster, fit_at
from carrousel.finance.models import QuantileForecaster

__all__ = [
    "BacktestRun",
    "ForecastResult",
    "ForecastRow",
    "ForecasterBundle",
    "TickerForecast",
    "backtest",
    "forecast",
    "qlabel",
]

logger = logging.getLogger(__name__)

RUN_FILE = "run.json"


def qlabel(q: float) -> str:
    """``0.1 -> "p10"``, ``0.025 -> "p2.5"``."""
    return f"p{100 * q:g}"


@dataclass(frozen=True)
class ForecastRow:
    """One day ahead of one ticker."""

    date: str  # trading session (YYYY-MM-DD), weekends and exchange holidays skipped
    step: int  # trading days after the last observed close
    median: float  # median price
    change_pct: float  # median change from the last close, in percent
    quantiles: dict[str, float]  # price quantiles by label ("p10", "p50", "p90")


@dataclass(frozen=True)
class TickerForecast:
    """A ticker's forecast and where its data came from."""

    ticker: str  # symbol
    source: str  # sample | yahoo | cache | csv
    source_label: str  # one line naming the data origin (sample data says so)
    first_date: str  # first date of the history used
    last_date: str  # last observed date (the forecast origin)
    last_close: float  # adjusted close on last_date
    rows: tuple[ForecastRow, ...]  # one per horizon step
    notes: tuple[str, ...] = ()  # data repairs and caveats
    others: dict[str, tuple[float, ...]] = field(default_factory=dict)  # median price path of each baseline


@dataclass(frozen=True, eq=False)
class ForecasterBundle:
    """A trained forecaster with its preprocessing, ready to forecast without retraining.

    Attributes:
        fitted: network, per-ticker scalers and conformal offsets.
        config: the configuration it was trained with.
        data: per ticker: ``sha256``, ``first``/``last`` date and ``source`` of the training data.
        scoreboard: the backtest scoreboard of the training run (JSON form), or None.
        created: UTC time of training.
    """

    fitted: FittedForecaster
    config: FinanceConfig
    data: dict[str, dict[str, str]]
    scoreboard: dict[str, Any] | None = None
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def save(self, folder: str | Path) -> Path:
        """Writes ``model.safetensors`` and ``config.json`` (scalers, offsets, config, data hashes)."""
        extra = {
            "kind": "carrousel.finance.bundle",
            "finance_config": to_dict(self.config),
            "scalers": {t: asdict(s) for t, s in self.fitted.scalers.items()},
            "offsets": self.fitted.offsets.tolist(),
            "lookback": self.fitted.lookback,
            "data": self.data,
            "scoreboard": self.scoreboard,
            "created": self.created,
        }
        return save_module(self.fitted.model, folder, extra=extra)

    @classmethod
    def exists(cls, folder: str | Path) -> bool:
        """True when ``folder`` holds a saved bundle."""
        return (Path(folder) / "config.json").exists()

    @classmethod
    def from_pretrained(cls, folder: str | Path) -> ForecasterBundle:
        """Loads a bundle written by :meth:`save` (no pickle involved).

        Raises:
            BundleError: when the folder is not a finance bundle or is damaged.
        """
        try:
            doc = read_config(folder)
            model = load_module(folder)
        except CheckpointError as exc:
            raise BundleError(f"cannot load the forecaster in {folder}: {exc}") from None
        extra = doc.get("extra", {})
        if extra.get("kind") != "carrousel.finance.bundle" or not isinstance(model, QuantileForecaster):
            raise BundleError(f"{folder} is not a carrousel-finance bundle; train one with --model-dir DIR")
        try:
            scalers = {
                t: Scaler(tuple(s["mean"]), tuple(s["std"]), float(s["ret_std"]), int(s["train_end"]))
                for t, s in extra["scalers"].items()
            }
            cfg = from_dict(FinanceConfig, extra["finance_config"])
            fitted = FittedForecaster(
                model.eval(), scalers, np.asarray(extra["offsets"], np.float64), int(extra["lookback"])
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BundleError(f"{folder}/config.json is incomplete ({exc}); train the bundle again") from None
        return cls(fitted, cfg, extra.get("data", {}), extra.get("scoreboard"), extra.get("created", "?"))

    def __call__(self, history: PriceHistory) -> TickerForecast:
        """Forecasts the next ``H`` sessions after the last row of ``history``."""
        series = build_series(history.ticker, history.frame, self.config.features.indicators)
        last = len(series.close) - 1
        if last < series.first_valid + self.fitted.lookback - 1:
            raise BundleError(f"{history.ticker}: fewer rows than the lookback ({self.fitted.lookback})")
        q = self.fitted.predict(series, np.array([last]))[0]  # (H, Q)
        dates = future_sessions(series.dates[-1], self.fitted.horizon, self.config.data.calendar)
        close = float(series.close[-1])
        labels = [qlabel(x) for x in self.fitted.quantiles]
        mid = self.fitted.quantiles.index(0.5)
        rows = tuple(
            ForecastRow(
                date=str(dates[h].date()),
                step=h + 1,
                median=close * float(np.exp(q[h, mid])),
                change_pct=100.0 * float(np.expm1(q[h, mid])),
                quantiles={lab: close * float(np.exp(v)) for lab, v in zip(labels, q[h], strict=True)},
            )
            for h in range(self.fitted.horizon)
        )
        others = self._others(series, q, close)
        notes = list(history.notes)
        trained = self.data.get(history.ticker)
        if trained is None:
            notes.append(f"{history.ticker} was not in the training data of this model")
        elif str(history.end.date()) < str(trained.get("last", "")):
            notes.append(
                f"look-ahead: the model was trained on data up to {trained.get('last')}, after this "
                f"forecast's origin {history.end.date()}; it has seen the future, retrain without "
                "--model-dir to backdate"
            )
        elif trained.get("sha256") != history.sha256:
            notes.append(f"data changed since the model was trained (trained up to {trained.get('last')})")
        return TickerForecast(
            ticker=history.ticker,
            source=history.source,
            source_label=history.label,
            first_date=str(history.start.date()),
            last_date=str(history.end.date()),
            last_close=close,
            rows=rows,
            notes=tuple(notes),
            others=others,
        )

    def _others(self, series: SeriesData, network: np.ndarray, close: float) -> dict[str, tuple[float, ...]]:
        """Median price paths of the baselines (and the ensemble) from the same last close."""
        last = len(series.close) - 1
        qs, mid = self.fitted.quantiles, self.fitted.quantiles.index(0.5)
        base = {
            k: v[0]
            for k, v in baseline_forecasts(series, last, np.array([last]), self.fitted.horizon, qs).items()
        }
        base.pop("zero_return")  # same median path as the random walk
        if self.config.backtest.ensemble:
            base["ensemble"] = np.sort(
                np.mean([network, *(base[m] for m in ENSEMBLE_MEMBERS)], axis=0), axis=-1
            )
        return {k: tuple(close * float(np.exp(x)) for x in v[:, mid]) for k, v in base.items()}


@dataclass(frozen=True, eq=False)
class BacktestRun:
    """What :func:`backtest` returns."""

    config: FinanceConfig  # the configuration used
    histories: tuple[PriceHistory, ...]  # the data
    result: BacktestResult  # forecasts of every model on the test windows
    scoreboard: Scoreboard  # their scores and the verdict


@dataclass(frozen=True, eq=False)
class ForecastResult:
    """What :func:`forecast` returns; :meth:`to_dict` is the ``--json`` document."""

    config: FinanceConfig  # the configuration used (the bundle's when one was reused)
    histories: tuple[PriceHistory, ...]  # the data
    forecasts: tuple[TickerForecast, ...]  # one per ticker
    scoreboard: dict[str, Any] | None  # backtest scoreboard (JSON form), None when not run
    backtest: BacktestResult | None  # the backtest forecasts (None when reused or disabled)
    bundle_path: str | None  # where the bundle was saved or loaded from
    reused: bool  # True when a saved bundle forecast without retraining

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary: tickers, data sources and ranges, forecast rows, scoreboard, verdict."""
        sample = any(h.source == "sample" for h in self.histories)
        return {
            "tickers": [f.ticker for f in self.forecasts],
            "model": self.config.model.arch,
            "horizon": self.config.model.horizon,
            "quantiles": list(self.config.model.quantiles),
            "sample_data": sample,
            "data": [h.summary() for h in self.histories],
            "forecasts": [asdict(f) for f in self.forecasts],
            "backtest": self.scoreboard,
            "verdict": (self.scoreboard or {}).get("verdict", "not evaluated (backtest disabled)"),
            "bundle": self.bundle_path,
            "reused_bundle": self.reused,
            "config": to_dict(self.config),
        }

    def save(self, folder: str | Path) -> Path:
        """Writes ``run.json`` into ``folder`` (atomically) and returns its path."""
        path = Path(folder) / RUN_FILE
        atomic_write_text(path, json.dumps(self.to_dict(), indent=2))
        return path


def _series(histories: list[PriceHistory], cfg: FinanceConfig) -> list[SeriesData]:
    return [build_series(h.ticker, h.frame, cfg.features.indicators) for h in histories]


def backtest(cfg: FinanceConfig) -> BacktestRun:
    """Loads the data and runs the walk-forward backtest of the network and every baseline."""
    histories = load_histories(cfg.data)
    result = run_backtest(_series(histories, cfg), cfg)
    return BacktestRun(cfg, tuple(histories), result, score_backtest(result))


def forecast(
    cfg: FinanceConfig, model_dir: str | Path | None = None, out_dir: str | Path | None = None
) -> ForecastResult:
    """Forecasts the next ``horizon`` sessions of every ticker, with a backtest scoreboard.

    Args:
        cfg: the run configuration.
        model_dir: a bundle folder: reused without retraining when it holds one, else written after training.
        out_dir: when given, ``run.json`` and the bundle (``model/``) are written there.

    Returns:
        A :class:`ForecastResult`.
    """
    histories = load_histories(cfg.data)
    bundle_path: Path | None = Path(model_dir) if model_dir else None
    run_folder = bundle_path is not None and not ForecasterBundle.exists(bundle_path)
    if run_folder and bundle_path is not None and ForecasterBundle.exists(bundle_path / "model"):
        bundle_path = bundle_path / "model"  # a run folder written with --out holds its bundle in model/
    if bundle_path is not None and ForecasterBundle.exists(bundle_path):
        bundle = ForecasterBundle.from_pretrained(bundle_path)
        logger.info("reusing the forecaster in %s (trained %s); no retraining", bundle_path, bundle.created)
        if (cfg.model, cfg.features) != (bundle.config.model, bundle.config.features):
            logger.warning(
                "%s holds a model trained with other settings (%s, horizon %d); using it as saved, "
                "remove the folder or pick another --model-dir to train with the new settings",
                bundle_path, bundle.config.model.arch, bundle.config.model.horizon,
            )  # fmt: skip
        bundle_cfg = replace(bundle.config, data=cfg.data)
        forecasts = tuple(bundle(h) for h in histories)
        reused = ForecastResult(
            bundle_cfg, tuple(histories), forecasts, bundle.scoreboard, None, str(bundle_path), True
        )
        if out_dir is not None:
            reused.save(out_dir)
        return reused
    series = _series(histories, cfg)
    bt: BacktestResult | None = None
    board: dict[str, Any] | None = None
    if cfg.backtest.enabled:
        bt = run_backtest(series, cfg)
        board = score_backtest(bt).to_dict()
        logger.info("%s", board["verdict"])
    logger.info("fitting the final model on all data")
    fitted = fit_at(series, {s.ticker: len(s.close) - 1 for s in series}, cfg)
    data = {
        h.ticker: {
            "sha256": h.sha256,
            "first": str(h.start.date()),
            "last": str(h.end.date()),
            "source": h.source,
        }
        for h in histories
    }
    bundle = ForecasterBundle(fitted, cfg, data, board)
    if bundle_path is None and out_dir is not None:
        bundle_path = Path(out_dir) / "model"
    if bundle_path is not None:
        bundle.save(bundle_path)
        logger.info("saved the forecaster to %s", bundle_path)
    forecasts = tuple(bundle(h) for h in histories)
    result = ForecastResult(
        cfg, tuple(histories), forecasts, board, bt, str(bundle_path) if bundle_path else None, False
    )
    if out_dir is not None:
        result.save(out_dir)
    return result
