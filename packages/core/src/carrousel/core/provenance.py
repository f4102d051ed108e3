"""What a saved bundle's provenance says of its training, read the same way for every domain.

:func:`trained_precision` is the training arithmetic a bundle records (``"fp32"``, ``"bf16"``, ``"fp16"``),
and :func:`precision_report` the two keys every command that loads a trained bundle reports in ``--json``:
``trained_precision`` (how the network was trained) and ``precision`` (the arithmetic this run used: an
exported bundle's ONNX file's, :func:`exported_precision`, whatever the command asked for);
:func:`bundle_precision_report` reads both of a loaded bundle, :func:`precision_words` says them in text output.
:func:`upgrade_hint` says what to do with a bundle written by a newer carrousel than the one installed
(:func:`upgrade_command`: the pip command), and :func:`fix_or_upgrade` picks between it and a loader's own fix
("train it again") where a bundle's contents cannot be used: every domain says it in the same words. :func:`software_versions`
is what every run record (a bundle's ``bundle.json``, a domain's run file) says of the software that wrote it
besides :func:`carrousel_version`: Python's, torch's and numpy's versions; :func:`run_provenance` both.
"""

from __future__ import annotations

import platform
import re
from collections.abc import Mapping
from typing import Any, Protocol, TypedDict

from carrousel.core.version import installed_version

__all__ = [
    "PrecisionReport",
    "bundle_precision_report",
    "carrousel_version",
    "exported_precision",
    "fix_or_upgrade",
    "precision_report",
    "precision_words",
    "run_provenance",
    "software_versions",
    "trained_precision",
    "upgrade_command",
    "upgrade_hint",
]

_EXPORT = "export"  # carrousel.core.export.deploy.EXPORT_ASSET (not imported here: that pulls in torch)


class PrecisionReport(TypedDict):
    """The two ``--json`` keys of a run on a loaded bundle (:func:`precision_report`)."""

    trained_precision: str | None  # how the network was trained (None: not recorded)
    precision: str  # the arithmetic this run used


def trained_precision(record: Mapping[str, Any] | None, unrecorded: str | None = "fp32") -> str | None:
    """The training precision ``record`` holds: ``record["train"]["precision"]`` (core's trainer settings,
    as bio and speech keep them in a bundle's data and finance in its assets) or ``record["precision"]``
    (nlp's data); else ``unrecorded``.

    Args:
        record: a bundle's provenance mapping (its ``data``, or the asset holding the trainer settings).
        unrecorded: what a bundle without the record was trained in: ``"fp32"`` where the train command
            had no other arithmetic before it wrote the record (bio, nlp, speech), None where that cannot
            be told (finance: its ``[train] precision`` once named the forecasts' arithmetic alone).
    """
    record = record if isinstance(record, Mapping) else {}
    train = record.get("train")
    found = train.get("precision") if isinstance(train, Mapping) else record.get("precision")
    return str(found) if isinstance(found, str) else unrecorded


def exported_precision(assets: Mapping[str, Any] | None) -> str | None:
    """The arithmetic of an exported bundle's ONNX file (``assets["export"]["precision"]``: ``"fp32"`` or
    ``"int8"``), which ONNX Runtime runs whatever a command asks; None for a bundle that is not exported."""
    export = assets.get(_EXPORT) if isinstance(assets, Mapping) else None
    found = export.get("precision") if isinstance(export, Mapping) else None
    return str(found) if isinstance(found, str) else None


def precision_report(trained: str | None, run: str, exported: str | None = None) -> PrecisionReport:
    """The ``--json`` keys of a run on a loaded bundle: ``trained_precision`` (None: not recorded) and
    ``precision`` (the run's inference arithmetic: ``exported``, an exported bundle's ONNX file's, else
    ``run``)."""
    return PrecisionReport(trained_precision=trained, precision=str(exported or run))


def bundle_precision_report(
    data: Mapping[str, Any] | None, assets: Mapping[str, Any] | None, run: str
) -> PrecisionReport:
    """:func:`precision_report` of a loaded bundle of bio, nlp or speech (its ``data`` and ``assets``; one
    saved before the record was trained in fp32) run in ``run``."""
    return precision_report(trained_precision(data), run, exported_precision(assets))


def precision_words(trained: str | None, run: str) -> str:
    """The two precisions as a command's text output says them: ``"trained in bf16, run in fp32"``."""
    return f"trained in {trained or 'an unrecorded precision'}, run in {run}"


