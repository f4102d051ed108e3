"""The GARCH(1,1) baseline fits on one BLAS thread, found once per process: its quantiles do not depend on the
machine's core count (they moved by up to 1.4e-8 with the BLAS thread count), and no fit pays for a new scan
of the loaded libraries (about 9 ms each with torch loaded)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
import threadpoolctl
from arch.univariate.base import ARCHModel
from threadpoolctl import threadpool_limits

from carrousel.finance import baselines
from carrousel.finance.features import SeriesData, build_series


@pytest.fixture
def aapl(raw_aapl: pd.DataFrame) -> SeriesData:
    return build_series("AAPL", raw_aapl)


def _blas_threads() -> list[int]:
    return [p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]


def test_garch_fits_on_one_blas_thread_whatever_the_caller_allows(
    aapl: SeriesData, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[list[int]] = []
    fit = ARCHModel.fit

    def spy(self: ARCHModel, *args: Any, **kwargs: Any) -> Any:
        seen.append(_blas_threads())
        return fit(self, *args, **kwargs)

    monkeypatch.setattr(ARCHModel, "fit", spy)
    n = len(aapl.close)
    with threadpool_limits(limits=2, user_api="blas"):  # a 2-core machine's default; before: the fit ran on 2
        allowed = _blas_threads()
        assert baselines.garch_forecast(aapl, n - 100, np.arange(n - 100, n), 3, (0.1, 0.5, 0.9)) is not None
        assert _blas_threads() == allowed  # restored after the fit
    assert seen == [[1] * len(allowed)]


def test_garch_quantiles_are_the_same_bit_for_bit_on_one_blas_thread_or_two(aapl: SeriesData) -> None:
    n = len(aapl.close)
    origins = np.arange(n - 100, n)  # AAPL cut 100 days before the end: 9e-9 apart before the fix on 2 cores
    with threadpool_limits(limits=1, user_api="blas"):
        one = baselines.garch_forecast(aapl, n - 100, origins, 3, (0.1, 0.5, 0.9))
    with threadpool_limits(limits=2, user_api="blas"):
        two = baselines.garch_forecast(aapl, n - 100, origins, 3, (0.1, 0.5, 0.9))
    assert one is not None and two is not None and np.array_equal(one, two)


def test_the_blas_pools_are_found_once_not_at_every_fit(
    aapl: SeriesData, monkeypatch: pytest.MonkeyPatch
) -> None:
    scans = []
    init = threadpoolctl.ThreadpoolController.__init__

    def counting(self: threadpoolctl.ThreadpoolController) -> None:
        scans.append(1)
        init(self)

    monkeypatch.setattr(threadpoolctl.ThreadpoolController, "__init__", counting)
    baselines._blas_pools.cache_clear()
    n = len(aapl.close)
    for cut in (n - 300, n - 200, n - 100):
        baselines.garch_forecast(aapl, cut, np.arange(cut, n), 3, (0.1, 0.5, 0.9))
    assert len(scans) == 1  # a threadpool_limits(...) per fit scanned the loaded libraries three times
