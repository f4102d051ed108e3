"""The messages of a compiled gettext catalogue (``.mo``), read from its bytes.

:class:`gettext.GNUTranslations` decodes the header as UTF-8 before it knows the catalogue's charset, so
a Latin-1 catalogue whose header holds a non-ASCII name (net-tools' German one) cannot be read with it,
and it keeps a message's context in its key (``"architecture\\x04<none>"``). This reader follows the
format (GNU gettext manual, "The Format of GNU MO Files"): each message is decoded with the charset its
header declares (UTF-8 when none), contexts are dropped from the message, and plural forms are skipped.
:func:`catalogue_messages` applies those rules to a catalogue's raw ``(msgid, msgstr)`` entries, read here
or from a ``.po`` source (:mod:`carrousel.nlp.gettext_po`), so that both give the same messages.

Only the static table of strings is read: a message whose C format uses an ``<inttypes.h>`` macro
(``%<PRIuMAX>``: 41 of git's German messages) is stored by msgfmt in a separate table of system-dependent strings
and is not read.
"""

from __future__ import annotations

import codecs
import re
import struct

__all__ = ["catalogue_messages", "header_charset", "mo_catalogue", "mo_language"]

_MAGIC = {b"\xde\x12\x04\x95": "<", b"\x95\x04\x12\xde": ">"}  # little- and big-endian
_CHARSET = re.compile(rb"charset=\s*([-\w.:]+)", re.IGNORECASE)
# a language code at the start of the header's Language field (de, de_DE, pt-BR, sr@latin; not "German")
_LANGUAGE = re.compile(
    rb"^Language:[ \t]*([a-z]{2,3})(?:[_\-@.][^\n]*)?[ \t]*$", re.IGNORECASE | re.MULTILINE
)


def header_charset(header: bytes) -> str:
    """The Python codec of the charset a catalogue's header declares (``charset=ISO-8859-1`` ->
    ``"iso8859-1"``); UTF-8 when it names none.

    Raises:
        ValueError: an unknown charset, or the template's placeholder ``CHARSET``.
    """
    found = _CHARSET.search(header)
    name = found.group(1).decode("ascii") if found else "utf-8"
    if name == "CHARSET":
        raise ValueError("the header declares the template's placeholder charset=CHARSET; set charset=UTF-8")
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise ValueError(f"unknown charset {name!r} in the header") from None


def mo_language(raw: bytes) -> str | None:
    """The language code the header declares (``Language: de_DE`` -> ``"de"``); None when it names none.

    Raises:
        ValueError: as :func:`mo_catalogue`.
    """
    return _language(_header(_entries(raw)))


def mo_catalogue(raw: bytes) -> tuple[list[tuple[str, str]], str | None]:
    """``(msgid, msgstr)`` of every singular message with its context removed, the header left out, and the
    language the header declares (:func:`mo_language`), from one pass over the file's tables.

    Raises:
        ValueError: not a ``.mo`` file, a table pointing outside the file, or text not in the declared charset.
    """
    return catalogue_messages(_entries(raw))


def catalogue_messages(entries: list[tuple[bytes, bytes]]) -> tuple[list[tuple[str, str]], str | None]:
    """The messages of a catalogue's raw entries, as a ``.mo`` file stores them (``msgctxt\\x04msgid`` keys,
    plural forms joined by NUL bytes, the header under the empty key): ``(msgid, msgstr)`` of every
    singular message with its context removed, in the header's charset, and the header's language.

    Raises:
        ValueError: an unknown charset, or text not in it.
    """
    header = _header(entries)
    charset = header_charset(header)
    messages = []
    for key, value in entries:
        if not key or b"\x00" in key:
            continue  # the header, plural forms
        messages.append((key.split(b"\x04")[-1].decode(charset), value.decode(charset)))
    return messages, _language(header)


def _header(entries: list[tuple[bytes, bytes]]) -> bytes:
    return next((value for key, value in entries if key == b""), b"")


def _language(header: bytes) -> str | None:
    found = _LANGUAGE.search(header)
    return found.group(1).decode("ascii").lower() if found else None


def _entries(raw: bytes) -> list[tuple[bytes, bytes]]:
    """Every ``(msgid, msgstr)`` of the file as bytes, the header's (empty msgid) included."""
    order = _MAGIC.get(raw[:4])
    if order is None:
        raise ValueError("bad magic number")
    try:
        _, count, ids_at, strs_at = struct.unpack(f"{order}4I", raw[4:20])
        spans = [
            (
                struct.unpack_from(f"{order}2I", raw, ids_at + 8 * i),
                struct.unpack_from(f"{order}2I", raw, strs_at + 8 * i),
            )
            for i in range(count)
        ]
    except struct.error:
        raise ValueError("truncated file") from None
    entries = []
    for (id_len, id_at), (str_len, str_at) in spans:
        if id_at + id_len > len(raw) or str_at + str_len > len(raw):
            raise ValueError("a message points outside the file")
        entries.append((raw[id_at : id_at + id_len], raw[str_at : str_at + str_len]))
    return entries
