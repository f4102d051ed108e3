"""A small name -> class registry checked against a base class (the idea of ESPnet's ``ClassChoices``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from importlib import import_module
from typing import Generic, TypeVar

from carrousel.core.errors import RegistryError

__all__ = ["Registry"]

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to classes (or factories) that must derive from ``base``.

    Args:
        kind: what the registry holds, used in error messages (e.g. ``"module"``).
        base: every registered class must be a subclass of it.
        providers: names known before their module is imported -> that module, imported by :meth:`get`
            on first use (so that a name resolves without the caller importing its package first).
        decorator: the public decorator that registers into it, named in errors (e.g.
            ``"carrousel.core.register_module"``); default ``"register"``.
    """

    def __init__(
        self, kind: str, base: type, providers: Mapping[str, str] | None = None, decorator: str = "register"
    ) -> None:
        self.kind = kind
        self.base = base
        self.decorator = decorator
        self._items: dict[str, type[T]] = {}
        self._providers = dict(providers or {})

    def register(self, name: str) -> Callable[[type[T]], type[T]]:
        """Decorator that registers a class under ``name``.

        A class of the same module and qualified name as the one registered (the same definition run
        again: a notebook cell, a reloaded module) replaces it.

        Raises:
            RegistryError: ``cls`` is not a subclass of ``base``, or ``name`` holds another class (or is a
                provider's name, before its module is imported).
        """

        def deco(cls: type[T]) -> type[T]:
            if not (isinstance(cls, type) and issubclass(cls, self.base)):
                raise RegistryError(f"{cls!r} must subclass {self.base.__name__} to be a {self.kind}")
            existing = self._items.get(name)
            if existing is not None and existing is not cls and not _redefined(existing, cls):
                raise RegistryError(f"{self.kind} name {name!r} is already taken by {existing.__qualname__}")
            owner = self._providers.get(name)  # a name whose module is not imported yet: taken all the same
            if existing is None and owner is not None and cls.__module__ != owner:  # (its import then failed)
                raise RegistryError(f"{self.kind} name {name!r} is taken by {owner}; pick another name")
            self._items[name] = cls
            return cls

        return deco

    def get(self, name: str) -> type[T]:
        """Returns the class registered as ``name`` or raises :class:`RegistryError` listing the choices."""
        if name not in self._items and name in self._providers:
            import_module(self._providers[name])  # registers ``name`` as it is imported
        try:
            return self._items[name]
        except KeyError:
            choices = ", ".join(sorted({*self._items, *self._providers})) or "(none)"
            raise RegistryError(f"unknown {self.kind} {name!r}; choose one of: {choices}") from None

    def name_of(self, cls: type) -> str:
        """Returns the registered name of ``cls``."""
        for name, item in self._items.items():
            if item is cls:
                return name
        for name, item in self._items.items():  # an instance of the definition a rerun replaced
            if _redefined(item, cls):
                return name
        raise RegistryError(
            f"{cls.__qualname__} is not a registered {self.kind}; decorate it with @{self.decorator}(name)"
        )

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._items))


def _redefined(existing: type, cls: type) -> bool:
    """Whether ``cls`` is ``existing`` defined again (same module and qualified name)."""
    return (existing.__module__, existing.__qualname__) == (cls.__module__, cls.__qualname__)
