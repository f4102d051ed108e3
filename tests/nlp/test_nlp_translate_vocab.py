"""Separate source and target vocabularies (``nlp translate train --separate-vocab``): the pointer copies a
source piece to the target id of the same piece, so a network with two vocabularies still copies names it
never saw; the pipeline trains one vocabulary per side on the training pairs, stores both in the bundle,
and translates the same after a save, a load and an ONNX export."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from carrousel.core.data import SequenceCollator
from carrousel.core.train import TrainConfig, Trainer
from carrousel.nlp.cli import main
from carrousel.nlp.config import DecodeConfig, TokenizerConfig, TranslateNetConfig
from carrousel.nlp.lexicon import ibm_model1
from carrousel.nlp.pipeline.translate import Translator
from carrousel.nlp.pipeline.translate_vocab import TARGET_TOKENIZER_FILE, copy_targets, train_vocabularies
from carrousel.nlp.placeholders import ALPHABET
from carrousel.nlp.seq2seq import build_seq2seq
from carrousel.nlp.seq2seq_decode import decode_batch
from carrousel.nlp.task import TranslationTask
from tests.nlp.translate_toys import cli_translator, symbol_pairs

BOS, EOS, UNK = 2, 3, 1
WORDS = list(range(4, 12))  # source words; their translations are target ids 4..11 (other pieces)
NAMES = list(range(20, 220))  # names, copied: source id n is target id n - 8 (12..211)
UNSEEN = list(range(220, 250))  # names no training pair holds (target ids 212..241)
V_SRC, V_TGT = 250, 242
COPY = np.array([*range(4), *[UNK] * 16, *[n - 8 for n in range(20, 250)]], dtype=np.int64)


def pairs(n: int, seed: int, names: list[int]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Words keep their ids (now target pieces), names are copied to ``id - 8``."""
    return symbol_pairs(n, seed, WORDS, names, lambda x: x if x in WORDS else x - 8)


def test_the_pointer_copies_unseen_names_across_two_vocabularies() -> None:
    torch.manual_seed(0)
    net = TranslateNetConfig(embed_dim=32, hidden_size=64, dropout=0.0, pointer=True)
    model = build_seq2seq(net, V_SRC, V_TGT, shared_embeddings=False)
    model.set_copy_ids(torch.from_numpy(COPY))
    collate = SequenceCollator(sequence_targets=True)
    data = DataLoader(pairs(1200, 0, NAMES), batch_size=64, shuffle=True, collate_fn=collate)  # type: ignore[arg-type]
    config = TrainConfig(epochs=3, lr=1e-2, progress=False, device="cpu", seed=0)
    Trainer(model, TranslationTask(BOS), config).fit(data)
    model.eval()
    unseen = pairs(200, 7, UNSEEN)
    hyps = decode_batch(model, [s.tolist() for s, _ in unseen], BOS, EOS, beam=1)
    # the target ids of names no training pair had can only come from the copy: 0.865 measured (3 epochs)
    copied = [
        all(x - 8 in h.labels for x in s if x in UNSEEN) for h, (s, _) in zip(hyps, unseen, strict=True)
    ]
    assert np.mean(copied) >= 0.75
    assert not any(
        x in h.labels for h, (s, _) in zip(hyps, unseen, strict=True) for x in s if x in UNSEEN[-8:]
    )


def test_vocabularies_copy_targets_and_lexicon_rows() -> None:
    rows = [("open the file", "öffne die Datei"), ("close the file", "schließe die Datei")] * 20
    cfg = TokenizerConfig("bpe", 60, 1, False)
    vocab = train_vocabularies(rows, cfg, shared=False, alphabet=ALPHABET)
    assert not vocab.shared and set(vocab.files()) == {"tokenizer.json", TARGET_TOKENIZER_FILE}
    src_pieces, tgt_pieces = set(vocab.source.vocabulary()), set(vocab.target.vocabulary())
    assert "Datei" not in "".join(src_pieces) and "file" not in "".join(tgt_pieces)
    ids = copy_targets(vocab.source, vocab.target)
    assert ids.shape == (vocab.source.vocab_size,) and ids[:4].tolist() == [0, 1, 2, 3]
    for symbol in ALPHABET:  # the placeholders are pieces of both sides: copied to themselves
        assert vocab.target.id_to_token(int(ids[vocab.source.vocabulary().index(symbol)])) == symbol
    assert train_vocabularies(rows, cfg, shared=True).shared
    lex_ids, _ = ibm_model1([([5], [7])], 10, top=2, targets=np.arange(10) % 6, tgt_vocab_size=8)
    assert lex_ids.shape == (10, 2) and int(lex_ids[5, 0]) == 7 and int(lex_ids[9, 0]) == 3  # unseen: targets


def test_separate_vocab_bundle_round_trip_and_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("onnxruntime")
    capsys.readouterr()
    model = cli_translator(tmp_path, "--separate-vocab", "--epochs", "3", "--batch-size", "32")
    doc = json.loads(capsys.readouterr().out)
    assert doc["valid_loss"] < math.log(doc["target_vocab_size"]) - 1.5  # well below uniform (4.63): 2.84
    assert (model / "assets" / TARGET_TOKENIZER_FILE).is_file()
    tr = Translator.from_pretrained(model)
    assert not tr.vocab.shared and tr.model.copy_ids is not None
    assert tr.model.config.src_vocab_size == tr.tokenizer.vocab_size
    assert tr.model.config.tgt_vocab_size == tr.target_tokenizer.vocab_size
    texts = ["open the file --force", "close a file --verbose", "read --all"]
    eager = tr.translate(texts, DecodeConfig(beam=3, mbr=False, fallback_nll=0.0))
    assert all(t.text.strip() for t in eager)
    out = tmp_path / "fp32"
    args = ["--model", str(model), "-o", str(out), "--precision", "fp32", "--json"]
    monkeypatch.setattr(sys, "argv", ["nlp", "translate", "export", *args])
    with pytest.raises(SystemExit) as done:
        main()
    assert not done.value.code
    capsys.readouterr()
    deployed = Translator.from_pretrained(out)
    got = deployed.translate(texts, DecodeConfig(beam=3, mbr=False, fallback_nll=0.0))
    assert [t.text for t in got] == [t.text for t in eager]
    assert all(abs(a.score - b.score) < 1e-4 for a, b in zip(got, eager, strict=True))
