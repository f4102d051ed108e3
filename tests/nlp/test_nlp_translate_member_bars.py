"""``nlp translate train --members N`` names the member training in each epoch's progress bar and log line
(``member 2/3, epoch 1/30``, finance's format, through the Trainer's ``progress_label``); before, every
member's bar read a plain ``epoch 1/30``, so one could not tell which member was training. A lone network
keeps the plain bar."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from carrousel.nlp.config import (
    FitConfig,
    TokenizerConfig,
    TranslateDataConfig,
    TranslateNetConfig,
    TranslateTrainConfig,
)
from carrousel.nlp.pipeline.translate import train_translator


def _train(tmp: Path, pairs: Path, members: int) -> None:
    cfg = TranslateTrainConfig(
        data=TranslateDataConfig(pairs=(str(pairs),)),
        tokenizer=TokenizerConfig("bpe", 150, 1, False),
        model=TranslateNetConfig(embed_dim=8, hidden_size=8, dropout=0.0),
        fit=FitConfig(epochs=2, batch_size=64, lr=1e-2, progress=True, threads=1, seed=3),
        members=members,
        workers=1,
    )
    train_translator(cfg, tmp / f"m{members}")


def test_each_member_s_bar_names_the_member(
    tmp_path: Path, toy_pairs: Any, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("".join(f"{s}\t{t}\n" for s, t in sorted(toy_pairs(120, 0))), encoding="utf-8")
    capsys.readouterr()
    with caplog.at_level("INFO", logger="carrousel"):
        _train(tmp_path, pairs, 2)
    err = capsys.readouterr().err
    for k in (1, 2):
        assert f"member {k}/2, epoch 1/2" in err and f"member {k}/2, epoch 2/2" in err
    assert err.count("epoch 1/2") == err.count("member 1/2, epoch 1/2") + err.count("member 2/2, epoch 1/2")
    logged = [r.getMessage().split(":")[0] for r in caplog.records if ", epoch" in r.getMessage()]
    assert logged[:4] == [
        "member 1/2, epoch 1",
        "member 1/2, epoch 2",
        "member 2/2, epoch 1",
        "member 2/2, epoch 2",
    ]
    _train(tmp_path, pairs, 1)
    err = capsys.readouterr().err
    assert "epoch 1/2" in err and "member" not in err
