"""Several translation networks decoded as one (``nlp translate run|evaluate --ensemble DIR``).

Members are trained on the same pairs with the same vocabulary (the same training command with another
``[fit] seed``, say); at every decoding step their output distributions are averaged by core's
:class:`~carrousel.core.decode.EnsembleStep`. :func:`check_members` refuses bundles that could not be
averaged token for token.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from torch import Tensor, nn

from carrousel.core.bundle import Bundle
from carrousel.core.decode import EnsembleStep
from carrousel.nlp.errors import NLPConfigError

__all__ = ["EnsembleNetwork", "check_members"]

# what must be equal for members' token ids (and the texts they are masked from) to mean the same
_SAME_ASSETS = ("src", "tgt", "tokenizer_kind", "placeholders", "max_tokens")


def check_members(
    first: Bundle, others: Sequence[Bundle], names: Sequence[str], files: Sequence[str]
) -> None:
    """Checks that ``others`` can be decoded with ``first`` as one ensemble.

    Args:
        first: the main bundle (its dictionary, lexicon and settings are the ensemble's).
        others: the other members' bundles.
        names: where each of ``others`` was read from (for the error).
        files: the bundle files that must be equal byte for byte (tokenizers, known words).

    Raises:
        NLPConfigError: a member with other languages, tokenizer, vocabulary or placeholder settings.
    """
    for bundle, name in zip(others, names, strict=True):
        for key in _SAME_ASSETS:
            if bundle.assets.get(key) != first.assets.get(key):
                raise NLPConfigError(
                    f"ensemble member {name} differs from the main model in {key} "
                    f"({bundle.assets.get(key)!r} vs {first.assets.get(key)!r}); members must be trained "
                    "on the same pairs with the same tokenizer settings (change only the training seed)"
                )
        for file in files:
            if bundle.files.get(file) != first.files.get(file):
                raise NLPConfigError(
                    f"ensemble member {name} has another vocabulary ({file} differs from the main "
                    "model's); members must be trained on the same pairs with the same tokenizer settings "
                    "(change only the training seed)"
                )


class EnsembleNetwork:
    """Translation networks (eager or exported) with one ``start``/``step``, as the searches expect.

    Args:
        networks: ``M`` networks over the same vocabulary, each with ``start``, ``step`` and ``parameters``.

    The state is the tuple of the members' states; the step's log-probabilities are those of the mean of
    the members' distributions, its extras (``(N, S)`` attention) the mean of their attentions.
    """

    def __init__(self, networks: Sequence[Any]) -> None:
        if len(networks) < 2:
            raise NLPConfigError("an ensemble needs at least two networks")
        self.networks = list(networks)
        self.step = EnsembleStep([n.step for n in self.networks])

    def parameters(self) -> Iterator[nn.Parameter]:
        """The first member's parameters (where the searches read the device from)."""
        return iter(self.networks[0].parameters())

    def start(self, src: Tensor, lengths: Tensor) -> tuple[Any, ...]:
        """Each member's initial state for ``(B, S)`` source ids of ``(B,)`` lengths."""
        return tuple(n.start(src, lengths) for n in self.networks)
