"""Translation pairs from Qt Linguist catalogues: ``.ts`` sources and the ``.qm`` files lrelease compiles.

Qt and KDE software ship their messages this way (Debian's ``qttranslations5-l10n``: Qt's own, about 30
languages). Both readers keep ``(source text, translation)`` of each finished message, with the rules of
gettext catalogues (:func:`~carrousel.nlp.gettext_pairs.pair_problem`): a message with a line break inside
either side, or without a letter outside placeholders (``%1``), is left out; the rest is kept as written
(``&Cancel`` with its accelerator mark): :func:`~carrousel.nlp.parallel.clean_pairs` normalises it. A plural
(``numerus``) message gives its first form, the translation of the singular-like ``%n`` message. What is left
out is counted in one log line.

* ``.ts`` (XML, TS 1.1 to 2.1; ``.ts.gz`` too): each ``<message>``'s ``<source>`` and ``<translation>``.
  Translations of ``type="unfinished"`` (drafts, as a ``.po``'s fuzzy entries), ``"vanished"`` and
  ``"obsolete"`` (no longer in the program) are left out; of a ``variants="yes"`` translation the first
  ``<lengthvariant>`` (the longest, the one Qt shows where it fits) is kept; ``<byte value="x1b"/>`` is its
  character. The root's ``language``/``sourcelanguage`` (``de_DE``, ``en``) are checked against
  ``src``/``tgt`` as an XLIFF file's are (:func:`~carrousel.nlp.tmx_xliff.swapped_languages`: a reversed file
  is read swapped, other languages are an error); without ``language`` (TS 2.0 may lack it) a tag in the file's
  name (``app_de.ts``) is its language, as a ``.qm``'s: :func:`ts_language` says it, and ``translate train``
  refuses one naming neither without ``--tgt``. Parsing is that of TMX and XLIFF
  (:func:`~carrousel.nlp.tmx_xliff.xml_events`: streamed, a DTD with an internal subset refused; the
  ``<!DOCTYPE TS>`` every ``.ts`` starts with has none).
* ``.qm`` (binary, read whole; ``.qm.gz`` too): the 16-byte magic, then sections, each a tag byte and a
  32-bit big-endian length: the language (``0xa7``, ``de_DE``: Qt 5's lrelease writes it), the hash table
  (``0x42``), the messages (``0x69``), the plural rules (``0x88``), the catalogues it loads (``0x96``: Qt's
  ``qt_de.qm`` holds only those). A message is a run of tags ending with tag 1: a translation (tag 3,
  UTF-16BE; one per plural form; length ``0xFFFFFFFF`` for none; length variants joined by U+009C, of which
  the first is kept), its source text (6), context (7) and
  comment (8), each UTF-8, and tag 5 (four obsolete bytes). The ``.qm`` format has no "unfinished" mark:
  lrelease includes unfinished translations unless run with ``-nounfinished``. A message without its source
  text (``lrelease -compress`` stores only a hash for some) gives no pair; these are counted. The language
  is the file's language section, else a tag in its name (``app_de.qm``, ``qtbase_zh_CN.qm``: ``de``,
  ``zh``; :func:`~carrousel.nlp.keyed_catalogues.name_language`, as for keyed catalogues); it is checked
  against ``tgt`` (``.qm`` files do not name their source language); :func:`qm_language` says it, and
  ``translate train`` refuses one naming neither without ``--tgt``.
"""

from __future__ import annotations

import gzip
import io
import logging
import struct
import zlib
from collections import Counter
from pathlib import Path
from xml.etree import ElementTree as ET

from carrousel.core.args import check_args
from carrousel.core.paths import is_gzip, uncompressed_name, user_path
from carrousel.nlp.errors import TextDataError
from carrousel.nlp.gettext_pairs import CATALOGUE_MAX_BYTES, catalogue_bytes, pair_problem
from carrousel.nlp.keyed_catalogues import name_language
from carrousel.nlp.tmx_xliff import local_name, open_xml, swapped_languages

__all__ = ["QM_MAGIC", "QT_SUFFIXES", "qm_language", "read_qm", "read_ts", "ts_language"]

logger = logging.getLogger(__name__)

