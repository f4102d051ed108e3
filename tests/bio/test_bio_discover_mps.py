"""``bio discover`` on Apple MPS: filter contributions turned the network's logits to float64 on the
device before copying them to the CPU, and a float64 tensor on MPS raises; they are copied first now.
Needs an MPS device: skips without one (none runs this suite here); on the CPU nothing changed.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from carrousel.bio.discover import filter_contributions
from carrousel.bio.models import build_danq


@pytest.mark.skipif(not torch.backends.mps.is_available(), reason="needs an Apple MPS device")
def test_filter_contributions_on_mps_match_the_cpu() -> None:
    torch.manual_seed(0)
    net = build_danq(3, window=57, filters=8, kernel=9, hidden=4).eval()
    codes = np.random.default_rng(0).integers(0, 4, (40, 57)).astype(np.uint8)
    task, want = filter_contributions(net, codes, limit=40)
    task_mps, got = filter_contributions(net.to("mps"), codes, limit=40)
    assert task_mps == task and np.allclose(got, want, atol=1e-4)
