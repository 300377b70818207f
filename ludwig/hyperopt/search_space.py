"""Search spaces of ``hyperopt.parameters``: one ``SearchSpace`` per tuned config path.

A parameter is written ``{space: uniform, lower: 0.001, upper: 0.1}``. Each space type checks its own keys and
turns itself into a Ray Tune domain (``to_ray``) or an Optuna suggestion (``suggest``). The bounds follow Ray
Tune's conventions, as in Ludwig: ``randint`` and ``lograndint`` exclude ``upper``, the ``q`` variants include it;
``int`` (the integer space of Ludwig's Optuna executor) includes it, as Optuna's ``suggest_int`` does.
The log spaces accept ``base`` for old configs; it does not change a log-uniform distribution, so it is unused.
Ray and Optuna are imported only inside the methods that need them.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping
from typing import Any, ClassVar

from ludwig.error import ConfigValidationError
from ludwig.utils.registry import Registry, did_you_mean

SPACE = "space"
PARAMETERS_PATH = "hyperopt.parameters"

space_registry: Registry[type[SearchSpace]] = Registry("hyperopt parameter space")

_PRIMITIVES = (str, int, float, bool, type(None))


class SearchSpace:
    """One parameter's space, built from its spec (``space`` plus the keys listed in ``required``/``optional``).

    Raises:
        ValueError: from ``__init__``, one message per problem, each starting with the key at fault.
    """

    space: ClassVar[str] = ""
    required: ClassVar[tuple[str, ...]] = ()
    optional: ClassVar[dict[str, Any]] = {}
    is_grid: ClassVar[bool] = False

    def __init__(self, spec: Mapping[str, Any]):
        self.spec = dict(spec)
        problems = []
        allowed = (SPACE, *self.required, *self.optional)
        for key in self.spec:
            if key not in allowed:
                hint = did_you_mean(key, allowed)
                problems.append(f"{key}: unknown key for space {self.space!r}; expected {list(allowed)}.{hint}")
        for key in self.required:
            if key not in self.spec:
                problems.append(f"{key}: missing; space {self.space!r} needs {list(self.required)}.")
        if not problems:
            values = {**self.optional, **{k: v for k, v in self.spec.items() if k != SPACE}}
            problems.extend(self._check(values))
            if not problems:
                for key, value in values.items():
                    setattr(self, key, value)
        if problems:
            raise ValueError(problems)

    def _check(self, values: dict[str, Any]) -> list[str]:
        return []

    @property
    def grid_values(self) -> list[Any]:
        """The values a grid search enumerates (only for ``is_grid`` spaces)."""
        raise TypeError(f"Space {self.space!r} is not a grid search space.")

    def to_ray(self) -> Any:
        """The equivalent Ray Tune search domain."""
        raise NotImplementedError

    def suggest(self, trial: Any, name: str) -> Any:
        """Ask the Optuna ``trial`` for a value of parameter ``name`` drawn from this space."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        return dict(self.spec)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.spec!r})"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_numbers(values: Mapping[str, Any], keys: tuple[str, ...], integer: bool = False) -> list[str]:
    check = _is_int if integer else _is_number
    kind = "an integer" if integer else "a finite number"
    return [f"{key}: expected {kind}, found {values[key]!r}." for key in keys if not check(values[key])]


def _check_positive(values: Mapping[str, Any], key: str) -> list[str]:
    return [] if values[key] > 0 else [f"{key}: must be > 0, found {values[key]!r}."]


def _check_bounds(values: Mapping[str, Any], log: bool = False) -> list[str]:
    lower, upper = values["lower"], values["upper"]
    problems = []
    if lower >= upper:
        problems.append(f"lower: {lower!r} must be smaller than upper ({upper!r}).")
    if log and lower <= 0:
        problems.append(f"lower: a log space needs lower > 0, found {lower!r}.")
    return problems


def _check_base(values: Mapping[str, Any]) -> list[str]:
    base = values["base"]
    if not _is_number(base) or base <= 0 or base == 1:
        return [f"base: expected a number > 0 other than 1, found {base!r}."]
    return []


def _quantize(value: float, q: float, lower: float, upper: float) -> float:
    """``value`` rounded to the nearest multiple of ``q``, kept within ``[lower, upper]`` (as Ray does)."""
    rounded = round(value / q) * q
    if rounded < lower:
        rounded += q
    if rounded > upper:
        rounded -= q
    return rounded


class _CategoricalSpace(SearchSpace):
    """Shared by ``choice`` and ``grid_search``: values may be anything (dicts and lists included)."""

    values_key: ClassVar[str] = ""

    def _check(self, values: dict[str, Any]) -> list[str]:
        options = values[self.values_key]
        if not isinstance(options, list | tuple) or not options:
            return [f"{self.values_key}: expected a non-empty list, found {options!r}."]
        return []

    @property
    def options(self) -> list[Any]:
        return list(getattr(self, self.values_key))

    @property
    def uses_index(self) -> bool:
        """Whether Optuna sees indices instead of values (it stores only None, bool, int, float and str)."""
        return not all(isinstance(v, _PRIMITIVES) for v in self.options)

    def optuna_choices(self) -> list[Any]:
        return list(range(len(self.options))) if self.uses_index else self.options

    def from_optuna(self, internal: Any) -> Any:
        return self.options[internal] if self.uses_index else internal

    def suggest(self, trial: Any, name: str) -> Any:
        return self.from_optuna(trial.suggest_categorical(name, self.optuna_choices()))


