"""How written numbers are said in English: cardinals, ordinals, digit strings, years, decades, money.

:func:`carrousel.speech.text.normalize` reads a transcript's numbers through these (training targets and
scoring alike). Each written form is read as a speaker says it where there is one clear reading:
``"1990s"`` -> ``"nineteen nineties"``, ``"$5"`` -> ``"five dollars"``, ``"£5.50"`` -> ``"five pounds
fifty"``, ``"$0.50"`` -> ``"fifty cents"``, ``"$2.5 million"`` -> ``"two point five million dollars"``. An
amount with pence or cents is as often said with them named (``"five dollars and fifty cents"``): that is
a second reading, which scoring accepts as well (:func:`carrousel.speech.text.number_readings`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from carrousel.core.args import check_args

__all__ = [
    "CURRENCIES",
    "decades_to_words",
    "money_to_words",
    "number_words",
    "ordinal_words",
    "spell_digits",
    "year_words",
]

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = ((10**9, "billion"), (10**6, "million"), (1000, "thousand"))


def _below_thousand(n: int, use_and: bool) -> list[str]:
    words: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        words += [_ONES[hundreds], "hundred"]
        if rest and use_and:
            words.append("and")
    if rest >= 20:
        words.append(_TENS[rest // 10])
        if rest % 10:
            words.append(_ONES[rest % 10])
    elif rest or not words:
        words.append(_ONES[rest])
    return words


@check_args
def number_words(n: int, use_and: bool = False) -> str:
    """English cardinal of ``n`` (``1205`` -> ``"one thousand two hundred five"``).

    Args:
        n: an integer with ``abs(n) < 10**12``.
        use_and: British style ``"one hundred and five"``.
    """
    if n < 0:
        return "minus " + number_words(-n, use_and)
    if n >= 10**12:
        return spell_digits(str(n))
    words: list[str] = []
    for scale, name in _SCALES:
        if n >= scale:
            words += [*_below_thousand(n // scale, use_and), name]
            n %= scale
    if n or not words:
        if words and use_and and n < 100:
            words.append("and")
        words += _below_thousand(n, use_and)
    return " ".join(words)


def spell_digits(digits: str, zero: str = "zero") -> str:
    """Digit by digit: ``"2934"`` -> ``"two nine three four"`` (``zero="oh"`` for telephone style)."""
    return " ".join(zero if d == "0" else _ONES[int(d)] for d in digits if d.isdigit())


_IRREGULAR = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
              "nine": "ninth", "twelve": "twelfth"}  # fmt: skip


@check_args
def ordinal_words(n: int) -> str:
    """English ordinal of ``n >= 0`` (``42`` -> ``"forty second"``, ``20`` -> ``"twentieth"``)."""
    *head, last = number_words(n).split()
    last = _IRREGULAR.get(last) or (last[:-1] + "ieth" if last.endswith("y") else last + "th")
    return " ".join([*head, last])


@check_args
def year_words(n: int) -> str | None:
    """How a year of 1001..2099 (not 2000) is said in pairs (``1990`` -> ``"nineteen ninety"``, ``1905`` ->
    ``"nineteen oh five"``, ``1900`` -> ``"nineteen hundred"``, ``2024`` -> ``"twenty twenty four"``); None
    for other numbers (``2000`` is said as the number)."""
    if not 1000 < n < 2100 or n == 2000:
        return None
    high, low = divmod(n, 100)
    tail = "hundred" if low == 0 else f"oh {_ONES[low]}" if low < 10 else number_words(low)
    return f"{number_words(high)} {tail}"


def _plural(words: str) -> str:
    """The plural of a number's last word: ``"nineteen ninety"`` -> ``"nineteen nineties"``."""
    *head, last = words.split()
    last = last[:-1] + "ies" if last.endswith("y") else last + "es" if last.endswith("x") else last + "s"
    return " ".join([*head, last])


# 1990s, 1990's, '90s, 90s, 1900s, 100s, 1000s: a decade, a century or "hundreds"/"thousands" of something
_DECADE = re.compile(r"(?<![\w.,'])'?(\d+)'?s(?!\w)")


