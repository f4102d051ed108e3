"""explain_backend's line for a custom cell names the loop that runs: where the fused C++ loop applies it
said 'carrousel Python step loop (cells.py)' and, two lines below, 'steps run ... in the fused C++ loop'."""

from __future__ import annotations

import pytest
import torch

from carrousel.core.nn import RecurrentConfig, RecurrentEncoder
from carrousel.core.nn import backend as backend_module
from carrousel.core.nn.backend import explain_backend


@pytest.mark.parametrize("cell", ["ln_lstm", "peephole_lstm"])
def test_the_headline_does_not_say_python_when_the_cpp_loop_runs(
    cell: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backend_module, "native_applies", lambda x: (True, "fused C++ loop (avx512, csrc/)"))
    encoder = RecurrentEncoder(RecurrentConfig(input_size=3, hidden_size=4, cell=cell))
    report = explain_backend(encoder, torch.randn(2, 5, 3))
    head = next(line for line in str(report).splitlines() if "->" in line)
    assert "Python" not in head and head.endswith("(cells.py), C++ steps"), str(report)
    assert report.layers[0].reasons[-1].endswith("in the fused C++ loop (avx512, csrc/)")
    assert report.kernels == ("python_loop",)  # the key, as before (JSON, verify's comparison)


def test_the_python_loop_is_named_where_it_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backend_module, "native_applies", lambda x: (False, "ninja is not installed"))
    encoder = RecurrentEncoder(RecurrentConfig(input_size=3, hidden_size=4, cell="peephole_lstm"))
    text = str(explain_backend(encoder, torch.randn(2, 5, 3)))
    assert "steps run with a hand-written backward in Python (lstm_loop.py): ninja is not installed" in text
    assert "-> carrousel step loop (cells.py), Python steps" in text
