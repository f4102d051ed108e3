"""A prompt's trailing space, for a subword or word language model, is the space the next word's ``▁`` holds.

Before, ``nlp generate run --prompt "It was "`` gave such a model a lone ``▁`` after ``was`` (a double space,
which its training text never held) and showed ``It was  the``: two spaces, and another continuation than
``--prompt "It was"`` with the same seed. A character model reads the space as written (unchanged).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from carrousel.nlp.lm_data import after_prompt, prompt_read
from carrousel.nlp.pipeline import TextGenerator
from tests.nlp.test_nlp_generate_unknown import tiny_lm


@pytest.mark.parametrize("kind", ["word", "bpe"])
def test_a_trailing_space_reads_and_shows_as_one_space(tmp_path: Path, kind: str) -> None:
    gen = TextGenerator.from_pretrained(tiny_lm(tmp_path, kind))
    for seed in range(4):
        spaced = "".join(gen.stream("The cat ", max_tokens=12, temperature=1.0, seed=seed))
        plain = "".join(gen.stream("The cat", max_tokens=12, temperature=1.0, seed=seed))
        assert "The cat " + spaced == "The cat" + plain if plain.startswith(" ") else spaced == plain


def test_the_spacing_helpers() -> None:
    assert prompt_read("It was  ", "bpe") == "It was" and prompt_read("It was ", "char") == "It was "
    assert list(after_prompt(iter([" ", " the", " end"]), "It was  ", "word")) == ["the", " end"]
    assert list(after_prompt(iter([",", " so"]), "It was ", "bpe")) == [",", " so"]
    assert list(after_prompt(iter([" the"]), "It was ", "char")) == [" the"]


@pytest.mark.parametrize("kind", ["bpe", "char"])
def test_no_prompt_starts_from_the_line_break_alone(tmp_path: Path, kind: str) -> None:
    """Before, a subword model without a prompt read ``▁`` then ``\\n``: a space before the line break."""
    gen = TextGenerator.from_pretrained(tiny_lm(tmp_path, kind))
    seen: list[list[int]] = []
    network = gen.model

    class Recording(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.network = network

        def forward(self, ids: torch.Tensor, state: object = None) -> object:
            seen.append(ids.tolist()[0])
            return self.network(ids, state)

    gen.model = Recording()
    "".join(gen.stream("", max_tokens=2, seed=0))
    assert [gen.tokenizer.id_to_token(i) for i in seen[0]] == ["\n"]
