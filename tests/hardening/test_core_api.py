"""Hostile inputs to the core API: each raises the library's own error with one clear line.

Plain Python callers see :class:`~carrousel.core.errors.CarrouselError` subclasses (which also derive
from ``ValueError``/``OSError`` where it helps), never an ``AttributeError`` or a deep PyTorch message.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from carrousel.core import RecurrentConfig, RecurrentEncoder, TrainConfig
from carrousel.core.config import load_toml
from carrousel.core.data import SequenceCollator, pad_sequences
from carrousel.core.decode import beam_search, ctc_greedy_decode, ctc_prefix_beam_search, greedy_search
from carrousel.core.errors import CarrouselError
from carrousel.core.nn import SequenceClassifierConfig, SequenceRegressorConfig
from carrousel.core.train import predict


def _raises_one_line(fn: Callable[[], Any], needle: str) -> None:
    with pytest.raises(CarrouselError) as info:
        fn()
    message = str(info.value)
    assert "\n" not in message and message.strip(), message
    assert needle.lower() in message.lower(), f"{needle!r} not in {message!r}"


ENC = RecurrentEncoder(RecurrentConfig(3, 4, bidirectional=True))
X = torch.zeros(2, 5, 3)

ENCODER_INPUTS: dict[str, tuple[Callable[[], Any], str]] = {
    "numpy input": (lambda: ENC(np.zeros((2, 5, 3), np.float32)), "torch.Tensor"),
    "list input": (lambda: ENC([[0.0, 1.0, 2.0]]), "torch.Tensor"),
    "None input": (lambda: ENC(None), "torch.Tensor"),
    "meta tensor": (lambda: ENC(torch.zeros(2, 5, 3, device="meta")), "meta"),
    "2-d input": (lambda: ENC(torch.zeros(5, 3)), "(batch, time, 3)"),
    "4-d input": (lambda: ENC(torch.zeros(1, 2, 5, 3)), "(batch, time, 3)"),
    "wrong features": (lambda: ENC(torch.zeros(2, 5, 4)), "(batch, time, 3)"),
    "no time steps": (lambda: ENC(torch.zeros(2, 0, 3)), "no time steps"),
    "integer input": (lambda: ENC(torch.zeros(2, 5, 3, dtype=torch.long)), "floating-point"),
    "float64 input": (lambda: ENC(torch.zeros(2, 5, 3, dtype=torch.float64)), "dtype"),
    "fractional lengths": (lambda: ENC(X, torch.tensor([4.5, 3.0])), "whole"),
    "lengths over T": (lambda: ENC(X, torch.tensor([6, 3])), "[1, 5]"),
    "zero length": (lambda: ENC(X, torch.tensor([0, 3])), "[1, 5]"),
    "negative length": (lambda: ENC(X, torch.tensor([-1, 3])), "[1, 5]"),
    "lengths wrong count": (lambda: ENC(X, torch.tensor([5, 3, 2])), "lengths must be"),
    "mask wrong shape": (lambda: ENC(X, mask=torch.ones(2, 4, dtype=torch.bool)), "mask"),
    "mask with holes": (lambda: ENC(X, mask=torch.tensor([[1, 0, 1, 1, 1], [1, 1, 1, 0, 0]]).bool()), "mask"),
}


@pytest.mark.parametrize("case", list(ENCODER_INPUTS))
def test_encoder_inputs(case: str) -> None:
    _raises_one_line(*ENCODER_INPUTS[case])


NAN = float("nan")
CONFIGS: dict[str, tuple[Callable[[], Any], str]] = {
    "hidden 0": (lambda: RecurrentConfig(3, 0), ">= 1"),
    "hidden negative": (lambda: RecurrentConfig(3, -4), ">= 1"),
    "input 0": (lambda: RecurrentConfig(0, 4), ">= 1"),
    "layers 0": (lambda: RecurrentConfig(3, 4, num_layers=0), ">= 1"),
    "hidden float": (lambda: RecurrentConfig(3, 4.5), "integer"),  # type: ignore[arg-type]
    "hidden bool": (lambda: RecurrentConfig(3, True), "integer"),
    "hidden huge": (lambda: RecurrentConfig(3, 10**7), "limit"),
    "layers huge": (lambda: RecurrentConfig(512, 4096, num_layers=10**4), "limit"),
    "dropout 1": (lambda: RecurrentConfig(3, 4, dropout=1.0), "[0, 1)"),
    "dropout nan": (lambda: RecurrentConfig(3, 4, dropout=NAN), "[0, 1)"),
    "dropout negative": (lambda: RecurrentConfig(3, 4, dropout=-0.1), "[0, 1)"),
    "zoneout 2": (lambda: RecurrentConfig(3, 4, zoneout=2.0), "[0, 1)"),
    "recurrent dropout nan": (lambda: RecurrentConfig(3, 4, recurrent_dropout=NAN), "[0, 1)"),
    "unknown cell": (lambda: RecurrentConfig(3, 4, cell="transformer"), "unknown cell"),
    "proj too big": (lambda: RecurrentConfig(3, 4, proj_size=4), "proj_size"),
    "proj on gru": (lambda: RecurrentConfig(3, 4, cell="gru", proj_size=2), "LSTM"),
    "bad backend": (lambda: RecurrentConfig(3, 4, backend="cuda"), "backend"),
    "bad init": (lambda: RecurrentConfig(3, 4, init="zeros"), "init"),
    "lr nan": (lambda: TrainConfig(lr=NAN), "finite"),
    "lr inf": (lambda: TrainConfig(lr=math.inf), "finite"),
    "lr zero": (lambda: TrainConfig(lr=0.0), "> 0"),
    "lr negative": (lambda: TrainConfig(lr=-1e-3), "> 0"),
    "lr string": (lambda: TrainConfig(lr="0.1"), "lr='0.1' is a str, not a number; give lr=0.1"),  # type: ignore[arg-type]
    "weight decay nan": (lambda: TrainConfig(weight_decay=NAN), "finite"),
    "weight decay negative": (lambda: TrainConfig(weight_decay=-1.0), "weight_decay"),
    "momentum 1": (lambda: TrainConfig(momentum=1.0), "momentum"),
    "gamma 0": (lambda: TrainConfig(gamma=0.0), "gamma"),
    "warmup 1": (lambda: TrainConfig(warmup_pct=1.0), "warmup_pct"),
    "clip nan": (lambda: TrainConfig(grad_clip_norm=NAN), "grad_clip_norm"),
    "clip zero": (lambda: TrainConfig(grad_clip_norm=0.0), "grad_clip_norm"),
    "clip value inf": (lambda: TrainConfig(grad_clip_value=math.inf), "grad_clip_value"),
    "epochs negative": (lambda: TrainConfig(epochs=-1), ">= 1"),
    "accumulate 0": (lambda: TrainConfig(accumulate=0), "accumulate"),
    "patience 0": (lambda: TrainConfig(patience=0), "patience"),
    "precision fp8": (lambda: TrainConfig(precision="fp8"), "precision"),  # type: ignore[arg-type]
    "optimizer lion": (lambda: TrainConfig(optimizer="lion"), "optimizer"),
    "scheduler bad": (lambda: TrainConfig(scheduler="linear"), "scheduler"),
    "keep_last 0": (lambda: TrainConfig(keep_last=0), "keep_last"),
    "classes 0": (lambda: SequenceClassifierConfig(RecurrentConfig(3, 4), num_classes=0), "num_classes"),
    "pooling bad": (lambda: SequenceClassifierConfig(RecurrentConfig(3, 4), 2, pooling="first"), "pooling"),
    "quantile 1": (lambda: SequenceRegressorConfig(RecurrentConfig(3, 4), quantiles=(0.5, 1.0)), "quantile"),
    "quantile nan": (lambda: SequenceRegressorConfig(RecurrentConfig(3, 4), quantiles=(NAN,)), "quantile"),
    "out features 0": (
        lambda: SequenceRegressorConfig(RecurrentConfig(3, 4), out_features=0),
        "out_features",
    ),
}


@pytest.mark.parametrize("case", list(CONFIGS))
def test_configs(case: str) -> None:
    _raises_one_line(*CONFIGS[case])


def _step(labels: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.log_softmax(torch.zeros(len(labels), 4), -1), state


STATE = torch.zeros(2, 3)
LOGP = np.log(np.full((6, 4), 0.25))
DATA_AND_DECODING: dict[str, tuple[Callable[[], Any], str]] = {
    "pad nothing": (lambda: pad_sequences([]), "empty"),
    "pad strings": (lambda: pad_sequences(["abc"]), ""),
    "pad mismatched": (lambda: pad_sequences([np.zeros((3, 2)), np.zeros((3, 4))]), "1"),
    "pad 0-d": (lambda: pad_sequences([np.float32(1.0)]), ""),
    "collate empty": (lambda: SequenceCollator()([]), "empty"),
    "collate mixed": (lambda: SequenceCollator()([(np.zeros(2),), (np.zeros(2), 1)]), ""),
    "beam 0": (lambda: beam_search(_step, STATE, 0, 1, 5, beam_size=0), "beam_size"),
    "n_best over beam": (lambda: beam_search(_step, STATE, 0, 1, 5, beam_size=2, n_best=3), "n_best"),
    "max_len negative": (lambda: greedy_search(_step, STATE, 0, 1, -1), "max_len"),
    "bos negative": (lambda: greedy_search(_step, STATE, -1, 1, 5), "bos"),
    "eos out of vocab": (lambda: greedy_search(_step, STATE, 0, 9, 5), "eos"),
    "state dim wrong": (lambda: greedy_search(_step, STATE, 0, 1, 5, state_batch_dim=2), "state_batch_dim"),
    "ctc 1-d": (lambda: ctc_greedy_decode(torch.zeros(6)), ""),
    "ctc blank out of range": (lambda: ctc_prefix_beam_search(LOGP, blank=7), "blank"),
    "ctc beam 0": (lambda: ctc_prefix_beam_search(LOGP, beam_size=0), "beam"),
    "predict batch 0": (lambda: predict(torch.nn.Linear(2, 2), np.zeros((3, 2)), 0), "batch size"),
}


@pytest.mark.parametrize("case", list(DATA_AND_DECODING))
def test_data_and_decoding(case: str) -> None:
    _raises_one_line(*DATA_AND_DECODING[case])


TOML: dict[str, tuple[bytes | None, str]] = {
    "missing": (None, "not found"),
    "binary": (bytes(range(256)), "not UTF-8"),
    "a folder": (b"", "is a folder"),
    "invalid": (b"lr = = 3\n", "not valid TOML"),
    "unknown key": (b"learning_rate = 0.1\n", "unknown option"),
    "wrong type": (b'lr = "fast"\n', "lr"),
    "nan": (b"lr = nan\n", "lr"),
    "inf": (b"lr = inf\n", "lr"),
    "nested wrong": (b"[epochs]\nx = 1\n", "epochs"),
}


@pytest.mark.parametrize("case", list(TOML))
def test_toml_configs(tmp_path: Path, case: str) -> None:
    content, needle = TOML[case]
    path = tmp_path / "run.toml"
    if case == "a folder":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    _raises_one_line(lambda: load_toml(path, TrainConfig), needle)


def test_cache_pointing_at_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from carrousel.core.samples import sample_path

    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("CARROUSEL_CACHE", str(tmp_path / "file"))
    _raises_one_line(lambda: sample_path("bio.lambda"), "CARROUSEL_CACHE) is a file")
