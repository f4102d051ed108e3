"""The message of an encoder input of the wrong shape, naming the likely fix.

``RecurrentEncoder`` takes ``(batch, time, features)``; a newcomer's input of the wrong shape is most often
one sequence without its batch dimension ``(time, features)``, a channels-first ``(batch, features, time)``
tensor as ``nn.Conv1d`` takes, or features of another count than the encoder was built for. The message
said only ``input must be (batch, time, 4), got shape (6, 4)``; it now names the fix of each case, in the
encoder, :func:`~carrousel.core.nn.backend.explain_backend`, the ONNX runner and the NumPy reference layers.
"""

from __future__ import annotations

from carrousel.core.args import check_args

__all__ = ["input_shape_message", "lengths_shape_message"]

_TORCH_FIXES = ("x.unsqueeze(0)", "x.view(1, 1, -1)", "x.transpose(1, 2)")  # add batch, one step, swap axes
_NUMPY_FIXES = ("x[None]", "x.reshape(1, 1, -1)", "x.transpose(0, 2, 1)")


@check_args
def input_shape_message(shape: tuple[int, ...], input_size: int | None, *, numpy: bool = False) -> str:
    """One line: the expected and given shapes, and the fix for the likely mistake.

    Args:
        shape: the input's shape.
        input_size: the encoder's ``RecurrentConfig.input_size``; None where it is not known (a module that
            contains encoders, :func:`~carrousel.core.nn.backend.explain_backend`): only the number of
            dimensions is then judged.
        numpy: spell the fixes for a NumPy array (``x[None]``, not ``x.unsqueeze(0)``): the reference layers.
    """
    batch, step, swap = _NUMPY_FIXES if numpy else _TORCH_FIXES
    said = f"input must be (batch, time, {input_size or 'features'}), got shape {shape}"
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
