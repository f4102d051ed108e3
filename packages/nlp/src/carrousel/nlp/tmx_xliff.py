"""Translation pairs from TMX translation memories and XLIFF files (1.2 and 2.x), read as a stream.

* TMX 1.4 (what OPUS offers every corpus as, what CAT tools export translation memories as): each ``<tu>``
  gives the ``<seg>`` of its ``<tuv>`` in the source language and of the one in the target language. A
  ``<tuv>``'s language is its ``xml:lang`` (or the legacy ``lang`` of TMX 1.1), matched to ``src``/``tgt``
  without regard to case and by primary subtag (``en`` matches ``en-US`` and ``EN-GB``; an exact match wins
  over a subtag match); a unit lacking either language is skipped and counted in one log line.
* XLIFF 1.2 (``<trans-unit>``'s ``<source>``/``<target>``, languages from each ``<file>``'s
  ``source-language``/``target-language``) and 2.x (each ``<segment>``'s ``<source>``/``<target>``,
  languages from the root's ``srcLang``/``trgLang``). The file's languages must be ``src -> tgt`` (as
  above) or the reverse (then each pair is swapped); anything else is an error naming them. Untranslated
  units are skipped and counted: no or an empty target, a 1.2 target in state ``new`` or
  ``needs-translation``, a 2.x segment in state ``initial`` (as a ``.po``'s fuzzy drafts are left out).
  Translation candidates (1.2 ``<alt-trans>``, 2.x matches) are not pairs.

Inline markup keeps its text and drops the native codes: ``<hi>``, ``<g>``, ``<pc>``, ``<mrk>`` keep what
they enclose; ``<bpt>``, ``<ept>``, ``<it>``, ``<ph>``, ``<ut>`` (the formatting codes of the original
document, a ``<sub>``'s text inside them too) and the empty markers ``<x/>``, ``<bx/>``, ``<ex/>``,
``<sc/>``, ``<ec/>``, ``<sm/>``, ``<em/>`` are dropped; a 2.x ``<cp hex=".."/>`` is its character. Texts are
kept as written (whitespace too): :func:`~carrousel.nlp.parallel.clean_pairs` normalises them.

Files are parsed by the standard library's ElementTree, incrementally (each unit removed from the tree
once read, so a corpus of millions of units needs little memory); a ``.gz`` file is read through gzip. A
document type with an internal subset (``<!DOCTYPE x [...]>``: entity declarations, the way to
entity-expansion bombs) is refused before the root element is read; a ``<!DOCTYPE tmx SYSTEM
"tmx14.dtd">`` reference, which CAT tools write, is accepted: ElementTree never fetches it. Malformed XML
is one error naming the file, line and column.
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import zlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree as ET
from xml.parsers import expat

from carrousel.core.args import check_args
from carrousel.core.errors import DataError
from carrousel.core.files import check_input_file
from carrousel.core.files_text import read_failure
from carrousel.core.paths import is_gzip, user_path
from carrousel.nlp.errors import TextDataError

__all__ = [
    "XML_SUFFIXES",
    "Event",
    "local_name",
    "open_xml",
    "read_tmx_xliff",
    "swapped_languages",
    "xml_events",
]

logger = logging.getLogger(__name__)

XML_SUFFIXES = (".tmx", ".xlf", ".xliff")  # read by read_tmx_xliff, also under .gz
Pair = tuple[str, str]
Event = tuple[str, ET.Element, ET.Element | None]  # ("start" | "end", element, its parent)
_MAX_BYTES = 1 << 40  # read as a stream: no bound but the disk's
_CHUNK = 1 << 16
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_CODES = frozenset({"bpt", "ept", "it", "ph", "ut", "x", "bx", "ex", "sc", "ec", "sm", "em"})
_UNTRANSLATED = frozenset({"new", "needs-translation", "initial"})  # 1.2 target states, 2.x segment state


class _DoctypeError(Exception):
    """A document type with an internal subset, found before the root element."""


class _RootStartError(Exception):
    """The root element started: the prolog (where a DTD can be) is over."""


def local_name(tag: str) -> str:
    """An element's name without its namespace (``{urn:...:1.2}source`` -> ``source``)."""
    return tag.rpartition("}")[2]


def _code(lang: str) -> str:
    return lang.strip().lower().replace("_", "-")


def _match(want: str, lang: str) -> int:
    """2: the same language code (any case, ``_`` or ``-``), 1: the same primary subtag, 0: another."""
    a, b = _code(want), _code(lang)
    return 2 if a == b else int(a.split("-")[0] == b.split("-")[0])


