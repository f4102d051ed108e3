"""The runs of carrousel.finance, the only entry the CLI calls; a Python caller gets the same files.

* :func:`forecast` ``(cfg, model_dir=, out_dir=, plot=) -> ForecastResult``: data -> walk-forward backtest
  (network + baselines, scored) -> final fit on all data -> forecast rows with exchange dates. It writes
  every output of the run: the run folder ``out_dir`` (``run.json``, ``fan_TICKER.png`` charts and the
  model bundle ``model/``, written as a whole: nothing partial on failure), the bundle ``model_dir`` and
  the ``plot`` chart(s). A ``model_dir`` holding a model is reused without retraining.
* :func:`backtest` ``(cfg, out_dir=) -> BacktestRun``: the walk-forward backtest alone (``run.json``).
* Both write ``forecasts.csv`` (or, with ``table_format="parquet"``, ``forecasts.parquet``) into the run
  folder when a backtest ran: every backtest forecast of every model (baselines included) as a long table
  ``unique_id, cutoff, ds, model, step, p10, p50, p90, y`` (prices; see ``forecast_table``).
* :class:`ForecasterBundle`: a trained forecaster saved as a core :class:`~carrousel.core.bundle.Bundle`
  of kind ``finance.forecaster``; ``ForecasterBundle.from_pretrained(path)(history)`` forecasts again.
* :func:`saved_config`: the settings of the model a ``model_dir`` holds (the CLI's defaults then).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from carrousel.core.atomic import atomic_dir, atomic_write_text
from carrousel.core.config import to_dict
from carrousel.core.files import check_output_dir
from carrousel.core.option_names import named_path, option
from carrousel.core.output_stage import staged_outputs
from carrousel.core.paths import user_path
from carrousel.core.plots import can_draw
from carrousel.core.provenance import precision_report, run_provenance
from carrousel.core.train.distributed import leave_to_rank_zero
from carrousel.finance.backtest import (
    BacktestResult,
    backtest_refits,
    forecast_table,
    run_backtest,
    short_history_fix,
)
from carrousel.finance.backtest_baselines import fit_baselines
from carrousel.finance.bundle import KIND, ForecasterBundle
from carrousel.finance.calendar_pick import AUTO
from carrousel.finance.config import FinanceConfig, checked_config, for_series
from carrousel.finance.data import PriceHistory, load_histories
from carrousel.finance.deploy import export_forecaster
from carrousel.finance.errors import FinanceConfigError, FinanceError, OutputPathError
from carrousel.finance.evaluate import Scoreboard
from carrousel.finance.features import SeriesData, build_series
from carrousel.finance.fitted import check_forecast_precision, check_training_precision
from carrousel.finance.forecast_rows import ForecastRow, TickerForecast, qlabel
from carrousel.finance.members import score_run
from carrousel.finance.plot import PLOT_EXTRA, fan_chart
from carrousel.finance.reuse import check_settings, model_in, saved_config
from carrousel.finance.runs import (
    RUN_FILE,
    check_plot,
    check_run_folder,
    check_table_format,
    table_name,
    write_table,
)
from carrousel.finance.series_warnings import gathered_warnings
from carrousel.finance.training import fit_at

__all__ = [
    "KIND",
    "BacktestRun",
    "ForecastResult",
    "ForecastRow",
    "ForecasterBundle",
    "TickerForecast",
    "backtest",
    "export_forecaster",
    "forecast",
    "qlabel",
    "saved_config",
]

logger = logging.getLogger(__name__)

MODEL_SUBDIR = "model"  # where a run folder keeps its bundle
FORECASTS_FILE = table_name("csv")  # a run folder's per-origin backtest forecasts (long table), by default


def _write_forecasts(folder: Path, bt: BacktestResult | None, table_format: str) -> None:
    if bt is not None:
        write_table(forecast_table(bt), folder / table_name(table_format))


@dataclass(frozen=True, eq=False)
class BacktestRun:
    """What :func:`backtest` returns; :meth:`to_dict` is the ``--json`` document and ``run.json``."""

    config: FinanceConfig  # the configuration used
    histories: tuple[PriceHistory, ...]  # the data
    result: BacktestResult  # forecasts of every model on the test windows
    scoreboard: Scoreboard  # their scores and the verdict

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary: tickers, data sources and ranges, scoreboard, verdict."""
        board = self.scoreboard.to_dict()
        return {
            "tickers": [h.ticker for h in self.histories],
            "model": self.config.model.arch,
            "precision": self.config.train.precision,  # the networks' arithmetic: fitting and forecasts
            "sample_data": any(h.source == "sample" for h in self.histories),
            "data": [h.summary() for h in self.histories],
            "backtest": board,
            "verdict": board["verdict"],
        }


