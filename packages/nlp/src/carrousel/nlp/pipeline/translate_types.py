"""What a :class:`~carrousel.nlp.pipeline.translate.Translator` returns: one :class:`Translation` per text,
the :class:`Searched` hypotheses it chooses from, and :func:`attention_plot` of a translation (all
re-exported by :mod:`carrousel.nlp.pipeline.translate`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from carrousel.core.decode import Hypothesis
from carrousel.nlp.errors import TextDataError

__all__ = ["Searched", "Translation", "attention_plot"]


@dataclass
class Translation:
    """One translated text."""

    source: str  # the input
    text: str  # the translation
    score: float  # the search's ranking score (log-probability, length-normalised in beam search)
    source_tokens: list[str] = field(default_factory=list)  # subword pieces of the source
    target_tokens: list[str] = field(default_factory=list)  # subword pieces of the translation
    attention: list[list[float]] | None = None  # (target tokens, source tokens) weights when asked for
    nll: float = 0.0  # mean -log p per output token ([EOS] included) of the hypothesis model_text is
    fallback: bool = False  # the text is the word dictionary's (fallback_nll, or an MBR pick)
    model_text: str = ""  # the network's own translation (the one target_tokens/attention belong to)
    chosen: str = "model"  # where text comes from: model (model_text), dictionary, copy (the source) or
    # clauses (DecodeConfig.fallback_clauses: the clauses translated one by one, carrousel.nlp.clauses)
    rank: int = 0  # which of the beam's n-best model_text is (0: the search's best; > 0 only by MBR)


@dataclass
class Searched:
    """One text as the search left it: what :meth:`Translator.choose` picks a translation from."""

    source: str  # the input
    ids: list[int]  # its source token ids
    pieces: list[str]  # the masked placeholders' texts
    hyps: list[Hypothesis]  # the network's hypotheses, best first (the n-best with DecodeConfig.mbr)


def attention_plot(translation: Translation, path: str | Path) -> Path:
    """Writes the attention heat map (PNG) of a translation made with ``attention=True``.

    Raises:
        TextDataError: the translation carries no attention weights.
    """
    if translation.attention is None:
        raise TextDataError("the translation has no attention weights; translate with attention=True")
    from carrousel.nlp.plots import alignment_png

    target = [*translation.target_tokens, "[EOS]"][: len(translation.attention)]
    own = (
        translation.model_text
        if translation.chosen != "model"
        else translation.model_text or translation.text
    )
    title = f"attention: {translation.source!r} -> {own!r}"
    if translation.chosen != "model":  # the printed text is not the one these weights belong to
        empty = ", empty: it ended at once" if not translation.target_tokens else ""
        title += f" (the network's own translation{empty}; the text shown comes from: {translation.chosen})"
    return alignment_png(translation.source_tokens, target, translation.attention, path, title)