def _text(elem: ET.Element) -> str:
    """The text of a segment with its inline markup: enclosed text kept, native codes dropped."""
    parts = [elem.text or ""]
    for child in elem:
        name = local_name(child.tag)
        if name == "cp":
            with contextlib.suppress(ValueError, OverflowError):  # not a code point: nothing to keep
                parts.append(chr(int(child.get("hex", ""), 16)))
        elif name not in _CODES:
            parts.append(_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _malformed(path: Path, line: int, column: int, reason: str) -> TextDataError:
    return TextDataError(
        f"{path} is not well-formed XML at line {line}, column {column + 1} ({reason}); fix it or export it again"
    )


@check_args
def open_xml(path: Path, what: str, max_bytes: int = _MAX_BYTES) -> tuple[Iterator[Event], ET.Element]:
    """The file's :func:`xml_events` after the input checks, and its root element (read from them).

    Args:
        path: the file.
        what: the format, for the checks' messages ("TMX or XLIFF").
        max_bytes: bound on the file's size.

    Raises:
        TextDataError: a missing, empty, unreadable or oversized file, or :func:`xml_events`' errors.
    """
    try:
        check_input_file(path, None, what, max_bytes)
    except DataError as exc:
        raise TextDataError(str(exc)) from None
    events = xml_events(path)
    first = next((e for e in events if e[0] == "start"), None)
    assert first is not None  # an empty document is malformed XML, raised by xml_events
    return events, first[1]


def xml_events(path: Path) -> Iterator[Event]:
    """``(event, element, parent)`` of the file as it is parsed; the caller removes what it has read.

    Raises:
        TextDataError: a document type with an internal subset, malformed XML, or a broken gzip stream.
        OSError: too many open files or out of memory, as it came: not the file's fault (see
            :func:`~carrousel.core.files_text.read_failure`).
    """

    def doctype(name: str, system: str | None, public: str | None, internal: int) -> None:
        if internal:
            raise _DoctypeError(name)

    def root(name: str, attrs: object) -> None:
        raise _RootStartError

    guard = expat.ParserCreate()  # reads the prolog alone, each chunk before ElementTree sees it
    guard.StartDoctypeDeclHandler = doctype
    guard.StartElementHandler = root
    guarding = True
    pull: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("start", "end"))
    stack: list[ET.Element] = []
    opener = gzip.open if is_gzip(path) else open
    try:
        with opener(path, "rb") as fh:
            while True:
                chunk = fh.read(_CHUNK)
                if guarding:
                    try:
                        guard.Parse(chunk, not chunk)
                    except _RootStartError:
                        guarding = False
                    except _DoctypeError as exc:
                        raise TextDataError(
                            f"{path} declares a DTD inside <!DOCTYPE {exc}>, refused (entity declarations "
                            "can expand without bound or read other files); remove the <!DOCTYPE ...[...]> part"
                        ) from None
                    except expat.ExpatError as exc:
                        raise _malformed(path, exc.lineno, exc.offset, expat.ErrorString(exc.code)) from None
                if not chunk:
                    pull.close()
                    break
                pull.feed(chunk)
                for item in pull.read_events():  # ("start" | "end", element): the events asked for
                    event, elem = item[0], item[-1]
                    assert isinstance(elem, ET.Element)
                    if event == "start":
                        stack.append(elem)
                        yield event, elem, stack[-2] if len(stack) > 1 else None
                    else:
                        stack.pop()
                        yield event, elem, stack[-1] if stack else None
    except ET.ParseError as exc:
        line, column = exc.position
        raise _malformed(path, line, column, expat.ErrorString(exc.code)) from None
    except (OSError, EOFError, zlib.error) as exc:
        fix = "give a readable (gzip-compressed) file"
        if isinstance(exc, OSError):  # too many open files, no memory: not the file's fault
            raise read_failure(exc, str(path), fix, TextDataError, reason=str(exc), sep=" ") from None
        raise TextDataError(f"{path} cannot be read ({exc}); {fix}") from None


def _tmx(path: Path, events: Iterator[Event], src: str, tgt: str, model: bool) -> list[Pair]:
    pairs: list[Pair] = []
    languages: Counter[str] = Counter()
    lacking = 0
    for event, elem, parent in events:
        if event != "end" or local_name(elem.tag) != "tu":
            continue
        texts = []
        for tuv in elem:
            lang = tuv.get(_XML_LANG) or tuv.get("lang")
            seg = next((s for s in tuv if local_name(s.tag) == "seg"), None)
            if local_name(tuv.tag) == "tuv" and lang and seg is not None:
                texts.append((lang, _text(seg)))
                languages[lang] += 1
        scored = [
            (_match(src, a) + _match(tgt, b), i, j)
            for i, (a, _) in enumerate(texts)
            for j, (b, _) in enumerate(texts)
            if i != j and _match(src, a) and _match(tgt, b)
        ]
        if scored:
            _, i, j = max(scored, key=lambda s: (s[0], -s[1], -s[2]))  # the best match; the first of equals
            pairs.append((texts[i][1], texts[j][1]))
        else:
            lacking += 1
        if parent is not None:
            parent.remove(elem)
    if not pairs:
        found = ", ".join(sorted(languages)) or "none"
        fix = (
            f"the model translates {src} -> {tgt}; give a file in these languages"
            if model
            else "check --src/--tgt"
        )
        raise TextDataError(
            f"{path} holds no translation unit with both {src} and {tgt} texts (its languages: {found}); {fix}"
        )
    logger.info(
        "%s: %d pairs of %d units (%d lacking %s or %s)",
        path,
        len(pairs),
        len(pairs) + lacking,
        lacking,
        src,
        tgt,
    )
    return pairs


