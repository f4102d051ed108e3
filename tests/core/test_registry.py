"""The name -> class registry behind register_module and the cell names: a class redefined under its own
name (a notebook cell run again, a reloaded module) replaces itself; another class keeps being refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from torch import nn

from carrousel.core.errors import RegistryError
from carrousel.core.registry import Registry


def _define(name: str, qualname: str = "Net", module: str = "__main__") -> type[nn.Module]:
    """A fresh class object each call, as running ``class Net(nn.Module): ...`` again makes one."""
    return type(name, (nn.Module,), {"__qualname__": qualname, "__module__": module})


def test_a_class_defined_again_replaces_itself_under_its_name() -> None:
    """Running a notebook cell that defines ``@register_module("demo.tagger") class Tagger`` a second time
    raised "module name 'demo.tagger' is already taken by Tagger" (the same class, redefined)."""
    reg: Registry[nn.Module] = Registry("module", nn.Module)
    first = reg.register("demo.net")(_define("Net"))
    again = reg.register("demo.net")(_define("Net"))
    assert again is not first and reg.get("demo.net") is again
    assert reg.name_of(again) == reg.name_of(first) == "demo.net"  # a model built before the rerun saves


@pytest.mark.parametrize(("qualname", "module"), [("Other", "__main__"), ("Net", "somewhere.else")])
def test_another_class_under_a_taken_name_is_still_refused(qualname: str, module: str) -> None:
    reg: Registry[nn.Module] = Registry("module", nn.Module)
    reg.register("demo.net")(_define("Net"))
    with pytest.raises(RegistryError, match="already taken"):
        reg.register("demo.net")(_define("Net", qualname, module))


def test_saving_an_unregistered_model_names_the_decorator_to_use(tmp_path: Path) -> None:
    """``Bundle.save`` / ``save_module`` of a plain ``nn.Linear`` said "decorate it with @register(name)", a
    name the user cannot import; it names ``carrousel.core.register_module`` now (and the cell registry
    its own ``CELLS.register``)."""
    from carrousel.core.bundle import Bundle
    from carrousel.core.nn import CELLS

    with pytest.raises(RegistryError, match=r"@carrousel\.core\.register_module\(name\)"):
        Bundle(kind="demo.linear", model=nn.Linear(2, 2)).save(tmp_path / "linear")
    with pytest.raises(RegistryError, match=r"@carrousel\.core\.nn\.CELLS\.register\(name\)"):
        CELLS.name_of(nn.Linear)


def test_an_unknown_name_lists_the_names_known_before_import() -> None:
    """Loading a bundle whose module was never imported said "choose one of: (none)" in a fresh process,
    although core's own modules load by name (providers); the choices list them too."""
    reg: Registry[nn.Module] = Registry("module", nn.Module, providers={"recurrent_encoder": "x.y"})
    with pytest.raises(
        RegistryError, match=r"unknown module 'demo\.tagger'; choose one of: recurrent_encoder$"
    ):
        reg.get("demo.tagger")


def test_a_core_name_is_taken_before_its_module_is_imported() -> None:
    """register_module("sequence_classifier") on a class of one's own succeeded while carrousel.core.nn was
    not imported yet (core's modules load on first use), and the next import of it then failed with
    "module name 'sequence_classifier' is already taken by Mine": core was broken in that process."""
    import dataclasses

    import torch

    from carrousel.core.errors import RegistryError
    from carrousel.core.io import MODULES
    from carrousel.core.registry import Registry

    fresh: Registry[torch.nn.Module] = Registry("module", torch.nn.Module, providers=dict(MODULES._providers))

    @dataclasses.dataclass(frozen=True)
    class Cfg:
        n: int = 1

    class Mine(torch.nn.Module):
        config_class = Cfg

    with pytest.raises(
        RegistryError, match=r"^module name 'sequence_classifier' is taken by carrousel\.core\.nn\.heads"
    ):
        fresh.register("sequence_classifier")(Mine)
    assert fresh.register("mine.sequence_classifier")(Mine) is Mine