@dataclass(frozen=True, eq=False)
class ForecastResult:
    """What :func:`forecast` returns; :meth:`to_dict` is the ``--json`` document and ``run.json``."""

    config: FinanceConfig  # the configuration used (the bundle's when one was reused)
    histories: tuple[PriceHistory, ...] = field(repr=False)  # the data (out of the repr: a notebook line)
    forecasts: tuple[TickerForecast, ...] = field(repr=False)  # one per ticker
    scoreboard: dict[str, Any] | None = field(
        repr=False
    )  # backtest scoreboard (JSON form), None when not run
    backtest: BacktestResult | None = field(repr=False)  # the backtest forecasts (None: reused or disabled)
    bundle_path: str | None  # where the bundle was saved or loaded from
    reused: bool  # True when a saved bundle forecast without retraining
    plots: tuple[str, ...] = ()  # fan charts written (one per ticker), final paths
    trained_precision: str | None = None  # a reused model's fitting arithmetic (None: not recorded)
    exported: str | None = None  # a reused exported model's ONNX precision (int8, fp32): its forecasts'
    saved_at: str | None = None  # a reused model's training time (UTC, ISO), when its scoreboard was made

    def to_dict(self) -> dict[str, Any]:
        """JSON-able summary: tickers, data sources and ranges, forecast rows, scoreboard, verdict."""
        return {
            "tickers": [f.ticker for f in self.forecasts],
            "model": self.config.model.arch,
            "horizon": self.config.window.horizon,
            "quantiles": list(self.config.model.quantiles),
            "sample_data": any(h.source == "sample" for h in self.histories),
            "data": [h.summary() for h in self.histories],
            "forecasts": [asdict(f) for f in self.forecasts],
            "backtest": self.scoreboard,
            "verdict": (self.scoreboard or {}).get("verdict", "not evaluated (backtest disabled)"),
            "bundle": self.bundle_path,
            "reused_bundle": self.reused,
            # the networks' fitting arithmetic and this run's forecasts' (config.train.precision)
            **precision_report(
                self.trained_precision if self.reused else self.config.train.precision,
                self.config.train.precision,
                self.exported,
            ),
            "config": to_dict(self.config),
            "plots": list(self.plots),
        }


def _series(histories: list[PriceHistory], cfg: FinanceConfig) -> list[SeriesData]:
    return [build_series(h.ticker, h.frame, cfg.window.indicators) for h in histories]


def _json(doc: dict[str, Any]) -> str:
    """``run.json``: the run's document and the software that wrote it (carrousel, Python, torch, numpy)."""
    try:
        return json.dumps({**doc, **run_provenance()}, indent=2, allow_nan=False)
    except ValueError:
        raise FinanceError(
            "a result holds a non-finite number, so run.json is not written; report it"
        ) from None


@gathered_warnings()  # a GARCH fit's trouble: one line per problem, not one per refit and series
def backtest(
    cfg: FinanceConfig, *, out_dir: str | Path | None = None, table_format: str = "csv"
) -> BacktestRun:
    """Loads the data and runs the walk-forward backtest of the network and every baseline.

    Args:
        cfg: the run configuration (its ``backtest.enabled`` must stay True: this call is the backtest).
        out_dir: run folder to write ``run.json`` and the forecasts table into (written as a whole; an
            earlier run there is replaced).
        table_format: ``csv`` or ``parquet`` (the ``[parquet]`` extra): the forecasts table's format.

    Raises:
        OutputPathError: before any work, when ``out_dir`` cannot be a run folder.
        FinanceConfigError: before any work, a ``cfg`` that is no :class:`FinanceConfig` (a dict), one with
            ``backtest.enabled=False`` (the CLI refuses that setting too), or an unknown ``table_format``.
        ConfigError: before any work, a ``[train] precision`` the CPU cannot run (fp16).
    """
    cfg = checked_config(cfg)  # a dict or a path: one line naming how to build a FinanceConfig
    if not cfg.backtest.enabled:  # before: ignored without a word
        raise FinanceConfigError(
            f"backtest(cfg) always runs the backtest, so {option('backtest.enabled', False)} is not used; drop it "
            "(the default is True), or call forecast(cfg) to forecast without a backtest"
        )
    out = user_path(out_dir) if out_dir is not None else None
    check_run_folder(out)
    check_table_format(table_format)
    check_forecast_precision(cfg.train.precision)
    check_training_precision(cfg.train)
    histories = load_histories(cfg.data, short_history_fix(cfg))
    cfg = for_series(cfg, len(histories))  # several tickers: the global model's window settings
    series = _series(histories, cfg)
    refits = backtest_refits(series, cfg)  # every collective step of the training, before any baseline
    baselines = fit_baselines(series, cfg, refits)  # under torchrun: each rank its share, then gathered
    leave_to_rank_zero()  # the forecasts, scores and files: rank zero's alone under torchrun
    result = run_backtest(series, cfg, refits, baselines)
    run = BacktestRun(cfg, tuple(histories), result, score_run(result))
    if out is not None:
        with atomic_dir(out) as tmp:
            atomic_write_text(tmp / RUN_FILE, _json(run.to_dict()))
            _write_forecasts(tmp, result, table_format)
        logger.info("run written to %s", out)
    return run


