"""pandas DataFrames in and out, in the long layout of Darts and statsforecast: ``unique_id, ds, y``.

One row per series and date: ``unique_id`` names the series (a ticker), ``ds`` is the trading date and
``y`` the adjusted close. Optional columns ``open``, ``high``, ``low`` and ``volume`` (adjusted like ``y``)
feed the network's gap, body, range and volume inputs; a frame without them still forecasts, with those
inputs set to their training means (a warning per series says so, as for a close-only CSV), so pass them for
the forecasts the backtest scored. Column names are read in any case (``Y`` is ``y``), as in a file.

* :class:`Forecaster`: ``Forecaster.from_pretrained(path).predict(df, h=5)`` -> ``unique_id, ds, p10,
  p50, p90`` (prices, one row per series and future session; ``p10_aci, p90_aci`` too when the model
  carries adaptive conformal states); ``Forecaster.fit(df, cfg)`` trains one global network on every
  series of a frame, ``.save(path)`` writes the bundle ``finance forecast --model-dir`` reads.
* :func:`cross_validation`: the walk-forward backtest of the network and every baseline on a frame ->
  ``unique_id, cutoff, ds, model, step, p10, p50, p90, y``.
* :func:`validate_frame` checks a frame at the edge: missing columns, unsorted or duplicate dates within a
  series, non-finite or non-positive prices are each one :class:`~carrousel.finance.errors.FrameError`.
* :func:`to_frame` turns loaded :class:`~carrousel.finance.data.PriceHistory` objects into such a frame.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from carrousel.core.config import as_int
from carrousel.core.device import check_inference
from carrousel.core.optional import require
from carrousel.finance.aci import aci_states
from carrousel.finance.backtest import forecast_table, run_backtest
from carrousel.finance.bundle import ForecasterBundle, qlabel
from carrousel.finance.config import FinanceConfig, for_series
from carrousel.finance.data import PriceHistory, warn_absent_inputs, warn_short_series
from carrousel.finance.errors import FrameError
from carrousel.finance.features import SeriesData, build_series, known_scalers
from carrousel.finance.panel import panel_windows
from carrousel.finance.training import fit_at
from carrousel.finance.validation import check_daily

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

REQUIRED = ("unique_id", "ds", "y")  # the columns every frame has
OPTIONAL = ("open", "high", "low", "volume")  # more inputs of the network, used when present
FRAME_LABEL = "pandas DataFrame (unique_id, ds, y)"  # the data label of series read from a frame


def validate_frame(df: object) -> pd.DataFrame:
    """Checks a ``unique_id, ds, y`` frame and returns a clean copy (``ds`` as dates, ``unique_id`` as text).

    Rows of different series may interleave; within a series dates must increase strictly, one row per
    trading day (weekly or monthly bars, a median of more than two weekdays apart, are refused). Column
    names are read in any case; true/false values are not prices.

    Raises:
        FrameError: one line naming the first problem and the fix.
    """
    if not isinstance(df, pd.DataFrame):
        raise FrameError(
            f"expected a pandas DataFrame with columns unique_id, ds, y; got {type(df).__name__}"
        )
    frame = _named(df)
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise FrameError(
            f"the frame lacks column(s) {', '.join(missing)}; it needs unique_id, ds, y (one row per series "
            f"and date), it has {', '.join(map(str, frame.columns)) or 'none'}{_index_hint(frame, missing)}"
        )
    if frame.empty:
        raise FrameError("the frame has no rows; give one row per series and date")
    keep = [*REQUIRED, *(c for c in OPTIONAL if c in frame.columns)]
    out = frame[keep].reset_index(drop=True)
    out["unique_id"] = out["unique_id"].astype(str)
    try:
        with warnings.catch_warnings():  # "could not infer format": mixed formats are parsed one by one
            warnings.simplefilter("ignore", UserWarning)
            ds = pd.to_datetime(out["ds"])
    except (ValueError, TypeError):
        raise FrameError("column ds holds values that are not dates; use e.g. 2010-01-04") from None
    if ds.isna().any():
        raise FrameError(f"column ds has {int(ds.isna().sum())} missing date(s); drop those rows")
    out["ds"] = ds.dt.tz_localize(None) if ds.dt.tz is not None else ds
    for col in keep[2:]:
        raw = out[col]  # True is not a price of 1.0: object columns are looked at value by value
        if pd.api.types.is_bool_dtype(raw) or (
            raw.dtype == object and raw.map(lambda v: isinstance(v, bool | np.bool_)).any()
        ):
            what = "volumes" if col == "volume" else "prices"
            raise FrameError(f"column {col} holds true/false values, not {what}; give {what} as numbers")
        values = pd.to_numeric(out[col], errors="coerce").astype("float64")
        bad = ~np.isfinite(values) if col == "y" else np.isinf(values)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise FrameError(
                f"column {col} has {int(bad.sum())} missing, non-numeric or infinite value(s) (first: series "
                f"{out['unique_id'][i]} on {out['ds'][i].date()}); drop or fill those rows"
            )
        if ((values <= 0) if col != "volume" else (values < 0)).any():
            i = int(np.flatnonzero(values <= 0 if col != "volume" else values < 0)[0])
            what = "prices must be positive" if col != "volume" else "volumes must not be negative"
            raise FrameError(f"column {col}: {what} (series {out['unique_id'][i]} on {out['ds'][i].date()})")
        out[col] = values
    for uid, rows in out.groupby("unique_id", sort=False):
        step = rows["ds"].diff().iloc[1:]
        if (step == pd.Timedelta(0)).any():
            when = rows["ds"].iloc[1:][(step == pd.Timedelta(0)).to_numpy()].iloc[0].date()
            raise FrameError(
                f"series {uid} has duplicate dates (first {when}); keep one row per series and date"
            )
        if (step < pd.Timedelta(0)).any():
            when = rows["ds"].iloc[1:][(step < pd.Timedelta(0)).to_numpy()].iloc[0].date()
            raise FrameError(
                f"series {uid}'s dates are not in increasing order (first out of order: {when}); "
                "sort the frame by unique_id, ds"
            )
        check_daily(pd.DatetimeIndex(rows["ds"]), f"series {uid}", FrameError)
    return out


def _named(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with its columns of :data:`REQUIRED` and :data:`OPTIONAL` stripped and in lower case (``Y`` is
    ``y``); FrameError when two name the same one."""
    ours: dict[str, object] = {}
    for col in df.columns:
        name = str(col).strip().lower()
        if name in (*REQUIRED, *OPTIONAL):
            if name in ours:
                raise FrameError(f"columns {ours[name]!r} and {col!r} both name {name}; keep one")
            ours[name] = col
    return df.rename(columns={col: name for name, col in ours.items() if col != name})


