"""``nlp generate run --max-tokens`` large: each token decodes only the tokens since the last piece (with
the piece before as context), not the whole text, and the pieces are exactly the whole text's decoding.

Before, the whole text was decoded again at every token: 100,000 tokens printed 20 KB in two minutes
(quadratic); 20,000 tokens now stream in about a minute on two busy cores.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import carrousel.nlp.pipeline.generate as generate
from carrousel.nlp.config import FitConfig, LMDataConfig, LMNetConfig, LMTrainConfig, TokenizerConfig
from carrousel.nlp.pipeline import TextGenerator, train_lm
from carrousel.nlp.tokenization import TextTokenizer


@pytest.fixture(scope="module")
def word_lm(tmp_path_factory: pytest.TempPathFactory, small_text: Path) -> Path:
    """A one-epoch LM over a Metaspace (bpe) tokenizer, whose decoder drops a leading space: pieces must
    still join to the whole text's decoding."""
    out = tmp_path_factory.mktemp("models") / "bpe_lm"
    cfg = LMTrainConfig(
        LMDataConfig((str(small_text),), holdout=0.1),
        tokenizer=TokenizerConfig(kind="bpe", vocab_size=200, min_frequency=1, lowercase=False),
        model=LMNetConfig(embed_dim=16, hidden_size=16, dropout=0.0),
        fit=FitConfig(epochs=1, batch_size=8, progress=False),
        bptt=20,
        segment=40,
    )
    train_lm(cfg, out)
    return out


@pytest.mark.parametrize("which", ["lm_model", "word_lm"])
@pytest.mark.parametrize("prompt", ["", "It was a "])
def test_pieces_join_to_the_whole_decoding_and_decode_stays_short(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, which: str, prompt: str
) -> None:
    gen = TextGenerator.from_pretrained(request.getfixturevalue(which))
    sampled: list[int] = []
    decoded: list[int] = []
    sample_next, decode = generate.sample_next, TextTokenizer.decode

    def recording_sample(*args: object, **kwargs: object) -> object:
        nxt = sample_next(*args, **kwargs)  # type: ignore[arg-type]
        sampled.append(int(nxt))
        return nxt

    def recording_decode(self: TextTokenizer, ids: list[int]) -> str:
        decoded.append(len(ids))
        return decode(self, ids)

    context = gen._start(prompt)
    monkeypatch.setattr(generate, "sample_next", recording_sample)
    monkeypatch.setattr(TextTokenizer, "decode", recording_decode)
    pieces = list(gen.stream(prompt, max_tokens=300, temperature=1.0, seed=3))
    monkeypatch.undo()
    tok = gen.tokenizer
    whole = tok.decode(context + sampled)[len(tok.decode(context)) :] if prompt else tok.decode(sampled)
    assert len(sampled) == 300 and "".join(pieces) == whole
    assert max(decoded) <= len(context) + 20, max(decoded)  # was len(context) + 300: the whole text
