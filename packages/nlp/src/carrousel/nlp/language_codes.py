"""The language codes a catalogue's file or folder name may hold, so that a bare name (``ui.json``) is no language.

A locale in a file name (Android ``values-de``, Apple ``de.lproj``, Java ``messages_pt_BR``, i18next
``pt-BR.json``) is a BCP 47 tag, whose primary subtag is the ISO 639-1 two-letter code where the language
has one, else a three-letter ISO 639-2/3 code: ``deu`` or ``fra`` never appear in such a tag, so the
three-letter codes kept are only those of languages without a two-letter code that locale data (CLDR) and
translation platforms carry (``fil``, ``yue``, ``ckb``, ``ast``). The full ISO 639-3 list (about 7,900
codes) is not kept: it holds common words of file names (``new`` Newari, ``bin`` Bini, ``nav``, ``map``),
and a language it adds is only a warning missed. Java's and Android's older codes (``iw``, ``in``, ``ji``:
``values-iw`` is Android's Hebrew folder) are read as the current ones.

A TSV of pairs may name its columns' languages in words (``English<TAB>German``): :func:`language_key` reads
the English names of common languages and a few languages' own names (:data:`LANGUAGE_NAMES`) as their codes.
"""

from __future__ import annotations

import re

__all__ = [
    "ISO_639_1",
    "LANGUAGE_NAMES",
    "LOCALE_THREE_LETTER",
    "OLD_CODES",
    "known_language",
    "language_key",
    "primary_subtag",
]

# ISO 639-1: every two-letter code (``bh``, Bihari, withdrawn in 2021, kept: older files use it)
ISO_639_1 = (
    "aa", "ab", "ae", "af", "ak", "am", "an", "ar", "as", "av", "ay", "az", "ba", "be", "bg", "bh", "bi", "bm",
    "bn", "bo", "br", "bs", "ca", "ce", "ch", "co", "cr", "cs", "cu", "cv", "cy", "da", "de", "dv", "dz", "ee",
    "el", "en", "eo", "es", "et", "eu", "fa", "ff", "fi", "fj", "fo", "fr", "fy", "ga", "gd", "gl", "gn", "gu",
    "gv", "ha", "he", "hi", "ho", "hr", "ht", "hu", "hy", "hz", "ia", "id", "ie", "ig", "ii", "ik", "io", "is",
    "it", "iu", "ja", "jv", "ka", "kg", "ki", "kj", "kk", "kl", "km", "kn", "ko", "kr", "ks", "ku", "kv", "kw",
    "ky", "la", "lb", "lg", "li", "ln", "lo", "lt", "lu", "lv", "mg", "mh", "mi", "mk", "ml", "mn", "mr", "ms",
    "mt", "my", "na", "nb", "nd", "ne", "ng", "nl", "nn", "no", "nr", "nv", "ny", "oc", "oj", "om", "or", "os",
    "pa", "pi", "pl", "ps", "pt", "qu", "rm", "rn", "ro", "ru", "rw", "sa", "sc", "sd", "se", "sg", "si", "sk",
    "sl", "sm", "sn", "so", "sq", "sr", "ss", "st", "su", "sv", "sw", "ta", "te", "tg", "th", "ti", "tk", "tl",
    "tn", "to", "tr", "ts", "tt", "tw", "ty", "ug", "uk", "ur", "uz", "ve", "vi", "vo", "wa", "wo", "xh", "yi",
    "yo", "za", "zh", "zu",
)  # fmt: skip
# three-letter primary subtags of languages without a two-letter code that locale data and translation
# platforms carry; none is a common word of a file name (``app``, ``lib``, ``src``, ``min``, ``new``)
LOCALE_THREE_LETTER = (
    "ace", "agq", "ang", "arn", "asa", "ast", "bas", "bem", "bez", "bgc", "bho", "brx", "ccp", "ceb", "cgg",
    "chr", "ckb", "cmn", "crh", "csb", "dav", "dje", "doi", "dsb", "dua", "dyo", "ebu", "ewo", "fil", "frp",
    "fur", "gsw", "guz", "hak", "haw", "hil", "hsb", "ilo", "jbo", "jgo", "jmc", "kab", "kam", "kde", "kea",
    "kgp", "khq", "kkj", "kln", "kmr", "kok", "ksb", "ksf", "ksh", "lag", "lij", "lkt", "lmo", "lrc", "ltg",
    "luo", "luy", "lzh", "mai", "mas", "mdf", "mer", "mfe", "mgh", "mgo", "mhr", "mni", "mua", "myv", "mzn",
    "nan", "nap", "naq", "nds", "nmg", "nnh", "nqo", "nus", "nyn", "osa", "pam", "pap", "pcm", "pms", "prg",
    "raj", "rof", "rue", "rwk", "sah", "saq", "sat", "sbp", "scn", "sco", "seh", "ses", "shi", "sma", "smj",
    "smn", "sms", "syr", "szl", "teo", "tet", "tlh", "tok", "tpi", "twq", "tzm", "udm", "vai", "vec", "vmw",
    "vun", "wae", "wuu", "xog", "yav", "yrl", "yue", "zgh",
)  # fmt: skip
# withdrawn codes that Java's Locale and Android's resource folders still write -> the current code
OLD_CODES = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro"}
_KNOWN = frozenset(ISO_639_1 + LOCALE_THREE_LETTER)


def known_language(subtag: str) -> str | None:
    """``subtag`` as a current language code when it is one (``de``; ``iw`` -> ``he``; ``fil``), else None
    (``ui``, ``app``, ``DE``)."""
    subtag = OLD_CODES.get(subtag, subtag)
    return subtag if subtag in _KNOWN else None


# language names a TSV header may write (English, and some languages' own) -> code; before, ``English<TAB>German``
# was no header but a pair (trained on, and scored by ``nlp translate evaluate``: 252 pairs of git's 251)
LANGUAGE_NAMES = {
    "arabic": "ar", "bulgarian": "bg", "catalan": "ca", "chinese": "zh", "croatian": "hr", "czech": "cs",
    "danish": "da", "dutch": "nl", "english": "en", "estonian": "et", "finnish": "fi", "french": "fr",
    "german": "de", "greek": "el", "hebrew": "he", "hindi": "hi", "hungarian": "hu", "indonesian": "id",
    "italian": "it", "japanese": "ja", "korean": "ko", "latvian": "lv", "lithuanian": "lt", "norwegian": "no",
    "persian": "fa", "polish": "pl", "portuguese": "pt", "romanian": "ro", "russian": "ru", "serbian": "sr",
    "slovak": "sk", "slovenian": "sl", "spanish": "es", "swedish": "sv", "thai": "th", "turkish": "tr",
    "ukrainian": "uk", "vietnamese": "vi", "deutsch": "de", "français": "fr", "español": "es",
    "italiano": "it", "português": "pt", "nederlands": "nl", "polski": "pl", "svenska": "sv",
}  # fmt: skip


def primary_subtag(cell: str) -> str:
    """A language tag's primary subtag, lower case (``pt_BR`` -> ``pt``, `` de-DE `` -> ``de``)."""
    return re.split(r"[-_]", cell.strip().lower(), maxsplit=1)[0]


def language_key(cell: str) -> str:
    """A TSV header cell's language, lower case: a language name's code (``English`` -> ``en``, ``Deutsch``
    -> ``de``), else the cell's primary subtag (``pt_BR`` -> ``pt``: :func:`primary_subtag`)."""
    return LANGUAGE_NAMES.get(cell.strip().lower()) or primary_subtag(cell)
