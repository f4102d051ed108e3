"""The translation network: a toy reversal task learned through attention, masking, and decoding that
agrees with itself (beam 1 = greedy, batched = one by one, saved = loaded)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from carrousel.core.bundle import Bundle, load_bundle
from carrousel.core.data import SequenceCollator
from carrousel.core.train import TrainConfig, Trainer
from carrousel.nlp.config import TranslateNetConfig
from carrousel.nlp.seq2seq import Seq2Seq, build_seq2seq
from carrousel.nlp.seq2seq_decode import decode_batch
from carrousel.nlp.task import TranslationTask, teacher_inputs

BOS, EOS, V = 2, 3, 14  # ids 4..13 are the toy symbols


def reversal_pairs(n: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Random symbol strings of 2..7 and their reversal (then EOS)."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        s = [rng.randrange(4, V) for _ in range(rng.randint(2, 7))]
        out.append((np.array(s), np.array([*s[::-1], EOS])))
    return out


@pytest.fixture(scope="module")
def reverser() -> Seq2Seq:
    """A small model trained for a few seconds to reverse symbol strings."""
    torch.manual_seed(0)
    model = build_seq2seq(TranslateNetConfig(embed_dim=32, hidden_size=64, dropout=0.0), V, V)
    collate = SequenceCollator(sequence_targets=True)
    train = DataLoader(reversal_pairs(2000, 0), batch_size=64, shuffle=True, collate_fn=collate)  # type: ignore[arg-type]
    valid = DataLoader(reversal_pairs(200, 1), batch_size=64, collate_fn=collate)  # type: ignore[arg-type]
    config = TrainConfig(epochs=5, lr=1e-2, progress=False, device="cpu", seed=0)
    Trainer(model, TranslationTask(BOS, label_smoothing=0.0), config).fit(train, valid)
    return model.eval()


def _sources(n: int, seed: int) -> list[list[int]]:
    return [s.tolist() for s, _ in reversal_pairs(n, seed)]


def test_reversal_is_learned_near_perfectly(reverser: Seq2Seq) -> None:
    sources = _sources(300, 7)
    hyps = decode_batch(reverser, sources, BOS, EOS)
    accuracy = np.mean([h.labels == s[::-1] for h, s in zip(hyps, sources, strict=True)])
    assert accuracy >= 0.95  # copying in order (no attention to the right place) scores ~0
    # the attention of a correct reversal points at the mirrored source position
    h, s = hyps[0], sources[0]
    assert h.extras is not None and h.extras.shape == (len(s), len(s))
    assert h.extras.argmax(dim=1).tolist() == list(range(len(s)))[::-1]


def test_beam_of_one_equals_greedy(reverser: Seq2Seq) -> None:
    sources = _sources(40, 8)
    greedy = decode_batch(reverser, sources, BOS, EOS, beam=1)
    beam1 = decode_batch(reverser, sources, BOS, EOS, beam=1, length_penalty=0.0)
    beam = decode_batch(reverser, sources, BOS, EOS, beam=4)
    assert [h.labels for h in greedy] == [h.labels for h in beam1]
    assert [h.labels for h in beam] == [s[::-1] for s in sources]


def test_batched_and_one_by_one_decoding_agree(reverser: Seq2Seq) -> None:
    sources = _sources(30, 9)
    for beam in (1, 3):
        batched = decode_batch(reverser, sources, BOS, EOS, beam=beam, length_penalty=1.0)
        single = [decode_batch(reverser, [s], BOS, EOS, beam=beam, length_penalty=1.0)[0] for s in sources]
        assert [h.labels for h in batched] == [h.labels for h in single]
        for a, b in zip(batched, single, strict=True):
            assert a.score == pytest.approx(b.score, abs=1e-4)
            assert a.extras is not None and b.extras is not None
            torch.testing.assert_close(a.extras, b.extras, atol=1e-5, rtol=1e-4)


def test_padding_never_receives_attention_nor_changes_outputs() -> None:
    torch.manual_seed(1)
    model = build_seq2seq(TranslateNetConfig(embed_dim=16, hidden_size=32, dropout=0.0), V, V).eval()
    src = torch.randint(4, V, (3, 6))
    lengths = torch.tensor([6, 4, 2])
    y = torch.randint(4, V, (3, 5))
    tgt_in = teacher_inputs(y, BOS)
    padded = src.clone()
    for i, n in enumerate(lengths.tolist()):
        padded[i, n:] = 0
    noisy = padded.clone()
    noisy[1, 4:], noisy[2, 2:] = 5, 9  # other ids where padding was: must change nothing
    with torch.no_grad():
        weights = model.attention_weights(padded, lengths, tgt_in)
        assert float(weights[1, :, 4:].abs().max()) == 0.0 and float(weights[2, :, 2:].abs().max()) == 0.0
        torch.testing.assert_close(weights.sum(-1), torch.ones(3, 5))
        torch.testing.assert_close(model(padded, lengths, tgt_in), model(noisy, lengths, tgt_in))
        # a row decoded alone, without padding, gets the same logits as inside the padded batch
        alone = model(padded[2:, :2], lengths[2:], tgt_in[2:])
        torch.testing.assert_close(alone[0], model(padded, lengths, tgt_in)[2], atol=1e-5, rtol=1e-4)


def test_teacher_inputs_shift_and_clear_padding() -> None:
    y = torch.tensor([[7, 8, EOS], [9, EOS, -100]])
    assert teacher_inputs(y, BOS).tolist() == [[BOS, 7, 8], [BOS, 9, EOS]]


def test_bundle_round_trip_translates_the_same(reverser: Seq2Seq, tmp_path: Path) -> None:
    Bundle(kind="nlp.translate", model=reverser, assets={"src": "en", "tgt": "de"}).save(tmp_path / "m")
    loaded = load_bundle(tmp_path / "m", kind="nlp.translate").model
    assert isinstance(loaded, Seq2Seq) and loaded.config == reverser.config
    loaded.eval()
    sources = _sources(20, 10)
    a = decode_batch(reverser, sources, BOS, EOS, beam=3)
    b = decode_batch(loaded, sources, BOS, EOS, beam=3)
    assert [h.labels for h in a] == [h.labels for h in b]
    # tied weights stay tied after loading: the output layer is the decoder embedding
    assert loaded.src_embedding is loaded.tgt_embedding
