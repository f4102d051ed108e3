"""Checks of ``speech train``'s corpora that need the utterances loaded (the flags' own checks are in
:mod:`carrousel.speech.config_checks`).

Training reads audio: the feature statistics, the front end and every augmentation start from samples.
A Sphinx ``.mfc`` file holds features another front end computed, so it can be decoded (``speech
evaluate``, ``speech transcribe``) but not trained on; before, such a corpus (``sample:tidigits``) failed
on its first ``.mfc`` file as "not readable audio (Format not recognised.)".
"""

from __future__ import annotations

from collections.abc import Sequence

from carrousel.core.option_names import named_path, option
from carrousel.speech.corpus_spec import corpus_parts
from carrousel.speech.data import Utterance
from carrousel.speech.errors import CorpusError

__all__ = [
    "FEATURE_SAMPLES",
    "left_out",
    "left_out_of_both",
    "no_usable_training",
    "refuse_feature_files",
    "refuse_no_training",
]

FEATURE_SAMPLES: dict[str, str] = {
    "tidigits": "CMU Sphinx's TIDIGITS digit strings (a man and a woman) as Sphinx MFCC feature files",
}
"""The sample groups (``sample:GROUP``) stored as feature files, with what they hold."""

# How a command names TrainConfig.max_seconds: speech train has no flag for it, only its --config field.
_LIMIT_FLAG = "max_seconds in --config"


def refuse_feature_files(utts: Sequence[Utterance], specs: Sequence[str], name: str = "data") -> None:
    """Refuses training utterances that are Sphinx ``.mfc`` feature files, naming what they can be used for.

    Args:
        utts: the loaded training utterances.
        specs: the corpus specs they came from (``("sample:tidigits",)``), for the message.
        name: the option that gave them (``data``), for the message.

    Raises:
        CorpusError: some utterance is a ``.mfc`` file (one line: how many, the sample or first file, the
            use it has and the fix).
    """
    mfc = [u.path for u in utts if u.path.lower().endswith(".mfc")]
    if not mfc:
        return
    flag = option(name)
    held = [t for kind, t, _ in map(corpus_parts, specs) if kind == "sample" and t in FEATURE_SAMPLES]
    if held:
        what = f"{named_path(f'sample:{held[0]}', flag)} holds {FEATURE_SAMPLES[held[0]]}"
    else:
        what = f"the training data ({flag}) lists Sphinx MFCC feature files (first: {mfc[0]})"
    uses = f"speech evaluate --data {f'sample:{held[0]}' if held else 'FILE'}"
    raise CorpusError(
        f"{what} (.mfc: {len(mfc)} of {len(utts)} utterances), not audio; 'speech train' needs audio (it "
        "computes its own features and augments the waveform): use them to evaluate or decode a model with "
        f"the default telephone-band front end ('{uses}', 'speech transcribe FILE.mfc') and train on "
        "recordings (WAV, FLAC, OGG...: e.g. the folder 'speech synth-corpus --out' writes)"
    )


def left_out(dropped: dict[str, int]) -> str:
    """The utterances left out of training, in words (``2 too long, 1 no known characters``), from
    :func:`data.trainable`'s counts by reason; the reasons with none are not named."""
    return ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in dropped.items() if v)


def left_out_of_both(dropped: dict[str, int], held: dict[str, int]) -> str:
    """:func:`left_out` of a corpus split in two, counting both parts (``2 too short for transcript, 1 of them
    split off for validation``): ``dropped`` the training part's counts, ``held`` the validation part's."""
    every = {k: dropped.get(k, 0) + held.get(k, 0) for k in {**dropped, **held}}
    split_off = sum(held.values())
    return left_out(every) + (f", {split_off} of them split off for validation" if split_off else "")


def no_usable_training(where: str, why: str, max_seconds: float, *, corpus: str = "", limit: str = "") -> str:
    """The one line refusing a training corpus none of whose utterances can be trained on, for ``speech
    train`` (:func:`refuse_no_training`) and a pruned or distilled variant's fine-tuning
    (:func:`carrousel.speech.prune.finetune_corpus`): where, why each was left out, and the fix.

    Before, two wordings: ``no usable training utterance in m.tsv (...); give recordings no longer than the
    limit, ...`` (naming neither the limit nor the setting) and ``m.tsv: no usable training utterance for
    this model (...); give with --train-data CORPUS recordings of at most 30 s, ...``.

    Args:
        where: the corpus as the user gave it (``m.tsv``, ``--train-data a.tsv, b.tsv``).
        why: the rows left out, in words (:func:`left_out_of_both`).
        max_seconds: the longest recording trained on.
        corpus: the setting to give another corpus with (``--train-data CORPUS``), where the fix names it.
        limit: the setting that raises ``max_seconds`` (``max_seconds``; in a command ``max_seconds in
            --config``), where the user can change it (a pruned model's limit is the one it trained with).

    Returns:
        The line, ``m.tsv: no usable training utterance (left out: 3 too long); give recordings of at most
        30 s (or raise max_seconds), long enough for their transcripts, written in the model's alphabet``.
    """
    via = f" with {corpus}" if corpus else ""
    raise_it = f" (or raise {limit})" if limit else ""
    return (
        f"{where}: no usable training utterance (left out: {why}); give{via} recordings of at most "
        f"{max_seconds:g} s{raise_it}, long enough for their transcripts, written in the model's alphabet"
    )


def refuse_no_training(
    specs: Sequence[str],
    held_out: Sequence[Utterance],
    dropped: dict[str, int],
    max_seconds: float,
    held_dropped: dict[str, int] | None = None,
) -> None:
    """Refuses a run left with no training utterance, saying where they went.

    Before, one line with the counts as a Python dict, all 0 when the split had held every utterance out
    for validation (a corpus of one): ``no usable training utterance in m.tsv (dropped: {'too_long': 0,
    ...})``, naming no fix.

    Args:
        specs: the training corpus specs, for the message.
        held_out: the validation utterances split off the training corpus, before any was left out (none
            with ``val_data``).
        dropped: how many training utterances were left out, by reason (:func:`data.trainable`'s).
        max_seconds: the longest recording trained on (``TrainConfig.max_seconds``), for the fix.
        held_dropped: how many of ``held_out`` were left out, by reason: counted with ``dropped``, so the
            line names every row of the corpus left out (before: "left out: 1 too short" for 2 rows too
            short, one of them split off for validation).

    Raises:
        CorpusError: always (one line: where the utterances went and the fix).
    """
    data, held = ", ".join(specs), held_dropped or {}
    if not any(dropped.values()):
        unusable = f"; left out there: {left_out(held)}" if any(held.values()) else ""
        raise CorpusError(
            f"{data}: its {len(held_out)} utterance(s) all went to validation ({option('val_fraction')} holds "
            f"out at least one{unusable}); give more recordings, a validation corpus ({option('val_data')}) or "
            f"{option('val_fraction', 0)}"
        )
    why = left_out_of_both(dropped, held)
    raise CorpusError(
        no_usable_training(data, why, max_seconds, limit=option("max_seconds", flag=_LIMIT_FLAG))
    )
