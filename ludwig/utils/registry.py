"""Name -> object registries filled by decorators.

A registered name is the value users write in a config, so lookups of an unknown name raise an error that
lists what is registered and suggests the closest match.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import pkgutil
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def did_you_mean(value: Any, allowed: Iterable[str]) -> str:
    """Return ' Did you mean "x"?' for the closest allowed string, or '' when none is close."""
    if not isinstance(value, str):
        return ""
    matches = difflib.get_close_matches(value, list(allowed), n=1, cutoff=0.6)
    return f" Did you mean '{matches[0]}'?" if matches else ""


class Registry(Generic[T]):
    """A named mapping from config names to classes or functions.

    Args:
        kind: what is registered ("encoder", "optimizer", ...), used in error messages.
    """

    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str, *aliases: str) -> Callable[[T], T]:
        """Decorator registering the object under ``name`` and any ``aliases``."""

        def wrap(obj: T) -> T:
            for key in (name, *aliases):
                self._items[key] = obj
            return obj

        return wrap

    def __getitem__(self, name: str) -> T:
        if name not in self:
            raise KeyError(self.unknown_message(name))
        return self._items[name]

    def unknown_message(self, name: Any) -> str:
        """Says that ``name`` is not registered (or is not a name at all) and lists the registered names."""
        allowed = sorted(self._items)
        if not isinstance(name, str):
            found = f"{type(name).__name__} {name!r}"
            return f"Expected the name of a {self.kind}, found {found}; expected one of {allowed}."
        return f"Unknown {self.kind} {name!r}; expected one of {allowed}.{did_you_mean(name, allowed)}"

    def get(self, name: str, default: T | None = None) -> T | None:
        return self._items.get(name, default) if isinstance(name, str) else default

    def __contains__(self, name: object) -> bool:
        # Names are strings; a list or dict written where a name belongs is simply not registered.
        return isinstance(name, str) and name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def keys(self) -> list[str]:
        return list(self._items)

    def items(self) -> list[tuple[str, T]]:
        return list(self._items.items())


class TypedRegistry(Generic[T]):
    """Registries keyed first by feature type, then by name (encoders, decoders, ...)."""

    def __init__(self, kind: str):
        self.kind = kind
        self._by_type: dict[str, Registry[T]] = {}

    def register(self, name: str, feature_types: str | Iterable[str]) -> Callable[[T], T]:
        """Decorator registering the object under ``name`` for each of ``feature_types``."""
        types = [feature_types] if isinstance(feature_types, str) else list(feature_types)

        def wrap(obj: T) -> T:
            for feature_type in types:
                self.for_type(feature_type).register(name)(obj)
            return obj

        return wrap

    def for_type(self, feature_type: str) -> Registry[T]:
        if feature_type not in self._by_type:
            self._by_type[feature_type] = Registry(f"{feature_type} {self.kind}")
        return self._by_type[feature_type]


@functools.cache
def import_submodules(package_name: str) -> None:
    """Import every module of a package, so the components they register by decorator are available.

    A new encoder, decoder, combiner or feature type is then one new module, with no import list to edit. Done once
    per package: listing a package's folder costs about a millisecond, which a single-row predict would pay.
    """
    package = importlib.import_module(package_name)
    for module in pkgutil.iter_modules(package.__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{package_name}.{module.name}")
