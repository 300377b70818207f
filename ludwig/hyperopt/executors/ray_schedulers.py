"""Ray Tune trial schedulers by ``hyperopt.executor.scheduler.type``.

The scheduler's options are passed to its Ray Tune class; Ray's own defaults are Ludwig's (``async_hyperband``:
grace_period 1, reduction_factor 4, brackets 1; ``hyperband``: max_t 81, reduction_factor 3; ``time_attr``
training_iteration). Metric and mode come from the hyperopt goal through ``tune.TuneConfig``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ludwig.error import ConfigValidationError
from ludwig.hyperopt.executors.ray_search_algs import check_dependencies
from ludwig.utils.registry import Registry

scheduler_registry: Registry[tuple[Callable[[dict[str, Any]], Any], tuple[tuple[str, str], ...]]] = Registry(
    "hyperopt executor.scheduler type"
)


def _register(name: str, *aliases: str, requires: tuple[tuple[str, str], ...] = ()):
    def wrap(factory: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], Any]:
        scheduler_registry.register(name, *aliases)((factory, requires))
        return factory

    return wrap


def build_scheduler(
    scheduler_config: dict[str, Any] | None,
    search_space: dict[str, Any] | None = None,
    path: str = "hyperopt.executor.scheduler",
) -> Any:
    """Build the Ray Tune scheduler for ``scheduler_config`` (None or {} = FIFO).

    ``search_space`` (parameter path -> ``SearchSpace``) gives PBT its default ``hyperparam_mutations`` and PB2
    its default ``hyperparam_bounds``: every parameter of the search.
    """
    options = dict(scheduler_config or {})
    name = options.pop("type", None) or "fifo"
    if name not in scheduler_registry:
        raise ConfigValidationError(f"{path}.type: {scheduler_registry.unknown_message(name)}")
    factory, requires = scheduler_registry[name]
    check_dependencies(f"{path}.type", name, requires)
    options = {k: v for k, v in options.items() if v is not None and k not in ("metric", "mode")}
    if name in ("pbt", "pb2") and search_space:
        _default_mutations(name, options, search_space)
    from ray.tune.error import TuneError

    try:
        return factory(options)
    except (TypeError, ValueError, TuneError) as e:
        raise ConfigValidationError(f"{path}: invalid options {sorted(options)} for {name!r}: {e}") from e


def _default_mutations(name: str, options: dict[str, Any], search_space: dict[str, Any]) -> None:
    """PBT perturbs every non-grid parameter by default; PB2 every one with numeric ``lower``/``upper``."""
    if name == "pbt" and not options.get("hyperparam_mutations") and not options.get("custom_explore_fn"):
        options["hyperparam_mutations"] = {
            path: space.to_ray() for path, space in search_space.items() if not getattr(space, "is_grid", False)
        }
    if name == "pb2" and not options.get("hyperparam_bounds"):
        options["hyperparam_bounds"] = {
            path: [space.lower, space.upper]
            for path, space in search_space.items()
            if isinstance(getattr(space, "lower", None), int | float)
            and isinstance(getattr(space, "upper", None), int | float)
        }


def _mutations(options: dict[str, Any]) -> None:
    """Turn Ludwig search spaces in PBT's ``hyperparam_mutations`` (``{"space": ...}`` dicts) into Ray domains."""
    mutations = options.get("hyperparam_mutations")
    if not isinstance(mutations, dict):
        return
    spaces = {k: v for k, v in mutations.items() if isinstance(v, dict) and "space" in v}
    if spaces:
        from ludwig.hyperopt.search_space import build_search_space

        built = build_search_space(spaces)
        options["hyperparam_mutations"] = {**mutations, **{k: s.to_ray() for k, s in built.items()}}


@_register("fifo")
def _fifo(options: dict[str, Any]) -> Any:
    from ray.tune.schedulers import FIFOScheduler

    return FIFOScheduler(**options)


@_register("async_hyperband", "asynchyperband", "asha")
def _async_hyperband(options: dict[str, Any]) -> Any:
    from ray.tune.schedulers import AsyncHyperBandScheduler

    return AsyncHyperBandScheduler(**options)


@_register("hyperband")
def _hyperband(options: dict[str, Any]) -> Any:
    from ray.tune.schedulers import HyperBandScheduler

    return HyperBandScheduler(**options)


@_register("median_stopping_rule", "medianstopping")
def _median_stopping_rule(options: dict[str, Any]) -> Any:
    from ray.tune.schedulers import MedianStoppingRule

    return MedianStoppingRule(**options)


@_register("pbt")
def _pbt(options: dict[str, Any]) -> Any:
    from ray.tune.schedulers import PopulationBasedTraining

    _mutations(options)
    return PopulationBasedTraining(**options)


@_register("pbt_replay")
def _pbt_replay(options: dict[str, Any]) -> Any:
    from ray.tune.schedulers import PopulationBasedTrainingReplay

    if "policy_file" not in options:
        raise ConfigValidationError(
            "hyperopt.executor.scheduler.policy_file: 'pbt_replay' needs the path of a PBT policy file."
        )
    return PopulationBasedTrainingReplay(**options)


@_register("pb2", requires=(("GPy", "GPy"), ("sklearn", "scikit-learn")))
def _pb2(options: dict[str, Any]) -> Any:
    from ray.tune.schedulers.pb2 import PB2

    return PB2(**options)


@_register("hb_bohb")
def _hb_bohb(options: dict[str, Any]) -> Any:
    from ray.tune.schedulers import HyperBandForBOHB

    return HyperBandForBOHB(**options)


@_register("resource_changing")
def _resource_changing(options: dict[str, Any]) -> Any:
    from ray.tune.schedulers import ResourceChangingScheduler

    base = options.pop("base_scheduler", None)
    if isinstance(base, dict):
        base = build_scheduler(base, path="hyperopt.executor.scheduler.base_scheduler")
    return ResourceChangingScheduler(base_scheduler=base, **options)
