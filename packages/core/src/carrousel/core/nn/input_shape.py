"""The message of an encoder input of the wrong shape, naming the likely fix.

``RecurrentEncoder`` takes ``(batch, time, features)``; a newcomer's input of the wrong shape is most often
one sequence without its batch dimension ``(time, features)``, a channels-first ``(batch, features, time)``
tensor as ``nn.Conv1d`` takes, or features of another count than the encoder was built for. The message
said only ``input must be (batch, time, 4), got shape (6, 4)``; it now names the fix of each case.
"""

from __future__ import annotations

from carrousel.core.args import check_args

__all__ = ["input_shape_message"]


@check_args
def input_shape_message(shape: tuple[int, ...], input_size: int) -> str:
    """One line: the expected and given shapes, and the fix for the likely mistake.

    Args:
        shape: the input's shape.
        input_size: the encoder's ``RecurrentConfig.input_size``.
    """
    said = f"input must be (batch, time, {input_size}), got shape {shape}"
    if len(shape) == 2 and shape[-1] == input_size:
        return f"{said}; for one sequence add the batch dimension: x.unsqueeze(0)"
    if len(shape) == 1 and shape[0] == input_size:
        return f"{said}; for one step of one sequence: x.view(1, 1, -1)"
    if len(shape) == 3 and shape[1] == input_size:
        return f"{said}; the input looks channels-first (batch, features, time): x.transpose(1, 2)"
    if len(shape) == 3:
        return (
            f"{said}; the encoder was built for {input_size} features (RecurrentConfig.input_size): give the "
            f"input {input_size} features or build the encoder with input_size={shape[-1]}"
        )
    return f"{said}; pad the sequences into one (batch, time, features) tensor (carrousel.core.data.pad_sequences)"