QT_SUFFIXES = (".ts", ".qm")  # read by read_ts and read_qm, also under .gz
QM_MAGIC = bytes.fromhex("3cb86418caef9c95cd211cbf60a1bddd")
Pair = tuple[str, str]
_LEFT_OUT_TYPES = frozenset({"unfinished", "vanished", "obsolete"})
# sections of a .qm file
_LANGUAGE, _HASHES, _MESSAGES, _NUMERUS, _DEPENDENCIES, _CONTEXTS = 0xA7, 0x42, 0x69, 0x88, 0x96, 0x2F
# tags of a .qm message
_END, _SOURCE16, _TRANSLATION, _CONTEXT16, _OBSOLETE1, _SOURCE, _CONTEXT, _COMMENT = 1, 2, 3, 4, 5, 6, 7, 8
_NULL = 0xFFFFFFFF
_VARIANTS = "\x9c"  # between the length variants of a .qm translation
# a language code at the end of a file name: app_de, qtbase_zh_CN, kde_pt_BR, sr_Latn


def _kept(pairs: list[Pair], left_out: Counter[str], source: str, translation: str) -> None:
    """Adds the message to ``pairs``, or counts why it is left out (the catalogue rules of the module)."""
    if not translation:
        left_out["untranslated"] += 1
    elif problem := pair_problem(source, translation):
        left_out[problem] += 1
    else:
        pairs.append((source, translation))


def _finish(p: Path, pairs: list[Pair], left_out: Counter[str], what: str) -> list[Pair]:
    counts = ", ".join(f"{n} {why}" for why, n in sorted(left_out.items()))
    if not pairs:
        raise TextDataError(
            f"{p} holds no finished translation (left out: {counts or 'none'}); give a translated catalogue"
        )
    total = len(pairs) + left_out.total()
    logger.info("%s: %d pairs of %d %s (left out: %s)", p, len(pairs), total, what, counts or "none")
    return pairs


def _ts_text(elem: ET.Element | None) -> str:
    """The text of a ``<source>``, ``<numerusform>`` or ``<lengthvariant>``: ``<byte value="x1b"/>`` is its
    character (``value`` in hex after an ``x``, else decimal)."""
    if elem is None:
        return ""
    parts = [elem.text or ""]
    for child in elem:
        if local_name(child.tag) == "byte":
            value = child.get("value", "")
            try:
                parts.append(chr(int(value[1:], 16) if value[:1] in "xX" else int(value)))
            except (ValueError, OverflowError):
                raise ValueError(f"<byte value={value!r}/> is not a character code") from None
        parts.append(child.tail or "")
    return "".join(parts)


def _first(elem: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in elem if local_name(c.tag) == name), None)


def _translation(elem: ET.Element) -> str:
    """The kept text of a ``<translation>``: its first plural form, of which (or of itself) the first length
    variant; else its own text."""
    form = _first(elem, "numerusform")
    inner = elem if form is None else form
    if inner.get("variants") == "yes" or _first(inner, "lengthvariant") is not None:
        return _ts_text(_first(inner, "lengthvariant"))
    return _ts_text(inner)


@check_args
def read_ts(path: str | Path, src: str = "en", tgt: str = "de", *, model: bool = False) -> list[Pair]:
    """``(source, translation)`` pairs of a Qt Linguist ``.ts`` file (``.gz`` allowed), in document order (see
    the module docstring for what is kept).

    Args:
        path: the file.
        src: source language code (``en`` matches ``en_US``).
        tgt: target language code.
        model: ``src``/``tgt`` are a trained model's languages (scoring it), named so in messages.

    Raises:
        TextDataError: a missing or unreadable file, malformed XML, a DTD, another XML format, a file of other
            languages, or no finished translation at all (one line each).
    """
    p = user_path(path)
    events, root = open_xml(p, "Qt Linguist .ts", 1 << 40)
    if local_name(root.tag) != "TS":
        raise TextDataError(
            f"{p} is XML with a <{local_name(root.tag)}> root, not a Qt Linguist catalogue (<TS>); give a .ts file"
        )
    langs = root.get("sourcelanguage") or None, root.get("language") or _name_language(p)  # ts_language
    swap = swapped_languages(p, *langs, src, tgt, model)
    pairs: list[Pair] = []
    left_out: Counter[str] = Counter()
    for event, elem, parent in events:
        name = local_name(elem.tag)
        if event != "end" or name not in ("message", "context"):
            continue
        if name == "message":
            source, translation = _first(elem, "source"), _first(elem, "translation")
            kind = None if translation is None else translation.get("type")
            if source is None:
                left_out["no source text"] += 1
            elif kind in _LEFT_OUT_TYPES:
                left_out[kind] += 1
            else:
                try:
                    text, said = "" if translation is None else _translation(translation), _ts_text(source)
                except ValueError as exc:
                    raise TextDataError(f"{p}: {exc}; fix the message or export the file again") from None
                before = len(pairs)
                _kept(pairs, left_out, said, text)
                if swap and len(pairs) > before:
                    pairs[-1] = pairs[-1][::-1]
        if parent is not None:
            parent.remove(elem)
    return _finish(p, pairs, left_out, "messages")