def _index_hint(df: pd.DataFrame, missing: list[str]) -> str:
    """How to move columns a frame keeps in its index into columns (``ds`` as a DatetimeIndex), or ''."""
    if set(missing) & {str(n).strip().lower() for n in df.index.names if n is not None}:
        return "; they are in its index: call df.reset_index() first"
    if "ds" in missing and isinstance(df.index, pd.DatetimeIndex):
        return "; its dates are the index: call df.rename_axis('ds').reset_index() first"
    return ""


def read_frame(path: str | Path) -> pd.DataFrame:
    """Reads and validates a long table ``unique_id, ds, y`` [+ ``open, high, low, volume``] (any case).

    ``.parquet`` files need the ``[parquet]`` extra (pyarrow); anything else is read as CSV.

    Raises:
        FrameError: a missing or unreadable file, or a malformed table.
    """
    p = Path(path)
    if not p.is_file():
        raise FrameError(f"{p}: no such file; give a CSV or Parquet table with columns unique_id, ds, y")
    parquet = p.suffix.lower() == ".parquet"
    if parquet:
        require("pyarrow", "carrousel-finance[parquet]", "Parquet tables")
    try:
        df = pd.read_parquet(p) if parquet else pd.read_csv(p)
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        kind = "Parquet" if parquet else "CSV"
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise FrameError(
            f"cannot read {p} as a {kind} table ({first}); give unique_id, ds, y columns"
        ) from None
    return validate_frame(df)  # any case: validate_frame names the columns


def frame_history(name: str, frame: pd.DataFrame) -> PriceHistory:
    """A series of a frame as a :class:`PriceHistory` (``open, high, low, close, volume`` by date; hashed)."""
    digest = hashlib.sha256(pd.util.hash_pandas_object(frame).to_numpy().tobytes()).hexdigest()
    return PriceHistory(name, frame, "frame", FRAME_LABEL, (), digest)


def _histories(df: pd.DataFrame) -> list[PriceHistory]:
    """One history per series of a validated frame (absent optional columns are NaN: unknown inputs)."""
    out = []
    for uid, rows in df.groupby("unique_id", sort=False):
        frame = pd.DataFrame(
            {c: rows[c].to_numpy() if c in rows else np.nan for c in ("open", "high", "low", "volume")}
            | {"close": rows["y"].to_numpy()},
            index=pd.DatetimeIndex(rows["ds"].to_numpy(), name="date"),
        )[["open", "high", "low", "close", "volume"]]
        out.append(frame_history(str(uid), frame))
    warn_absent_inputs(*((h.ticker, h.frame) for h in out))  # absent (NaN) or equal to y, as a CSV's
    return out


