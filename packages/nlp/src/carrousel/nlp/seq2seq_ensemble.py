"""Several translation networks decoded as one.

Members are trained on the same pairs with the same vocabulary (the same training command with another
``[fit] seed``); at every decoding step their output distributions are averaged by core's
:class:`~carrousel.core.decode.EnsembleStep` (:class:`EnsembleNetwork`). They come together in two ways:

* in one bundle: ``nlp translate train --members N`` trains ``N`` networks with training seeds ``seed``,
  ``seed + 1``... and saves them as one :class:`Seq2SeqEnsemble` (registered ``"nlp.seq2seq_ensemble"``);
* from several bundles: ``nlp translate run|evaluate --ensemble DIR``, where :func:`check_members` refuses
  bundles that could not be averaged token for token.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from torch import Tensor, nn

from carrousel.core.args import check_args
from carrousel.core.bundle import Bundle
from carrousel.core.config import check_numbers
from carrousel.core.decode import EnsembleStep
from carrousel.core.io import register_module
from carrousel.nlp.errors import NLPConfigError
from carrousel.nlp.seq2seq import Seq2Seq, Seq2SeqConfig

__all__ = [
    "EnsembleNetwork",
    "Seq2SeqEnsemble",
    "Seq2SeqEnsembleConfig",
    "check_members",
    "ensemble_of",
    "networks_of",
]

# what must be equal for members' token ids (and the texts they are masked from) to mean the same
_SAME_ASSETS = ("src", "tgt", "tokenizer_kind", "placeholders", "max_tokens", "caps_names")


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


@dataclass(frozen=True)
class Seq2SeqEnsembleConfig:
    """Configuration of :class:`Seq2SeqEnsemble`."""

    member: Seq2SeqConfig  # every member's network (one configuration, other training seeds)
    members: int = 3  # number of member networks
    # training seed of member 0; member i was trained with seed + i (recorded, not used to build)
    seed: int = 0

    def __post_init__(self) -> None:
        check_numbers(self, NLPConfigError)
        if self.members < 2:
            raise NLPConfigError(f"an ensemble bundle holds at least 2 members, got {self.members}")


@register_module("nlp.seq2seq_ensemble")
class Seq2SeqEnsemble(nn.Module):
    """A seed ensemble of translation networks saved as one bundle (``nlp translate train --members N``).

    It is a container: decoding takes its members (:func:`networks_of`) and averages them step by step
    (:class:`EnsembleNetwork`); the members' buffers (lexicon, copy ids) are the same in every member.

    Args:
        config: a :class:`Seq2SeqEnsembleConfig`.
    """

    config_class = Seq2SeqEnsembleConfig

    def __init__(self, config: Seq2SeqEnsembleConfig) -> None:
        super().__init__()
        self.config = config
        self.members = nn.ModuleList(Seq2Seq(config.member) for _ in range(config.members))


@check_args
def ensemble_of(models: Sequence[Seq2Seq], seed: int) -> Seq2SeqEnsemble:
    """Wraps trained networks of one configuration (member ``i`` trained with ``seed + i``) as one module.

    Raises:
        NLPConfigError: fewer than two networks, or networks of different configurations.
    """
    if len(models) < 2:
        raise NLPConfigError("an ensemble bundle needs at least two networks")
    if any(m.config != models[0].config for m in models):
        raise NLPConfigError("the members of an ensemble must share one network configuration")
    ens = Seq2SeqEnsemble(Seq2SeqEnsembleConfig(models[0].config, len(models), seed))
    ens.members = nn.ModuleList(models)
    return ens


def networks_of(model: nn.Module) -> list[Seq2Seq]:
    """The translation networks of a bundle's model: its members, or the model itself.

    Raises:
        NLPConfigError: the model is not a translation network.
    """
    if isinstance(model, Seq2SeqEnsemble):
        return list(model.members)  # type: ignore[arg-type]
    if isinstance(model, Seq2Seq):
        return [model]
    raise NLPConfigError(f"{type(model).__name__} is not a translation network; give a translation bundle")
