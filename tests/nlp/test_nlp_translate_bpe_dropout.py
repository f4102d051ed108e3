"""BPE-dropout (``nlp translate train --bpe-dropout P``): the seeded segmentations of
:mod:`carrousel.nlp.bpe_dropout` replay the tokenizer's merges exactly at ``P = 0``, always give
vocabulary pieces that join back to the word, keep placeholders as decoding sees them and repeat with the
seed; the training pairs are segmented anew each epoch, and a toy translator trained with them learns."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from carrousel.nlp.bpe_dropout import BpeDropout
from carrousel.nlp.config import TokenizerConfig, TranslateDataConfig, TranslateTrainConfig
from carrousel.nlp.errors import NLPConfigError, TokenizerError
from carrousel.nlp.gettext_pairs import read_mo
from carrousel.nlp.pipeline.translate import Translator
from carrousel.nlp.pipeline.translate_vocab import (
    DropoutPairs,
    Vocabularies,
    encode_pairs,
    pair_loader,
    train_vocabularies,
)
from carrousel.nlp.placeholders import ALPHABET, mask_pair
from carrousel.nlp.tokenization import train_tokenizer
from tests.nlp.translate_toys import cli_translator

GIT_MO = Path("/usr/share/locale/de/LC_MESSAGES/git.mo")
TEXTS = [
    "could not open '%s' for writing: %s",
    "use --force to overwrite the working tree files",
    "the remote repository /srv/git/project.git has no branch main",
    "Unterstützung für Dateisysteme mit 1024 Einträgen",
    "show the configured remotes and their URLs",
    "warning: ignoring broken ref refs/heads/initialize_job_control",
]


@pytest.fixture(scope="module")
def pairs() -> list[tuple[str, str]]:
    """Masked English -> German pairs: git's catalogue where installed, else the toy commands."""
    if GIT_MO.exists():
        raw = read_mo(GIT_MO)[:1500]
    else:
        raw = [(s, t) for s, t in zip(TEXTS, TEXTS[1:] + TEXTS[:1], strict=True)] * 20
    return [mask_pair(s, t, None, None) for s, t in raw]


@pytest.fixture(scope="module")
def bpe(pairs: list[tuple[str, str]]) -> Vocabularies:
    return train_vocabularies(pairs, TokenizerConfig("bpe", 600, 2, False), True, ALPHABET)


def _texts(pairs: list[tuple[str, str]]) -> list[str]:
    return [x for p in pairs for x in p] + [mask_pair(t, t, None, None)[0] for t in TEXTS]


def test_zero_dropout_replays_the_tokenizer_exactly(bpe: Vocabularies, pairs: list[tuple[str, str]]) -> None:
    tok = bpe.source
    seg, rng = BpeDropout(tok, 0.0), np.random.default_rng(0)
    texts = _texts(pairs)
    assert [seg.encode(t, rng) for t in texts] == [tok.encode(t) for t in texts]  # the merges, in Python
    # the training pairs at P = 0 are today's, in the same batches
    dropped = DropoutPairs(bpe, pairs, 100, 0.0, 0)
    today = encode_pairs(bpe, pairs, 100)
    assert len(dropped) == len(today) > 0
    assert all((a == c).all() and (b == d).all() for (a, b), (c, d) in zip(dropped.items, today, strict=True))
    new, old = pair_loader(dropped, 32, True, 0), pair_loader(today, 32, True, 0)
    for epoch in (0, 1):
        new.batch_sampler.set_epoch(epoch)
        old.batch_sampler.set_epoch(epoch)
        for x, y in zip(new, old, strict=True):
            assert len(x) == len(y) and all(a.equal(b) for a, b in zip(x, y, strict=True))


def test_dropout_pieces_are_vocabulary_entries_that_join_back(
    bpe: Vocabularies, pairs: list[tuple[str, str]]
) -> None:
    tok = bpe.source
    vocab = set(tok.vocabulary())
    seg, rng = BpeDropout(tok, 0.3), np.random.default_rng(1)
    changed = 0
    for text in _texts(pairs)[:800]:
        for word in tok.pretokenize(text):
            pieces = seg.segment(word, rng)
            if pieces is None:  # a placeholder or an unknown character: the deterministic pieces
                assert any(c in ALPHABET or c not in vocab for c in word)
                continue
            assert "".join(pieces) == word and all(p in vocab for p in pieces)
            changed += len(pieces) > len(tok.word_ids(word))
        ids = seg.encode(text, rng)
        assert all(0 <= i < tok.vocab_size and i != tok.unk_id for i in ids) or tok.unk_id in tok.encode(text)
        assert tok.decode(ids) == tok.decode(tok.encode(text))
    assert changed > 100  # dropout does split words further (2,059 words on git's catalogue)


