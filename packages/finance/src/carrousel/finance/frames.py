"""pandas DataFrames in and out, in the long layout of Darts and statsforecast: ``unique_id, ds, y``.

One row per series and date: ``unique_id`` names the series (a ticker), ``ds`` is the trading date and
``y`` the close (best the adjusted close: the checks warn of split jumps). Optional columns ``open``, ``high``, ``low`` and ``volume`` (adjusted like ``y``)
feed the network's gap, body, range and volume inputs; a frame without them still forecasts, with those
inputs set to their training means (a warning per series says so, as for a close-only CSV), so pass them for
the forecasts the backtest scored. Column names are read in any case (``Y`` is ``y``), as in a file.

* :class:`Forecaster`: ``Forecaster.from_pretrained(path).predict(df, h=5)`` -> ``unique_id, ds, p10,
  p50, p90`` (prices, one row per series and future session; ``p10_aci, p90_aci`` too when the model
  carries adaptive conformal states); ``Forecaster.fit(df, cfg)`` trains one global network on every
  series of a frame, ``.save(path)`` writes the bundle ``finance forecast --model-dir`` reads.
* :func:`cross_validation`: the walk-forward backtest of the network and every baseline on a frame ->
  ``unique_id, cutoff, ds, model, step, p10, p50, p90, y``.
* :func:`validate_frame` checks a frame at the edge: missing columns, duplicate dates (unsorted rows: sorted) within a
  series, non-finite or non-positive prices are each one :class:`~carrousel.finance.errors.FrameError`;
  :func:`read_frame` reads and checks one from a file (both live in :mod:`carrousel.finance.frame_check`);
  both also read yfinance's multi-ticker frame, a wide table and yfinance-named long tables
  (:func:`~carrousel.finance.frame_check.long_layout`).
* :func:`to_frame` turns loaded :class:`~carrousel.finance.data.PriceHistory` objects into such a frame.
"""

from __future__ import annotations

import hashlib
import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from carrousel.core.config import as_int
from carrousel.finance.absent_inputs import warn_absent_inputs
from carrousel.finance.aci import aci_states
from carrousel.finance.backtest import forecast_table, run_backtest
from carrousel.finance.bundle import ForecasterBundle
from carrousel.finance.calendar import FRAME_FIX, gap_warnings, warn_gaps
from carrousel.finance.calendar_pick import calendar_and_reason
from carrousel.finance.config import FinanceConfig, checked_config, for_series
from carrousel.finance.data import PriceHistory
from carrousel.finance.errors import FrameError
from carrousel.finance.features import SeriesData, build_series, known_scalers
from carrousel.finance.fitted import check_forecast_precision
from carrousel.finance.forecast_rows import qlabel
from carrousel.finance.frame_check import OPTIONAL, REQUIRED, FrameDtypes, read_frame, validate_frame
from carrousel.finance.panel import panel_windows
from carrousel.finance.series_warnings import (
    gathered_warnings,
    warn_per_series,
    warn_short_series,
    warn_untrained,
)
from carrousel.finance.training import fit_at
from carrousel.finance.validation import detect_splits

__all__ = [
    "OPTIONAL",
    "REQUIRED",
    "Forecaster",
    "cross_validation",
    "frame_history",
    "frame_series",
    "known_scalers",
    "quiet_missing",
    "read_frame",
    "to_frame",
    "validate_frame",
]

logger = logging.getLogger(__name__)

FRAME_LABEL = "pandas DataFrame (unique_id, ds, y)"  # the data label of series read from a frame


def frame_history(name: str, frame: pd.DataFrame, price: str = "close") -> PriceHistory:
    """A series of a frame as a :class:`PriceHistory` (``open, high, low, close, volume`` by date; hashed).

    Args:
        name: the series' name (its ``unique_id``).
        frame: its rows, ``open, high, low, close, volume`` by date.
        price: what ``close`` holds, as the chart's legend names it: a frame's ``y`` is the close the user
            gave, nothing says it is adjusted, so ``close`` (not
            :data:`~carrousel.finance.price_columns.ADJUSTED_CLOSE`, :class:`PriceHistory`'s default); a
            loaded history cut to fewer rows keeps its own ``price``.
    """
    digest = hashlib.sha256(pd.util.hash_pandas_object(frame).to_numpy().tobytes()).hexdigest()
    return PriceHistory(name, frame, "frame", FRAME_LABEL, (), digest, price)


