"""Reading the labels of evaluation data as a model's labels.

Human-rated sets come labelled ``pos``/``neg``, ``0``/``1``, ``Positive``/``Negative``, 1..5 stars,
``neutral``... while a model knows its own names (the shipped one: ``negative``, ``positive``).
:func:`resolve_labels` maps the data's labels onto the model's: by an explicit map (``--label-map
"pos=positive,neg=negative"``; ``3=-`` drops the rows labelled 3, while ``'neg="-"'`` maps to a model
label that is literally ``-``; ``1..2=negative`` maps a range of whole numbers), or, when no map is given and some data labels are unknown, by one of two fixed readings of a
negative/positive (or negative/neutral/positive) model's labels, each said in one warning:

- words (case-insensitive): ``neg``/``negative``, ``pos``/``positive``, ``neutral``; and ``0``/``1``,
  ``-1``/``1`` when the model's labels are exactly a negative/positive pair;
- whole-number grades on a known scale (1..5 stars, 1..10 ratings, 0..4 SST-5, -1..1; see
  :mod:`carrousel.nlp.label_scales`): low negative, high positive, the middle neutral.

``neutral`` rows (the word, or a scale's middle) are dropped for a model without a neutral class; the
warning counts them. Scores (``0.73``, ``-0.5``) are never guessed, nor whole numbers on no known scale.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from carrousel.core.option_names import option
from carrousel.core.text import name_some
from carrousel.nlp.errors import LabelMismatchError
from carrousel.nlp.label_scales import DROP, Scale, drops, fitting_maps, read_scale, whole

__all__ = ["DROP", "LabelMapError", "LabelReading", "format_label_map", "parse_label_map", "resolve_labels"]

logger = logging.getLogger(__name__)

# the fixed table: each word (lower case) and the polarity it names
_WORDS = {
    "negative": "negative",
    "neg": "negative",
    "positive": "positive",
    "pos": "positive",
    "neutral": "neutral",
}
# numbers: read as a polarity only when the model's labels are exactly a negative/positive pair
_NUMBERS = {"0": "negative", "-1": "negative", "1": "positive", "+1": "positive"}
_RANGE = re.compile(r"([+-]?\d+)\.\.([+-]?\d+)")


class LabelMapError(LabelMismatchError):
    """A label map given by the user is malformed or does not fit the data and the model."""


@dataclass(frozen=True)
class LabelReading:
    """The data's labels as a model's: what :func:`resolve_labels` returns."""

    labels: list[str | None]  # one per row: the model's label, None when the row is dropped
    mapping: dict[str, str] | None  # data label -> model label or DROP ("-"); None: the model's own labels
    rule: str | None  # how they were read: "--label-map", "words", a scale's name; None: as they are
    # the reading as a --label-map value (format_label_map; ranges where it read a range): given back, it
    # reads the same data the same way; None: the model's own labels
    written: str | None = None

    @property
    def dropped(self) -> int:
        """Rows whose label is dropped (``neutral`` for a two-class model, a map's ``-``)."""
        return sum(label is None for label in self.labels)

    def kept(self) -> list[int]:
        """Indices of the rows that are kept, in order."""
        return [i for i, label in enumerate(self.labels) if label is not None]


class _Range(str):
    """A ``--label-map`` key read as a range of whole numbers (``1..2``), told apart from a data label
    ``"1..2"`` quoted as such: equal to the plain string, so a parsed map compares as the dict it names."""

    __slots__ = ()


_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|([,=])|([^",=]+)|(")')
_QUOTE = (  # the fix named by each quoting error
    "write a label holding ',', '=' or '\"', spaces at an end, or '1..2' meant as itself in double quotes "
    '(\'"1..2"=negative\'), with \\" and \\\\ inside'
)


def _side(pieces: list[tuple[str, bool]], text: str) -> tuple[str, bool]:
    """One side of an entry: ``(label, quoted)``; a quoted label is taken as it is, unstripped."""
    while pieces and not pieces[0][1] and not pieces[0][0].strip():
        pieces = pieces[1:]
    while pieces and not pieces[-1][1] and not pieces[-1][0].strip():
        pieces = pieces[:-1]
    if len(pieces) == 1 and pieces[0][1]:
        return pieces[0][0], True
    if any(quoted for _, quoted in pieces):
        raise LabelMapError(f"{option('label_map')} {text!r} quotes part of a label; {_QUOTE}")
    return "".join(p for p, _ in pieces).strip(), False


def _entries(text: str) -> list[tuple[tuple[str, bool], tuple[str, bool] | None, str]]:
    """``(source, target or None when no '=', the entry as written)`` of each comma-separated entry."""
    entries: list[tuple[tuple[str, bool], tuple[str, bool] | None, str]] = []
    sides: list[list[tuple[str, bool]]] = [[]]
    begun = 0
    for m in _TOKEN.finditer(text + ","):
        quoted, sep, plain, stray = m.groups()
        if stray is not None:
            raise LabelMapError(f"{option('label_map')} {text!r} has an unclosed quote; {_QUOTE}")
        if sep == ",":
            source = _side(sides[0], text)
            target = _side(sides[1], text) if len(sides) > 1 else None
            entries.append((source, target, text[begun : m.start()].strip()))
            sides, begun = [[]], m.end()
        elif sep == "=" and len(sides) == 1:
            sides.append([])
        elif quoted is not None:
            sides[-1].append((re.sub(r"\\(.)", r"\1", quoted), True))
        else:
            sides[-1].append((sep or plain, False))
    return entries


def parse_label_map(text: str) -> dict[str, str]:
    """``"pos=positive,neg=negative"`` as ``{"pos": "positive", "neg": "negative"}``; ``"3=-"`` drops the
    rows labelled 3 (:data:`DROP`), while ``'3="-"'`` maps them to a model label ``-``; ``"1..2=negative"`` maps the whole numbers 1 and 2. A label in double quotes is taken
    as it is (``'"1..2"=negative'``, ``'"a, b"=positive'``; ``\\"`` and ``\\\\`` inside), as
    :func:`format_label_map` writes one that would read otherwise.

    Raises:
        LabelMapError: an entry is not ``DATA=MODEL``, a data label is given twice (a range holding a
            number given alone or in another range too), a range runs backwards, or a quote is unclosed.
    """
    mapping: dict[str, str] = {}
    spans: list[tuple[int, int, str]] = []
    for (source, literal), target_side, entry in _entries(text):
        target, quoted_target = target_side or ("", False)
        if target_side is None or (not source and not literal) or (not target and not quoted_target):
            raise LabelMapError(
                f"{option('label_map')} entry {entry!r} is not DATA=MODEL; give e.g. 'pos=positive,neg=negative' "
                "('3=-' drops the rows labelled 3)"
            )
        if source in mapping:
            raise LabelMapError(f"{option('label_map')} maps data label {source!r} twice; give it once")
        if not literal and (m := _RANGE.fullmatch(source)):
            lo, hi = int(m.group(1)), int(m.group(2))
            if lo > hi:
                raise LabelMapError(
                    f"{option('label_map')} range {source!r} runs backwards; give LOW..HIGH ({hi}..{lo})"
                )
            spans.append((lo, hi, source))
            source = _Range(source)
        mapping[source] = DROP if target == DROP and not quoted_target else target
    for lo, hi, source in spans:
        inside = [k for k in mapping if k != source and not isinstance(k, _Range) and _in_span(k, lo, hi)]
        inside += [s for a, b, s in spans if s != source and a <= hi and lo <= b]
        if inside:
            raise LabelMapError(
                f"{option('label_map')} maps {source!r} and {inside[0]!r}, which overlap; give each once"
            )
    return mapping


def _bounds(key: str) -> tuple[int, int]:
    """The first and last whole number of a range key (``1..2``)."""
    lo, hi = key.split("..")
    return int(lo), int(hi)


def _in_span(key: str, lo: int, hi: int) -> bool:
    n = whole(key)
    return n is not None and lo <= n <= hi


def _lookup(given: Mapping[str, str], label: str) -> str | None:
    """The target of ``label`` in a parsed map: its own entry, else the range holding it."""
    if label in given:
        return given[label]
    for source, target in given.items():
        m = _RANGE.fullmatch(source) if isinstance(source, _Range) else None
        if m and _in_span(label, int(m.group(1)), int(m.group(2))):
            return target
    return None


def _written(label: str) -> str:
    """``label`` as a ``--label-map`` side: as it is, or in double quotes when it would read otherwise."""
    if (
        label
        and label == label.strip()
        and not any(c in label for c in ',="')
        and label != DROP  # a bare "-" drops rows: the label "-" is quoted (on both sides, alike)
        and (isinstance(label, _Range) or not _RANGE.fullmatch(label))  # a range read as one stays one
    ):
        return label
    return '"' + label.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_label_map(mapping: Mapping[str, str]) -> str:
    """``mapping`` (data label -> model label or :data:`DROP`, each label as it is) as a ``--label-map``
    value that :func:`parse_label_map` reads back to it: a label holding ``,``, ``=`` or ``"``, spaces at
    an end, or nothing, or reading as a range (``1..2``), or a label that is literally ``-`` (a bare ``-``
    being :data:`DROP`), is written in double quotes."""
    return ",".join(f"{_written(k)}={v if drops(v) else _written(v)}" for k, v in mapping.items())


def _polarity(label: str, numbers: bool) -> str | None:
    word = label.strip().lower()
    return _WORDS.get(word) or (_NUMBERS.get(word) if numbers else None)


def _roles(model: Sequence[str]) -> dict[str, str] | None:
    """``{polarity: model label}`` of a negative/positive or negative/neutral/positive model, else None."""
    roles = {_polarity(label, numbers=False): label for label in model}
    wanted = [{"negative", "positive"}, {"negative", "neutral", "positive"}]
    return roles if len(roles) == len(model) and set(roles) in wanted else None  # type: ignore[return-value]


def _data(source: str) -> str:
    """The labelled data as a message names it: ``data.source='x.csv'`` (Python) / ``--data x.csv`` (CLI)."""
    return option("data.source", source, "--data")


def _mismatch(found: Sequence[str], model: Sequence[str], source: str) -> str:
    return (
        f"{_data(source)} has labels {name_some(list(found), quote=True)}; the model was trained on "
        f"{', '.join(map(repr, model))}"
    )


def _unknown(found: Sequence[str], model: Sequence[str], source: str) -> LabelMismatchError:
    unknown = sorted(set(found) - set(model))
    return LabelMismatchError(
        f"{_data(source)} has labels {name_some(unknown, quote=True)} the model does not know; it was "
        f"trained on {', '.join(map(repr, model))} (check {option('label_col')}, or give {option('label_map')} 'DATA=MODEL,...')"
    )


def _scores(found: Sequence[str]) -> bool:
    """Every label a number, some not whole: scores (0.73, -0.5), which are never read as classes."""

    def number(label: str) -> float | None:
        try:
            return float(label)
        except ValueError:
            return None

    values = [number(label) for label in found]
    return all(v is not None for v in values) and any(v is None or not math.isfinite(v) or v != int(v)
                                                      for v in values)  # fmt: skip


def _automatic(
    found: Sequence[str], model: Sequence[str], source: str
) -> tuple[dict[str, str], str, str, Scale | None]:
    """``(map, rule, how it reads, the scale read)``: the word or grade reading of ``found`` as ``model``'s.

    Raises:
        LabelMismatchError: neither reading fits, or a reading would be ambiguous (the message names the
            ``--label-map`` of each reading that fits).
    """
    if _scores(found):
        raise LabelMismatchError(
            f"{_data(source)} has numeric labels such as {name_some(found[:3])}, scores rather than classes, "
            f"which are not guessed; give {option('label_map')} 'VALUE=MODEL,...' ('LOW..HIGH=MODEL' for whole numbers, "
            "'VALUE=-' to drop rows) or bin the scores into labels first"
        )
    roles = _roles(model)
    if roles is None:
        raise _unknown(found, model, source)
    middle = roles.get("neutral", DROP)
    polarities = [_polarity(label, numbers=len(model) == 2) for label in found]
    if all(p is not None for p in polarities):
        words = {label: roles.get(p, DROP) for label, p in zip(found, polarities, strict=True)}  # type: ignore[arg-type]
        kept = [t for t in words.values() if not drops(t)]
        if not kept:
            raise LabelMismatchError(
                f"every row of {_data(source)} is labelled {name_some(found, quote=True)}, which a model "
                f"without a neutral class drops; give rows labelled {' or '.join(map(repr, model))}"
            )
        if len(set(kept)) == len(kept):
            shown = ", ".join(f"{k}={v}" for k, v in words.items() if not drops(v))
            return words, "words", f"the model's: {shown}", None
    grades = [whole(label) for label in found]
    if not all(g is not None for g in grades):
        raise _unknown(found, model, source)
    values: list[int] = grades  # type: ignore[assignment]
    scale = read_scale(values)
    if scale is None:
        fixes = fitting_maps(values, roles["negative"], middle, roles["positive"])
        fix = " or ".join(fixes) if fixes else "'VALUE=MODEL,...' ('VALUE=-' drops rows)"
        raise LabelMismatchError(
            f"{_data(source)} has grades {name_some(sorted(set(values)))}, on no scale read without a map "
            "(1..5, 1..10, 0..4 and -1..1 are, when the grades reach both ends with 3 or more values); "
            f"give {option('label_map')} {fix}"
        )
    grade_map = {label: roles.get(scale.polarity(g), DROP) for label, g in zip(found, values, strict=True)}
    how = f"{scale.name}: {scale.as_map(roles['negative'], middle, roles['positive'])} ({scale.rule})"
    return grade_map, scale.name, how, scale


def _compact(mapping: Mapping[str, str], spans: Sequence[tuple[int, int, str]]) -> str:
    """``mapping`` as a ``--label-map`` value, the whole-number labels that a span ``(first, last, range)``
    of the reading holds written once as that range, in the order of their numbers, the others after."""
    out: dict[str, str] = {}
    for label, target in mapping.items():
        n = whole(label)
        span = next((key for a, b, key in spans if n is not None and a <= n <= b), None)
        out.setdefault(label if span is None else _Range(span), target)

    def order(item: tuple[int, str]) -> tuple[int, int]:
        n = whole(item[1].split("..")[0]) if isinstance(item[1], _Range) else whole(item[1])
        return (0, n) if n is not None else (1, item[0])

    keys = [k for _, k in sorted(enumerate(out), key=order)]
    return format_label_map({k: out[k] for k in keys})


def _said(mapping: Mapping[str, str], counts: Counter[str], total: int, how: str, source: str) -> None:
    """The one warning of an automatic reading: the map, and the rows it drops."""
    gone = [k for k, v in mapping.items() if drops(v)]
    drop = ""
    if gone:
        n = sum(counts[k] for k in gone)
        drop = (f"; {name_some(gone, quote=True)} dropped, the model having no neutral class: {n} of {total} "
                "rows")  # fmt: skip
    logger.warning(
        "%s labels read as %s%s (give %s to read them otherwise)",
        _data(source), how, drop, option("label_map"),
    )  # fmt: skip


def resolve_labels(
    labels: Sequence[str], model: Sequence[str], source: str, given: Mapping[str, str] | None = None
) -> LabelReading:
    """The data's ``labels`` as ``model``'s labels, with the rows to drop and the map used.

    Args:
        labels: one label per row of the data.
        model: the model's classes.
        source: the data's name, for the messages.
        given: the user's map (data label -> model label, or :data:`DROP` to drop its rows; keys
            ``LOW..HIGH`` that it read as ranges map whole numbers), as :func:`parse_label_map` returns
            it; data labels it leaves out must be the model's.

    Returns:
        The reading: per row the model's label or None (dropped), the map, the rule.

    Raises:
        LabelMapError: ``given`` names a label the model lacks, leaves a data label unknown, or drops
            every row.
        LabelMismatchError: no map given, and the data holds labels the model does not know that neither
            fixed reading reads unambiguously, or every row would be dropped.
    """
    found = sorted(set(labels))
    known = set(model)
    counts = Counter(labels)
    if given is not None:
        wrong = sorted({t for t in given.values() if t not in known and not drops(t)})
        targets = {label: _lookup(given, label) for label in found}
        left = sorted(label for label, t in targets.items() if t is None and label not in known)
        if wrong or left:
            problem = (
                f"maps to {name_some(wrong, quote=True)}, not a model label"
                if wrong
                else f"leaves {name_some(left, quote=True)} unmapped (map it, or drop its rows: '{left[0]}=-')"
            )
            raise LabelMapError(f"{option('label_map')} {problem}: {_mismatch(found, model, source)}")
        mapping = {label: t if t is not None else label for label, t in targets.items()}
        rule = "--label-map"
        spans: list[tuple[int, int, str]] = [(*_bounds(k), k) for k in given if isinstance(k, _Range)]
    elif not set(found) - known:
        return LabelReading(list(labels), None, None)
    else:
        mapping, rule, how, scale = _automatic(found, model, source)
        _said(mapping, counts, len(labels), how, source)
        spans = [(a, b, f"{a}..{b}") for a, b, _ in (scale.parts() if scale else []) if a < b]
    if all(drops(t) for t in mapping.values()):
        error = LabelMapError if given is not None else LabelMismatchError
        raise error(
            f"every row of {_data(source)} is dropped ({format_label_map(mapping)}); keep some labels"
        )
    kept = [None if drops(mapping[x]) else mapping[x] for x in labels]
    return LabelReading(kept, mapping, rule, _compact(mapping, spans))
