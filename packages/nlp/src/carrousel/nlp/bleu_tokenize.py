"""Which sacrebleu tokenizer corpus BLEU splits translations into words with, chosen by target language.

BLEU counts word n-grams, and sacrebleu's default tokenizer (``13a``, mteval's) splits at spaces and
punctuation: a sentence in a script written without spaces between words (Chinese, Japanese, Thai, ...)
stays one or a few "words", and BLEU measures almost nothing. The rule is sacrebleu's own (its command
line's ``-l en-zh``, ``BLEU(trg_lang=...)``), extended to the scripts it leaves out:

* Chinese (``zh``, ``zh_CN``, ``zh_TW``, ``zho``, ``yue``, ...): ``zh`` (each Han character a word, other
  text as ``13a``).
* Japanese: ``ja-mecab`` where MeCab and its IPA dictionary are installed (``pip install 'sacrebleu[ja]'``),
  else ``char`` (every character a word), logged and noted in the result.
* Korean: ``ko-mecab`` where installed (``sacrebleu[ko]``), else ``13a`` (Korean is written with spaces).
* Thai, Lao, Khmer, Myanmar: ``char``.
* Any other language: ``13a``, unless the references are written in one of the scripts above (30% of their
  letters or more; a code the table does not know, or a bundle trained with the default ``--tgt``): then
  the script decides, and a warning says so.

``nlp translate evaluate --bleu-tokenize NAME`` overrides the choice. chrF needs no such choice: sacrebleu
removes all whitespace before counting character n-grams (``extract_all_char_ngrams`` with
``include_whitespace=False``, the default), so spacing never splits or joins anything there.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from carrousel.core.option_names import option
from carrousel.core.optional import require
from carrousel.nlp.errors import NLPConfigError
from carrousel.nlp.scripts import HAN, KANA, UNSPACED_SCRIPTS

__all__ = [
    "AUTO",
    "BLEU_TOKENIZE_CHOICES",
    "BleuTokenize",
    "check_bleu_tokenize",
    "choose_bleu_tokenize",
    "language_tokenize",
]

logger = logging.getLogger(__name__)

AUTO = "auto"  # choose by target language, then by the references' script
# sacrebleu's tokenizers that need no download (spm/flores fetch a SentencePiece model), and auto
BLEU_TOKENIZE_CHOICES = (AUTO, "13a", "intl", "zh", "char", "ja-mecab", "ko-mecab", "none")
_MECAB = {"ja-mecab": ("Japanese", "ja", "char"), "ko-mecab": ("Korean", "ko", "13a")}
_LANGUAGE = {  # normalised code (ISO 639-1, or -2/-3 where no -1 exists) -> tokenizer
    **dict.fromkeys(("zh", "zho", "chi", "cmn", "yue", "lzh", "wuu", "hak", "nan"), "zh"),
    **dict.fromkeys(("ja", "jpn"), "ja-mecab"),
    **dict.fromkeys(("ko", "kor"), "ko-mecab"),
    **dict.fromkeys(("th", "tha", "lo", "lao", "km", "khm", "my", "mya", "bur"), "char"),
}
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
# the share of the references' letters in one unspaced script (or Hangul) that makes it decide: it is 0.59
# (bash) to 0.80 (apt) in the Chinese catalogues of git, apt, dpkg, bash and gnupg2 (English words, options
# and placeholders hold the rest), 0.86 in Japanese apt and dpkg, 0 in German ones
_SCRIPT_SHARE = 0.3
_KANA_SHARE = 0.2  # kana among Han and kana that make the text Japanese (Chinese has none)


@dataclass(frozen=True)
class BleuTokenize:
    """The tokenizer corpus BLEU uses and why."""

    name: str  # a sacrebleu tokenizer: 13a, intl, zh, char, ja-mecab, ko-mecab or none
    note: str  # why: the target language, the references' script, the override, a MeCab fallback


def _base(code: str) -> str:
    """``zh_CN.UTF-8`` / ``zh-Hant`` / ``sr@latin`` -> ``zh`` / ``zh`` / ``sr``."""
    return re.split(r"[_.@-]", code.strip().lower(), maxsplit=1)[0]


@cache
def _mecab_works(name: str) -> bool:
    """Whether sacrebleu can build its MeCab tokenizer ``name`` (MeCab and the dictionary installed)."""
    sacrebleu = require("sacrebleu", "carrousel-nlp[translate]", "BLEU scores (nlp translate evaluate)")
    try:
        sacrebleu.metrics.BLEU(tokenize=name)
    except (RuntimeError, ImportError, AssertionError, OSError) as exc:
        logger.debug("sacrebleu's %s tokenizer is unavailable: %s", name, exc)
        return False
    return True


def _usable(name: str, why: str) -> BleuTokenize:
    """``name``, or where it is a MeCab tokenizer that cannot run, its fallback (logged, and noted)."""
    if name not in _MECAB or _mecab_works(name):
        return BleuTokenize(name, why)
    language, code, fallback = _MECAB[name]
    note = f"{why}; {name} needs MeCab (pip install 'sacrebleu[{code}]'), not installed: {fallback} used"
    logger.warning("BLEU of %s text: %s", language, note)
    return BleuTokenize(fallback, note)


def language_tokenize(code: str) -> str | None:
    """The tokenizer a target language code calls for (``zh_CN`` -> ``zh``, ``ja`` -> ``ja-mecab``, ``th``
    -> ``char``; MeCab's availability not checked), or None for a language written with spaces or unknown."""
    return _LANGUAGE.get(_base(code))


def _script_tokenize(references: Sequence[str]) -> tuple[str, str] | None:
    """The tokenizer the references' script calls for and the script's name, or None (mostly spaced)."""
    text = "".join(references)
    letters = sum(c.isalpha() for c in text)
    if not letters:
        return None
    han, kana, hangul = (len(p.findall(text)) for p in (HAN, KANA, _HANGUL))
    counts = {"zh": han + kana, "ko-mecab": hangul}
    counts["char"] = sum(len(p.findall(text)) for p, _ in UNSPACED_SCRIPTS)
    name = max(counts, key=lambda k: counts[k])
    if counts[name] < _SCRIPT_SHARE * letters:
        return None
    if name == "zh":
        return ("ja-mecab", "Japanese") if kana >= _KANA_SHARE * (han + kana) else ("zh", "Han")
    return name, {"ko-mecab": "Hangul", "char": "Thai, Lao, Khmer or Myanmar"}[name]


def check_bleu_tokenize(name: str) -> str:
    """``name`` when it is one of :data:`BLEU_TOKENIZE_CHOICES` (the config's and the chooser's one check).

    Raises:
        NLPConfigError: another name, listing the choices.
    """
    if name not in BLEU_TOKENIZE_CHOICES:
        raise NLPConfigError(
            f"unknown BLEU tokenizer {name!r}; use one of {', '.join(BLEU_TOKENIZE_CHOICES)}"
        )
    return name


def choose_bleu_tokenize(tgt: str, references: Sequence[str], override: str = AUTO) -> BleuTokenize:
    """The sacrebleu tokenizer of corpus BLEU on ``references`` in language ``tgt`` (see the module).

    Args:
        tgt: the target language code the bundle records (``zh_CN``, ``ja``, ``de``; may be empty).
        references: the reference translations (their script decides where ``tgt`` does not).
        override: a tokenizer of :data:`BLEU_TOKENIZE_CHOICES`; ``auto`` chooses.

    Raises:
        NLPConfigError: an unknown ``override``, or a MeCab tokenizer asked for that cannot run.
    """
    check_bleu_tokenize(override)
    if override != AUTO:
        if override in _MECAB and not _mecab_works(override):
            language, code, fallback = _MECAB[override]
            raise NLPConfigError(
                f"{option('bleu_tokenize', override)} needs MeCab for {language} (pip install "
                f"'sacrebleu[{code}]'); install it or give {option('bleu_tokenize', fallback)}"
            )
        return BleuTokenize(override, "--bleu-tokenize")
    by_language = language_tokenize(tgt)
    if by_language is not None:
        return _usable(by_language, f"target language {tgt}")
    by_script = _script_tokenize(references)
    if by_script is None:
        return BleuTokenize("13a", f"target language {tgt or 'unknown'}")
    name, script = by_script
    chosen = _usable(name, f"references written in {script} (target language {tgt or 'unknown'})")
    if chosen.name != "13a":
        logger.warning(
            "the target language is %s, but the references are written in %s: BLEU tokenized with %s "
            "(%s to choose)",
            tgt or "unknown",
            script,
            chosen.name,
            option("bleu_tokenize"),
        )
    return chosen