def _histories(df: pd.DataFrame, calendar: str, need: int = 0) -> list[PriceHistory]:
    """One history per series of a validated frame (absent optional columns are NaN: unknown inputs), its
    dates checked against ``calendar`` (``"auto"``: each series' own, as
    :func:`~carrousel.finance.calendar_pick.resolve_calendar` picks it), the one its forecasts are dated on
    (as the loaders do: a warning for a series off that calendar or missing many of its sessions; five
    series named, the rest counted), and a warning for a series whose ``y`` jumps overnight by a common
    split ratio (unadjusted prices, :func:`~carrousel.finance.validation.detect_splits`). A series of fewer
    than ``need`` rows (one predict skips as too short) gets no warning."""
    out, gaps, jumps = [], [], []
    for uid, rows in df.groupby("unique_id", sort=False):
        frame = pd.DataFrame(
            {c: rows[c].to_numpy() if c in rows else np.nan for c in ("open", "high", "low", "volume")}
            | {"close": rows["y"].to_numpy()},
            index=pd.DatetimeIndex(rows["ds"].to_numpy(), name="date"),
        )[["open", "high", "low", "close", "volume"]]
        dates = pd.DatetimeIndex(frame.index)
        own, why = calendar_and_reason(str(uid), dates, calendar, log=True)  # "auto": this series' own
        note, warnings = gap_warnings(str(uid), dates, own, FRAME_FIX)
        out.append(replace(frame_history(str(uid), frame), notes=tuple(n for n in (why, note) if n)))
        gaps.append(warnings if len(frame) >= need else [])
        jumps.append(_split_jumps(str(uid), frame) if len(frame) >= need else [])
    warn_gaps(gaps, calendar, FRAME_FIX)
    warn_per_series(logger, jumps, "jump as at an unadjusted split too; give the adjusted close as y")
    kept = ((h.ticker, h.frame) for h in out if len(h.frame) >= need)
    warn_absent_inputs(*kept)  # absent (NaN) or equal to y, as a CSV's
    return out


def _split_jumps(name: str, frame: pd.DataFrame) -> list[str]:
    """The warning of a series whose close jumps overnight as at an unadjusted split (empty: none does)."""
    found = detect_splits(frame["close"], frame["open"] if frame["open"].notna().all() else None)
    if not found:
        return []
    (date, ratio), more = found[0], f" (and {len(found) - 1} more such jump(s))" if len(found) > 1 else ""
    move = f"falls to 1/{ratio:g}" if ratio > 1 else f"rises {1 / ratio:g}x"
    return [
        f"{name}: y {move} overnight on {date.date()}{more}, as at an unadjusted split; the network and the "
        "scores read it as a real move: give the adjusted close as y (or rescale the rows before it)"
    ]


def _series(histories: list[PriceHistory], cfg: FinanceConfig) -> list[SeriesData]:
    return [build_series(h.ticker, h.frame, cfg.window.indicators) for h in histories]


def frame_series(df: pd.DataFrame, cfg: FinanceConfig) -> tuple[list[PriceHistory], list[SeriesData]]:
    """Validates a frame and builds each series' histories and arrays (features of ``cfg.window``).

    Raises:
        FrameError: a malformed frame.
    """
    histories = _histories(validate_frame(df), cfg.data.calendar)
    with quiet_missing():
        return histories, _series(histories, cfg)