def _decade(m: re.Match[str]) -> str:
    digits = m.group(1)
    n = int(digits)
    if digits[0] == "0" or n % 10 or not (10 <= n < 100 or n in (100, 1000) or 1000 < n < 10000):
        return m.group(0)  # "5s", "1995s", "05s": no clear reading, left to the other rules
    if n in (100, 1000):  # "100s of people"
        return " hundreds " if n == 100 else " thousands "
    if n > 1000 and n % 100 == 0 and n % 1000:  # the 1800s, the 2100s
        return f" {number_words(n // 100)} hundreds "
    return f" {_plural(year_words(n) or number_words(n))} "


def decades_to_words(text: str) -> str:
    """Decades and round plurals in words: ``"the 1990s"`` -> ``"the nineteen nineties"``, ``"'60s"`` ->
    ``"sixties"``, ``"1800s"`` -> ``"eighteen hundreds"``, ``"100s of"`` -> ``"hundreds of"`` (before:
    ``"nineteen ninety s"``, a letter no one says)."""
    return _DECADE.sub(_decade, text)


# symbol, then (singular, plural) of the unit and of its hundredth
CURRENCIES = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"),
}
_AMOUNT = r"(?P<whole{0}>\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.(?P<frac{0}>\d+))?"
_SCALE = r"(?:\s?(?P<scale>thousand|million|billion|trillion)|(?P<short>k|m|mn|bn))?(?!\w)"
_SYMBOLS = "".join(map(re.escape, CURRENCIES))
_MONEY = re.compile(  # -$5.50, $5, $1,000, $2.5 million, $3bn; 5€, 5 €, 5.50 €
    rf"(?<![\w.])(?P<sign>-?)(?P<unit>[{_SYMBOLS}])\s?{_AMOUNT.format('')}{_SCALE}"
    rf"|(?<![\w.,])(?P<sign2>-?){_AMOUNT.format('2')}\s?(?P<unit2>[{_SYMBOLS}])(?!\w)"
)
_SCALES_SAID = {"k": "thousand", "m": "million", "mn": "million", "bn": "billion"}
Pick = Callable[[tuple[int, ...]], int]  # the ways a written form can be read -> the one read


def _money(m: re.Match[str], pick: Pick) -> str:
    end = "" if m["unit"] else "2"  # the symbol before the amount, or after it
    sign, symbol, whole, frac = m[f"sign{end}"], m[f"unit{end}"], m[f"whole{end}"], m[f"frac{end}"]
    scale = None if end else m["scale"] or _SCALES_SAID.get(m["short"] or "")
    one, many, cent, cents = CURRENCIES[symbol]
    n = int(whole.replace(",", ""))
    said = " minus " if sign else " "
    if scale or (frac and len(frac) != 2):  # "$2.5 million", "$2.5": a number of dollars
        amount = number_words(n) + (f" point {spell_digits(frac)}" if frac else "")
        return f"{said}{amount} {scale or ''} {many} "
    hundredths = int(frac or 0)
    units = f"{number_words(n)} {one if n == 1 else many}"
    if not hundredths:  # "$5", "$5.00"
        return f"{said}{units} "
    small = f"{number_words(hundredths)} {cent if hundredths == 1 else cents}"
    if not n:  # "$0.50": fifty cents
        return f"{said}{small} "
    # "$5.50": "five dollars fifty", or with the cents named; scoring accepts either. A few cents ("$1.05")
    # are rather named: "one dollar and five cents" first
    named = pick((0, 1) if hundredths >= 10 else (1, 0))
    return f"{said}{units} {'and ' + small if named else number_words(hundredths)} "


def money_to_words(text: str, pick: Pick = lambda ways: ways[0]) -> str:
    """Amounts of money written with ``$``, ``£`` or ``€`` in words, the unit where a speaker says it
    (before: ``"$5"`` read ``"five"`` and ``"$5.50"`` ``"five point five zero"``).

    Args:
        text: lower-cased text.
        pick: for each amount with cents or pence, in order, given its ways (the first is the usual one):
            0 reads ``"five dollars fifty"``, 1 ``"five dollars and fifty cents"``.
    """
    return _MONEY.sub(lambda m: _money(m, pick), text)