@space_registry.register("choice")
class ChoiceSpace(_CategoricalSpace):
    space = "choice"
    required = ("categories",)
    values_key = "categories"

    def to_ray(self) -> Any:
        from ray import tune

        return tune.choice(self.options)


@space_registry.register("grid_search")
class GridSearchSpace(_CategoricalSpace):
    space = "grid_search"
    required = ("values",)
    values_key = "values"
    is_grid = True

    @property
    def grid_values(self) -> list[Any]:
        return self.options

    def to_ray(self) -> Any:
        from ray import tune

        return tune.grid_search(self.options)


@space_registry.register("uniform")
class UniformSpace(SearchSpace):
    space = "uniform"
    required = ("lower", "upper")

    def _check(self, values):
        return _check_numbers(values, ("lower", "upper")) or _check_bounds(values)

    def to_ray(self):
        from ray import tune

        return tune.uniform(self.lower, self.upper)

    def suggest(self, trial, name):
        return trial.suggest_float(name, self.lower, self.upper)


@space_registry.register("quniform")
class QUniformSpace(SearchSpace):
    space = "quniform"
    required = ("lower", "upper", "q")

    def _check(self, values):
        return _check_numbers(values, ("lower", "upper", "q")) or _check_bounds(values) + _check_positive(values, "q")

    def to_ray(self):
        from ray import tune

        return tune.quniform(self.lower, self.upper, self.q)

    def suggest(self, trial, name):
        value = trial.suggest_float(name, self.lower, self.upper)
        return _quantize(value, self.q, self.lower, self.upper)


@space_registry.register("loguniform")
class LogUniformSpace(SearchSpace):
    space = "loguniform"
    required = ("lower", "upper")
    optional = {"base": 10}

    def _check(self, values):
        return _check_numbers(values, ("lower", "upper")) or _check_bounds(values, log=True) + _check_base(values)

    def to_ray(self):
        from ray import tune

        return tune.loguniform(self.lower, self.upper)

    def suggest(self, trial, name):
        # A log-uniform distribution is the same whatever the base of the logarithm.
        return trial.suggest_float(name, self.lower, self.upper, log=True)


@space_registry.register("qloguniform")
class QLogUniformSpace(SearchSpace):
    space = "qloguniform"
    required = ("lower", "upper", "q")
    optional = {"base": 10}

    def _check(self, values):
        problems = _check_numbers(values, ("lower", "upper", "q"))
        return problems or _check_bounds(values, log=True) + _check_positive(values, "q") + _check_base(values)

    def to_ray(self):
        from ray import tune

        return tune.qloguniform(self.lower, self.upper, self.q)

    def suggest(self, trial, name):
        value = trial.suggest_float(name, self.lower, self.upper, log=True)
        return _quantize(value, self.q, self.lower, self.upper)


class _NormalSpace(SearchSpace):
    """Optuna has no normal distribution: it suggests the quantile in (0, 1), mapped through the inverse CDF."""

    optional = {"mean": 0.0, "sd": 1.0}
    _EPSILON: ClassVar[float] = 1e-6

    def _check(self, values):
        keys = ("mean", "sd", *(("q",) if "q" in self.required else ()))
        problems = _check_numbers(values, keys)
        if problems:
            return problems
        return _check_positive(values, "sd") + (_check_positive(values, "q") if "q" in values else [])

    def _sample(self, trial, name) -> float:
        quantile = trial.suggest_float(name, self._EPSILON, 1 - self._EPSILON)
        return statistics.NormalDist(self.mean, self.sd).inv_cdf(quantile)


@space_registry.register("randn")
class RandnSpace(_NormalSpace):
    space = "randn"

    def to_ray(self):
        from ray import tune

        return tune.randn(self.mean, self.sd)

    def suggest(self, trial, name):
        return self._sample(trial, name)


@space_registry.register("qrandn")
class QRandnSpace(_NormalSpace):
    space = "qrandn"
    required = ("q",)

    def to_ray(self):
        from ray import tune

        return tune.qrandn(self.mean, self.sd, self.q)

    def suggest(self, trial, name):
        return round(self._sample(trial, name) / self.q) * self.q


class _IntegerSpace(SearchSpace):
    required = ("lower", "upper")
    log: ClassVar[bool] = False

    def _check(self, values):
        problems = _check_numbers(values, ("lower", "upper"), integer=True)
        if "q" in values:
            problems += _check_numbers(values, ("q",), integer=True)
        if problems:
            return problems
        problems = _check_bounds(values, log=self.log)
        if "q" in values:
            problems += _check_positive(values, "q")
        if "base" in values:
            problems += _check_base(values)
        return problems


