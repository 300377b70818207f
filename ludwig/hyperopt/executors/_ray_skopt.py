"""A Ray Tune searcher driven by scikit-optimize (``hyperopt.search_alg.type: skopt``).

Ray Tune 2.x no longer ships its scikit-optimize searcher, so this one asks ``skopt.Optimizer`` for points and
tells it the trials' scores. Imports ray and skopt: load it lazily.
"""

from __future__ import annotations

import os
from typing import Any

import ray.cloudpickle as pickle
from ray.tune.search import Searcher
from ray.tune.search.sample import Categorical, Domain, Float, Integer, Quantized

from ludwig.error import ConfigValidationError
from ludwig.hyperopt.run_folder import check_own_run_folder


def _dimension(name: str, domain: Domain) -> tuple[Any, Any]:
    """The skopt dimension for a Ray domain, and a function mapping a skopt value back to the config's value."""
    from skopt.space import Categorical as SkCategorical
    from skopt.space import Integer as SkInteger
    from skopt.space import Real

    sampler = domain.get_sampler()
    q = sampler.q if isinstance(sampler, Quantized) else None
    base_sampler = sampler.sampler if isinstance(sampler, Quantized) else sampler
    log = type(base_sampler).__name__ == "_LogUniform"
    prior = "log-uniform" if log else "uniform"
    if isinstance(domain, Categorical):
        categories = list(domain.categories)
        return SkCategorical(list(range(len(categories))), name=name), lambda i: categories[int(i)]
    if type(base_sampler).__name__ == "_Normal":
        raise ConfigValidationError(
            f"hyperopt.parameters.{name}: search_alg 'skopt' needs bounded spaces; randn/qrandn are unbounded."
        )
    if isinstance(domain, Integer):
        # Ray's randint/lograndint exclude the upper bound; qrandint includes it.
        upper = domain.upper if q is not None else domain.upper - 1
        dimension = SkInteger(domain.lower, upper, prior=prior, name=name)
        if q is None:
            return dimension, int
        return dimension, lambda v: int(min(max(round(v / q) * q, domain.lower), domain.upper))
    if isinstance(domain, Float):
        dimension = Real(domain.lower, domain.upper, prior=prior, name=name)
        if q is None:
            return dimension, float
        return dimension, lambda v: float(min(max(round(v / q) * q, domain.lower), domain.upper))
    raise ConfigValidationError(f"hyperopt.parameters.{name}: search_alg 'skopt' cannot search {domain!r}.")


class SkOptSearch(Searcher):
    """Bayesian optimisation with ``skopt.Optimizer`` (Gaussian process by default).

    Args:
        base_estimator: skopt's surrogate (``GP``, ``RF``, ``ET``, ``GBRT``).
        n_initial_points: random points before the surrogate is used.
        acq_func: acquisition function (``gp_hedge``, ``EI``, ``PI``, ``LCB``).
        random_state: seed.
        points_to_evaluate: configs (parameter path -> value) to try first.
    """

    def __init__(
        self,
        metric: str | None = None,
        mode: str | None = None,
        base_estimator: str = "GP",
        n_initial_points: int = 10,
        acq_func: str = "gp_hedge",
        random_state: int | None = None,
        points_to_evaluate: list[dict[str, Any]] | None = None,
    ):
        super().__init__(metric=metric, mode=mode)
        self._options = {
            "base_estimator": base_estimator,
            "n_initial_points": n_initial_points,
            "acq_func": acq_func,
            "random_state": random_state,
        }
        self._points_to_evaluate = [dict(p) for p in points_to_evaluate or []]
        self._names: list[str] = []
        self._constants: dict[str, Any] = {}
        self._optimizer = None
        self._live: dict[str, list[Any]] = {}

    def set_search_properties(self, metric: str | None, mode: str | None, config: dict, **spec: Any) -> bool:
        if self._optimizer is not None:
            return False
        self._metric = metric or self._metric
        self._mode = mode or self._mode
        self._setup(config)
        return True

    def _setup(self, config: dict[str, Any]) -> None:
        from skopt import Optimizer

        dimensions, self._decoders = [], {}
        for name, value in config.items():
            if isinstance(value, Domain):
                dimension, decode = _dimension(name, value)
                self._names.append(name)
                dimensions.append(dimension)
                self._decoders[name] = decode
            else:
                self._constants[name] = value
        self._dimensions = dimensions
        self._optimizer = Optimizer(dimensions, **self._options)

    def _encode(self, point: dict[str, Any]) -> list[Any]:
        encoded = []
        for name, dimension in zip(self._names, self._dimensions):
            value = point[name]
            if type(dimension).__name__ == "Categorical":
                decode = self._decoders[name]
                value = [decode(i) for i in dimension.categories].index(value)
            encoded.append(value)
        return encoded

    def suggest(self, trial_id: str) -> dict[str, Any] | None:
        if self._optimizer is None:
            raise RuntimeError("SkOptSearch got no search space; Ray Tune passes it through set_search_properties.")
        if self._points_to_evaluate:
            point = self._points_to_evaluate.pop(0)
            self._live[trial_id] = self._encode(point)
            return {**self._constants, **point}
        x = self._optimizer.ask()
        self._live[trial_id] = x
        return {**self._constants, **{name: self._decoders[name](v) for name, v in zip(self._names, x)}}

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        x = self._live.pop(trial_id, None)
        if x is None or error or not result or result.get(self._metric) is None:
            return
        score = float(result[self._metric])
        self._optimizer.tell(x, -score if self._mode == "max" else score)

    def save(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, "wb") as f:
            pickle.dump(self.__dict__, f)

    def restore(self, checkpoint_path: str) -> None:
        """Read back what ``save`` wrote; refused unless the file is in a folder a Ludwig Ray search started.

        Unpickling can run code, so the state is read only from the experiment folder of a Ludwig search (Ray
        passes the searcher a file of the experiment folder it restores; see ``ludwig.hyperopt.run_folder``).

        Raises:
            UntrustedCodeError: ``checkpoint_path`` is not in such a folder.
        """
        check_own_run_folder(os.path.dirname(os.path.abspath(checkpoint_path)), "ray")
        with open(checkpoint_path, "rb") as f:
            self.__dict__.update(pickle.load(f))
