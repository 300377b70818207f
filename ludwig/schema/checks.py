"""Cross-field rules of a whole config, registered by the schema module they belong to.

A rule that only concerns one feature type, encoder, decoder or combiner lives next to that section's schema
and registers itself here, so ``ModelConfig.from_dict`` runs it without knowing about the type:

* ``@register_config_check`` functions take the validated ``ModelConfig`` and return error lines
  (``"<config path>: <what is wrong, the value found, what is allowed>"``);
* ``@register_config_renderer`` functions fill values whose defaults depend on other sections. They run before
  the core derived values (``column``, ``proc_column``, the validation metric) are filled in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ConfigCheck = Callable[[Any], list[str]]
ConfigRenderer = Callable[[Any], None]

_checks: list[ConfigCheck] = []
_renderers: list[ConfigRenderer] = []


def register_config_check(check: ConfigCheck) -> ConfigCheck:
    """Decorator adding ``check(config) -> [error lines]`` to the checks every config goes through."""
    _checks.append(check)
    return check


def register_config_renderer(renderer: ConfigRenderer) -> ConfigRenderer:
    """Decorator adding ``renderer(config)``, which fills derived values in place, to every config's rendering."""
    _renderers.append(renderer)
    return renderer


def run_config_checks(config: Any) -> list[str]:
    """The error lines of every registered check, in registration order."""
    return [error for check in _checks for error in check(config)]


def run_config_renderers(config: Any) -> None:
    for renderer in _renderers:
        renderer(config)