def _qm_bytes(p: Path) -> bytes:
    """The bytes of a ``.qm`` (or ``.qm.gz``) file, within the catalogue size bound."""
    raw = catalogue_bytes(p, "Qt .qm catalogue")
    if not is_gzip(p):
        return raw
    try:  # the bytes already read, decompressed (not the file read a second time)
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as fh:
            raw = fh.read(CATALOGUE_MAX_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise TextDataError(f"{p} cannot be read ({exc}); give a readable (gzip-compressed) file") from None
    if len(raw) > CATALOGUE_MAX_BYTES:
        raise TextDataError(f"{p} holds over {CATALOGUE_MAX_BYTES >> 20} MiB; no .qm catalogue is that large")
    return raw


def _sections(raw: bytes) -> dict[int, bytes]:
    """The sections of a ``.qm`` file by tag (the last of a repeated tag).

    Raises:
        ValueError: no ``.qm`` magic, or a section running past the end of the file.
    """
    if raw[:16] != QM_MAGIC:
        raise ValueError("it does not start with the .qm magic number")
    sections, at = {}, 16
    while at < len(raw):
        if at + 5 > len(raw):
            raise ValueError(f"truncated section header at byte {at}")
        tag, size = raw[at], struct.unpack_from(">I", raw, at + 1)[0]
        if at + 5 + size > len(raw):
            raise ValueError(
                f"truncated section 0x{tag:02x} at byte {at}: {size} bytes, {len(raw) - at - 5} left"
            )
        sections[tag] = raw[at + 5 : at + 5 + size]
        at += 5 + size
    return sections


def _qm_messages(data: bytes) -> list[tuple[str | None, list[str | None]]]:
    """``(source text or None, [translation of each plural form or None])`` of each message of the messages
    section.

    Raises:
        ValueError: a field running past the section, an unknown tag, or text not in its encoding.
    """
    messages: list[tuple[str | None, list[str | None]]] = []
    at, source = 0, None
    translations: list[str | None] = []
    while at < len(data):
        tag, at = data[at], at + 1
        if tag == _END:
            messages.append((source, translations))
            source, translations = None, []
            continue
        if tag == _OBSOLETE1:
            at += 4
            continue
        if tag not in (_TRANSLATION, _SOURCE16, _CONTEXT16, _SOURCE, _CONTEXT, _COMMENT):
            raise ValueError(f"unknown message tag {tag} at byte {at - 1} of the messages")
        if at + 4 > len(data):
            raise ValueError("truncated message at the end of the messages")
        size, at = struct.unpack_from(">I", data, at)[0], at + 4
        if tag == _TRANSLATION and size == _NULL:
            translations.append(None)
            continue
        if at + size > len(data):
            raise ValueError(f"a message field of {size} bytes at byte {at} runs past the messages")
        field, at = data[at : at + size], at + size
        if tag == _TRANSLATION:  # length variants joined by U+009C: the first
            translations.append(field.decode("utf-16-be").split(_VARIANTS)[0])
        elif tag in (_SOURCE, _SOURCE16):
            source = field.decode("utf-8" if tag == _SOURCE else "utf-16-be")
    if source is not None or translations:
        raise ValueError("the last message has no end tag")
    return messages


def _dependencies(data: bytes) -> list[str]:
    """The catalogue names of a dependencies section (each a 32-bit length and UTF-16BE text)."""
    names, at = [], 0
    while at + 4 <= len(data):
        size = struct.unpack_from(">I", data, at)[0]
        names.append(data[at + 4 : at + 4 + size].decode("utf-16-be", "replace"))
        at += 4 + size
    return names


def _name_language(p: Path) -> str | None:
    return name_language(Path(uncompressed_name(p)))  # qtbase_de.qm(.gz): de


def qm_language(path: str | Path) -> str | None:
    """The language of a ``.qm`` catalogue (``.gz`` allowed) as :func:`read_qm` checks it: its language
    section (``de_DE``), else a tag in its name (``app_de.qm``); None when it names none (a Qt 4 ``app.qm``).

    Raises:
        TextDataError: as :func:`read_qm`, for a missing, unreadable or damaged file; its messages are checked
            only when it names no language, the one answer their damage would falsify (before: None, so
            ``translate train`` told such a file it "names no language" and to pass ``--tgt``, and with
            ``--tgt`` found it unreadable). A file naming one has them parsed by :func:`read_qm` alone (until
            2026-12 here too: ``translate train`` parsed a ``.qm``'s messages twice).
    """
    p = user_path(path)
    raw = _qm_bytes(p)
    try:
        sections = _sections(raw)
        language = sections[_LANGUAGE].decode("utf-8") if _LANGUAGE in sections else None
        if not (language := language or _name_language(p)):
            _qm_messages(sections.get(_MESSAGES, b""))  # damaged messages: unreadable, as read_qm finds them
    except (ValueError, UnicodeDecodeError) as exc:
        raise _unreadable_qm(p, exc) from None
    return language


def _unreadable_qm(p: Path, exc: Exception) -> TextDataError:
    return TextDataError(f"{p} is not a readable Qt .qm catalogue ({exc}); give a file lrelease wrote")


def ts_language(path: str | Path) -> str | None:
    """The language of a ``.ts`` catalogue (``.gz`` allowed) as :func:`read_ts` checks it: its root's
    ``language`` attribute (``de_DE``), else a tag in its name (``app_de.ts``); None when it names none (TS 2.0
    files may lack the attribute). Only the root is read.

    Raises:
        TextDataError: as :func:`read_ts`, for a missing, unreadable or malformed file.
    """
    p = user_path(path)
    root = open_xml(p, "Qt Linguist .ts", 1 << 40)[1]  # the events, dropped, close the file
    return root.get("language") or _name_language(p)


@check_args
def read_qm(path: str | Path, src: str = "en", tgt: str = "de", *, model: bool = False) -> list[Pair]:
    """``(source, translation)`` pairs of a compiled Qt ``.qm`` catalogue (``.gz`` allowed), in file order (lrelease
    sorts messages by context and source text); see the module docstring for what is kept.

    Args:
        path: the file.
        src: source language code (a ``.qm`` does not name its own: not checked).
        tgt: target language code, checked against the file's language (its language section, else its name).
        model: ``tgt`` is a trained model's language (scoring it), named so in messages.

    Raises:
        TextDataError: a missing or unreadable file, not a ``.qm`` file, a truncated or damaged one, a file
            of another language, or no pair at all (one line each).
    """
    p = user_path(path)
    raw = _qm_bytes(p)
    try:
        sections = _sections(raw)
        messages = _qm_messages(sections.get(_MESSAGES, b""))
        language = sections[_LANGUAGE].decode("utf-8") if _LANGUAGE in sections else None
    except (ValueError, UnicodeDecodeError) as exc:
        raise _unreadable_qm(p, exc) from None
    language = language or _name_language(p)
    if language:
        swapped_languages(p, None, language, src, tgt, model)
    if not messages and _DEPENDENCIES in sections:
        loads = ", ".join(_dependencies(sections[_DEPENDENCIES]))
        raise TextDataError(f"{p} holds no message: it only loads other catalogues ({loads}); give those")
    pairs: list[Pair] = []
    left_out: Counter[str] = Counter()
    for source, translations in messages:
        if source is None:
            left_out["no source text (hash only)"] += 1
        else:
            _kept(pairs, left_out, source, (translations[0] if translations else None) or "")
    return _finish(p, pairs, left_out, "messages")
