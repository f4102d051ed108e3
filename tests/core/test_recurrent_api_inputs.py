"""RecurrentEncoder from Python with odd but legal inputs (an empty batch) and wrong states: every cell
answers the same way, a wrong state is one ShapeError naming it (was a deep torch error or a TypeError)."""

from __future__ import annotations

import pytest
import torch

from carrousel.core.errors import ConfigError, ShapeError
from carrousel.core.nn import RecurrentConfig, RecurrentEncoder, State

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny tensors: see tests/conftest.py

CELLS = ["lstm", "gru", "rnn_tanh", "ln_lstm", "peephole_lstm"]


def make(cell: str, **kw: object) -> RecurrentEncoder:
    return RecurrentEncoder(RecurrentConfig(input_size=3, hidden_size=4, cell=cell, num_layers=2, **kw))  # type: ignore[arg-type]


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_an_empty_batch_gives_empty_outputs_on_every_cell(cell: str, bidirectional: bool) -> None:
    """B = 0 (the last, empty shard of a dataset): gru and ln_lstm failed deep in torch ("max(): Expected
    reduction dim", "cannot reshape tensor of 0 elements"), lstm returned empty outputs."""
    enc = make(cell, bidirectional=bidirectional)
    D = 2 if bidirectional else 1
    for lengths in (None, torch.zeros(0, dtype=torch.long)):
        out = enc(torch.randn(0, 5, 3), lengths)
        assert out.output.shape == (0, 5, 4 * D) and out.last.shape == (0, 4 * D)
        assert out.state.h.shape == (2 * D, 0, 4)
        assert (out.state.c is not None) == enc.config.is_lstm
    state = enc.init_hidden(0)
    assert enc(torch.randn(0, 5, 3), state=state).state.h.shape == (2 * D, 0, 4)


@pytest.mark.parametrize("cell", CELLS)
def test_a_state_of_another_dtype_is_one_shape_error(cell: str) -> None:
    """A float32 state for a float64 encoder (``torch.zeros`` defaults to float32): was "mat1 and mat2 must
    have the same dtype", "get_mkldnn_dtype: unsupported data type" or "expected scalar type Double"."""
    enc = make(cell).double()
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    s = enc.init_hidden(2)
    wrong = State(s.h.float(), None if s.c is None else s.c.float())
    with pytest.raises(
        ShapeError, match=r"state dtype torch.float32 does not match the encoder's torch.float64"
    ):
        enc(x, torch.tensor([5, 2]), state=wrong)


@pytest.mark.parametrize("cell", CELLS)
def test_a_float64_input_under_cpu_bfloat16_autocast_is_the_same_shape_error(cell: str) -> None:
    """Autocast never casts float64, yet the encoder skipped its dtype check under any autocast: a float64
    input reached ``torch.lstm`` and failed there ("expected m1 and m2 to have the same dtype ... double !=
    c10::BFloat16"). It is now the one line given without autocast; a float32 input still runs."""
    enc = make(cell)
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    with pytest.raises(ShapeError) as plain:
        enc(x)
    with torch.autocast("cpu", dtype=torch.bfloat16), pytest.raises(ShapeError) as autocast:
        enc(x)
    assert str(autocast.value) == str(plain.value)
    assert "input dtype torch.float64 does not match the encoder's torch.float32" in str(plain.value)
    s = enc.init_hidden(2)
    wide = State(s.h.double(), None if s.c is None else s.c.double())
    with (
        torch.autocast("cpu", dtype=torch.bfloat16),
        pytest.raises(ShapeError, match=r"state dtype torch.float64"),
    ):
        enc(x.float(), state=wide)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert enc(x.float()).output.shape == (2, 5, 4)


