"""Shape messages of core's attention, pooling, masks, CTC decoding and heads name the fix, not only the
expected and given shapes: "mask must be (batch, time) = (3, 5), got (5, 3)", "keys must be (batch, time,
features), got shape (5, 4)", "log_probs must be (T, C), got shape (2, 6, 4)" and the like said what was
wrong and left the reader to guess what to do. Each now ends with the fix of the likely mistake (the masks
through nn.input_shape.mask_shape_message, the sequences through input_shape_message)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch

from carrousel.core.decode import ctc_forced_align, ctc_greedy_decode, ctc_prefix_beam_search_batch
from carrousel.core.errors import ConfigError, ShapeError
from carrousel.core.nn import (
    AttentionPooling,
    MultiplicativeAttention,
    RecurrentConfig,
    RecurrentEncoder,
    SequenceClassifier,
    SequenceClassifierConfig,
    last_pool,
    mask_from_lengths,
)
from carrousel.core.nn.attention import resolve_mask
from carrousel.core.nn.heads import pinball_loss
from carrousel.core.nn.recurrent import check_lengths, lengths_from_mask

X = torch.randn(3, 5, 4)
LP = torch.randn(2, 6, 4).log_softmax(-1)
ENC = RecurrentEncoder(RecurrentConfig(4, 3))
ATT = MultiplicativeAttention(4, 4)
IDS = SequenceClassifier(SequenceClassifierConfig(RecurrentConfig(4, 3), 2, num_embeddings=10))
MASK = torch.ones(5, 3, dtype=torch.bool)
Q3 = (0.1, 0.5, 0.9)


def _impossible() -> torch.Tensor:
    lp = LP[0, :3].clone()
    lp[:, 2] = -float("inf")  # class 2 never appears
    return lp


CASES: dict[str, tuple[Callable[[], object], str]] = {
    "encoder mask time-first": (
        lambda: ENC(X, mask=MASK),
        r"^mask must be \(batch, time\) = \(3, 5\), got shape \(5, 3\); the mask looks time-first "
        r"\(time, batch\): mask\.transpose\(0, 1\)$",
    ),
    "encoder mask trailing axis": (
        lambda: ENC(X, mask=torch.ones(3, 5, 1, dtype=torch.bool)),
        r"got shape \(3, 5, 1\); drop the trailing axis: mask\.squeeze\(-1\)$",
    ),
    "encoder mask other steps": (
        lambda: ENC(X, mask=torch.ones(3, 6, dtype=torch.bool)),
        r"the mask has 6 steps where the input has 5: build it for the input, mask_from_lengths\(lengths, 5\), "
        r"or pass lengths instead$",
    ),
    "lengths_from_mask one row": (
        lambda: lengths_from_mask(torch.ones(5, dtype=torch.bool)),
        r"^mask must be \(batch, time\), got shape \(5,\); for one sequence add the batch dimension: "
        r"mask\.unsqueeze\(0\)$",
    ),
    "resolve_mask of an array": (
        lambda: resolve_mask(3, 5, X.device, np.ones((7,), bool), None),  # type: ignore[arg-type]
        r"got shape \(7,\); give one row per sequence, True at its valid steps",
    ),
    "max_len negative": (
        lambda: mask_from_lengths(torch.tensor([1]), -1),
        r"^max_len must be >= 0 \(time steps of the mask\), got -1; pass the padded input's time steps",
    ),
    "query of one sequence": (
        lambda: ATT(torch.randn(4), X),
        r"got shape \(4,\); for one sequence add the batch dimension: query\.unsqueeze\(0\)$",
    ),
    "query of another batch": (
        lambda: ATT(torch.randn(2, 4), X),
        r"got shape \(2, 4\); give one query per sequence of the keys \(3 rows\), or keys of 2 sequences$",
    ),
    "keys of one sequence": (
        lambda: ATT(torch.randn(3, 4), X[0]),
        r"^keys must be \(batch, time, features\), got shape \(5, 4\); for one sequence add the batch "
        r"dimension: keys\.unsqueeze\(0\)$",
    ),
    "values of other steps": (
        lambda: ATT(torch.randn(3, 4), X, values=torch.randn(3, 4, 2)),
        r"^values must be \(batch, time, features\) = \(3, 5, \.\.\.\) like keys, got shape \(3, 4, 2\); "
        r"give one value vector per key, or values=None",
    ),
    "last_pool odd features": (
        lambda: last_pool(torch.randn(3, 5, 5), directions=2),
        r"5 features do not split into 2 directions; pass directions=1 for a one-directional encoder$",
    ),
    "last_pool directions": (
        lambda: last_pool(X, directions=3),
        r"^need directions 1 or 2, got 3; pass 2 for a bidirectional encoder's output, else 1$",
    ),
    "attention pooling of one sequence": (
        lambda: AttentionPooling(4)(torch.randn(5, 4)),
        r"^output must be \(batch, time, features\), got shape \(5, 4\); .*output\.unsqueeze\(0\)$",
    ),
    "ctc one frame": (
        lambda: ctc_greedy_decode(LP[0, 0]),
        r"got shape \(4,\); for one frame add the leading axis: log_probs\.unsqueeze\(0\)$",
    ),
    "ctc extra axes of an array": (
        lambda: ctc_greedy_decode(LP.numpy()[None, None]),
        r"got shape \(1, 1, 2, 6, 4\); .*dropping the extra axes of size 1: np\.squeeze\(log_probs\)$",
    ),
    "ctc a list": (
        lambda: ctc_greedy_decode([[0.0]]),  # type: ignore[arg-type]
        r"got list; convert it, np\.asarray\(log_probs\)$",
    ),
    "ctc align a batch": (
        lambda: ctc_forced_align(LP, [1]),
        r"^log_probs must be \(T, C\), got shape \(2, 6, 4\); give one sequence at a time, "
        r"log_probs\[b, :length\]$",
    ),
    "ctc beam batch of one sequence": (
        lambda: ctc_prefix_beam_search_batch(LP[0]),
        r"got shape \(6, 4\); for one sequence add the leading axis: log_probs\.unsqueeze\(0\)$",
    ),
    "ctc blank labels": (
        lambda: ctc_forced_align(LP[0], [0, 1]),
        r"got \[0, 1\]; drop the blanks \(blank=0\) and map the labels to this model's classes$",
    ),
    "ctc too few frames": (
        lambda: ctc_forced_align(LP[0, :2], [1, 1]),
        r"cannot be aligned to 2 frames with finite probability \(they need 3 frames\); check that the labels "
        r"belong to these frames$",
    ),
    "ctc impossible label": (
        lambda: ctc_forced_align(_impossible(), [2]),
        r"a label has probability 0 where it must appear",
    ),
    "pinball other levels": (
        lambda: pinball_loss(torch.randn(2, 3, 2), torch.randn(2, 3), Q3),
        r"got \(2, 3, 2\) and \(2, 3\); the model predicts 2 quantiles: pass its levels \(config\.quantiles\)$",
    ),
    "pinball point forecasts": (
        lambda: pinball_loss(torch.randn(2, 3), torch.randn(2, 3), Q3),
        r"pred has no quantile axis: build the model with quantiles=\.\.\., or use a point loss$",
    ),
    "pinball target of one step": (
        lambda: pinball_loss(torch.randn(2, 1, 3), torch.randn(2), Q3),
        r"for one value per row add the horizon axis: target\.unsqueeze\(-1\)$",
    ),
    "ids given features": (
        lambda: IDS(X),
        r"^this model takes \(batch, time\) integer ids \(num_embeddings=10\), got torch\.float32 \(3, 5, 4\); "
        r"give ids, or features to a model built with num_embeddings=0$",
    ),
    "ids of one sequence": (
        lambda: IDS(torch.tensor([1, 2, 3])),
        r"got torch\.int64 \(3,\); for one sequence add the batch dimension: x\.unsqueeze\(0\)$",
    ),
    "ids as floats": (
        lambda: IDS(torch.tensor([[1.0, 2.0]])),
        r"got torch\.float32 \(1, 2\); convert whole-number ids with x\.long\(\)$",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_each_shape_message_names_its_fix(name: str) -> None:
    call, words = CASES[name]
    with pytest.raises(ShapeError, match=words) as info:
        call()
    assert "\n" not in str(info.value)


def test_a_blank_outside_the_classes_names_the_range() -> None:
    with pytest.raises(ConfigError, match=r"with 4 classes; use 0\.\.3$"):
        ctc_greedy_decode(LP, blank=7)


def test_check_lengths_spells_numpy_for_a_caller_of_arrays() -> None:
    """The one lengths rule (nn.recurrent.check_lengths) now serves the ONNX runner's arrays too: its fixes
    and dtypes are spelled for NumPy (``np.full``, ``float64``) where the runner kept its own shape check."""
    with pytest.raises(
        ShapeError, match=r"^lengths must be whole step counts, got \[2\.5, 3\.0\] \(float64\);"
    ):
        check_lengths(np.array([2.5, 3.0]), 2, 5, numpy=True)
    with pytest.raises(
        ShapeError, match=r"got shape \(\); give one length per row, e\.g\. np\.full\(\(2,\), n\)"
    ):
        check_lengths(np.array(5), 2, 5, numpy=True)
    with pytest.raises(ShapeError, match=r"\(torch\.float64\); give integers$"):
        check_lengths(np.array([2.5, 3.0]), 2, 5)
    assert check_lengths(np.array([2.0, 5.0]), 2, 5, numpy=True).tolist() == [2, 5]
