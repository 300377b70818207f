"""Cross-field rules of a whole config, registered by the schema module they belong to.

A rule that only concerns one feature type, encoder, decoder or combiner lives next to that section's schema
and registers itself here, so ``ModelConfig.from_dict`` runs it without knowing about the type:

* ``@register_config_check`` functions take the validated ``ModelConfig`` and return error lines
  (``"<config path>: <what is wrong, the value found, what is allowed>"``);
* ``@register_config_renderer`` functions fill values whose defaults depend on other sections. They run before
  the core derived values (``column``, ``proc_column``, the validation metric) are filled in;
* ``@register_training_check`` functions are checks of what training needs beyond a valid config (an optional
  package the trainer imports). ``ModelConfig.check_trainable`` runs them before training; loading a model to
  predict or serve does not, so a model trained with, say, a bitsandbytes optimizer loads where it is not installed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ConfigCheck = Callable[[Any], list[str]]
ConfigRenderer = Callable[[Any], None]

_checks: list[ConfigCheck] = []
_renderers: list[ConfigRenderer] = []
_training_checks: list[ConfigCheck] = []


def register_config_check(check: ConfigCheck) -> ConfigCheck:
    """Decorator adding ``check(config) -> [error lines]`` to the checks every config goes through."""
    _checks.append(check)
    return check


def register_config_renderer(renderer: ConfigRenderer) -> ConfigRenderer:
    """Decorator adding ``renderer(config)``, which fills derived values in place, to every config's rendering."""
    _renderers.append(renderer)
    return renderer


def register_training_check(check: ConfigCheck) -> ConfigCheck:
    """Decorator adding ``check(config) -> [error lines]`` to the checks run before training only."""
    _training_checks.append(check)
    return check


def run_training_checks(config: Any) -> list[str]:
    """The error lines of every registered training check."""
    return [error for check in _training_checks for error in check(config)]


def run_config_checks(config: Any) -> list[str]:
    """The error lines of every registered check, in registration order."""
    return [error for check in _checks for error in check(config)]


def run_config_renderers(config: Any) -> None:
    for renderer in _renderers:
        renderer(config)
