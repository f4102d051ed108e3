"""Translation pairs from keyed software catalogues: a source-language file and a target-language file, joined by key.

Much software keeps its messages in one file per language keyed by message id; a pair is the two files'
texts of a key both hold, in the source file's order. Keys in only one file, and the entries left out (below),
are counted in one log line. Formats, told by the suffix (both files must share one) and checked by content:

* Java ``.properties`` (``ResourceBundle``): UTF-8 (Java 9+), else ISO-8859-1 (the classic encoding);
  ``key=value``, ``key: value``, ``key value``; ``#``/``!`` comment lines; a line ending in an odd number of
  backslashes continues on the next (its leading whitespace dropped); ``\\t \\n \\r \\f \\uXXXX`` are their
  characters and a backslash before any other character is that character (``\\= \\: \\\\ \\#``); a key
  given twice keeps its last value, as ``Properties.load`` does. MessageFormat text is kept as written
  (``{0}`` and a doubled ``''`` alike: whether a string goes through MessageFormat is not in the file).
* Android ``strings.xml`` and .NET ``.resx``: :mod:`carrousel.nlp.keyed_xml` (``<plurals>``: the ``other``
  item; ``<string-array>``: ``name[i]``; ``translatable="false"``, references and non-string ``.resx``
  entries left out).
* JSON (``.json``): flat ``{"key": "text"}``; nested objects (i18next, vue-i18n, ngx-translate) with keys
  joined by ``.`` (``menu.file.open``) and lists by index (``days[0]``); a Chrome extension's
  ``messages.json`` (``{"key": {"message": "..", "description": ".."}}``) gives each ``message``.
  Non-text values (numbers, ``null``) are left out and counted. Interpolations (``{{name}}``, ``$USER$``)
  are kept as written.
* Apple ``.strings``: ``"key" = "value";`` (an unquoted key or value of letters, digits and ``_.-:/$`` too),
  ``/* */`` and ``//`` comments; UTF-16 with a byte-order mark (what Xcode long wrote), UTF-16 without one
  (told by its NUL bytes), or UTF-8; ``\\n \\t \\r \\" \\\\ \\UXXXX`` are their characters.

What is kept follows the catalogue rules of gettext and Qt (:func:`~carrousel.nlp.gettext_pairs.pair_problem`):
an empty target (untranslated), a multi-line message and one without a letter are left out. A target equal
to its source is KEPT and counted ("target equals source"): gettext's readers keep ``msgstr == msgid`` too,
and most such entries are right ("OK", "Git", "Status"); an untranslated copy made by an export tool shows in
the count. The files name no language; a language tag in the target file's name (``messages_de.properties``,
``values-de/``, ``de.json``, ``_locales/de/``, ``de.lproj/``, ``Resources.de.resx``) that disagrees with the
target language is one warning; only a real language code is a tag (:mod:`carrousel.nlp.language_codes`:
``ui.json`` and ``app.json`` name no language).
"""

from __future__ import annotations

import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from carrousel.core.args import check_args
from carrousel.core.option_names import option
from carrousel.nlp.errors import TextDataError
from carrousel.nlp.gettext_pairs import catalogue_bytes, pair_problem
from carrousel.nlp.keyed_xml import read_android, read_resx
from carrousel.nlp.language_codes import known_language

__all__ = ["KEYED_FORMATS", "keyed_format", "name_language", "read_keyed"]

logger = logging.getLogger(__name__)

Pair = tuple[str, str]
# suffix -> the format's name in messages
KEYED_FORMATS = {
    ".properties": "Java .properties",
    ".xml": "Android strings.xml",
    ".json": "JSON i18n",
    ".strings": "Apple .strings",
    ".resx": ".NET .resx",
}
_PROPERTY_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}
_CHROME_KEYS = frozenset({"message", "description", "placeholders"})
_STRINGS_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0"}
_STRINGS_TOKEN = re.compile(
    r'\s+|//[^\n]*|/\*.*?\*/|"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<bare>[\w.\-:/$]+)|(?P<punct>[=;])', re.S
)
_STRINGS_ESCAPE = re.compile(r"\\(?:[uU]([0-9a-fA-F]{4})|(.))", re.S)
# a language tag in a file or folder name; the primary subtag is group 1
_TAG = r"([a-z]{2,3})(?:[-_](?:r?[A-Z]{2}|[A-Z][a-z]{3}|\d{3}))*"
_NAME_PATTERNS = (
    re.compile(rf"^.+?_{_TAG}$"),  # messages_de, app_messages_pt_BR (a .properties stem)
    re.compile(rf"^.+\.{_TAG}$"),  # Resources.de (a .resx stem)
    re.compile(r"^values-(?:b\+)?([a-z]{2,3})(?:[-+].*)?$"),  # values-de, values-de-rDE, values-b+sr+Latn
    re.compile(rf"^{_TAG}\.lproj$"),  # de.lproj
    re.compile(rf"^{_TAG}$"),  # de.json, _locales/de/messages.json, locales/pt-BR/translation.json
)


