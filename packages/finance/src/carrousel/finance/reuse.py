"""Reusing a saved forecaster: which model a ``model_dir`` holds and whether a run's settings match it.

Split out of :mod:`carrousel.finance.pipeline`, which re-exports :func:`saved_config` (its public name) and
calls :func:`model_in` and :func:`check_settings` before :func:`~carrousel.finance.pipeline.forecast` reuses
a model without retraining.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from carrousel.core.files import refuse_other_files
from carrousel.core.option_names import option
from carrousel.core.paths import user_path
from carrousel.finance.bundle import KIND, ForecasterBundle, find_bundle
from carrousel.finance.config import FinanceConfig, ModelConfig, WindowConfig
from carrousel.finance.errors import BundleMismatchError, OutputPathError

__all__ = ["check_settings", "model_in", "saved_config"]


def saved_config(model_dir: str | Path | None) -> FinanceConfig | None:
    """The configuration of the model that ``model_dir`` (or its ``model/``) holds; None when it holds none.

    Reads the manifest (inside a CLI command the whole folder, once: core ``bundle_pins``). The CLI takes
    the saved window and network settings as the defaults of a reuse, so only the flags a user gives can
    disagree with them.

    Raises:
        ForecasterBundleError: when the folder holds files but no finance model, or a damaged one.
    """
    path = model_in(user_path(model_dir) if model_dir is not None else None)
    return None if path is None else ForecasterBundle.read_config(path)


def model_in(model_dir: Path | None) -> Path | None:
    """The model folder of ``--model-dir`` (:func:`find_bundle`); a model of another kind there (someone's
    bio model) is refused, as every command writing a model refuses it (core ``refuse_other_files``)."""
    found = find_bundle(model_dir)
    if found is not None:
        refuse_other_files(found, option("model_dir"), "bundle.json", OutputPathError, KIND)
    return found


_FLAGS = {  # setting -> how a CLI user gives it, for mismatch messages (option(): a Python caller's name)
    "lookback": "--lookback", "horizon": "--horizon", "indicators": "--indicators/--no-indicators",
    "arch": "--arch", "quantiles": "--quantiles", "hidden_size": "--hidden",
    "num_layers": "[model] num_layers", "dropout": "[model] dropout", "members": "--members",
    "target_scale": "[window] target_scale", "vol_inputs": "[window] vol_inputs",
}  # fmt: skip


def _show(value: object) -> str:
    if isinstance(value, tuple):
        return ",".join(f"{v:g}" for v in value)
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def check_settings(cfg: FinanceConfig, saved: FinanceConfig, path: Path) -> None:
    """Fails when the requested window or network settings differ from those of the saved model.

    Raises:
        BundleMismatchError: naming the first setting that differs and how to reuse the model or train one.
    """
    pairs: list[tuple[WindowConfig | ModelConfig, WindowConfig | ModelConfig]] = [
        (cfg.window, saved.window),
        (cfg.model, saved.model),
    ]
    for ours, theirs in pairs:
        for f in fields(ours):
            if f.name.startswith("global_"):  # already applied (for_series): the fields above hold them
                continue
            asked, trained = getattr(ours, f.name), getattr(theirs, f.name)
            if asked != trained:
                flag = option(f.name, flag=_FLAGS.get(f.name, f.name))
                raise BundleMismatchError(
                    f"the model in {path} was trained with {f.name} {_show(trained)}, not the "
                    f"{f.name} {_show(asked)} asked for ({flag}); drop {flag} to reuse it, or pick "
                    f"another {option('model_dir')} to train a new model"
                )