def test_placeholders_keep_their_tokens(bpe: Vocabularies) -> None:
    tok = bpe.source
    seg = BpeDropout(tok, 0.9)  # nearly every merge skipped: words fall apart, placeholders do not
    masked = [mask_pair(t, t, None, None)[0] for t in TEXTS]
    words = [w for t in masked for w in tok.pretokenize(t) if any(c in ALPHABET for c in w)]
    assert len(words) >= 5  # two formats, an option, a path, a number
    for seed in range(5):
        rng = np.random.default_rng(seed)
        assert all(seg.segment(w, rng) is None for w in words)  # None: the deterministic pieces
        for text in masked:  # each placeholder symbol keeps the token decoding gives it
            ours = [tok.id_to_token(i) for i in seg.encode(text, rng)]
            plain = [tok.id_to_token(i) for i in tok.encode(text)]
            assert [p for p in ours if set(p) & set(ALPHABET)] == [p for p in plain if set(p) & set(ALPHABET)]


def test_the_seed_fixes_the_segmentations_and_epochs_vary_them(
    bpe: Vocabularies, pairs: list[tuple[str, str]]
) -> None:
    def epoch(data: DropoutPairs, e: int) -> list[list[int]]:
        data.epoch = e
        return [data[i][0].tolist() + data[i][1].tolist() for i in range(len(data))]

    a, b = DropoutPairs(bpe, pairs, 100, 0.1, 7), DropoutPairs(bpe, pairs, 100, 0.1, 7)
    assert epoch(a, 0) == epoch(b, 0) and epoch(a, 3) == epoch(b, 3)
    plain = [s.tolist() + t.tolist() for s, t in a.items]
    first, second = epoch(a, 0), epoch(a, 1)
    changed = np.mean([x != y for x, y in zip(first, plain, strict=True)])
    assert 0.3 < changed < 0.97  # pairs segmented otherwise than deterministically: 0.80 on git's catalogue
    assert first != second and first != epoch(DropoutPairs(bpe, pairs, 100, 0.1, 8), 0)
    # the loader sets the epoch: each epoch's batches hold that epoch's segmentations
    loader = pair_loader(a, 16, True, 0)
    loader.batch_sampler.set_epoch(2)
    next(iter(loader))
    assert a.epoch == 2


def test_bad_dropout_is_refused(bpe: Vocabularies) -> None:
    with pytest.raises(NLPConfigError, match="bpe_dropout must be in"):
        TranslateTrainConfig(TranslateDataConfig(pairs=("x.tsv",)), bpe_dropout=1.0)
    with pytest.raises(TokenizerError, match="BPE dropout must be in"):
        BpeDropout(bpe.source, -0.1)
    word = train_tokenizer(["open the file"] * 3, TokenizerConfig("word", 20, 1, False))
    with pytest.raises(TokenizerError, match="needs a BPE tokenizer"):
        BpeDropout(word, 0.1)


def test_a_toy_translator_trained_with_dropout_learns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    model = cli_translator(tmp_path, "--bpe-dropout", "0.1", "--epochs", "4", "--batch-size", "32")
    doc = json.loads(capsys.readouterr().out)
    curve = doc["valid_curve"]
    assert len(curve) == doc["epochs"] == 4 and curve[-1] < curve[0]
    assert doc["valid_loss"] < math.log(doc["vocab_size"]) - 1.5  # well below uniform (4.09)
    meta = json.loads((model / "bundle.json").read_text(encoding="utf-8"))
    assert meta["assets"]["bpe_dropout"] == 0.1  # recorded; decoding does not use it
    texts, want = (
        ["open the file", "close a file", "read the file"],
        ["öffne die Datei", "schließe eine Datei", "lies die Datei"],
    )
    got = [t.text for t in Translator.from_pretrained(model).translate(texts)]
    assert sum(g == w for g, w in zip(got, want, strict=True)) >= 2
    del meta["assets"]["bpe_dropout"]  # a bundle from before the option loads and translates the same
    (model / "bundle.json").write_text(json.dumps(meta), encoding="utf-8")
    assert [t.text for t in Translator.from_pretrained(model).translate(texts)] == got