def _chart_paths(tickers: list[str], plot: Path | None, out: Path | None) -> list[Path]:
    """Final paths of the fan charts: ``plot`` (``NAME_TICKER.png`` for several), else ``out/fan_TICKER.png``."""
    if plot is not None:
        if len(tickers) == 1:
            return [plot]
        return [plot.with_name(f"{plot.stem}_{t}{plot.suffix}") for t in tickers]
    if out is not None:
        return [out / f"fan_{t}.png" for t in tickers]
    return []


def _inside(path: Path, out: Path | None, tmp: Path | None) -> Path:
    """Where to write ``path`` now: inside the temporary run folder when it lies in the run folder."""
    if out is None or tmp is None:
        return path
    try:
        return tmp / path.absolute().relative_to(out.absolute())
    except ValueError:
        return path


def _write_forecast(
    result: ForecastResult,
    bundle: ForecasterBundle,
    out: Path | None,
    model_dir: Path | None,
    table_format: str = "csv",
) -> None:
    """Writes charts, bundles and run.json; the run folder ``out`` appears whole or not at all, and a write
    that fails (a full disk) leaves every earlier chart, model and run folder as it was."""

    def write(tmp: Path | None) -> None:
        charted = zip(result.histories, result.forecasts, result.plots, strict=True) if result.plots else ()
        for history, fc, chart in charted:  # one chart per ticker, when asked for (--plot or --out)
            target = _inside(Path(chart), out, tmp)
            target.parent.mkdir(parents=True, exist_ok=True)
            fan_chart(history, fc, target, result.backtest)
        if model_dir is not None and not result.reused:
            bundle.save(_inside(model_dir, out, tmp))
        if tmp is not None:
            if model_dir is None or result.reused or _inside(model_dir, out, tmp) != tmp / MODEL_SUBDIR:
                bundle.save(tmp / MODEL_SUBDIR)  # a run folder holds its model
            atomic_write_text(tmp / RUN_FILE, _json(result.to_dict()))
            _write_forecasts(tmp, result.backtest, table_format)

    with staged_outputs():  # charts, --model-dir and the run folder: all in place, or (a full disk) none
        if out is None:
            write(None)
        else:
            with atomic_dir(out) as tmp:
                write(tmp)
    if out is not None:
        logger.info("run written to %s", out)
    for chart in result.plots:
        logger.info("fan chart written to %s", chart)


