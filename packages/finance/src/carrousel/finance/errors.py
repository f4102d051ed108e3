"""Errors of carrousel.finance; all derive from :class:`FinanceError` <- :class:`carrousel.core.errors.CarrouselError`.

Each name says what failed and each message names the problem and the fix in one line, so the CLI prints
it as is (exit code 1). A built-in or core second parent lets callers catch them broadly too
(``except LookupError``, ``except BundleError``).
"""

from __future__ import annotations

from carrousel.core.errors import BundleError, CarrouselError, ConfigError, DataError, OutputError

__all__ = [
    "BundleMismatchError",
    "CalendarNotFoundError",
    "FinanceConfigError",
    "FinanceError",
    "ForecasterBundleError",
    "FrameError",
    "OutputPathError",
    "PriceDataError",
    "RunFileError",
    "TickerNotFoundError",
    "YahooUnreachableError",
]


class FinanceError(CarrouselError):
    """Root of the errors raised by carrousel.finance."""


class FinanceConfigError(FinanceError, ConfigError):
    """An option value of a forecast or backtest is invalid (a date, a quantile, a size, a combination)."""


class PriceDataError(FinanceError, DataError):
    """Price history is empty, too short or malformed beyond repair."""


class FrameError(PriceDataError, ValueError):
    """A pandas DataFrame given to :mod:`carrousel.finance.frames` is malformed (columns, dates, values)."""


class TickerNotFoundError(PriceDataError, LookupError):
    """The data source holds no prices for a symbol."""


class YahooUnreachableError(FinanceError, ConnectionError):
    """Yahoo Finance cannot be reached from this machine."""


class CalendarNotFoundError(FinanceError, LookupError):
    """The exchange calendar code is unknown to exchange_calendars."""


class ForecasterBundleError(FinanceError, BundleError):
    """A saved forecaster (``--model-dir``) is missing, damaged or inconsistent (e.g. a zero scaler std)."""


class BundleMismatchError(ForecasterBundleError):
    """A saved forecaster was trained with other settings than the ones requested (horizon, arch...)."""


class OutputPathError(FinanceError, OutputError):
    """An output path (``--out``, ``--model-dir``, ``--plot``) cannot be used; found before any work."""


class RunFileError(FinanceError, DataError):
    """A file given to ``finance evaluate`` is not a run.json written by ``forecast``/``backtest --out``."""