def test_a_state_on_another_device_is_one_shape_error() -> None:
    enc = make("gru")
    state = State(torch.zeros(2, 2, 4, device="meta"), None)
    with pytest.raises(ShapeError, match=r"state is on meta but the encoder on cpu"):
        enc(torch.randn(2, 5, 3), state=state)


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_a_bare_tensor_state_is_one_shape_error_naming_state(cell: str, bidirectional: bool) -> None:
    """``state=h`` as nn.GRU takes it: was a TypeError from ``State.__new__`` (4 rows unpacked as 4
    fields) or a shape error about ``state.h`` of a row of it."""
    enc = make(cell, bidirectional=bidirectional)
    h = enc.init_hidden(3).h
    with pytest.raises(ShapeError, match=r"state must be a State\(h, c\)"):
        enc(torch.randn(3, 5, 3), state=h)  # type: ignore[arg-type]
    with pytest.raises(ShapeError, match=r"state must be a State\(h, c\)"):
        enc(torch.randn(3, 5, 3), state=(h,))  # type: ignore[arg-type]


def test_a_model_built_from_the_wrong_config_is_one_config_error() -> None:
    """The classic slip of passing the encoder's config to a classifier (or a dict, or keyword arguments'
    dict, to the encoder) was an AttributeError deep in the constructor ("'RecurrentConfig' object has no
    attribute 'encoder'", "'dict' object has no attribute 'uses_fused_kernel'"); now one ConfigError naming
    the config class each takes."""
    from carrousel.core.errors import ConfigError
    from carrousel.core.nn import (
        SequenceClassifier,
        SequenceClassifierConfig,
        SequenceRegressor,
        SequenceRegressorConfig,
    )

    enc = RecurrentConfig(input_size=3, hidden_size=4)
    with pytest.raises(ConfigError, match=r"RecurrentEncoder takes a RecurrentConfig, got a dict"):
        RecurrentEncoder({"input_size": 3, "hidden_size": 4})  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"SequenceClassifier takes a SequenceClassifierConfig, got a Rec"):
        SequenceClassifier(enc)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"SequenceRegressor takes a SequenceRegressorConfig"):
        SequenceRegressor(SequenceClassifierConfig(enc, num_classes=2))  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"encoder must be a RecurrentConfig, got a dict"):
        SequenceClassifierConfig(encoder={"input_size": 3}, num_classes=2)  # type: ignore[arg-type]
    assert SequenceRegressor(SequenceRegressorConfig(enc)).config.encoder == enc


@pytest.mark.parametrize("cell", CELLS)
def test_whole_float_lengths_are_read_as_the_integers_they_hold(cell: str) -> None:
    """``lengths`` as a float tensor (a ``TensorDataset`` column cast with the features, a list of floats):
    whole values are step counts and give the integer lengths' outputs; was "lengths must be an integer
    tensor, got torch.float32" although lists and NumPy arrays of integers were read."""
    torch.manual_seed(0)
    enc = make(cell).eval()
    x = torch.randn(3, 5, 3)
    want = enc(x, torch.tensor([5, 2, 3]))
    for lengths in (
        torch.tensor([5.0, 2.0, 3.0]),
        [5.0, 2.0, 3.0],
        torch.tensor([5, 2, 3], dtype=torch.float64),
    ):
        got = enc(x, lengths)
        assert torch.equal(got.output, want.output) and torch.equal(got.last, want.last)


@pytest.mark.parametrize("lengths", [[5.0, 2.5, 3.0], [5.0, float("nan"), 3.0], [5.0, float("inf"), 3.0]])
def test_fractional_or_non_finite_lengths_are_one_shape_error(lengths: list[float]) -> None:
    with pytest.raises(
        ShapeError, match=r"^lengths must be whole step counts, got \[.*\] \(torch.float32\); give integers$"
    ):
        make("lstm")(torch.randn(3, 5, 3), torch.tensor(lengths))


def test_a_length_past_the_input_names_padding_not_dropping() -> None:
    """A length above T said "drop empty sequences before encoding", the fix for a length of 0."""
    with pytest.raises(ShapeError, match=r"got min 2 max 6; a length is past the input's 5 time steps: pad the "
                       r"input to max\(lengths\) = 6 steps or clip the lengths to 5$"):  # fmt: skip
        make("gru")(torch.randn(3, 5, 3), torch.tensor([6, 2, 3]))
    with pytest.raises(ShapeError, match=r"got min 0 max 5; drop empty sequences before encoding$"):
        make("gru")(torch.randn(3, 5, 3), torch.tensor([5, 0, 3]))


