"""OnnxModule given a float64 ``x``: the eager network refuses it (its encoder's one-line ShapeError: the input
dtype does not match its parameters'), but OnnxModule cast it to float32 silently and ran, so the same call
worked deployed and failed eager. It now refuses it in one line, as eager does. Through ``run`` a float64
array used to reach ONNX Runtime, whose refusal named ``tensor(double)``; it is now the same line."""

from __future__ import annotations

import pytest
import torch

pytest.importorskip("onnxruntime")

from carrousel.core.errors import ShapeError
from carrousel.core.export import OnnxModule, export_onnx
from carrousel.core.nn import RecurrentConfig, SequenceClassifier, SequenceClassifierConfig
from tests.core.test_core_export import DYN


@pytest.fixture(scope="module")
def exported() -> tuple[SequenceClassifier, bytes]:
    torch.manual_seed(0)
    model = SequenceClassifier(SequenceClassifierConfig(RecurrentConfig(4, 8, cell="lstm"), 3)).eval()
    x, lengths = torch.randn(3, 6, 4), torch.tensor([6, 4, 2])
    return model, export_onnx(model, (x, lengths), ["x", "lengths"], DYN)


def test_float64_x_is_refused_as_the_eager_network_refuses_it(
    exported: tuple[SequenceClassifier, bytes],
) -> None:
    model, blob = exported
    x, lengths = torch.randn(3, 6, 4, dtype=torch.float64), torch.tensor([6, 4, 2])
    with pytest.raises(ShapeError, match=r"^input dtype torch\.float64 does not match"):
        model(x, lengths)  # eager
    module = OnnxModule(blob)
    for call in (
        module,
        module.run,
    ):  # before: the module ran (cast), run named ONNX Runtime's tensor(double)
        with pytest.raises(ShapeError) as info:
            call(x, lengths)
        text = str(info.value)
        assert "\n" not in text
        assert text == (
            "input x dtype torch.float64 does not match the exported network's torch.float32, as the eager "
            "network refuses it; convert the input (x.to(torch.float32))"
        )
    with pytest.raises(ShapeError, match=r"^input x dtype torch\.float64 does not match"):
        module.run(x.numpy(), lengths.numpy())  # a NumPy array: the same rule


def test_float32_runs_as_before(exported: tuple[SequenceClassifier, bytes]) -> None:
    model, blob = exported
    x, lengths = torch.randn(3, 6, 4), torch.tensor([6, 4, 2])
    module = OnnxModule(blob)
    with torch.no_grad():
        want = model(x, lengths)
    torch.testing.assert_close(module(x, lengths), want, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(module.run(x.numpy(), lengths)[0], want.numpy(), atol=1e-5, rtol=1e-4)
    assert module(x, lengths.float()).shape == (3, 3)  # whole float lengths still read as int64
