"""Price tables' cells as numbers, as the common downloads write them: ``"1,234.56"``, ``$56.14``, a volume's
``151.30M``, a ``;`` file's decimal commas (``1.234,56``, a volume's ``1.234.567``), space-grouped thousands
(``1 234 567``) and the spreadsheets' missing-value marks (``#N/A``, FRED's ``.``). The one reading of the
price files (:mod:`~carrousel.finance.price_columns`) and the frames' checks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from carrousel.core.args import check_args
from carrousel.finance.errors import PriceDataError

__all__ = ["column_numbers", "spreadsheet_gaps", "text_numbers"]

# missing-value cells: '.' is FRED's (fredgraph.csv), '#n/a' a spreadsheet's (Excel, Google Sheets' GOOGLEFINANCE)
_MISSING = ("nan", "null", "na", "n/a", ".", "#n/a", "#n/a n/a")
_CURRENCY = "$€£¥"
_SUFFIX = {"k": 1e3, "m": 1e6, "b": 1e9}  # Investing.com's volumes: 151.30M
_SPACE = "[ \u00a0\u202f]"  # thousands separators of French/Swiss/ISO exports: space, (narrow) no-break space


def spreadsheet_gaps(values: pd.Series) -> pd.Series:
    """A text column of numbers and missing-value cells (``#N/A``, blank: :data:`_MISSING`) as numbers with
    NaN; any other column as it is (a wide table's close columns, as spreadsheets export them).

    Args:
        values: one column as read.
    """
    if values.dtype != object and not isinstance(values.dtype, pd.StringDtype):  # pandas 3 reads text as str
        return values
    gap = _missing(values, values.astype(str).str.strip())
    numbers = pd.to_numeric(values.where(~gap), errors="coerce")
    return numbers if not (numbers.isna() & ~gap).any() else values


def column_numbers(values: pd.Series, col: str, decimal: str = ".") -> pd.Series:
    """A numeric column as the common downloads write it.

    Blank cells (and NaN, NA, N/A, null, and FRED's '.'; in the volume also ``-``) are missing values. A
    currency sign (``$ € £ ¥``, before or after the number) is dropped. The volume may end in ``K``, ``M``
    or ``B`` (any case: thousands, millions, billions). Separators, by the file's decimal mark:

    * ``.`` decimals (every ``,``/tab/``|`` file, and a ``;`` file without decimal commas): a ``,``
      between groups of three digits (``1,234.56``, ``12,345,678``) is a thousands separator. In a
      ``,``-separated file it can only stand in a quoted cell; unquoted, it splits the cell (the
      stray-separator error of the reader).
    * ``,`` decimals (a ``;`` file whose rows show ``1234,56``): ``1,234`` is 1.234, and ``.`` is a
      thousands separator before the decimal comma (``1.234,56``) or in two groups or more (a volume's
      ``1.234.567``, as German spreadsheets export it); ``1.234`` alone is 1.234 as before.
    * either mark: a space or a (narrow) no-break space between groups of three digits (``1 234 567``,
      ``1 234,56``) is a thousands separator.

    Any other non-number is an error naming the column, the data row and the value.

    Args:
        values: the column as read (numbers, or text).
        col: its standard name (``volume`` reads suffixes and ``-``), for the error.
        decimal: the file's decimal mark, ``.`` or ``,``.

    Raises:
        PriceDataError: a cell that holds no number.
    """
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(float)
    index, values = values.index, values.reset_index(drop=True)  # dates may repeat: positions here
    numbers, bad = _cells(values, col == "volume", decimal)
    if bad.any():
        row = int(bad.to_numpy().argmax())
        raise PriceDataError(
            f"column {col}, data row {row + 1}: {str(values.iloc[row]).strip()!r} is not a number; use plain "
            f"numbers with a '{decimal}' decimal point"
        )
    return pd.Series(numbers.to_numpy(dtype=float), index=index, name=values.name)


@check_args
def text_numbers(values: pd.Series, volume: bool = False, decimal: str = ".") -> tuple[pd.Series, pd.Series]:
    """A column as numbers, its cells read as the price files' are (``"1,234.5"``, ``"$56.14"``, a
    volume's ``"151.30M"``; ``decimal``: ``.``, or ``,`` as in a ``;`` file's ``1.234,56``), and where it
    holds no number.

    Args:
        values: the column (numbers, text or both, as an object column holds them).
        volume: read ``K``/``M``/``B`` suffixes (thousands, millions, billions) and ``-`` as a missing cell,
            as in a volume column.

    Returns:
        The numbers (float64, NaN where a cell is missing or holds no number), and a boolean mask of the
        cells that hold no number and no missing-value mark either (blank, ``NaN``, ``N/A``, ``#N/A``,
        ``null``, FRED's ``.``): those the price files' reader refuses. Both aligned with ``values``.
    """
    if pd.api.types.is_numeric_dtype(values):
        return values.astype("float64"), pd.Series(False, index=values.index)
    return _cells(values, volume, decimal)


def _cells(values: pd.Series, volume: bool, decimal: str) -> tuple[pd.Series, pd.Series]:
    """The numbers of a text column (NaN where none) and the mask of its cells that hold no number and no
    missing-value mark (:data:`_MISSING`, blank; in a volume also ``-``): the one reading of
    :func:`column_numbers` and :func:`text_numbers`."""
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    text = values.astype(str).str.strip()
    none = _missing(values, text) | (volume & (text == "-"))
    rest = numbers.isna() & ~none
    if rest.any():
        numbers[rest] = _written_numbers(text[rest], volume, decimal)
    return numbers, numbers.isna() & ~none


def _missing(values: pd.Series, text: pd.Series) -> pd.Series:
    """The cells of ``values`` (``text``: them as stripped text) that are missing values: NaN, blank or a
    missing-value mark (:data:`_MISSING`)."""
    return values.isna() | (text == "") | text.str.lower().isin(_MISSING)


def _written_numbers(text: pd.Series, volume: bool, decimal: str) -> pd.Series:
    """The numbers of cells ``pd.to_numeric`` refused (``$56.14``, ``"1,234.56"``, ``151.30M``); NaN where
    still none."""
    signs = f"[{_CURRENCY}]"
    s = text.str.replace(rf"^([-+]?)\s*{signs}\s*", r"\1", regex=True).str.replace(
        rf"\s*{signs}$", "", regex=True
    )
    scale = pd.Series(1.0, index=s.index)
    if volume:
        suffix = s.str.extract(r"^(.*\d)\s*([kKmMbB])$")
        has = suffix[0].notna()
        scale[has] = suffix.loc[has, 1].str.lower().map(_SUFFIX)
        s = s.where(~has, suffix[0])
    spaced = s.str.fullmatch(rf"[-+]?\d{{1,3}}(?:{_SPACE}\d{{3}})+(?:\{decimal}\d*)?")
    s = s.where(~spaced, s.str.replace(_SPACE, "", regex=True))  # 1 234 567, 1 234,56 (French exports)
    if decimal == ".":
        grouped = s.str.fullmatch(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
        s = s.where(~grouped, s.str.replace(",", "", regex=False))
    else:  # 1.234,56, and 1.234.567 (two '.' groups: no decimal): '.' groups thousands; 1.234 alone: 1.234
        grouped = s.str.fullmatch(r"[-+]?\d{1,3}(?:(?:\.\d{3})+,\d*|(?:\.\d{3}){2,})")
        s = s.where(~grouped, s.str.replace(".", "", regex=False))
        s = s.where(~s.str.fullmatch(r"[-+]?\d*,\d+"), s.str.replace(",", ".", regex=False))
    value = pd.to_numeric(s, errors="coerce") * scale
    return value.where(scale == 1.0, np.round(value))  # 151.30M shares: a whole number
