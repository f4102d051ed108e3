"""A translator reads its inputs' whitespace as the training pairs were read: runs as one space, none around.

Found walking the product (session 42): the training pairs are whitespace-normalised
(``carrousel.nlp.parallel.sift_pairs``), and so are the pairs ``translate evaluate`` scores, but ``translate run``
and ``Translator.translate`` read a trailing or doubled space as a lone ``▁`` token no training source held:
on git's 251 test sources (a 3-epoch en -> de model), a space after each changed 223 of the network's
translations, a newline after each 188, doubled spaces 237 and greedy BLEU 36.05 -> 31.85, all with exit 0.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from carrousel.nlp.config import DecodeConfig
from carrousel.nlp.pipeline import Translator

_CLEAN = ["the red house", "a small dog runs", "the old man reads the book", "green tree"]


@pytest.mark.parametrize(
    "spaced",
    [
        lambda s: s + " ",
        lambda s: "\t" + s + "\r\n",
        lambda s: s.replace(" ", "  "),
        lambda s: s.replace(" ", " \u00a0"),
    ],
    ids=["trailing space", "tab and line end around", "doubled spaces", "space and NBSP"],
)
@pytest.mark.parametrize("beam", [1, 3])
def test_whitespace_changes_no_translation(
    undertrained: Path, toy_pairs: object, spaced: object, beam: int
) -> None:
    tr = Translator.from_pretrained(undertrained)
    sources = _CLEAN + [s for s, _ in sorted(toy_pairs(40, 7))]  # type: ignore[operator]
    given = [spaced(s) for s in sources]  # type: ignore[operator]
    dc = DecodeConfig(beam=beam, mbr=beam > 1)
    plain, padded = tr.translate(sources, dc, attention=True), tr.translate(given, dc, attention=True)
    for a, b, text in zip(plain, padded, given, strict=True):
        assert (b.text, b.model_text, b.nll, b.chosen, b.source_tokens) == (
            a.text,
            a.model_text,
            a.nll,
            a.chosen,
            a.source_tokens,
        )
        assert b.source == text  # the input is given back as written


def test_read_spaced_is_the_training_pairs_reading() -> None:
    from carrousel.nlp.parallel import read_spaced, sift_pairs

    raw = [("  open\tthe  file \n", "die Datei öffnen"), ("close it", "schließen")]
    kept, _ = sift_pairs(raw, max_ratio=None, max_words=None)
    assert kept[0][0] == read_spaced(raw[0][0]) == "open the file"
