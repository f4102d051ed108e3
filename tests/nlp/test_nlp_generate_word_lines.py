"""A word language model reads a line break as a word of its own.

Before, the word tokenizer split at spaces only, so the last word of a line and the first of the next were
one word (``mat\\nthe``), unknown unless that very pair was frequent: on botchan.txt (a novel wrapped at 70
characters), 440 of 5,858 held-out words were such pairs, [UNK] to the model, which could then write a line
break only inside the few pairs it had learnt. Subword and character models are unchanged.
"""

from __future__ import annotations

from pathlib import Path

from carrousel.nlp.pipeline import TextGenerator
from tests.nlp.test_nlp_generate_unknown import tiny_lm

# 13 words in lines of 7: the line breaks fall between different words each time
WORDS = ["the", "cat", "sat", "on", "the", "mat", "and", "the", "dog", "ran", "to", "the", "log"]
TEXT = "\n".join(" ".join(WORDS[(i + j) % 13] for j in range(7)) for i in range(0, 7 * 60, 7)) + "\n"


def _word_lm(folder: Path, kind: str = "word") -> Path:
    return tiny_lm(folder, kind, TEXT)


def test_a_word_model_reads_every_word_of_a_wrapped_text(tmp_path: Path) -> None:
    tok = TextGenerator.from_pretrained(_word_lm(tmp_path)).tokenizer
    ids = tok.encode(TEXT)
    assert tok.unk_id not in ids
    assert tok.decode(ids) == TEXT
    assert [tok.id_to_token(i) for i in tok.encode("dog\ncat")] == ["▁dog", "\n", "cat"]


def test_subword_models_keep_their_pieces(tmp_path: Path) -> None:
    tok = TextGenerator.from_pretrained(_word_lm(tmp_path, "bpe")).tokenizer
    assert tok.decode(tok.encode(TEXT)) == TEXT