@space_registry.register("randint")
class RandIntSpace(_IntegerSpace):
    """Integers in ``[lower, upper)``."""

    space = "randint"

    def to_ray(self):
        from ray import tune

        return tune.randint(self.lower, self.upper)

    def suggest(self, trial, name):
        return trial.suggest_int(name, self.lower, self.upper - 1)


@space_registry.register("qrandint")
class QRandIntSpace(_IntegerSpace):
    """Multiples of ``q`` in ``[lower, upper]``."""

    space = "qrandint"
    required = ("lower", "upper", "q")

    def to_ray(self):
        from ray import tune

        return tune.qrandint(self.lower, self.upper, self.q)

    def suggest(self, trial, name):
        value = trial.suggest_int(name, self.lower, self.upper)
        return int(_quantize(value, self.q, self.lower, self.upper))


@space_registry.register("int")
class IntSpace(_IntegerSpace):
    """Integers in ``[lower, upper]``, both bounds included; with ``q``, the multiples of ``q`` in that range.

    Ludwig's Optuna executor (and its search space generator) writes integer parameters as ``space: int``:
    Optuna's ``suggest_int`` includes ``upper``. Ray Tune gets the same range: ``randint(lower, upper + 1)``, or
    ``qrandint(lower, upper, q)`` with ``q``, which includes ``upper`` already.
    """

    space = "int"
    optional = {"q": None}

    def _check(self, values):
        if values.get("q") is None:
            values = {k: v for k, v in values.items() if k != "q"}
        problems = super()._check(values)
        if not problems and "q" in values and not _multiples(values["lower"], values["upper"], values["q"]):
            problems.append(f"q: no multiple of {values['q']!r} lies in [{values['lower']!r}, {values['upper']!r}].")
        return problems

    def to_ray(self):
        from ray import tune

        if self.q is None:
            return tune.randint(self.lower, self.upper + 1)
        return tune.qrandint(self.lower, self.upper, self.q)

    def suggest(self, trial, name):
        if self.q is None:
            return trial.suggest_int(name, self.lower, self.upper)
        multiples = _multiples(self.lower, self.upper, self.q)
        return multiples[0] + self.q * trial.suggest_int(name, 0, len(multiples) - 1)


def _multiples(lower: int, upper: int, q: int) -> list[int]:
    """The multiples of ``q`` in ``[lower, upper]``."""
    first = -(-lower // q) * q
    return list(range(first, upper + 1, q))


@space_registry.register("lograndint")
class LogRandIntSpace(_IntegerSpace):
    """Integers in ``[lower, upper)``, log-uniformly distributed."""

    space = "lograndint"
    optional = {"base": 10}
    log = True

    def to_ray(self):
        from ray import tune

        return tune.lograndint(self.lower, self.upper)

    def suggest(self, trial, name):
        return trial.suggest_int(name, self.lower, self.upper - 1, log=True)


@space_registry.register("qlograndint")
class QLogRandIntSpace(_IntegerSpace):
    """Multiples of ``q`` in ``[lower, upper]``, log-uniformly distributed."""

    space = "qlograndint"
    required = ("lower", "upper", "q")
    optional = {"base": 10}
    log = True

    def to_ray(self):
        from ray import tune

        return tune.qlograndint(self.lower, self.upper, self.q)

    def suggest(self, trial, name):
        value = trial.suggest_int(name, self.lower, self.upper, log=True)
        return int(_quantize(value, self.q, self.lower, self.upper))


def search_space_errors(parameters: Any) -> tuple[dict[str, SearchSpace], list[str]]:
    """Build what can be built of ``parameters`` and list every problem as ``hyperopt.parameters.<path>.<key>: ...``."""
    if parameters is None:
        return {}, []
    if not isinstance(parameters, Mapping):
        return {}, [f"{PARAMETERS_PATH}: expected a mapping of config paths to spaces, found {parameters!r}."]
    spaces: dict[str, SearchSpace] = {}
    errors: list[str] = []
    for name, spec in parameters.items():
        path = f"{PARAMETERS_PATH}.{name}"
        if not isinstance(spec, Mapping):
            errors.append(f"{path}: expected a mapping with a '{SPACE}' key, found {spec!r}.")
            continue
        space = spec.get(SPACE)
        if space is None:
            errors.append(f"{path}.{SPACE}: missing; expected one of {sorted(space_registry)}.")
            continue
        if space not in space_registry:
            errors.append(f"{path}.{SPACE}: {space_registry.unknown_message(space)}")
            continue
        try:
            spaces[name] = space_registry[space](spec)
        except ValueError as e:
            errors.extend(f"{path}.{problem}" for problem in e.args[0])
    return spaces, errors


def build_search_space(parameters: Mapping[str, Any] | None) -> dict[str, SearchSpace]:
    """One ``SearchSpace`` per entry of ``hyperopt.parameters``, keyed by its config path.

    Raises:
        ConfigValidationError: listing every invalid space with its path (``hyperopt.parameters.<path>.<key>``).
    """
    spaces, errors = search_space_errors(parameters)
    if errors:
        raise ConfigValidationError(errors=errors)
    return spaces
