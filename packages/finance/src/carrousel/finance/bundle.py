"""The saved forecaster: a core :class:`~carrousel.core.bundle.Bundle` of kind ``finance.forecaster``.

::

    model/
      bundle.json          kind finance.forecaster; module finance_forecaster_ensemble (the seed ensemble:
                           its member config, member count and base seed); assets:
                           config (the FinanceConfig, whose window section holds lookback, horizon and
                           features), scalers (per ticker), scoreboard; data: per ticker sha256/first/last/source
      model.safetensors    every member network's weights (members.0..members.N-1)
      arrays.safetensors   offsets: (H, Q) conformal offsets of the ensemble; member_offsets: (N, H, Q) each
                           member's own; log_scale, member_log_scale: the ``scale`` calibration's (if any)
                           aci.<ticker>.log_scale / recent / recent_actual: the adaptive conformal state
                           after the backtest (:mod:`carrousel.finance.aci`; asset aci: each last origin)
      assets/model.int8.onnx only in an exported bundle (``finance export``): the ensemble as ONNX (fp32 or
                           int8), which then makes the forecasts (the weights stay for backtests)

A bundle saved before seed ensembles (module sequence_regressor, no ``members`` in its settings) loads as an
ensemble of that one network.

Loading checks, beyond core's checks of files, kind, shapes and finite weights, that the network is the one
the saved settings describe and that every scaler is usable (finite, positive standard deviations), so a
tampered or mixed-up folder is one :class:`~carrousel.finance.errors.ForecasterBundleError`, never a wrong
forecast.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from carrousel.core.args import check_args
from carrousel.core.bundle import Bundle, is_bundle, load_bundle, read_manifest
from carrousel.core.config import to_dict
from carrousel.core.errors import CarrouselError
from carrousel.core.export.deploy import load_runtime
from carrousel.core.nn.heads import SequenceRegressor
from carrousel.core.option_names import option
from carrousel.core.provenance import exported_precision, fix_or_upgrade, trained_precision
from carrousel.finance.aci import aci_arrays, aci_forecast, aci_from_bundle
from carrousel.finance.backtest import ENSEMBLE_MEMBERS
from carrousel.finance.baselines import baseline_forecasts
from carrousel.finance.calendar_pick import forecast_sessions
from carrousel.finance.config import FinanceConfig
from carrousel.finance.conformal import AciState
from carrousel.finance.data import PriceHistory
from carrousel.finance.errors import ForecasterBundleError, PriceDataError
from carrousel.finance.features import Scaler, SeriesData, build_series, feature_names
from carrousel.finance.fitted import FittedForecaster
from carrousel.finance.forecast_rows import ForecastRow, TickerForecast, qlabel
from carrousel.finance.global_record import RUN_ASSET, recorded_config
from carrousel.finance.models import build_ensemble, ensemble_config, forecaster_config
from carrousel.finance.saved import saved_config as _saved_config

__all__ = ["KIND", "ForecasterBundle", "find_bundle"]

KIND = "finance.forecaster"  # the bundle kind of a saved forecaster


def find_bundle(folder: str | Path | None) -> Path | None:
    """The bundle folder ``folder`` holds: itself or its ``model/`` (a run folder); None for a new folder.

    Raises:
        ForecasterBundleError: when ``folder`` holds files but no model (it would not be overwritten).
    """
    if folder is None:
        return None
    root = Path(folder)
    for path in (root, root / "model"):
        if is_bundle(path):
            return path
    if not root.is_dir() or not any(root.iterdir()):
        return None
    try:
        read_manifest(root, KIND)  # names what the folder holds instead (an older model, no manifest...)
    except CarrouselError as exc:
        raise ForecasterBundleError(f"{option('model_dir')}: {exc}; give a new or empty folder to train a "
                                    "model into") from None  # fmt: skip
    return None  # pragma: no cover - read_manifest raises for a folder without bundle.json


def _scaler(ticker: str, doc: Any, n_features: int, fix: str = "train the model again") -> Scaler:
    """A scaler read back from a bundle; anything unusable is an error, never a division by zero. ``fix``:
    what the error says to do (the loader's :func:`~carrousel.core.provenance.fix_or_upgrade`)."""
    try:
        mean, std = [float(v) for v in doc["mean"]], [float(v) for v in doc["std"]]
        ret_std, train_end = float(doc["ret_std"]), int(doc["train_end"])
    except (KeyError, TypeError, ValueError):
        raise ForecasterBundleError(f"the scaler of {ticker} is incomplete; {fix}") from None
    if len(mean) != n_features or len(std) != n_features:
        raise ForecasterBundleError(
            f"the scaler of {ticker} has {len(std)} features, the model {n_features}; {fix}"
        )
    if not all(math.isfinite(v) for v in mean) or not all(
        math.isfinite(v) and v > 0 for v in (*std, ret_std)
    ):
        raise ForecasterBundleError(
            f"the scaler of {ticker} holds a zero, negative or non-finite standard deviation (or mean); "
            "the bundle was changed: train the model again"
        )
    return Scaler(tuple(mean), tuple(std), ret_std, train_end)


@dataclass(frozen=True, eq=False)
class ForecasterBundle:
    """A trained forecaster with its preprocessing, ready to forecast without retraining.

    Attributes:
        fitted: network, per-ticker scalers, conformal offsets and the window spec.
        config: the configuration it was trained with.
        data: per ticker: ``sha256``, ``first``/``last`` date and ``source`` of the training data.
        scoreboard: the backtest scoreboard of the training run (JSON form), or None.
        created: UTC time of training.
        aci: ticker -> the backtest's adaptive conformal state after its last test origin (empty: none).
        run: a global model's run record (``{"data": the table or None for a frame, "holdout_days"}``, saved
            as the ``run`` asset with its config as ``train-global`` records it,
            :mod:`~carrousel.finance.global_record`); None for one of ``finance forecast``.
    """

    fitted: FittedForecaster = field(repr=False)  # (the heavy fields out of the repr: a notebook line)
    config: FinanceConfig
    data: dict[str, dict[str, str]] = field(repr=False)
    scoreboard: dict[str, Any] | None = field(default=None, repr=False)
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    aci: dict[str, AciState] = field(default_factory=dict, repr=False)
    # the fitting arithmetic (assets.train.precision); None: an older non-fp32 bundle's, unknown (from_pretrained)
    trained_precision: str | None = None
    exported: str | None = None  # an exported bundle's ONNX precision (int8, fp32): its forecasts' arithmetic
    run: dict[str, Any] | None = field(default=None, repr=False)  # a global model's run record (see above)

    @classmethod
    def trained(
        cls,
        fitted: FittedForecaster,
        cfg: FinanceConfig,
        histories: list[PriceHistory],
        scoreboard: dict[str, Any] | None,
        aci: dict[str, AciState] | None = None,
        run: dict[str, Any] | None = None,
    ) -> ForecasterBundle:
        """A new bundle recording where each ticker's training data came from (``aci``: the backtest's
        adaptive conformal states, :attr:`BacktestResult.aci_states`; ``run``: a global model's record)."""
        data = {
            h.ticker: {
                "sha256": h.sha256,
                "first": str(h.start.date()),
                "last": str(h.end.date()),
                "source": h.source,
            }
            for h in histories
        }
        precision = cfg.train.precision
        return cls(fitted, cfg, data, scoreboard, aci=dict(aci or {}), trained_precision=precision, run=run)

    def to_bundle(self) -> Bundle:
        """The core bundle: network, assets (config, scalers, scoreboard, ACI origins; a global model's run
        record), arrays (offsets, ACI states), provenance."""
        aci, aci_doc = aci_arrays(self.aci)
        run = {} if self.run is None else {RUN_ASSET: dict(self.run)}
        return Bundle(
            kind=KIND,
            model=self.fitted.model,
            assets={
                "config": to_dict(self.config) if self.run is None else recorded_config(self.config),
                "scalers": {t: asdict(s) for t, s in self.fitted.scalers.items()},
                "scoreboard": self.scoreboard,
                **({"aci": aci_doc} if aci_doc is not None else {}),
                **({"train": {"precision": self.trained_precision}} if self.trained_precision else {}),
                **run,
            },
            arrays={
                "offsets": np.asarray(self.fitted.offsets, np.float64),
                "member_offsets": np.asarray(self._member_offsets(), np.float64),
                **self._log_scales(),
                **aci,
            },
            data=self.data,
            created=self.created,
        )

    def _member_offsets(self) -> np.ndarray:
        """``(N, H, Q)``: each member's offsets (the ensemble's for every member when none were kept)."""
        if self.fitted.member_offsets is not None:
            return self.fitted.member_offsets
        return np.repeat(self.fitted.offsets[None], self.fitted.members, axis=0)

    def _log_scales(self) -> dict[str, np.ndarray]:
        """The ``scale`` calibration's arrays (none when the network has no spread multipliers)."""
        one, each = self.fitted.log_scale, self.fitted.member_log_scale
        if one is None:
            return {}
        each = np.repeat(one[None], self.fitted.members, axis=0) if each is None else each
        return {"log_scale": np.asarray(one, np.float64), "member_log_scale": np.asarray(each, np.float64)}

    def save(self, folder: str | Path, also: Callable[[Path], object] | None = None) -> Path:
        """Writes the bundle folder as a whole, with the files ``also`` writes into it (see
        :meth:`carrousel.core.bundle.Bundle.save`)."""
        return self.to_bundle().save(folder, also)

    @staticmethod
    def read_config(folder: str | Path) -> FinanceConfig:
        """The configuration a saved forecaster was trained with, from its manifest (core ``bundle_pins``).

        Raises:
            ForecasterBundleError: when the folder holds no finance forecaster or its config is invalid.
        """
        try:
            doc = read_manifest(folder, KIND)
            return _saved_config(doc["assets"]["config"])
        except (CarrouselError, KeyError, TypeError) as exc:
            raise ForecasterBundleError(f"cannot load the forecaster: {exc}") from None

    @classmethod
    def from_pretrained(cls, folder: str | Path) -> ForecasterBundle:
        """Loads a bundle written by :meth:`save` (no pickle involved), on the CPU.

        Raises:
            ForecasterBundleError: when the folder is not a finance forecaster, is damaged, or its network,
                scalers or offsets do not fit its saved settings.
        """
        try:
            bundle = load_bundle(folder, kind=KIND)
        except CarrouselError as exc:
            raise ForecasterBundleError(f"cannot load the forecaster: {exc}") from None
        return cls.from_bundle(bundle, folder)

    @classmethod
    def from_bundle(cls, bundle: Bundle, where: str | Path = "the bundle") -> ForecasterBundle:
        """Checks and unpacks a loaded core bundle of kind ``finance.forecaster``."""
        fix = fix_or_upgrade(bundle, "train the model again")  # upgrade: a newer carrousel wrote it
        try:
            cfg = _saved_config(bundle.assets["config"])
            scalers_doc = dict(bundle.assets["scalers"])
            offsets = np.asarray(bundle.arrays["offsets"], np.float64)
            member_offsets = np.asarray(bundle.arrays.get("member_offsets", offsets[None]), np.float64)
            log_scale, member_log_scale = (
                None if (a := bundle.arrays.get(k)) is None else np.asarray(a, np.float64)
                for k in ("log_scale", "member_log_scale")
            )
            shape = (cfg.window.horizon, len(cfg.model.quantiles))
            aci = aci_from_bundle(bundle.arrays, bundle.assets.get("aci"), shape)
        except (CarrouselError, KeyError, TypeError, ValueError) as exc:
            raise ForecasterBundleError(f"{where} is incomplete ({exc}); {fix}") from None
        if isinstance(bundle.model, SequenceRegressor) and cfg.model.members == 1:  # saved before ensembles
            if bundle.model.config != forecaster_config(cfg.model, cfg.window):
                raise ForecasterBundleError(
                    f"the network in {where} does not match its saved settings; {fix}"
                )
            bundle = replace(bundle, model=build_ensemble([bundle.model], cfg.train.seed))
        if getattr(bundle.model, "config", None) != ensemble_config(cfg.model, cfg.window, cfg.train.seed):
            raise ForecasterBundleError(f"the network in {where} does not match its saved settings; {fix}")
        n_features = len(feature_names(cfg.window.indicators))
        scalers = {t: _scaler(t, s, n_features, fix) for t, s in scalers_doc.items()}
        members = (cfg.model.members, *shape)
        for name, array, want in (
            ("offsets", offsets, shape),
            ("log_scale", log_scale, shape),
            ("member_offsets", member_offsets, members),
            ("member_log_scale", member_log_scale, members),
        ):
            if array is not None and array.shape != want:
                raise ForecasterBundleError(
                    f"the calibration array {name} in {where} has shape {array.shape}, not {want} "
                    f"((members,) horizon, quantiles); {fix}"
                )
        model = bundle.model.to("cpu").eval()
        runtime = load_runtime(bundle)  # an exported bundle (finance export) forecasts through its ONNX file
        fitted = FittedForecaster(
            model,  # type: ignore[arg-type]
            scalers,
            offsets,
            cfg.window,
            member_offsets=member_offsets,
            runtime=runtime,
            log_scale=log_scale,
            member_log_scale=member_log_scale,
            garch_weight=cfg.backtest.garch_weight,
        )
        board = board if isinstance(board := bundle.assets.get("scoreboard"), dict) else None
        unknown = "fp32" if cfg.train.precision == "fp32" else None  # fp32 config: fitted in fp32 either way
        trained = trained_precision(bundle.assets, unrecorded=unknown)
        exported = exported_precision(bundle.assets)
        run = run if isinstance(run := bundle.assets.get(RUN_ASSET), dict) else None  # train-global's record
        return cls(fitted, cfg, dict(bundle.data), board, bundle.created, aci, trained, exported, run)

    @check_args
    def __call__(self, history: PriceHistory, baselines: bool = True) -> TickerForecast:
        """Forecasts the next ``H`` sessions after the last row of ``history``.

        Args:
            history: the series (any ticker; one not trained on is scaled with its own history).
            baselines: also the baselines' median paths (``others``); off, only the network runs (fast).
        """
        window = self.fitted.window
        series = build_series(history.ticker, history.frame, window.indicators)
        last = len(series.close) - 1
        if last < series.first_valid + window.lookback - 1:
            raise ForecasterBundleError(f"{history.ticker}: fewer rows than the lookback ({window.lookback})")
        q = self.fitted.predict(series, np.array([last]))[0]  # (H, Q)
        if not np.isfinite(q).all() or not np.isfinite(series.close[-1]):
            raise PriceDataError(
                f"{history.ticker}: the forecast is not a finite number (the last {window.lookback} days hold "
                "values the network cannot use); check the prices before the forecast origin"
            )
        setting = self.config.data.calendar  # "auto": the series' own calendar
        calendar, dates = forecast_sessions(history.ticker, series.dates, window.horizon, setting)
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
            for h in range(window.horizon)
        )
        return TickerForecast(
            ticker=history.ticker,
            source=history.source,
            source_label=history.label,
            first_date=str(history.start.date()),
            last_date=str(history.end.date()),
            last_close=close,
            rows=rows,
            notes=tuple(self._notes(history)),
            others=self._others(series, q, close) if baselines else {},
            aci=self._aci(series, close, labels),
            calendar=calendar,
        )

    def _aci(self, series: SeriesData, close: float, labels: list[str]) -> tuple[dict[str, float], ...]:
        """Price quantiles per step of the network with adaptive conformal intervals, the saved state
        continued through ``series`` (empty without a state for the ticker or rows after it)."""
        state, gamma = self.aci.get(series.ticker), self.config.backtest.aci_gamma
        q = aci_forecast(self.fitted, series, state, gamma) if state is not None and gamma > 0 else None
        if q is None:
            return ()
        return tuple({lab: close * float(np.exp(v)) for lab, v in zip(labels, row, strict=True)} for row in q)

    def _notes(self, history: PriceHistory) -> list[str]:
        """Data repairs, plus how this history relates to the data the model was trained on."""
        notes = list(history.notes)
        trained = self.data.get(history.ticker)
        if trained is None:
            notes.append(f"{history.ticker} was not in the training data of this model")
        elif str(history.end.date()) < str(trained.get("last", "")):
            notes.append(
                f"look-ahead: the model was trained on data up to {trained.get('last')}, after this "
                f"forecast's origin {history.end.date()}; it has seen the future, retrain without "
                f"{option('model_dir')} to backdate"
            )
        elif trained.get("sha256") != history.sha256:
            notes.append(f"data changed since the model was trained (trained up to {trained.get('last')})")
        return notes

    def _others(self, series: SeriesData, network: np.ndarray, close: float) -> dict[str, tuple[float, ...]]:
        """Median price paths of the baselines (and the ensemble) from the same last close."""
        last = len(series.close) - 1
        qs, mid = self.fitted.quantiles, self.fitted.quantiles.index(0.5)
        auto = self.config.backtest.auto_baselines
        paths = baseline_forecasts(series, last, np.array([last]), self.fitted.horizon, qs, auto)
        base = {k: v[0] for k, v in paths.items()}
        base.pop("zero_return")  # same median path as the random walk
        if self.config.backtest.ensemble:
            base["ensemble"] = np.sort(
                np.mean([network, *(base[m] for m in ENSEMBLE_MEMBERS)], axis=0), axis=-1
            )
        return {k: tuple(close * float(np.exp(x)) for x in v[:, mid]) for k, v in base.items()}
