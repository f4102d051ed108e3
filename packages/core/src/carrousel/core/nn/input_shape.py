"""The message of an encoder input of the wrong shape, naming the likely fix.

``RecurrentEncoder`` takes ``(batch, time, features)``; a newcomer's input of the wrong shape is most often
one sequence without its batch dimension ``(time, features)``, a channels-first ``(batch, features, time)``
tensor as ``nn.Conv1d`` takes, or features of another count than the encoder was built for. The message
said only ``input must be (batch, time, 4), got shape (6, 4)``; it now names the fix of each case, in the
encoder, :func:`~carrousel.core.nn.backend.explain_backend`, the ONNX runner and the NumPy reference layers.
"""

from __future__ import annotations

from carrousel.core.args import check_args

__all__ = ["input_shape_message", "lengths_shape_message", "mask_shape_message", "state_shape_message"]

_TORCH_FIXES = ("x.unsqueeze(0)", "x.view(1, 1, -1)", "x.transpose(1, 2)")  # add batch, one step, swap axes
_NUMPY_FIXES = ("x[None]", "x.reshape(1, 1, -1)", "x.transpose(0, 2, 1)")


@check_args
def input_shape_message(
    shape: tuple[int, ...], input_size: int | None, *, numpy: bool = False, name: str = "input"
) -> str:
    """One line: the expected and given shapes, and the fix for the likely mistake.

    Args:
        shape: the input's shape.
        input_size: the encoder's ``RecurrentConfig.input_size``; None where it is not known (a module that
            contains encoders, :func:`~carrousel.core.nn.backend.explain_backend`): only the number of
            dimensions is then judged.
        numpy: spell the fixes for a NumPy array (``x[None]``, not ``x.unsqueeze(0)``): the reference layers.
        name: what the tensor is called (``"keys"``, ``"output"``: attention and pooling take sequences too);
            its fixes then name it (``keys.unsqueeze(0)``) where the encoder's input is ``x``.
    """
    var = "x" if name == "input" else name
    batch, step, swap = (f"{var}{fix[1:]}" for fix in (_NUMPY_FIXES if numpy else _TORCH_FIXES))
    said = f"{name} must be (batch, time, {input_size or 'features'}), got shape {shape}"
    if len(shape) == 2 and input_size in (None, shape[-1]):
        return f"{said}; for one sequence add the batch dimension: {batch}"
    if len(shape) == 1 and input_size in (None, shape[0]):
        return f"{said}; for one step of one sequence: {step}"
    if len(shape) == 3 and input_size is None:
        return said
    if len(shape) == 3 and shape[1] == input_size:
        return f"{said}; the input looks channels-first (batch, features, time): {swap}"
    if len(shape) == 3:
        return (
            f"{said}; the encoder was built for {input_size} features (RecurrentConfig.input_size): give the "
            f"input {input_size} features or build the encoder with input_size={shape[-1]}"
        )
    return f"{said}; pad the sequences into one (batch, time, features) tensor (carrousel.core.data.pad_sequences)"


@check_args
def lengths_shape_message(
    shape: tuple[int, ...], B: int | None, T: int | None = None, *, numpy: bool = False
) -> str:
    """One line: lengths of the wrong shape for an input ``(B, T, ...)``, and the likely fix.

    A scalar (``enc(x, 5)``) is one length for the whole batch: the encoder takes one per row, as its
    exported graph does, so the message names ``torch.full((B,), 5)`` rather than broadcasting it.
    ``B`` None: the batch is not known (``mask_from_lengths``), so the message names it ``batch``.
    ``numpy``: spell the fixes for NumPy arrays (``np.full``, ``x.swapaxes(0, 1)``), as
    :func:`input_shape_message` does: the ONNX runner given arrays, the reference layers.
    """
    full, swap = ("np.full", "x.swapaxes(0, 1)") if numpy else ("torch.full", "x.transpose(0, 1)")
    rows = "batch" if B is None else str(B)
    said = f"lengths must be (batch,){'' if B is None else f' = ({B},)'}, got shape {shape}"
    if shape == ():
        return f"{said}; give one length per row, e.g. {full}(({rows},), n) for {rows} rows of n steps"
    if B is not None and shape == (T,):  # x given as (time, batch, features)
        return f"{said}; the input ({B}, {T}, ...) looks time-first: pass it batch-first, {swap}"
    return said


@check_args
def mask_shape_message(
    shape: tuple[int, ...], B: int | None, T: int | None = None, *, numpy: bool = False
) -> str:
    """One line: a mask of valid steps of the wrong shape for an input ``(B, T, ...)``, and the likely fix.

    ``B`` None: the batch is not known (``lengths_from_mask``): only the number of axes is judged. A
    ``(B, T, 1)`` mask (a per-step feature kept) names the squeeze, a ``(T, B)`` one the transpose, one of
    other steps than the input builds it from the lengths. ``numpy``: spell the fixes for NumPy arrays.
    """
    swap, batch, squeeze = ("mask.T", "mask[None]", "mask[..., 0]") if numpy else _TORCH_MASK_FIXES
    said = f"mask must be (batch, time){'' if B is None else f' = ({B}, {T})'}, got shape {shape}"
    if len(shape) == 3 and shape[-1] == 1 and (B is None or shape[:2] == (B, T)):
        return f"{said}; drop the trailing axis: {squeeze}"
    if len(shape) == 1 and (B is None or (B == 1 and shape == (T,))):
        return f"{said}; for one sequence add the batch dimension: {batch}"
    if B is not None and B != T and shape == (T, B):
        return f"{said}; the mask looks time-first (time, batch): {swap}"
    if B is not None and len(shape) == 2 and shape[0] == B:
        return (
            f"{said}; the mask has {shape[1]} steps where the input has {T}: build it for the input, "
            f"mask_from_lengths(lengths, {T}), or pass lengths instead"
        )
    return (
        f"{said}; give one row per sequence, True at its valid steps (carrousel.core.nn.mask_from_lengths), "
        "or pass lengths instead"
    )


@check_args
def state_shape_message(name: str, got: tuple[int, ...] | None, want: tuple[int, int, int]) -> str:
    """One line: an encoder's initial ``state.h`` or ``state.c`` (``name``) of shape ``got`` (None: missing)
    where ``want`` = ``(num_layers * num_directions, B, H)`` is expected, and the likely fix: a batch-first
    state names the transpose, one of another batch or size names ``encoder.init_hidden(B)``."""
    n, B, H = want
    said = f"{name} must be (num_layers * num_directions, B, H) = {want}, got {got}"
    if got == (B, n, H) and n != B:
        return f"{said}; the state is layer-major, not batch-first: pass {name}.transpose(0, 1)"
    if got is not None and len(got) == 3 and got[0] == n and got[2] == H:
        return (
            f"{said}; the state was made for a batch of {got[1]}, the input has {B} rows: start from "
            f"encoder.init_hidden({B}) or pass the state returned for this batch"
        )
    return (
        f"{said}; start from encoder.init_hidden({B}) (zeros of that shape) or pass the state this encoder "
        "returned: one of another num_layers, bidirectional or hidden size does not fit"
    )


_TORCH_MASK_FIXES = ("mask.transpose(0, 1)", "mask.unsqueeze(0)", "mask.squeeze(-1)")
