"""Scripts written without spaces between words (Chinese, Japanese, Thai, Lao, Khmer, Myanmar), as
character classes, and how many characters each takes per English word.

One place for them: the parallel-text cleaning counts words by them (:mod:`carrousel.nlp.parallel`),
BLEU picks its tokenizer by them (:mod:`carrousel.nlp.bleu_tokenize`) and the word dictionary cuts its
target units by them (:mod:`carrousel.nlp.baselines`).

The characters per English word are medians measured on the system's gettext catalogues (msgid words
against msgstr characters): Chinese 1.75 (git) to 2.0 (apt, dpkg, bash, coreutils, tar); Japanese 3.3,
kana and kanji together (same five); Thai 6.0 (apt, dpkg); Khmer 6.2 (apt, dpkg, Linux-PAM, shadow);
Myanmar 6.9 (gtk20, Linux-PAM); Lao as Thai.
"""

from __future__ import annotations

import re

__all__ = ["HAN", "HAN_PER_WORD", "JAPANESE_PER_WORD", "KANA", "UNSPACED", "UNSPACED_SCRIPTS"]

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")  # Chinese characters
KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")  # Japanese hiragana and katakana
UNSPACED_SCRIPTS = (  # the other unspaced scripts, each with its characters per English word
    (re.compile(r"[\u0e00-\u0eff]"), 6.0),  # Thai, Lao
    (re.compile(r"[\u1780-\u17ff]"), 6.2),  # Khmer
    (re.compile(r"[\u1000-\u109f]"), 6.9),  # Myanmar
)
HAN_PER_WORD, JAPANESE_PER_WORD = 1.8, 3.3  # characters per English word: Chinese; Japanese (kana + kanji)
UNSPACED = re.compile(  # any character of a script written without spaces
    "|".join([HAN.pattern, KANA.pattern] + [pattern.pattern for pattern, _ in UNSPACED_SCRIPTS])
)