def _series(histories: list[PriceHistory], cfg: FinanceConfig) -> list[SeriesData]:
    return [build_series(h.ticker, h.frame, cfg.window.indicators) for h in histories]


def frame_series(df: pd.DataFrame, cfg: FinanceConfig) -> tuple[list[PriceHistory], list[SeriesData]]:
    """Validates a frame and builds each series' histories and arrays (features of ``cfg.window``).

    Raises:
        FrameError: a malformed frame.
    """
    histories = _histories(validate_frame(df))
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
    """Loaded histories as one frame ``unique_id, ds, y, open, high, low, volume`` (y = adjusted close)."""
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
    def from_pretrained(cls, path: str | Path, precision: str = "fp32") -> Forecaster:
        """Loads a model folder written by ``finance forecast --model-dir`` (or its run folder's ``model/``).

        Args:
            path: the model folder.
            precision: the numbers its network forecasts in: ``"fp32"``, or ``"bf16"`` autocast (the CPU
                has no float16; an exported bundle runs its own fp32/int8 ONNX file).

        Raises:
            ForecasterBundleError: the folder holds no finance forecaster, or a damaged one.
            ConfigError: a precision the CPU or an exported bundle cannot run, in one line.
        """
        bundle = ForecasterBundle.from_pretrained(path)
        check_inference(precision, torch.device("cpu"), bundle.fitted.runtime is not None)
        return cls(replace(bundle, fitted=replace(bundle.fitted, precision=precision)))

    @classmethod
    def fit(cls, df: pd.DataFrame, cfg: FinanceConfig | None = None) -> Forecaster:
        """Trains one global network on every series of ``df`` (all rows; ``cfg.data`` is not read); with
        several series, the window's global target scale and input scaling apply
        (:func:`~carrousel.finance.config.for_series`). With ``[backtest] aci_gamma > 0`` the bundle carries
        each series' adaptive conformal state, run over its validation windows
        (:func:`~carrousel.finance.aci.aci_states`, as ``train_global`` without held-out days).

        Raises:
            FrameError: a malformed frame.
            PriceDataError: too little data for the window spec.
        """
        cfg = cfg if cfg is not None else FinanceConfig()
        histories, series = frame_series(df, cfg)
        cfg = for_series(cfg, len(series))
        cuts = {s.ticker: len(s.close) - 1 for s in series}
        with quiet_missing():
            panel = panel_windows(series, cuts, cfg)
            fitted = fit_at(series, cuts, cfg, panel)
        fitted.scalers = known_scalers(fitted.scalers)
        states = aci_states(fitted, series, panel.first_val_origins(), cuts, cfg.backtest.aci_gamma)
        return cls(ForecasterBundle.trained(fitted, cfg, histories, None, states))

    @property
    def horizon(self) -> int:
        """Trading days the network forecasts (its ``H``)."""
        return self.bundle.fitted.horizon

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
            future session (exchange calendar: weekends and holidays skipped), in the frame's series order.
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
            histories = _histories(validate_frame(df))
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
            {"unique_id": u, "reason": "too short", "rows": n, "need": need} for u, n in short
        ]
        return out

    def _aci_columns(self, aci: tuple[dict[str, float], ...], step: int) -> dict[str, float]:
        """``{"p10_aci": ..., "p90_aci": ...}`` of one step (NaN without a continued state; none at all for
        a model without ACI states)."""
        if not self.bundle.aci or self.bundle.config.backtest.aci_gamma <= 0:
            return {}
        labels = [qlabel(q) for q in self.bundle.fitted.quantiles if q != 0.5]
        return {f"{lab}_aci": aci[step][lab] if aci else float("nan") for lab in labels}


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
        ``forecasts.csv``.

    Raises:
        FrameError: a malformed frame, or an ``h`` that is not an integer.
        PriceDataError: too little data for the backtest asked for.
    """
    cfg = cfg if cfg is not None else FinanceConfig()
    if h is not None:
        cfg = replace(cfg, window=replace(cfg.window, horizon=as_int(h, "h", FrameError, cfg.window.horizon)))
    series = _series(_histories(validate_frame(df)), cfg)
    with quiet_missing():
        table = forecast_table(run_backtest(series, cfg))
    for col in ("cutoff", "ds"):
        table[col] = pd.to_datetime(table[col])
    return table