@check_args
def swapped_languages(
    path: Path, src_lang: str | None, tgt_lang: str | None, src: str, tgt: str, model: bool
) -> bool:
    """Whether a file (an XLIFF ``<file>``, a Qt catalogue) translating ``src_lang -> tgt_lang`` is read reversed:
    False when it matches ``src -> tgt`` (a language it leaves out matches), True for ``tgt -> src``, else an
    error (:class:`~carrousel.nlp.errors.TextDataError`) naming the file's languages and the fix."""

    def fits(want: str, lang: str | None) -> bool:
        return lang is None or _match(want, lang) > 0

    if fits(src, src_lang) and fits(tgt, tgt_lang):
        return False
    if src_lang and tgt_lang and fits(tgt, src_lang) and fits(src, tgt_lang):
        logger.info("%s translates %s -> %s: its targets are read as the sources", path, src_lang, tgt_lang)
        return True
    fix = (
        f"the model translates {src} -> {tgt}; give a file in these languages"
        if model
        else f"pass --src {src_lang} --tgt {tgt_lang} if you meant them"
        if src_lang
        else f"pass --tgt {tgt_lang} if you meant it"
    )
    raise TextDataError(
        f"{path} translates {src_lang or '?'} -> {tgt_lang or '?'}, not {src} -> {tgt}; {fix}"
    )


def _child(elem: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in elem if local_name(c.tag) == name), None)


def _xliff(
    path: Path, events: Iterator[Event], root: ET.Element, src: str, tgt: str, model: bool
) -> list[Pair]:
    two = root.get("version", "").startswith("2") or ":document:2" in root.tag
    swap = (
        swapped_languages(path, root.get("srcLang"), root.get("trgLang"), src, tgt, model) if two else False
    )
    pair_tag, unit_tag = ("segment", "unit") if two else ("trans-unit", "trans-unit")
    pairs: list[Pair] = []
    untranslated: Counter[str] = Counter()
    for event, elem, parent in events:
        name = local_name(elem.tag)
        if event == "start":
            if name == "file" and not two:
                languages = elem.get("source-language"), elem.get("target-language")
                swap = swapped_languages(path, *languages, src, tgt, model)
            continue
        if name == pair_tag:
            source, target = _child(elem, "source"), _child(elem, "target")
            state = elem.get("state") if two else None if target is None else target.get("state")
            text = "" if target is None else _text(target)
            if source is None:
                untranslated["no source"] += 1
            elif not text.strip():
                untranslated["no target"] += 1
            elif state in _UNTRANSLATED:
                untranslated[f"state {state}"] += 1
            else:
                pairs.append((text, _text(source)) if swap else (_text(source), text))
        if name == unit_tag and parent is not None:
            parent.remove(elem)
    left_out = ", ".join(f"{n} {why}" for why, n in sorted(untranslated.items()))
    if not pairs:
        raise TextDataError(
            f"{path} holds no translated unit (untranslated: {left_out or 'none'}); translate it or give a "
            "translated file"
        )
    logger.info("%s: %d pairs (untranslated, left out: %s)", path, len(pairs), left_out or "none")
    return pairs


@check_args
def read_tmx_xliff(path: str | Path, src: str = "en", tgt: str = "de", *, model: bool = False) -> list[Pair]:
    """``(source, target)`` pairs of a TMX or XLIFF file (``.gz`` allowed), in document order; the format is
    told by the root element (see the module docstring for what is kept).

    Args:
        path: the file.
        src: source language code (``en`` matches ``en-US``).
        tgt: target language code.
        model: ``src``/``tgt`` are a trained model's languages (scoring it), named so in messages.

    Raises:
        TextDataError: a missing or unreadable file, malformed XML, a DTD, another XML format, an XLIFF file
            of other languages, or no pair at all (one line each).
    """
    p = user_path(path)
    events, root = open_xml(p, "TMX or XLIFF")
    kind = local_name(root.tag)
    if kind == "tmx":
        return _tmx(p, events, src, tgt, model)
    if kind == "xliff":
        return _xliff(p, events, root, src, tgt, model)
    raise TextDataError(
        f"{p} is XML with a <{kind}> root, not TMX (<tmx>) or XLIFF (<xliff>); give a .tmx or .xlf file"
    )
