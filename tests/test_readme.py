"""The README's Python examples run as written (a newcomer copies them)."""

from __future__ import annotations

import re
from pathlib import Path

import torch
from torch.utils.data import DataLoader, TensorDataset

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_encoder_example_runs() -> None:
    scope: dict[str, object] = {}
    exec(_python_blocks()[0], scope)
    assert tuple(scope["out"].output.shape) == (3, 12, 64)  # type: ignore[attr-defined]
    assert tuple(scope["out"].last.shape) == (3, 64)  # type: ignore[attr-defined]


def test_trainer_example_learns(tmp_path: Path, monkeypatch: object) -> None:
    monkeypatch.chdir(tmp_path)  # type: ignore[attr-defined]
    g = torch.Generator().manual_seed(0)
    n, t = 512, 12
    x = torch.randn(n, t, 8, generator=g)
    lengths = torch.randint(4, t + 1, (n,), generator=g)
    y = (x[:, 0, 0] > 0).long()  # the label is in the first step: the model must carry it
    data = TensorDataset(x, lengths, y)
    scope: dict[str, object] = {
        "loader": DataLoader(data, batch_size=32, shuffle=True, generator=g),
        "val_loader": DataLoader(data, batch_size=64),
    }
    code = _python_blocks()[1].replace("epochs=5", "epochs=5, progress=False")
    exec(code, scope)
    history = scope["result"].history  # type: ignore[attr-defined]
    assert history[-1]["val_loss"] < 0.45 < history[0]["val_loss"]  # chance level is ln 2 = 0.69
