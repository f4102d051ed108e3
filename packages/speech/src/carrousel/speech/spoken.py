"""How written numbers are said in English: cardinals, ordinals, digit strings, years, decades, money.

:func:`carrousel.speech.text.normalize` reads a transcript's numbers through these (training targets and
scoring alike). Each written form is read as a speaker says it where there is one clear reading:
``"1990s"`` -> ``"nineteen nineties"``, ``"$5"`` -> ``"five dollars"``, ``"£5.50"`` -> ``"five pounds
fifty"``, ``"$0.50"`` and ``"50¢"`` -> ``"fifty cents"``, ``"$2.5 million"`` -> ``"two point five million
dollars"``, ``"US$5"`` -> ``"five us dollars"``. An amount with pence or cents is as often said with them
named (``"five dollars and fifty cents"``, ``"five dollars fifty cents"``) or without its unit (``"five
fifty"``), a prefixed dollar without its country, and ``"30s"`` is a decade or thirty seconds by its context
(:func:`decades_to_words`): those are further readings, which scoring accepts as well
(:func:`carrousel.speech.text.number_readings`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from carrousel.core.args import check_args

__all__ = [
    "CURRENCIES",
    "DOLLAR_PREFIXES",
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


Pick = Callable[[tuple[int, ...]], int]  # the ways a written form can be read -> the one read

# 1990s, 1990's, '90s, 90s, 1900s, 100s, 1000s: a decade, a century or "hundreds"/"thousands" of something;
# 30s, 15s: seconds in a context that says so ("a 30s clip", "wait 30s")
_DECADE = re.compile(r"(?<![\w.,'])'?(\d+)'?s(?!\w)")
_WORD_BEFORE, _WORD_AFTER = re.compile(r"([a-z]+)[\s-]*$", re.I), re.compile(r"\s*([a-z]+)", re.I)
# "the 30s", "her early 30s", "mid-30s": a decade (or an age) first
_DECADE_BEFORE = frozenset({"the", "early", "late", "mid", "my", "your", "his", "her", "its", "our", "their"})  # fmt: skip
# "a 30s clip": seconds said as a modifier, "thirty second clip"
_SECONDS_NOUNS = frozenset({
    "clip", "clips", "video", "videos", "ad", "ads", "advert", "commercial", "spot", "trailer", "teaser",
    "intro", "segment", "sample", "snippet", "excerpt", "recording", "audio", "timeout", "delay", "pause",
    "break", "gap", "interval", "window", "limit", "countdown", "cooldown", "loop", "exposure", "test",
    "demo", "preview", "message", "voicemail"
})  # fmt: skip
# "wait 30s", "in 30s", "30s later": "thirty seconds"
_SECONDS_BEFORE = frozenset({
    "for", "every", "after", "within", "in", "wait", "waited", "took", "takes", "take", "lasts", "lasted",
    "last", "first", "next", "another", "only", "just", "about", "around", "than", "each"
})  # fmt: skip
_SECONDS_AFTER = frozenset({"later", "ago", "long", "left", "remaining", "elapsed"})
_AS_DECADE, _AS_SECONDS, _AS_SECOND = 0, 1, 2  # "30s": "thirties", "thirty seconds", "thirty second"


def _decade_words(n: int) -> str:
    if n in (100, 1000):  # "100s of people"
        return "hundreds" if n == 100 else "thousands"
    if n > 1000 and n % 100 == 0 and n % 1000:  # the 1800s, the 2100s
        return f"{number_words(n // 100)} hundreds"
    return _plural(year_words(n) or number_words(n))


def _decade(m: re.Match[str], pick: Pick) -> str:
    digits = m.group(1)
    n = int(digits)
    decade = digits[0] != "0" and not n % 10 and (10 <= n < 100 or n in (100, 1000) or 1000 < n < 10000)
    if "'" in m.group(0) or digits[0] == "0" or n >= 100:  # "'30s", "30's", "1990s", "100s": never seconds
        return f" {_decade_words(n)} " if decade else m.group(0)  # "1995s", "05s": left to the other rules
    before = _WORD_BEFORE.search(m.string, 0, m.start())
    after = _WORD_AFTER.match(m.string, m.end())
    prev, following = (w[1].lower() if w else "" for w in (before, after))
    ways: tuple[int, ...]
    if decade and prev in _DECADE_BEFORE:
        ways = (
            (_AS_DECADE, _AS_SECONDS, _AS_SECOND)
            if following in _SECONDS_NOUNS
            else (_AS_DECADE, _AS_SECONDS)
        )
    elif following in _SECONDS_NOUNS:
        ways = (_AS_SECOND, _AS_SECONDS, _AS_DECADE)
    elif prev in _SECONDS_BEFORE or following in _SECONDS_AFTER:
        ways = (_AS_SECONDS, _AS_DECADE)
    else:
        ways = (_AS_DECADE, _AS_SECONDS)
    if not decade:  # "15s", "5s": seconds where the context says so, else no clear reading
        if ways[0] == _AS_DECADE:
            return m.group(0)
        ways = tuple(w for w in ways if w != _AS_DECADE)
    way = pick(ways)
    if way == _AS_DECADE:
        return f" {_decade_words(n)} "
    return f" {number_words(n)} {'second' if way == _AS_SECOND or n == 1 else 'seconds'} "


def decades_to_words(text: str, pick: Pick = lambda ways: ways[0]) -> str:
    """Decades and round plurals in words: ``"the 1990s"`` -> ``"the nineteen nineties"``, ``"'60s"`` ->
    ``"sixties"``, ``"1800s"`` -> ``"eighteen hundreds"``, ``"2000s"`` -> ``"two thousands"``, ``"100s
    of"`` -> ``"hundreds of"`` (before: ``"nineteen ninety s"``, a letter no one says).

    A number of one or two digits then ``s`` (``"30s"``) is as often seconds: read by its context, the
    other reading kept for scoring (``pick``, as :func:`money_to_words`'s): a decade (or an age) after
    "the", "early", "late", "mid" or a possessive ("in her 30s") and in the apostrophe forms ("'30s",
    "30's"); seconds said as a modifier before a noun such as "clip", "video", "ad" or "timeout" ("a 30s
    clip": "a thirty second clip"); "thirty seconds" after "wait", "in", "for", "every", ... or before
    "later", "ago", "long"; otherwise a decade ("80s music"). A number that is no decade (``"15s"``) is
    read only where the context says seconds. (Whisper's English normaliser goes the other way, words to
    digits, keeping the suffix: "thirties" -> "30s", so it too scores every "30s" as a decade; NeMo's
    measure grammar has no bare "s" unit; NeMo's audio-based normalisation keeps an ambiguous form's
    readings and lets the audio choose, as scoring does here.)
    """
    return _DECADE.sub(lambda m: _decade(m, pick), text)


# symbol, then (singular, plural) of the unit and of its hundredth
CURRENCIES = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"),
}
# the dollars a prefix names: US$5 "five us dollars" (or "five dollars": scoring accepts either), C$5, A$5
# (lower-cased "a$5" too: the prefix, not the article; before, "A$5" read "a five")
DOLLAR_PREFIXES = {"us": "us", "c": "canadian", "ca": "canadian", "a": "australian", "au": "australian",
                   "nz": "new zealand", "hk": "hong kong"}  # fmt: skip
_AMOUNT = r"(?P<whole{0}>\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.(?P<frac{0}>\d+))?"
_SCALE = r"(?:\s?(?P<scale>thousand|million|billion|trillion)|(?P<short>k|m|mn|bn))?(?!\w)"
_SYMBOLS = "".join(map(re.escape, CURRENCIES))
_COUNTRY = "|".join(sorted(DOLLAR_PREFIXES, key=len, reverse=True))
_MONEY = re.compile(  # -$5.50, $5, $1,000, $2.5 million, $3bn, US$5, C$5.50; 5€, 5 €, 5.50 €
    rf"(?<![\w.])(?P<sign>-?)(?:(?P<country>{_COUNTRY})(?=\$))?(?P<unit>[{_SYMBOLS}])\s?{_AMOUNT.format('')}{_SCALE}"
    rf"|(?<![\w.,])(?P<sign2>-?){_AMOUNT.format('2')}\s?(?P<unit2>[{_SYMBOLS}])(?!\w)"
)
_CENTS = re.compile(rf"(?<![\w.,])(?P<sign>-?){_AMOUNT.format('')}\s?¢")  # 50¢, 99 ¢, 1¢
_SCALES_SAID = {"k": "thousand", "m": "million", "mn": "million", "bn": "billion"}
# the readings of an amount with cents: "five dollars fifty", "... and fifty cents", "... fifty cents", "five fifty"
_CENTS_SAID, _CENTS_NAMED, _CENTS_UNIT, _UNITS_UNSAID = 0, 1, 2, 3


def _decimal(n: int, frac: str | None) -> str:
    """``n`` and its decimal digits ``frac`` as said: ``(2, "5")`` -> ``"two point five"``."""
    return number_words(n) + (f" point {spell_digits(frac)}" if frac else "")


def _money(m: re.Match[str], pick: Pick) -> str:
    end = "" if m["unit"] else "2"  # the symbol before the amount, or after it
    sign, symbol, whole, frac = m[f"sign{end}"], m[f"unit{end}"], m[f"whole{end}"], m[f"frac{end}"]
    scale = None if end else m["scale"] or _SCALES_SAID.get(m["short"] or "")
    one, many, cent, cents = CURRENCIES[symbol]
    if not end and m["country"] and pick((0, 1)) == 0:  # "five us dollars", or "five dollars"
        one, many = (f"{DOLLAR_PREFIXES[m['country']]} {w}" for w in (one, many))
    n = int(whole.replace(",", ""))
    said = " minus " if sign else " "
    if scale or (frac and len(frac) != 2):  # "$2.5 million", "$2.5": a number of dollars
        return f"{said}{_decimal(n, frac)} {scale or ''} {many} "
    hundredths = int(frac or 0)
    units = f"{number_words(n)} {one if n == 1 else many}"
    if not hundredths:  # "$5", "$5.00"
        return f"{said}{units} "
    small = f"{number_words(hundredths)} {cent if hundredths == 1 else cents}"
    if not n:  # "$0.50": fifty cents
        return f"{said}{small} "
    # "$5.50": "five dollars fifty", or with the cents named, or no unit said ("five fifty"); scoring accepts
    # each. A few cents ("$1.05") are rather named: "one dollar and five cents" first, never "one five"
    if hundredths >= 10:
        way = pick((_CENTS_SAID, _CENTS_NAMED, _CENTS_UNIT, _UNITS_UNSAID))
    else:
        way = pick((_CENTS_NAMED, _CENTS_SAID, _CENTS_UNIT))
    if way == _UNITS_UNSAID:
        return f"{said}{number_words(n)} {number_words(hundredths)} "
    tail = {_CENTS_SAID: number_words(hundredths), _CENTS_NAMED: f"and {small}", _CENTS_UNIT: small}[way]
    return f"{said}{units} {tail} "


def _cents(m: re.Match[str]) -> str:
    n, frac = int(m["whole"].replace(",", "")), m["frac"]
    return (
        f"{' minus ' if m['sign'] else ' '}{_decimal(n, frac)} {'cent' if n == 1 and not frac else 'cents'} "
    )


def money_to_words(text: str, pick: Pick = lambda ways: ways[0]) -> str:
    """Amounts of money written with ``$``, ``£``, ``€`` (``US$``, ``C$``: :data:`DOLLAR_PREFIXES`) or
    ``¢`` in words, the unit where a speaker says it (before: ``"$5"`` read ``"five"``, ``"$5.50"``
    ``"five point five zero"``, ``"US$5"`` ``"us five"`` and ``"50¢"`` ``"fifty"``).

    Args:
        text: lower-cased text.
        pick: for each amount read more than one way, in order, given its ways (the first is the usual
            one): with cents or pence, 0 reads ``"five dollars fifty"``, 1 ``"five dollars and fifty
            cents"``, 2 ``"five dollars fifty cents"``, 3 ``"five fifty"``; a prefixed dollar sign first
            0 ``"us dollars"``, 1 ``"dollars"``.
    """
    return _CENTS.sub(_cents, _MONEY.sub(lambda m: _money(m, pick), text))