@contextmanager
def quiet_missing() -> Iterator[None]:
    """Silences NumPy's all-NaN warnings: an absent column gives NaN scaler statistics (inputs scaled to 0)."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="(Mean of empty slice|Degrees of freedom)", category=RuntimeWarning
        )
        yield


def to_frame(histories: list[PriceHistory]) -> pd.DataFrame:
    """Loaded histories as one frame ``unique_id, ds, y, open, high, low, volume`` (y = each history's
    ``close``: the price its ``price`` names, adjusted close or close)."""
    parts = [
        pd.DataFrame(
            {"unique_id": h.ticker, "ds": pd.DatetimeIndex(h.frame.index), "y": h.frame["close"].to_numpy()}
            | {c: h.frame[c].to_numpy() for c in OPTIONAL}
        )
        for h in histories
    ]
    return pd.concat(parts, ignore_index=True)


@dataclass(frozen=True, eq=False)
class Forecaster:
    """A trained forecaster that reads and returns DataFrames (see the module docstring).

    Attributes:
        bundle: the saved-model form (:class:`~carrousel.finance.bundle.ForecasterBundle`).
    """

    bundle: ForecasterBundle

    @classmethod
    def from_pretrained(
        cls, path: str | Path, precision: str = "fp32", calendar: str | None = None
    ) -> Forecaster:
        """Loads a model folder written by ``finance forecast --model-dir`` (or its run folder's ``model/``).

        Args:
            path: the model folder.
            precision: the numbers its network forecasts in: ``"fp32"``, or ``"bf16"`` autocast (the CPU
                has no float16; an exported bundle runs its own fp32/int8 ONNX file).
            calendar: the exchange calendar its forecasts are dated on (``"auto"``, a code); None: the saved
                model's setting.

        Raises:
            ForecasterBundleError: the folder holds no finance forecaster, or a damaged one.
            ConfigError: a precision the CPU or an exported bundle cannot run, in one line.
        """
        bundle = ForecasterBundle.from_pretrained(path)
        check_forecast_precision(precision, bundle.fitted.runtime is not None)
        if calendar is not None:
            data = replace(bundle.config.data, calendar=calendar)
            bundle = replace(bundle, config=replace(bundle.config, data=data))
        return cls(replace(bundle, fitted=replace(bundle.fitted, precision=precision)))

    @classmethod
    @gathered_warnings()
    def fit(cls, df: pd.DataFrame, cfg: FinanceConfig | None = None) -> Forecaster:
        """Trains one global network on every series of ``df`` (all rows; ``cfg.data`` is not read); with
        several series, the window's global target scale and input scaling apply
        (:func:`~carrousel.finance.config.for_series`). With ``[backtest] aci_gamma > 0`` the bundle carries
        each series' adaptive conformal state, run over its validation windows
        (:func:`~carrousel.finance.aci.aci_states`, as ``train_global`` without held-out days). A series too
        short for a training window is left out, named in one warning, and not recorded as trained on.
        The bundle carries the run record of a global model (``run``: no table, no held-out days), so its
        saved config holds what ``train-global`` records (:func:`~carrousel.finance.global_record.recorded_config`).

        Raises:
            FrameError: a malformed frame.
            PriceDataError: too little data for the window spec.
        """
        cfg = checked_config(cfg)  # a dict or a path: one line naming how to build a FinanceConfig
        histories, series = frame_series(df, cfg)
        cfg = for_series(cfg, len(series))
        cuts = {s.ticker: len(s.close) - 1 for s in series}
        with quiet_missing():
            panel = panel_windows(series, cuts, cfg)
            fitted = fit_at(series, cuts, cfg, panel)
        fitted.scalers = known_scalers(fitted.scalers)
        states = aci_states(fitted, series, panel.first_val_origins(), cuts, cfg.backtest.aci_gamma)
        short = [(h.ticker, len(h.frame)) for h in histories if h.ticker not in panel.scalers]
        warn_untrained(short, len(histories), cfg.window.lookback, cfg.window.horizon)
        trained = [h for h in histories if h.ticker in panel.scalers]  # as train_global records them
        run = {"data": None, "holdout_days": 0}  # a frame, as train_global(df) records it (global_record)
        return cls(ForecasterBundle.trained(fitted, cfg, trained, None, states, run))

    @property
    def horizon(self) -> int:
        """Trading days the network forecasts (its ``H``)."""
        return self.bundle.fitted.horizon

    def __repr__(self) -> str:
        """One line a notebook shows (before: the dataclass repr of the whole bundle, network, per-series
        scalers and arrays, thousands of characters)."""
        fitted, names = self.bundle.fitted, list(self.bundle.fitted.scalers)
        shown = ", ".join(map(repr, names[:3])) + (f", ... ({len(names)} in all)" if len(names) > 3 else "")
        model = self.bundle.config.model
        return (
            f"Forecaster(series=[{shown}], horizon={fitted.horizon}, lookback={fitted.window.lookback}, "
            f"arch={model.arch!r}, members={model.members}, quantiles={tuple(fitted.quantiles)})"
        )

    def save(self, path: str | Path) -> Path:
        """Writes the model folder as a whole (what :meth:`from_pretrained` and ``--model-dir`` read)."""
        return self.bundle.save(path)

    def predict(self, df: pd.DataFrame, h: int | None = None) -> pd.DataFrame:
        """Forecasts the next ``h`` sessions after each series' last row.

        Args:
            df: ``unique_id, ds, y`` (+ optional ``open, high, low, volume``), many series at once; each needs
                the rows the model reads (its lookback and the returns before it): a shorter series is
                skipped, named in one warning. A series the model was not trained on is scaled with its own
                history.
            h: sessions ahead, ``1..H`` (default ``H``, the horizon the model was trained for).

        Returns:
            ``unique_id, ds, p10, p50, p90`` (one column per quantile of the model), one row per series and
            future session (exchange calendar: weekends and holidays skipped), in the frame's series order;
            ``unique_id`` and ``ds`` in the dtypes of the frame's (int, text or categorical ids; timestamps
            of its unit and time zone), so that ``df.merge(pred, on="unique_id")`` works.
            When the model carries adaptive conformal states, also ``p10_aci, p90_aci`` (each quantile but
            the median, which ACI leaves unchanged): the interval recalibrated by the series' state continued
            through the frame's rows after the state's last origin (NaN for a series without a state, or
            whose frame does not reach that origin). ``.attrs["skipped"]`` lists the series skipped, each
            ``{"unique_id", "reason": "too short", "rows", "need"}`` (empty when none was).

        Raises:
            FrameError: a malformed frame, ``h`` not an integer in ``1..H``, or no series long enough.
        """
        h = self.horizon if h is None else as_int(h, "h", FrameError, self.horizon)
        if not 1 <= h <= self.horizon:
            raise FrameError(
                f"h={h} is outside 1..{self.horizon}: this model forecasts {self.horizon} sessions; "
                f"use h <= {self.horizon} or train a model with that horizon"
            )
        window = self.bundle.fitted.window
        need = window.lookback + (20 if window.indicators else 1)
        rows: list[dict[str, object]] = []
        with quiet_missing():
            histories = _histories(validate_frame(df), self.bundle.config.data.calendar, need)
            back = FrameDtypes.of(df)  # the caller's ids and dates, given back in the output
            short = [(s.ticker, len(s.frame)) for s in histories if len(s.frame) < need]
            if len(short) == len(histories):  # nothing left to forecast
                (name, n), many = short[0], len(short) > 1
                start = f"none of the {len(short)} series is long enough (series {name} has {n} row(s))"
                raise FrameError(
                    f"{start if many else f'series {name} has {n} row(s)'}; this model reads the last {need} "
                    f"(its lookback and the returns before it): give {'them' if many else 'it'} more history"
                )
            warn_short_series(short, len(histories), need)
            for history in histories:
                if len(history.frame) < need:
                    continue
                fc = self.bundle(history, baselines=False)
                rows += [
                    {"unique_id": fc.ticker, "ds": r.date, **r.quantiles, **self._aci_columns(fc.aci, i)}
                    for i, r in enumerate(fc.rows[:h])
                ]
        out = pd.DataFrame(rows)
        out["ds"] = pd.to_datetime(out["ds"])
        out.attrs["skipped"] = [
            {"unique_id": back.id(u), "reason": "too short", "rows": n, "need": need} for u, n in short
        ]
        return back.restore(out)

    def _aci_columns(self, aci: tuple[dict[str, float], ...], step: int) -> dict[str, float]:
        """``{"p10_aci": ..., "p90_aci": ...}`` of one step (NaN without a continued state; none at all for
        a model without ACI states)."""
        if not self.bundle.aci or self.bundle.config.backtest.aci_gamma <= 0:
            return {}
        labels = [qlabel(q) for q in self.bundle.fitted.quantiles if q != 0.5]
        return {f"{lab}_aci": aci[step][lab] if aci else float("nan") for lab in labels}


@gathered_warnings()  # a GARCH fit's trouble: one line per problem, not one per refit and series
def cross_validation(
    df: pd.DataFrame, cfg: FinanceConfig | None = None, h: int | None = None
) -> pd.DataFrame:
    """The walk-forward backtest of the network and every baseline on the series of a frame.

    Args:
        df: ``unique_id, ds, y`` (+ optional ``open, high, low, volume``), many series at once (one global
            network); ``cfg.data`` is not read.
        cfg: window, network, training and backtest settings (default: the defaults).
        h: sessions ahead (replaces ``cfg.window.horizon`` when given).

    Returns:
        ``unique_id, cutoff, ds, model, step, p10, p50, p90, y`` (dates as timestamps, prices), one row per
        series, forecast origin (``cutoff``), model and step; the same table as a run folder's
        ``forecasts.csv``, with ``unique_id`` and the dates in the dtypes of the frame's ``unique_id`` and
        ``ds`` (it merges with the frame on ``unique_id, ds``). ``.attrs["skipped"]`` lists the series
        left out (no refit had enough of their history to train on: a recent listing beside older series),
        each ``{"unique_id", "reason", "rows"}``, also named in one warning.

    Raises:
        FrameError: a malformed frame, or an ``h`` that is not an integer.
        PriceDataError: too little data for the backtest asked for, or no series with a backtest forecast.
    """
    cfg = checked_config(cfg)  # a dict or a path: one line naming how to build a FinanceConfig
    if h is not None:
        cfg = replace(cfg, window=replace(cfg.window, horizon=as_int(h, "h", FrameError, cfg.window.horizon)))
    series = _series(_histories(validate_frame(df), cfg.data.calendar), cfg)
    with quiet_missing():
        result = run_backtest(series, cfg)
    table = forecast_table(result)
    for col in ("cutoff", "ds"):
        table[col] = pd.to_datetime(table[col])
    back = FrameDtypes.of(df)
    rows = {s.ticker: len(s.dates) for s in series}
    out = back.restore(table, ("cutoff", "ds"))
    out.attrs["skipped"] = [
        {"unique_id": back.id(t), "reason": "no backtest forecast", "rows": rows[t]} for t in result.left_out
    ]
    return out
