"""Windows as a notebook passes them to :meth:`MotifModel.logits` (the README's ``model.logits(windows)``):
one window, letters instead of codes, windows of another width, codes out of range. Each is one
:class:`WindowError` naming the problem and the fix, not a traceback from inside torch or NumPy nor logits
of windows the model was never calibrated on."""

from __future__ import annotations

import numpy as np
import pytest

from carrousel.bio import load_model
from carrousel.bio.dna import encode
from carrousel.bio.errors import BioError, WindowError

CTCF = "TGGCCACCAGGGGGCGCTA"


@pytest.fixture(scope="module")
def windows() -> tuple[object, np.ndarray]:
    rng = np.random.default_rng(0)
    text = ["".join(rng.choice(list("ACGT"), 200)) for _ in range(3)]
    text[0] = text[0][:90] + CTCF + text[0][109:]
    return load_model(), np.stack([encode(s) for s in text])


def test_integer_codes_of_any_width_type_give_the_same_logits(windows: tuple) -> None:
    model, codes = windows
    want = model.logits(codes)
    assert want.shape == (3, len(model.motifs))
    np.testing.assert_array_equal(model.logits(codes.astype(np.int64)), want)
    np.testing.assert_array_equal(model.logits(codes.tolist()), want)  # nested lists of codes


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda c: c[0], r"one window of shape \(200,\).*\(N, 200\).*codes\[None\]"),  # was a torch error
        (lambda c: ["ACGT" * 50], r"letters.*encode"),  # was an IndexError from NumPy
        (lambda c: c.astype(np.float32), r"float32.*integer base codes"),  # was an IndexError
        (lambda c: c[:, :150], r"150-base windows; this model reads 200-base windows.*fit_windows"),  # silent
        (lambda c: np.concatenate([c, c], axis=1), r"400-base windows"),  # silent
        (lambda c: np.full((2, 200), 7), r"code 7.*0-4"),  # was an IndexError
        (lambda c: np.full((2, 200), -1), r"code -1.*0-4"),  # silently read as N
    ],
)
def test_malformed_windows_are_one_clear_error(windows: tuple, make: object, match: str) -> None:
    model, codes = windows
    with pytest.raises(WindowError, match=match) as info:
        model.logits(make(codes))  # type: ignore[operator]
    assert isinstance(info.value, BioError) and isinstance(info.value, ValueError)


def test_no_windows_is_an_empty_result(windows: tuple) -> None:
    model, _ = windows
    assert model.logits(np.zeros((0, 200), np.uint8)).shape == (0, len(model.motifs))
    assert model.logits([]).shape == (0, len(model.motifs))
