"""The configuration of a ``finance forecast`` or ``finance backtest`` run, built once from its flags
(:func:`build_config`)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import typer

from carrousel.core.config import TomlDocument
from carrousel.core.export import InferencePrecision
from carrousel.finance.cli._common import pick
from carrousel.finance.cli._unused import typed_tickers
from carrousel.finance.config import Arch, FinanceConfig, ModelConfig, Source, TrainWindow, load_config
from carrousel.finance.errors import FinanceConfigError

__all__ = ["build_config"]


def _quantiles(values: list[str] | None) -> tuple[float, ...] | None:
    if not values:
        return None
    try:
        levels = tuple(float(v) for item in values for v in item.replace(" ", ",").split(",") if v)
    except ValueError:
        raise typer.BadParameter(
            f"{' '.join(values)} is not a list of numbers; use e.g. 0.1,0.5,0.9", param_hint="'--quantiles'"
        ) from None
    try:  # the model's own checks (each level in (0, 1), one besides the median), typed alone: exit 2
        ModelConfig(quantiles=levels)
    except FinanceConfigError as e:
        raise typer.BadParameter(str(e), param_hint="'--quantiles'") from None
    return levels


def build_config(
    tickers: list[str] | None,
    *,
    source: Source | None = None,
    csv: Path | None = None,
    start: str | None = None,
    end: str | None = None,
    lookback: int | None = None,
    horizon: int | None = None,
    indicators: bool | None = None,
    arch: Arch | None = None,
    quantiles: list[str] | None = None,
    hidden: int | None = None,
    members: int | None = None,
    epochs: int | None = None,
    device: str | None = None,
    precision: InferencePrecision | None = None,
    seed: int | None = None,
    test_days: int | None = None,
    refit_every: int | None = None,
    window: TrainWindow | None = None,
    conformal: bool | None = None,
    ensemble: bool | None = None,
    enabled: bool | None = None,
    config: Path | TomlDocument | None = None,
    saved: FinanceConfig | None = None,
    calendar: str | None = None,
) -> FinanceConfig:
    """The run's configuration, built once: base (defaults or the saved model's settings) <- TOML <- flags.
    A CSV file (``--csv``, or the file's ``[data] csv_path``) with the source ``auto`` makes it ``csv``, as
    ``--csv`` implies ``--source csv``; beside another source,
    :func:`~carrousel.finance.cli._unused.refuse_unused` refuses it."""
    base = FinanceConfig()
    if saved is not None:  # reusing a model: its window and network are the defaults
        base = replace(base, window=saved.window, model=saved.model)
    if csv is not None:  # completes a file's [data] source = "csv" that names no csv_path
        base = replace(base, data=replace(base.data, csv_path=str(csv)))
    base = load_config(config, base)
    d, w, m, t, b = base.data, base.window, base.model, base.train, base.backtest
    csv_path = str(csv) if csv is not None else d.csv_path
    symbols = typed_tickers(tickers, config, d.tickers, csv_path)  # none typed: the file's, or a usage error
    read = "csv" if csv is not None and source in (None, Source.auto) else pick(source, d.source)
    return FinanceConfig(
        data=replace(
            d,
            tickers=symbols,
            source="csv" if read == Source.auto.value and csv_path else read,
            csv_path=csv_path,
            start=pick(start, d.start),
            end=pick(end, d.end),
            calendar=pick(calendar, d.calendar),
        ),
        window=replace(
            w,
            lookback=pick(lookback, w.lookback),
            horizon=pick(horizon, w.horizon),
            indicators=pick(indicators, w.indicators),
        ),
        model=replace(
            m,
            arch=pick(arch, m.arch),
            quantiles=pick(_quantiles(quantiles), m.quantiles),
            hidden_size=pick(hidden, m.hidden_size),
            members=pick(members, m.members),
        ),
        train=replace(
            t,
            epochs=pick(epochs, t.epochs),
            device=pick(device, t.device),
            seed=pick(seed, t.seed),
            precision=pick(precision, t.precision),
        ),
        backtest=replace(
            b,
            test_days=pick(test_days, b.test_days),
            refit_every=pick(refit_every, b.refit_every),
            window=pick(window, b.window),
            conformal=pick(conformal, b.conformal),
            ensemble=pick(ensemble, b.ensemble),
            enabled=pick(enabled, b.enabled),
        ),
    )