def carrousel_version() -> str:
    """The installed carrousel version (``carrousel-core``'s; all packages share it), "0.0.0" uninstalled:
    :data:`carrousel.core.__version__` (:func:`~carrousel.core.version.installed_version`, read once)."""
    return installed_version("carrousel-core")


def software_versions(record: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The versions of the software a run record is written with, besides carrousel's: those installed,
    ``{"python": "3.12.3", "torch": "2.5.1", "numpy": "2.1.0"}`` (``"?"`` for a package not installed; read
    from the installed distributions, so torch is not imported here), or those ``record`` holds under
    ``versions`` (a manifest or run file read back; {} where it holds none: written before they were)."""
    if record is not None:
        found = record.get("versions")
        return {str(k): str(v) for k, v in found.items()} if isinstance(found, Mapping) else {}
    from importlib.metadata import PackageNotFoundError, version  # 15-50 ms: not at every CLI start

    found = {"python": platform.python_version()}
    for name in ("torch", "numpy"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "?"
    return found


def run_provenance() -> dict[str, Any]:
    """What a run file records of the software that wrote it: ``carrousel_version``
    (:func:`carrousel_version`) and ``versions`` (:func:`software_versions`), as a bundle's manifest does."""
    return {"carrousel_version": carrousel_version(), "versions": software_versions()}


def _release(text: str) -> tuple[int, ...] | None:
    """The release numbers of a version (``"1.2.0rc1"`` -> ``(1, 2)``), trailing zeros dropped; None when
    it does not start with one."""
    found = re.match(r"\d+(\.\d+)*", text)
    if found is None:
        return None
    numbers = [int(n) for n in found.group().split(".")]
    while numbers and numbers[-1] == 0:
        numbers.pop()
    return tuple(numbers)


class _Written(Protocol):
    """What a loaded bundle records of where it comes from (:class:`carrousel.core.bundle.Bundle`)."""

    @property
    def kind(self) -> str: ...  # "<domain>.<model>"

    @property
    def carrousel_version(self) -> str: ...  # the carrousel version that wrote it


def _record(written: Mapping[str, Any] | _Written) -> Mapping[str, Any]:
    if isinstance(written, Mapping):
        return written
    return {"kind": written.kind, "carrousel_version": written.carrousel_version}


def upgrade_command(written: Mapping[str, Any] | _Written) -> str:
    """The pip command that upgrades carrousel for a bundle: core, and the domain package of its ``kind``
    (``"<domain>.<model>"``) when that package is installed: ``"pip install -U carrousel-core
    carrousel-speech"``.

    Args:
        written: the bundle's manifest, or the loaded bundle.
    """
    from importlib.metadata import PackageNotFoundError, version

    packages = ["carrousel-core"]
    domain = str(_record(written).get("kind", "")).partition(".")[0]
    if domain and domain != "core":
        try:
            version(f"carrousel-{domain}")
            packages.append(f"carrousel-{domain}")
        except (PackageNotFoundError, ValueError):  # not a carrousel package (or not a distribution name)
            pass
    return f"pip install -U {' '.join(packages)}"


def upgrade_hint(written: Mapping[str, Any] | _Written) -> str | None:
    """What to do with a bundle whose manifest records a newer ``carrousel_version`` than the installed
    one (a config field or value this version lacks is why it fails to load), else None.

    Args:
        written: the bundle's manifest, or the loaded bundle (``carrousel_version``; ``kind``
            ``"<domain>.<model>"`` names the domain package to upgrade with core, when that package is
            installed).

    Returns:
        ``"the bundle was written by carrousel 0.3.0, newer than this 0.1.0: upgrade carrousel (pip install
        -U carrousel-core carrousel-speech)"``, or None (an older, equal or unrecorded version).
    """
    written_by, here = str(_record(written).get("carrousel_version", "")), carrousel_version()
    new, old = _release(written_by), _release(here)
    if new is None or old is None or new <= old:
        return None
    return (
        f"the bundle was written by carrousel {written_by}, newer than this {here}: upgrade carrousel "
        f"({upgrade_command(written)})"
    )


def fix_or_upgrade(written: Mapping[str, Any] | _Written, fix: str = "train it again") -> str:
    """The end of a loader's error for a bundle whose contents it cannot use (an asset missing or of
    another shape): ``fix``, unless a newer carrousel wrote the bundle, where retraining would not help and
    :func:`upgrade_hint` says to upgrade.

    Args:
        written: the bundle's manifest, or the loaded bundle.
        fix: what to do when the bundle is not newer than the installed carrousel.
    """
    return upgrade_hint(written) or fix