def keyed_format(path: Path) -> str | None:
    """The keyed catalogue format a file's suffix names (a key of :data:`KEYED_FORMATS`), else None."""
    suffix = path.suffix.lower()
    return suffix if suffix in KEYED_FORMATS else None


def name_language(path: Path) -> str | None:
    """The primary language subtag a catalogue's name or folder holds (``values-de-rDE/strings.xml`` ->
    ``de``), else None; a ``.properties`` stem's needs an underscore (``messages_de``), a bare name is a tag
    only in two or three lower-case letters (``de.json``, ``_locales/de/``). The subtag must be a language
    code (:func:`~carrousel.nlp.language_codes.known_language`: ``ui.json``, ``app.json`` name none;
    Android's ``values-iw`` is ``he``)."""
    candidates = [path.stem, path.parent.name]
    if path.parent.name == "LC_MESSAGES":
        candidates.append(path.parent.parent.name)
    for name in candidates:
        for pattern in _NAME_PATTERNS:
            found = pattern.match(name)
            if found and (language := known_language(found.group(1))):
                return language
    return None


def _decode(p: Path, raw: bytes, fallback: str | None, what: str) -> str:
    """UTF-8 text (a byte-order mark dropped), else ``fallback``'s decoding, else one error."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if fallback:
            return raw.decode(fallback)
        raise TextDataError(
            f"{p} is not UTF-8 text ({exc.reason} at byte {exc.start}); save the {what} as UTF-8"
        ) from None


def _property_lines(text: str) -> Iterator[tuple[int, str]]:
    """``(line number, logical line)`` of a ``.properties`` text: comments and blank lines dropped,
    continuations joined."""
    lines = re.split(r"\r\n|\r|\n", text)  # Java's line ends only (a form feed is whitespace)
    i = 0
    while i < len(lines):
        number, line = i + 1, lines[i].lstrip(" \t\f")
        i += 1
        if not line or line[0] in "#!":
            continue
        while (len(line) - len(line.rstrip("\\"))) % 2 and i < len(lines):
            line = line[:-1] + lines[i].lstrip(" \t\f")
            i += 1
        if (len(line) - len(line.rstrip("\\"))) % 2:
            line = line[:-1]  # a continuation at the end of the file
        yield number, line


def _unescape_property(s: str, where: str) -> str:
    out = []
    i = 0
    while i < len(s):
        c = s[i]
        if c != "\\" or i + 1 == len(s):
            out.append(c)
            i += 1
            continue
        nxt = s[i + 1]
        if nxt == "u":
            digits = s[i + 2 : i + 6]
            if not re.fullmatch(r"[0-9a-fA-F]{4}", digits):
                raise TextDataError(
                    f"{where}: \\u{digits} is no \\uXXXX escape (Java refuses it too); fix it"
                )
            out.append(chr(int(digits, 16)))
            i += 6
            continue
        out.append(_PROPERTY_ESCAPES.get(nxt, nxt))
        i += 2
    return "".join(out)


def _read_properties(p: Path, left_out: Counter[str]) -> dict[str, str]:
    text = _decode(p, catalogue_bytes(p, "Java .properties file"), "latin-1", ".properties file")
    texts: dict[str, str] = {}
    for number, line in _property_lines(text):
        split = re.match(r"((?:[^\\=: \t\f]|\\.)*)[ \t\f]*(?:[=:][ \t\f]*)?", line, re.S)
        assert split is not None  # the pattern matches any line
        where = f"{p} line {number}"
        key = _unescape_property(split.group(1), where)
        texts[key] = _unescape_property(line[split.end() :], where)
    return texts


def _flatten(value: object, key: str, texts: dict[str, str], left_out: Counter[str]) -> None:
    if isinstance(value, str):
        texts[key] = value
    elif isinstance(value, dict):
        if isinstance(value.get("message"), str) and set(value) <= _CHROME_KEYS:
            texts[key] = value["message"]  # a Chrome extension's message
            return
        for k, v in value.items():
            _flatten(v, f"{key}.{k}" if key else str(k), texts, left_out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _flatten(v, f"{key}[{i}]", texts, left_out)
    else:
        left_out["not text"] += 1


def _read_json(p: Path, left_out: Counter[str]) -> dict[str, str]:
    text = _decode(p, catalogue_bytes(p, "JSON i18n file"), None, "JSON file")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TextDataError(
            f"{p} is not JSON at line {exc.lineno}, column {exc.colno} ({exc.msg}); fix it or export it again"
        ) from None
    if not isinstance(data, dict):
        raise TextDataError(
            f'{p} is a JSON {type(data).__name__}, not an object of messages; give a {{"key": "text"}} file'
        )
    texts: dict[str, str] = {}
    _flatten(data, "", texts, left_out)
    return texts


def _strings_text(p: Path) -> str:
    raw = catalogue_bytes(p, "Apple .strings file")
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        encoding = "utf-16"
    elif b"\0" in raw[:200]:
        encoding = "utf-16-le" if raw[1:2] == b"\0" else "utf-16-be"
    else:
        return _decode(p, raw, None, ".strings file")
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise TextDataError(
            f"{p} is not UTF-16 text ({exc.reason} at byte {exc.start}); save it again"
        ) from None


def _strings_unescape(s: str) -> str:
    return _STRINGS_ESCAPE.sub(
        lambda m: chr(int(m.group(1), 16)) if m.group(1) else _STRINGS_ESCAPES.get(m.group(2), m.group(2)), s
    )


def _read_strings(p: Path, left_out: Counter[str]) -> dict[str, str]:
    text = _strings_text(p)
    tokens: list[tuple[int, str, str]] = []  # (position, kind, text)
    pos = 0
    while pos < len(text):
        found = _STRINGS_TOKEN.match(text, pos)
        if found is None:
            line = text.count("\n", 0, pos) + 1
            raise TextDataError(
                f'{p} line {line} is no "key" = "value"; entry ({text[pos : pos + 20]!r}); fix it'
            )
        kind = found.lastgroup
        if kind:
            tokens.append((pos, kind, found.group(kind)))
        pos = found.end()
    texts: dict[str, str] = {}
    i = 0
    while i < len(tokens):
        entry = tokens[i : i + 4]
        shape = [kind for _, kind, _ in entry]
        if (
            len(entry) == 4
            and shape[0] != "punct"
            and shape[2] != "punct"
            and [t for *_, t in entry[1::2]] == ["=", ";"]
        ):
            key, value = entry[0], entry[2]
            texts[_strings_unescape(key[2]) if key[1] == "quoted" else key[2]] = (
                _strings_unescape(value[2]) if value[1] == "quoted" else value[2]
            )
            i += 4
        elif len(entry) >= 2 and shape[0] != "punct" and entry[1][2] == ";":
            left_out["key without value"] += 1  # "key"; means "key" = "key"; in old plists: no pair
            i += 2
        else:
            line = text.count("\n", 0, entry[0][0]) + 1
            raise TextDataError(f'{p} line {line} is no "key" = "value"; entry; fix it')
    return texts


_READERS: dict[str, Callable[[Path, Counter[str]], dict[str, str]]] = {
    ".properties": _read_properties,
    ".xml": read_android,
    ".json": _read_json,
    ".strings": _read_strings,
    ".resx": read_resx,
}


def _check_language(target: Path, tgt: str, model: bool) -> None:
    named = name_language(target)
    want = tgt.lower().replace("_", "-").split("-")[0]
    want = known_language(want) or want  # --tgt iw is he
    if not named or named == want:
        return
    if model:
        logger.warning(
            "%s is named for language %s, but the model translates into %s: its texts are scored as %s "
            "references; give the %s catalogue",
            target,
            named,
            tgt,
            tgt,
            tgt,
        )
    else:
        logger.warning(
            "%s is named for language %s, but the target language is %s; pass %s if it is the file's",
            target,
            named,
            tgt,
            option("tgt", named),
        )


@check_args
def read_keyed(source: Path, target: Path, tgt: str = "de", *, model: bool = False) -> list[Pair]:
    """``(source text, target text)`` of the keys two keyed catalogues of one format both hold, in the source
    file's order (see the module docstring for the formats and what is left out).

    Args:
        source: the source language's catalogue (``values/strings.xml``, ``messages.properties``).
        target: the target language's (``values-de/strings.xml``, ``messages_de.properties``).
        tgt: the target language code, checked against a language tag in the target file's name.
        model: ``tgt`` is a trained model's language (scoring it), named so in the warning.

    Raises:
        TextDataError: files of two formats or of no keyed format, a missing or malformed file, or no pair.
    """
    kinds = keyed_format(source), keyed_format(target)
    if kinds[0] != kinds[1] or kinds[0] is None:
        names = [KEYED_FORMATS.get(k or "", "no keyed catalogue") for k in kinds]
        raise TextDataError(
            f"{source} is {names[0]} but {target} is {names[1]}; give two catalogues of one format "
            "(or two aligned plain-text files)"
        )
    _check_language(target, tgt, model)
    left_out: Counter[str] = Counter()
    read = _READERS[kinds[0]]
    a, b = read(source, left_out), read(target, left_out)
    pairs: list[Pair] = []
    same = 0
    for key, s in a.items():
        t = b.get(key)
        if t is None:
            left_out["only in source"] += 1
        elif not t.strip():
            left_out["untranslated"] += 1
        elif problem := pair_problem(s, t):
            left_out[problem] += 1
        else:
            same += s == t
            pairs.append((s, t))
    left_out["only in target"] += len(b.keys() - a.keys())
    counts = ", ".join(f"{n} {why}" for why, n in sorted(left_out.items()) if n)
    if not pairs:
        raise TextDataError(
            f"{source} and {target} share no translated key (left out: {counts or 'none'}); give the catalogues "
            "of one program"
        )
    logger.info(
        "%s -> %s: %d pairs of %d source keys (left out: %s; target equals source, kept: %d)",
        source,
        target,
        len(pairs),
        len(a),
        counts or "none",
        same,
    )
    return pairs