@gathered_warnings()
def forecast(
    cfg: FinanceConfig,
    *,
    model_dir: str | Path | None = None,
    out_dir: str | Path | None = None,
    plot: str | Path | None = None,
    table_format: str = "csv",
) -> ForecastResult:
    """Forecasts the next ``horizon`` sessions of every ticker, with a backtest scoreboard.

    Args:
        cfg: the run configuration.
        model_dir: a bundle folder: reused without retraining when it (or its ``model/``) holds one, whose
            window and network settings must then equal ``cfg``'s; else the trained model is saved there.
        out_dir: run folder: ``run.json``, ``fan_TICKER.png`` (unless ``plot``) and the bundle ``model/``,
            written as a whole (an earlier run folder there is replaced; nothing partial on failure).
        plot: fan chart PNG path (``NAME_TICKER.png`` per ticker when there are several).
        table_format: ``csv`` or ``parquet``: the format of the run folder's backtest forecasts table.

    Returns:
        A :class:`ForecastResult`.

    Raises:
        FinanceConfigError: before any work, a ``cfg`` that is no :class:`FinanceConfig` (a dict, a path).
        OutputPathError: before any work, when an output path cannot be used.
        BundleMismatchError: when the saved model in ``model_dir`` has other window/network settings.
        ConfigError: a ``[train] precision`` the CPU (fp16) or an exported model (bf16, fp16) cannot run.
    """
    cfg = checked_config(cfg)  # a dict or a path: one line naming how to build a FinanceConfig
    out = user_path(out_dir) if out_dir is not None else None
    models = user_path(model_dir) if model_dir is not None else None
    plot_path = user_path(plot) if plot is not None else None
    check_run_folder(out)
    if models is not None:
        check_output_dir(models, option("model_dir"), error=OutputPathError)
    check_plot(plot_path, len(cfg.data.tickers) or 1)
    no_fans = f"{named_path(out, option('out_dir', flag='--out'))} gets no fan charts (fan_TICKER.png)"
    drawn = out is None or plot_path is not None or can_draw(PLOT_EXTRA, no_fans)  # said before any work
    charted_out = out if drawn else None
    check_table_format(table_format)
    if models is not None and out is not None and models.absolute() == out.absolute():
        models = out / MODEL_SUBDIR  # a run folder keeps its bundle in model/
    found = model_in(models)
    saved = ForecasterBundle.from_pretrained(found) if found is not None else None
    if saved is not None and found is not None:
        check_settings(for_series(cfg, len(saved.data)), saved.config, found)
    check_forecast_precision(cfg.train.precision, saved is not None and saved.fitted.runtime is not None)
    if saved is not None and cfg.data.calendar == AUTO:  # no calendar given: the saved model's
        cfg = replace(cfg, data=replace(cfg.data, calendar=saved.config.data.calendar))
    if saved is not None:  # the run's precision and calendar, not those the model was trained with
        trained_precision = saved.trained_precision
        saved = replace(
            saved, config=replace(saved.config, data=replace(saved.config.data, calendar=cfg.data.calendar))
        )
        saved = replace(saved, fitted=replace(saved.fitted, precision=cfg.train.precision))
    else:
        check_training_precision(cfg.train)
    fix = short_history_fix(cfg) if saved is None else None  # a saved network: any min_history it accepts
    histories = load_histories(cfg.data, fix)
    charts = tuple(str(p) for p in _chart_paths([h.ticker for h in histories], plot_path, charted_out))
    if saved is not None:
        logger.info("reusing the forecaster in %s (trained %s); no retraining", found, saved.created)
        result = ForecastResult(
            replace(saved.config, data=cfg.data, train=replace(saved.config.train, precision=cfg.train.precision)),
            tuple(histories), tuple(saved(h) for h in histories),
            saved.scoreboard, None, str(found), True, charts, trained_precision, saved.exported, saved.created,
        )  # fmt: skip
        _write_forecast(result, saved, out, None, table_format)
        return result
    cfg = for_series(cfg, len(histories))  # several tickers: the global model's window settings
    series = _series(histories, cfg)
    refits = backtest_refits(series, cfg) if cfg.backtest.enabled else None
    logger.info("fitting the final model on all data")
    fitted = fit_at(series, {s.ticker: len(s.close) - 1 for s in series}, cfg)
    baselines = fit_baselines(series, cfg, refits) if refits is not None else None  # shared out, gathered
    leave_to_rank_zero()  # the last collective step is done: the rest is rank zero's alone under torchrun
    bt: BacktestResult | None = None
    board: dict[str, Any] | None = None
    if refits is not None:
        bt = run_backtest(series, cfg, refits, baselines)
        board = score_run(bt).to_dict()
        logger.info("%s", board["verdict"])
    bundle = ForecasterBundle.trained(
        fitted, cfg, histories, board, bt.aci_states if bt is not None else None
    )
    path = models if models is not None else (out / MODEL_SUBDIR if out is not None else None)
    result = ForecastResult(
        cfg, tuple(histories), tuple(bundle(h) for h in histories), board, bt,
        str(path) if path is not None else None, False, charts,
    )  # fmt: skip
    _write_forecast(result, bundle, out, models, table_format)
    return result
