"""Ray Tune search algorithms by ``hyperopt.search_alg.type``, each checking its pip dependency first.

Each factory takes the ``search_alg`` options (without ``type``) and returns a Ray Tune ``Searcher`` or
``SearchAlgorithm``. Metric and mode are not passed here: the executor gives them to ``tune.TuneConfig``, which
hands them (with the search space) to the searcher, so the goal decides them for every algorithm alike.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ludwig.error import ConfigValidationError
from ludwig.utils.registry import Registry

GRID_SEARCH_ALGS = ("variant_generator", "random")
"""The search algorithms that can expand ``grid_search`` spaces (Ray's basic variant generator)."""


@dataclass(frozen=True)
class SearchAlgSpec:
    """How to build one search algorithm.

    Attributes:
        factory: ``factory(options) -> searcher``.
        requires: ``(import name, pip package)`` pairs that must be importable.
    """

    factory: Callable[[dict[str, Any]], Any]
    requires: tuple[tuple[str, str], ...] = ()


search_alg_registry: Registry[SearchAlgSpec] = Registry("hyperopt search_alg type")


def _register(name: str, *aliases: str, requires: tuple[tuple[str, str], ...] = ()):
    def wrap(factory: Callable[[dict[str, Any]], Any]) -> Callable[[dict[str, Any]], Any]:
        search_alg_registry.register(name, *aliases)(SearchAlgSpec(factory, requires))
        return factory

    return wrap


def check_dependencies(kind: str, name: str, requires: tuple[tuple[str, str], ...]) -> None:
    """Raise a ``ConfigValidationError`` naming the pip packages ``kind`` ``name`` needs and that are missing."""
    missing = [package for module, package in requires if importlib.util.find_spec(module) is None]
    if missing:
        packages = " ".join(missing)
        raise ConfigValidationError(
            f"{kind} {name!r} needs the Python package{'s' if len(missing) > 1 else ''} {', '.join(missing)}, "
            f"which {'are' if len(missing) > 1 else 'is'} not installed; install it with `pip install {packages}`."
        )


def build_search_alg(search_alg_config: dict[str, Any] | None, max_concurrent_trials: int | None = None) -> Any:
    """Build the Ray Tune search algorithm for the ``hyperopt.search_alg`` section (None or {} = random).

    ``max_concurrent_trials`` bounds the basic variant generator itself (Ray applies ``TuneConfig``'s limit only to
    ``Searcher`` algorithms); the others are limited by ``tune.TuneConfig(max_concurrent_trials=...)``.
    """
    options = dict(search_alg_config or {})
    name = options.pop("type", None) or "variant_generator"
    if name not in search_alg_registry:
        raise ConfigValidationError(f"hyperopt.search_alg.type: {search_alg_registry.unknown_message(name)}")
    spec = search_alg_registry[name]
    check_dependencies("hyperopt.search_alg.type", name, spec.requires)
    # The goal decides metric and mode (given to tune.TuneConfig); options that repeat them are dropped.
    options = {k: v for k, v in options.items() if v is not None and k not in ("metric", "mode")}
    if name in GRID_SEARCH_ALGS and max_concurrent_trials and "max_concurrent" not in options:
        options["max_concurrent"] = max_concurrent_trials
    try:
        return spec.factory(options)
    except TypeError as e:
        raise ConfigValidationError(f"hyperopt.search_alg: invalid options {sorted(options)} for {name!r}: {e}") from e


@_register("variant_generator", "random")
def _variant_generator(options: dict[str, Any]) -> Any:
    from ray.tune.search import BasicVariantGenerator

    return BasicVariantGenerator(**options)


@_register("hyperopt", requires=(("hyperopt", "hyperopt"),))
def _hyperopt(options: dict[str, Any]) -> Any:
    from ray.tune.search.hyperopt import HyperOptSearch

    return HyperOptSearch(**options)


@_register("optuna", requires=(("optuna", "optuna"),))
def _optuna(options: dict[str, Any]) -> Any:
    from ray.tune.search.optuna import OptunaSearch

    sampler = options.get("sampler")
    if isinstance(sampler, str):
        import optuna

        samplers = {
            "tpe": optuna.samplers.TPESampler,
            "random": optuna.samplers.RandomSampler,
            "cmaes": optuna.samplers.CmaEsSampler,
            "gp": getattr(optuna.samplers, "GPSampler", None),
        }
        if samplers.get(sampler) is None:
            allowed = sorted(k for k, v in samplers.items() if v is not None)
            raise ConfigValidationError(f"hyperopt.search_alg.sampler: unknown {sampler!r}; expected one of {allowed}.")
        seed = options.pop("seed", None)
        options["sampler"] = samplers[sampler](seed=seed)
    return OptunaSearch(**options)


@_register("bayesopt", requires=(("bayes_opt", "bayesian-optimization"),))
def _bayesopt(options: dict[str, Any]) -> Any:
    from ray.tune.search.bayesopt import BayesOptSearch

    return BayesOptSearch(**options)


@_register("ax", requires=(("ax", "ax-platform"),))
def _ax(options: dict[str, Any]) -> Any:
    from ray.tune.search.ax import AxSearch

    return AxSearch(**options)


@_register("bohb", requires=(("hpbandster", "hpbandster"), ("ConfigSpace", "ConfigSpace")))
def _bohb(options: dict[str, Any]) -> Any:
    from ray.tune.search.bohb import TuneBOHB

    return TuneBOHB(**options)


@_register("blendsearch", requires=(("flaml", "flaml"),))
def _blendsearch(options: dict[str, Any]) -> Any:
    # Ray Tune no longer ships the FLAML wrappers; FLAML's own searchers implement Ray's Searcher interface.
    from flaml import BlendSearch

    return BlendSearch(**options)


@_register("cfo", requires=(("flaml", "flaml"),))
def _cfo(options: dict[str, Any]) -> Any:
    from flaml import CFO

    return CFO(**options)


@_register("hebo", requires=(("hebo", "HEBO"),))
def _hebo(options: dict[str, Any]) -> Any:
    from ray.tune.search.hebo import HEBOSearch

    return HEBOSearch(**options)


@_register("nevergrad", requires=(("nevergrad", "nevergrad"),))
def _nevergrad(options: dict[str, Any]) -> Any:
    import nevergrad as ng
    from ray.tune.search.nevergrad import NevergradSearch

    optimizer = options.get("optimizer", "OnePlusOne")
    if isinstance(optimizer, str):
        if not hasattr(ng.optimizers, optimizer):
            raise ConfigValidationError(
                f"hyperopt.search_alg.optimizer: {optimizer!r} is not a nevergrad optimizer (ng.optimizers.<name>)."
            )
        options["optimizer"] = getattr(ng.optimizers, optimizer)
    return NevergradSearch(**options)


@_register("zoopt", requires=(("zoopt", "zoopt"),))
def _zoopt(options: dict[str, Any]) -> Any:
    from ray.tune.search.zoopt import ZOOptSearch

    options.setdefault("budget", 10)
    return ZOOptSearch(**options)


@_register("skopt", requires=(("skopt", "scikit-optimize"),))
def _skopt(options: dict[str, Any]) -> Any:
    from ludwig.hyperopt.executors._ray_skopt import SkOptSearch

    return SkOptSearch(**options)


@_register("dragonfly", requires=(("dragonfly", "dragonfly-opt"),))
def _dragonfly(options: dict[str, Any]) -> Any:
    # Ray Tune 2.x removed its Dragonfly integration and dragonfly-opt has no maintained release; say so plainly.
    raise ConfigValidationError(
        "hyperopt.search_alg.type: 'dragonfly' is not available with Ray Tune 2.x (Ray removed its Dragonfly "
        "searcher); use 'hyperopt', 'optuna', 'bayesopt' or 'hebo' instead."
    )
