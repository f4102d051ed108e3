"""Field checks the frozen configs of :mod:`carrousel.bio.config` share: a choice turned into its enum member
(:func:`set_choice`), motif specs stored as a tuple (:func:`store_motif_specs`), the JASPAR release in its one
spelling (:func:`store_release`), a scan setting its method never reads refused (:func:`refuse_unused_scan_options`),
an export setting for a training the export does not run refused (:func:`refuse_unused_export_options`), an
evaluation of PWMs only with a model or without motifs refused (:func:`refuse_pwm_only_model`,
:func:`refuse_pwm_only_without_motifs`), a training without data refused (:func:`refuse_no_training_source`)."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any, TypeVar

from carrousel.bio.choices import BackgroundKind, Method
from carrousel.bio.errors import BioError
from carrousel.bio.jaspar_release import JASPAR_RELEASE, release_name
from carrousel.core.args import check_args
from carrousel.core.option_names import option

__all__ = [
    "no_training_source",
    "refuse_no_training_source",
    "refuse_pwm_only_model",
    "refuse_pwm_only_without_motifs",
    "refuse_unused_export_options",
    "refuse_unused_scan_options",
    "set_choice",
    "store_motif_specs",
    "store_release",
]

E = TypeVar("E", bound=enum.Enum)


def set_choice(obj: Any, name: str, kind: type[E], error: type[BioError]) -> None:
    """Turns field ``name`` of frozen ``obj`` into a member of ``kind`` (accepting its value)."""
    value = getattr(obj, name)
    try:
        member = kind(value.value if isinstance(value, enum.Enum) else value)
    except ValueError:
        options = ", ".join(m.value for m in kind)
        raise error(f"{name.replace('_', ' ')} must be one of {options}, not {value!r}") from None
    object.__setattr__(obj, name, member)


def store_motif_specs(obj: Any) -> None:
    """Stores ``obj.motifs`` as a tuple: one spec as a plain string (``motifs="CTCF"``, else read letter by
    letter), or a list of them."""
    specs = obj.motifs
    object.__setattr__(obj, "motifs", (specs,) if isinstance(specs, str) else tuple(specs))


def store_release(obj: Any, error: type[BioError]) -> None:
    """Stores ``obj.jaspar_release`` as pyjaspar spells it (``jaspar2024`` -> ``JASPAR2024``: one name in a
    model's bundle.json and in ``--json`` output, whether a Python caller, a TOML file or the CLI gave it).
    Whether pyjaspar ships it is checked where motifs are looked up (pyjaspar is an optional extra).

    Raises:
        error: the release is not text, or empty.
    """
    value = obj.jaspar_release
    if not isinstance(value, str) or not value.strip():
        raise error(f"jaspar_release must be a JASPAR release such as {JASPAR_RELEASE}, not {value!r}")
    object.__setattr__(obj, "jaspar_release", release_name(value))


def refuse_unused_scan_options(cfg: Any, error: type[BioError]) -> None:
    """Refuses a setting of ``cfg`` (a ``ScanConfig`` whose choices are members already) that its method
    never reads, as it would be ignored without a word: ``model`` beside motifs in a PWM scan,
    ``model_background`` (the model's null) in a PWM scan, the PWM method's ``qvalue`` or ``exact_qvalues``
    in a model scan, ``background_order`` 1 without the ``input`` background (a uniform one has no order).

    Raises:
        error: one of those, naming the setting and the ways out.
    """
    motifs = option("motifs", flag="--motif")
    if cfg.method is Method.pwm and cfg.motifs and cfg.model is not None:
        raise error(
            f"{option('model', cfg.model)} is not used by a PWM scan of {option('motifs', flag='--motif', metavar='motifs')};"
            f" drop {option('model')}, drop {motifs} to scan the model's motifs, or use {option('method', 'model')} or both"
        )
    if cfg.method is Method.pwm and cfg.model_background is not None:
        raise error(
            f"{option('model_background', cfg.model_background)} is not used by a PWM scan (it is the null of "
            f"a model scan); drop it, or use {option('method', 'model')} or both"
        )
    for name in ("qvalue", "exact_qvalues"):
        if cfg.method is Method.model and getattr(cfg, name) not in (None, False):
            shown = option(name) if name == "exact_qvalues" else option(name, cfg.qvalue)
            raise error(
                f"{shown} is not used by a model scan (it is the PWM method's; the model's threshold is "
                f"{option('model_qvalue')}); drop it, or use {option('method', 'pwm')} or both"
            )
    if cfg.background_order and cfg.background is not BackgroundKind.input:
        raise error(
            f"{option('background_order', cfg.background_order)} is not used by the uniform background; "
            f"add {option('background', 'input')} (the input's composition, of that Markov order) or drop it"
        )


@check_args
def refuse_unused_export_options(
    prune: float, distill: int, distill_filters: int, train_windows: bool, error: type[Exception]
) -> None:
    """Refuses an export setting for a training the export does not run, as it would be ignored without a
    word: ``distill_filters`` (the student's filters) without ``distill``, the training windows
    (``train_windows``: ``train_positives`` or ``train_negatives`` given) without ``prune`` or ``distill``.
    The one wording of ``ExportConfig`` (``error`` an ``ExportConfigError``, exit 1: a Python caller, a
    ``--config`` file) and of ``bio export``, which checks its flags first (``typer.BadParameter``: exit 2).

    Raises:
        error: one of those, naming the setting and the one it needs.
    """
    f, h = option("prune", metavar="F"), option("distill", metavar="H")
    if distill_filters and not distill:
        raise error(f"{option('distill_filters', metavar='N')} needs {h} (the student's units)")
    if train_windows and prune == 0.0 and not distill:
        raise error(f"{option('train_positives')}/{option('train_negatives')} are for {f} or {h}")


@check_args
def refuse_pwm_only_model(pwm_only: bool, model: str | None, error: type[Exception]) -> None:
    """Refuses a ``model`` beside ``pwm_only`` (PWMs only), which would ignore it without a word: the one
    wording of ``EvaluateConfig`` and of ``bio evaluate``'s check of its flags and ``--config`` file merged.

    Raises:
        error: naming both.
    """
    if pwm_only and model is not None:
        raise error(
            f"{option('model', model)} is not used with {option('pwm_only', True, '--pwm-only')}; drop one of them"
        )


@check_args
def refuse_pwm_only_without_motifs(pwm_only: bool, motifs: Sequence[str], error: type[Exception]) -> None:
    """Refuses ``pwm_only`` without ``motifs`` (nothing to evaluate): the one wording of the evaluate
    pipeline and of ``bio evaluate``'s check of its flags and ``--config`` file merged.

    Raises:
        error: naming both.
    """
    if pwm_only and not motifs:
        raise error(f"{option('pwm_only', True, '--pwm-only')} needs {option('motifs', flag='--motif')}")


def no_training_source() -> str:
    """The line that refuses a ``bio train`` with no training data (the reader's and the CLI's)."""
    return (
        f"give {option('motifs', flag='--motif', metavar='IDs')} (planted training), "
        f"{option('positives')}/{option('negatives')} or {option('peaks')}/{option('genome')}"
    )


def refuse_no_training_source(data: Any, error: type[Exception]) -> None:
    """Refuses a training data config (``TrainDataConfig``) that names no source: no motif to plant, no
    positives, no peaks (:func:`no_training_source`). ``error``: the CLI's usage error (exit 2), or another."""
    if not data.motifs and data.positives is None and data.peaks is None:
        raise error(no_training_source())
