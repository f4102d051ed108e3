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

__all__ = ["FEATURE_SAMPLES", "refuse_feature_files"]

FEATURE_SAMPLES: dict[str, str] = {
    "tidigits": "CMU Sphinx's TIDIGITS digit strings (a man and a woman) as Sphinx MFCC feature files",
}
"""The sample groups (``sample:GROUP``) stored as feature files, with what they hold."""


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
