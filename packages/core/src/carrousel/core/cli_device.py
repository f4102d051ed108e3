"""``--device``, one option for every domain CLI: the same help (the choices of
:data:`carrousel.core.config.DEVICE_CHOICES`) and the same check (:func:`carrousel.core.config.check_device`),
so a name that is no device is a usage error (exit 2) before any work, in every command. Whether the
machine has the device is asked later, by :func:`carrousel.core.device.pick_device` (one ``error:`` line,
exit 1, e.g. ``--device cuda:1`` without CUDA).

A command whose ``--device`` has a default takes :data:`DeviceOption`; one whose value comes from a
``--config`` file when the flag is absent takes ``Annotated[str | None, device_option("auto")]``, naming the
default the help shows.
"""

from __future__ import annotations

from typing import Annotated, Any

from carrousel.core.config import DEVICE_CHOICES, check_device
from carrousel.core.errors import ConfigError
from carrousel.core.optional import missing_extra

try:  # the carrousel-core[cli] extra
    import typer
except ImportError as e:
    raise missing_extra(
        e, "typer", "carrousel-core[cli]", "the CLI option --device (carrousel.core.cli_device)"
    ) from None

__all__ = ["DEVICE_HELP", "DeviceOption", "device_option"]

DEVICE_HELP = f"Where the network runs: {DEVICE_CHOICES}."
"""The help of every ``--device`` option (before a default the help itself names)."""


def _parse(value: str) -> str:
    try:
        return check_device(value)
    except ConfigError as e:
        raise typer.BadParameter(str(e)) from None


def device_option(default: str | None = None) -> Any:
    """The ``--device`` option's typer ``Option``: :data:`DEVICE_HELP`, checked by ``check_device``.

    Args:
        default: the default the help names, for an option whose value is None when not given (the
            config's device then); None when typer shows the parameter's own default.
    """
    shown = f"  [default: {default}]" if default else ""
    return typer.Option("--device", parser=_parse, metavar="DEVICE", help=DEVICE_HELP + shown)


DeviceOption = Annotated[str, device_option()]
"""``--device`` with a default given by the command (``device: DeviceOption = "cpu"``)."""