def test_a_time_first_input_with_lengths_names_batch_first() -> None:
    """x given as (time, batch, features), nn.LSTM's default layout, with (batch,) lengths: the error said
    only "lengths must be (batch,) = (5,), got shape (3,)"; it now names the layout and the fix."""
    enc = make("lstm")
    x, lengths = torch.randn(3, 5, 3), torch.tensor([5, 2, 1])
    with pytest.raises(ShapeError, match=r"looks time-first: pass it batch-first, x\.transpose\(0, 1\)"):
        enc(x.transpose(0, 1), lengths)
    with pytest.raises(ShapeError, match=r"got shape \(2,\)$"):  # a plain miscount gets no layout hint
        enc(x, lengths[:2])
    assert enc(x, lengths).output.shape == (3, 5, 4)


@pytest.mark.parametrize("length", [5, torch.tensor(5)])
def test_one_length_for_the_whole_batch_names_one_per_row(length: object) -> None:
    """enc(x, 5) said only "lengths must be (batch,) = (3,), got shape ()"; it names torch.full. Not
    broadcast: the docstring and the exported graph take (B,) lengths, one per row."""
    with pytest.raises(
        ShapeError, match=r"got shape \(\); give one length per row, e\.g\. torch\.full\(\(3,\), n\)"
    ):
        make("gru")(torch.randn(3, 5, 3), length)


def test_init_hidden_of_a_negative_batch_size_is_one_config_error() -> None:
    """init_hidden(-1) raised torch's "zeros: Dimension size must be non-negative"."""
    with pytest.raises(ConfigError, match=r"batch_size must be >= 0, got -1"):
        make("gru").init_hidden(-1)
    assert make("gru").init_hidden(0).h.shape == (2, 0, 4)


@pytest.mark.parametrize("with_state", [False, True])
def test_a_negative_length_is_not_called_an_empty_sequence(with_state: bool) -> None:
    """A negative length said "drop empty sequences before encoding" (with a state too, where an empty
    sequence is allowed): a negative count is no empty sequence, but lengths computed wrongly."""
    enc = make("gru")
    state = enc.init_hidden(3) if with_state else None
    with pytest.raises(ShapeError, match=r"got min -1 max 5; a length is negative: fix how the lengths are "
                       r"computed \(each counts a sequence's steps\)$"):  # fmt: skip
        enc(torch.randn(3, 5, 3), torch.tensor([5, -1, 3]), state=state)


def test_every_problem_of_the_lengths_names_its_fix() -> None:
    with pytest.raises(ShapeError, match=r"got min -1 max 7; a length is negative: .*; drop empty sequences "
                       r"before encoding; a length is past the input's 5 time steps: pad"):  # fmt: skip
        make("gru")(torch.randn(4, 5, 3), torch.tensor([7, -1, 0, 3]))


@pytest.mark.parametrize(
    ("shape", "fix"),
    [
        ((5, 3), "for one sequence add the batch dimension: x.unsqueeze(0)"),
        ((3,), "for one step of one sequence: x.view(1, 1, -1)"),
        ((2, 3, 5), "the input looks channels-first (batch, features, time): x.transpose(1, 2)"),
        (
            (2, 5, 7),
            "the encoder was built for 3 features (RecurrentConfig.input_size): give the input 3 "
            "features or build the encoder with input_size=7",
        ),
        ((2, 5, 3, 1), "pad the sequences into one (batch, time, features) tensor"),
    ],
)
def test_an_input_of_the_wrong_shape_names_the_fix(shape: tuple[int, ...], fix: str) -> None:
    """The error said only "input must be (batch, time, 3), got shape (5, 3)"; it names each case's fix."""
    with pytest.raises(ShapeError) as err:
        make("lstm")(torch.randn(*shape))
    text = str(err.value)
    assert text.startswith(f"input must be (batch, time, 3), got shape {shape}; ") and fix in text
    assert "\n" not in text
