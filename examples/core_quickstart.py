"""Quick start for carrousel.core alone: build a BiLSTM encoder and encode a padded batch.

Run: python examples/core_quickstart.py
"""

from __future__ import annotations

import torch

from carrousel.core import RecurrentConfig, RecurrentEncoder


def main() -> None:
    torch.manual_seed(0)
    encoder = RecurrentEncoder(
        RecurrentConfig(input_size=8, hidden_size=32, bidirectional=True, num_layers=2)
    )
    x = torch.randn(3, 12, 8)  # (batch, time, features), padded
    lengths = torch.tensor([12, 7, 4])
    out = encoder(x, lengths=lengths)
    print(f"outputs {tuple(out.output.shape)}, last state {tuple(out.last.shape)}")


if __name__ == "__main__":
    main()
