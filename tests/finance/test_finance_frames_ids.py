"""``predict`` and ``cross_validation`` give a frame's ids and dates back in the caller's dtypes, so that the
caller's frame merges with their output (integer ids came back as text: ``df.merge(pred, on="unique_id")``
raised "You are trying to merge on int64 and str columns")."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from carrousel.finance.config import FinanceConfig
from carrousel.finance.data import load_histories
from carrousel.finance.frames import Forecaster, cross_validation, to_frame

NUMBERS = {"AAPL": 7, "MSFT": 3}
IDS: dict[str, Callable[[pd.Series], pd.Series]] = {
    "int": lambda s: s.map(NUMBERS).astype("int64"),
    "str": lambda s: s,
    "category": lambda s: s.astype(pd.CategoricalDtype(["MSFT", "AAPL", "UNUSED"])),
}


def _as(df: pd.DataFrame, kind: str, dates: str) -> pd.DataFrame:
    ds = (
        df["ds"].astype(f"datetime64[{dates}]")
        if dates != "tz"
        else df["ds"].dt.tz_localize("America/New_York")
    )
    return df.assign(unique_id=IDS[kind](df["unique_id"]), ds=ds)


def _text(ids: pd.Series) -> list[str]:
    back = {v: k for k, v in NUMBERS.items()}
    return [back.get(v, v) for v in ids.tolist()]  # type: ignore[call-overload]


def test_predict_merges_with_the_callers_frame_for_int_str_and_categorical_ids(
    sample_source: Path, tiny_config: Callable[..., FinanceConfig]
) -> None:
    cfg = tiny_config(("AAPL", "MSFT"))
    base = to_frame(load_histories(cfg.data))
    model = Forecaster.fit(base, cfg)
    want = model.predict(base, h=2)
    for kind in IDS:
        for dates in ("ns", "us", "s", "tz"):
            df = _as(base, kind, dates)
            pred = model.predict(df, h=2)
            joined = df.groupby("unique_id", observed=True).tail(1).merge(pred, on="unique_id")
            assert len(joined) == 4 and (joined["ds_y"] > joined["ds_x"]).all(), (kind, dates)
            assert pred["unique_id"].dtype == df["unique_id"].dtype, (kind, dates)
            assert pred["ds"].dtype == df["ds"].dtype, (kind, dates)
            assert _text(pred["unique_id"]) == want["unique_id"].tolist()
            np.testing.assert_array_equal(pred["p50"], want["p50"])
            assert pred["ds"].dt.strftime("%Y-%m-%d").tolist() == want["ds"].dt.strftime("%Y-%m-%d").tolist()
    short = _as(base, "int", "us")
    short = pd.concat([short, short[short["unique_id"] == 3].tail(5).assign(unique_id=99)])
    assert model.predict(short).attrs["skipped"][0]["unique_id"] == 99  # the caller's id, not "99"


@pytest.mark.parametrize(("kind", "dates"), [("int", "ns"), ("category", "tz")])
def test_cross_validation_merges_with_the_callers_frame(
    kind: str, dates: str, sample_source: Path, tiny_config: Callable[..., FinanceConfig]
) -> None:
    cfg = tiny_config(("AAPL", "MSFT"))
    df = _as(to_frame(load_histories(cfg.data)), kind, dates)
    cv = cross_validation(df, cfg)
    joined = df[["unique_id", "ds", "y"]].merge(cv, on=["unique_id", "ds"], suffixes=("", "_cv"))
    assert len(joined) == len(cv)  # every forecast finds its day in the caller's frame
    np.testing.assert_allclose(joined["y_cv"], joined["y"], rtol=1e-12)
    for col in ("cutoff", "ds"):
        assert cv[col].dtype == df["ds"].dtype, col
    assert cv["unique_id"].dtype == df["unique_id"].dtype
