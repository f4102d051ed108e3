"""`carrousel.core.nn.shapes.state_shapes`: a network's state-dict shapes without allocating it, and
without the ~1.2 s import of ``torch._dynamo`` that PyTorch's meta-device initialisers trigger."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from torch import nn

from carrousel.core.nn import (
    RecurrentConfig,
    RecurrentEncoder,
    SequenceClassifier,
    SequenceClassifierConfig,
)
from carrousel.core.nn.shapes import state_shapes


def _real(module: nn.Module) -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}


@pytest.mark.parametrize(
    "build",
    [
        lambda: nn.Sequential(nn.Embedding(50, 8, padding_idx=0), nn.Linear(8, 3)),
        lambda: RecurrentEncoder(RecurrentConfig(5, 7, cell="gru", num_layers=2, bidirectional=True)),
        lambda: RecurrentEncoder(RecurrentConfig(5, 7, cell="ln_lstm")),
        lambda: RecurrentEncoder(RecurrentConfig(5, 7, cell="peephole_lstm", proj_size=3)),
        lambda: SequenceClassifier(
            SequenceClassifierConfig(
                RecurrentConfig(6, 9, bidirectional=True), 4, pooling="attention", num_embeddings=30
            )
        ),
    ],
    ids=["embedding", "bigru", "ln_lstm", "peephole_proj", "attention_classifier"],
)
def test_state_shapes_equal_the_built_network(build) -> None:
    torch.manual_seed(0)
    assert state_shapes(build) == _real(build())


def test_state_shapes_allocate_nothing() -> None:
    # 10^8 x 10^4 float32 weights would be 4 TB: on the meta device they are shapes only.
    shapes = state_shapes(lambda: nn.Embedding(10**8, 10**4))
    assert shapes == {"weight": (10**8, 10**4)}


def test_state_shapes_propagate_build_errors() -> None:
    with pytest.raises(ValueError, match="boom"):
        state_shapes(lambda: (_ for _ in ()).throw(ValueError("boom")))


def test_initialisers_off_the_meta_device_still_run() -> None:
    # Only meta tensors skip their initialiser: a CPU tensor made inside the build is initialised.
    made: list[torch.Tensor] = []

    def build() -> nn.Module:
        t = torch.zeros(3, device="cpu")
        nn.init.constant_(t, 2.0)
        made.append(t)
        return nn.Linear(2, 2)

    state_shapes(build)
    assert made[0].tolist() == [2.0, 2.0, 2.0]


def test_state_shapes_do_not_import_the_compiler_stack() -> None:
    code = (
        "import sys\n"
        "from torch import nn\n"
        "from carrousel.core.nn.shapes import state_shapes\n"
        "state_shapes(lambda: nn.Sequential(nn.Embedding(100, 16), nn.LSTM(16, 8)))\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
