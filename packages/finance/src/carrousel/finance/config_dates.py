"""The dates of a :class:`~carrousel.finance.config.DataConfig` (``start``, ``end``): read from the text a
flag or a TOML file gives, or from a Python date object, as the ``YYYY-MM-DD`` text the config stores."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np

from carrousel.finance.errors import FinanceConfigError

__all__ = ["day_of", "iso_day"]


def day_of(name: str, value: str | None) -> date | None:
    """Parses a ``--start``/``--end`` value (``YYYY-MM-DD``); None stays None.

    Raises:
        FinanceConfigError: when the value is not a real calendar date in that form.
    """
    if value is None:
        return None
    try:
        return datetime.strptime(str(value).strip(), "%Y-%m-%d").date()
    except ValueError:
        raise FinanceConfigError(
            f"--{name} {value!r} is not a date; use YYYY-MM-DD, e.g. 2010-01-04"
        ) from None


def iso_day(name: str, value: object) -> str | None:
    """A ``start``/``end`` given in Python as a ``datetime.date``, a ``datetime`` (``pd.Timestamp`` too) or a
    ``np.datetime64``, as the ``YYYY-MM-DD`` text the config stores (its day); a string or None unchanged.

    Raises:
        FinanceConfigError: any other value (a number, NaT), saying how to give the date.
    """
    if value is None or isinstance(value, str):
        return value
    day = value.astype("datetime64[D]").item() if isinstance(value, np.datetime64) else value
    day = day.date() if isinstance(day, datetime) else day  # pd.NaT stays NaT, a datetime
    if isinstance(day, date) and not isinstance(day, datetime):
        return day.isoformat()
    raise FinanceConfigError(
        f"DataConfig: {name}={value!r} is not a date; give the date as 'YYYY-MM-DD', e.g. {name}='2010-01-04' "
        "(or a datetime.date)"
    )
