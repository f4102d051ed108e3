"""The pointer-generator: it learns to copy source tokens that never occurred in training (where the plain
network, which can only generate, cannot) while translating the others, its step returns normalised log-probabilities of the mixture,
and beam search and batching agree with greedy decoding through it."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from carrousel.core.data import SequenceCollator
from carrousel.core.train import TrainConfig, Trainer
from carrousel.nlp.config import TranslateNetConfig
from carrousel.nlp.errors import NLPConfigError
from carrousel.nlp.seq2seq import Seq2Seq, Seq2SeqConfig, build_seq2seq
from carrousel.nlp.seq2seq_decode import decode_batch
from carrousel.nlp.task import TranslationTask, teacher_inputs
from tests.nlp.translate_toys import symbol_pairs

BOS, EOS = 2, 3
WORDS = list(range(4, 12))  # source words, translated as word + 8 (ids 12..19 only occur in targets)
NAMES = list(range(20, 220))  # names (identifiers, option names): many, each rare, copied as they are
UNSEEN = list(range(220, 250))  # names no training pair holds
V = 250


def pairs(n: int, seed: int, names: list[int]) -> list[tuple[np.ndarray, np.ndarray]]:
    """3..6 words with one or two names among them; the target translates each word and keeps each name."""
    return symbol_pairs(n, seed, WORDS, names, lambda x: x + 8 if x in WORDS else x)


def train(pointer: bool) -> Seq2Seq:
    torch.manual_seed(0)
    net = TranslateNetConfig(embed_dim=32, hidden_size=64, dropout=0.0, pointer=pointer)
    model = build_seq2seq(net, V, V)
    collate = SequenceCollator(sequence_targets=True)
    data = DataLoader(pairs(1200, 0, NAMES), batch_size=64, shuffle=True, collate_fn=collate)  # type: ignore[arg-type]
    valid = DataLoader(pairs(100, 1, NAMES), batch_size=64, collate_fn=collate)  # type: ignore[arg-type]
    config = TrainConfig(epochs=5, lr=1e-2, progress=False, device="cpu", seed=0)
    Trainer(model, TranslationTask(BOS), config).fit(data, valid)
    return model.eval()


@pytest.fixture(scope="module")
def models() -> dict[str, Seq2Seq]:
    return {"pointer": train(True), "plain": train(False)}


def _accuracy(model: Seq2Seq, data: list[tuple[np.ndarray, np.ndarray]], beam: int = 1) -> float:
    hyps = decode_batch(model, [s.tolist() for s, _ in data], BOS, EOS, beam=beam)
    return float(np.mean([h.labels == t[:-1].tolist() for h, (_, t) in zip(hyps, data, strict=True)]))


def test_the_pointer_copies_unseen_symbols_where_the_plain_network_cannot(models: dict[str, Seq2Seq]) -> None:
    unseen = pairs(200, 7, UNSEEN)
    assert _accuracy(models["pointer"], unseen) >= 0.8  # 0.84 measured: every sentence holds 1-2 new names
    assert _accuracy(models["pointer"], unseen, beam=4) >= 0.8
    assert _accuracy(models["plain"], unseen) <= 0.05  # it never learned to emit the new names
    seen = pairs(200, 8, NAMES)  # names of the training pairs: the plain network learned a few of them
    assert _accuracy(models["pointer"], seen) >= 0.9


def test_step_and_forward_give_normalised_log_probs_that_agree(models: dict[str, Seq2Seq]) -> None:
    model = models["pointer"]
    src = torch.tensor([[230, 5, 231, 6], [7, 232, 0, 0]])
    lengths = torch.tensor([4, 2])
    y = torch.tensor([[230, 13, 231, 14, EOS], [15, 232, EOS, -100, -100]])
    tgt_in = teacher_inputs(y, BOS)
    with torch.no_grad():
        out = model(src, lengths, tgt_in)  # (B, T, V) log-probs
        torch.testing.assert_close(out.exp().sum(-1), torch.ones(2, 5))
        torch.testing.assert_close(torch.log_softmax(out, -1), out, atol=1e-5, rtol=1e-5)
        state = model.start(src, lengths)
        for t in range(3):
            lp, state, _ = model.step(tgt_in[:, t], state)
            torch.testing.assert_close(lp, out[:, t], atol=1e-5, rtol=1e-4)
        gate = model.copy_gate(src, lengths, tgt_in)
    assert gate is not None and gate.shape == (2, 5)
    assert float(gate[0, 0]) < 0.5 and float(gate[0, 2]) < 0.5  # copying the names
    assert float(gate[0, 1]) > 0.5 and float(gate[0, 3]) > 0.5  # generating the translated words
    assert models["plain"].copy_gate(src, lengths, tgt_in) is None


def test_beam_and_batching_agree_through_the_pointer(models: dict[str, Seq2Seq]) -> None:
    model = models["pointer"]
    sources = [s.tolist() for s, _ in pairs(20, 9, UNSEEN)]
    greedy = decode_batch(model, sources, BOS, EOS, beam=1)
    beam1 = decode_batch(model, sources, BOS, EOS, beam=1, length_penalty=0.0)
    assert [h.labels for h in greedy] == [h.labels for h in beam1]
    batched = decode_batch(model, sources, BOS, EOS, beam=3, length_penalty=1.0)
    single = [decode_batch(model, [s], BOS, EOS, beam=3, length_penalty=1.0)[0] for s in sources]
    assert [h.labels for h in batched] == [h.labels for h in single]


def test_separate_vocabularies_copy_through_the_copy_ids() -> None:
    net = TranslateNetConfig(embed_dim=8, hidden_size=16, pointer=True)
    model = Seq2Seq(Seq2SeqConfig(net, 20, 30, shared_embeddings=False))
    assert model.copy_ids is not None and model.copy_ids.tolist()[:5] == [0, 1, 2, 3, 1]  # [UNK] until set
    with pytest.raises(NLPConfigError, match="target ids"):
        model.set_copy_ids(torch.full((20,), 30))
    with pytest.raises(NLPConfigError, match=r"must be \(20,\)"):
        model.set_copy_ids(torch.zeros(21, dtype=torch.long))
    with pytest.raises(NLPConfigError, match="as they are"):
        build_seq2seq(net, 20, 20).set_copy_ids(torch.zeros(20, dtype=torch.long))
    assert (
        Seq2Seq(Seq2SeqConfig(replace(net, pointer=False), 20, 30, shared_embeddings=False)).copy_ids is None
    )
