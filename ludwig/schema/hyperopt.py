"""The ``hyperopt`` section: what to tune (``parameters``), how to score a trial and how trials are run.

``search_alg`` and ``executor.scheduler`` keep the options of the chosen Ray Tune algorithm or scheduler as a
free-form mapping beyond ``type`` (they are passed to Ray Tune); their ``type`` is checked here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError, fields

from ludwig.schema import utils as su
from ludwig.utils.registry import Registry, did_you_mean

GOALS = ["minimize", "maximize"]
SPLITS = ["training", "validation", "test"]

SEARCH_ALGORITHMS = [
    "variant_generator",
    "random",
    "ax",
    "bayesopt",
    "blendsearch",
    "bohb",
    "cfo",
    "dragonfly",
    "hebo",
    "hyperopt",
    "nevergrad",
    "optuna",
    "skopt",
    "zoopt",
]
"""``search_alg.type`` values; ``random`` is an alias of ``variant_generator`` (random and grid search)."""

SCHEDULERS = [
    "fifo",
    "async_hyperband",
    "asynchyperband",
    "asha",
    "hyperband",
    "median_stopping_rule",
    "pbt",
    "pbt_replay",
    "pb2",
    "hb_bohb",
    "resource_changing",
]
"""``executor.scheduler.type`` values; ``asynchyperband`` and ``asha`` are aliases of ``async_hyperband``."""

OPTUNA_SAMPLERS = ["auto", "tpe", "gp", "cmaes", "random"]
OPTUNA_PRUNERS = ["median", "hyperband", "none", None]


class _TypedOptionsField(fields.Field):
    """A mapping whose ``type`` is one of ``types``; its other keys are options passed on as they are."""

    def __init__(self, types: list[str], default_type: str, **kwargs):
        super().__init__(**kwargs)
        self.types = types
        self.default_type = default_type

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = {"type": value}
        if not isinstance(value, Mapping):
            raise ValidationError(f"Expected a mapping with a 'type' key, found {value!r}.")
        value = dict(value)
        type_name = value.setdefault("type", self.default_type)
        if type_name not in self.types:
            raise ValidationError(
                {
                    "type": [
                        f"Value {type_name!r} is not allowed; expected one of {self.types}."
                        f"{did_you_mean(type_name, self.types)}"
                    ]
                }
            )
        return value


def TypedOptions(types: list[str], default_type: str, description: str = "") -> Any:
    return su.config_field(
        marshmallow_field=_TypedOptionsField(types, default_type),
        description=description,
        default_factory=lambda: {"type": default_type},
    )


class _ParametersField(fields.Field):
    """``parameters``: config path -> space spec, each spec checked by ``ludwig.hyperopt.search_space``."""

    def _deserialize(self, value, attr, data, **kwargs):
        from ludwig.hyperopt.search_space import search_space_errors

        if not isinstance(value, Mapping):
            raise ValidationError(f"Expected a mapping of config paths to spaces, found {value!r}.")
        _, errors = search_space_errors(value)
        if errors:
            prefix = "hyperopt.parameters."
            messages: dict[str, list[str]] = {}
            for error in errors:
                path, _, message = error[len(prefix) :].partition(": ")
                messages.setdefault(path, []).append(message)
            raise ValidationError(messages)
        return {name: dict(spec) for name, spec in value.items()}


executor_config_registry: Registry[type[su.BaseConfig]] = Registry("hyperopt executor")


@executor_config_registry.register("ray")
@su.config_class
class RayExecutorConfig(su.BaseConfig):
    """Trials run as Ray Tune trials on a local (or already running) Ray instance."""

    type: str = su.ProtectedString("ray", description="Run the trials with Ray Tune.")
    num_samples: int | None = su.PositiveInteger(
        None, allow_none=True, description="Trials to sample (null: 1); a grid is repeated this many times."
    )
    time_budget_s: int | float | None = su.Float(
        3600, min=0, allow_none=True, description="Seconds after which no new trial starts (null: no limit)."
    )
    cpu_resources_per_trial: int | float = su.Float(1, min=0, description="CPUs reserved by each trial.")
    gpu_resources_per_trial: int | float = su.Float(0, min=0, description="GPUs reserved by each trial.")
    max_concurrent_trials: int | str | None = su.IntegerOrAuto(
        "auto", allow_none=True, description="Trials run at once ('auto': as many as the resources allow)."
    )
    trial_driver_resources: dict | None = su.Dict(
        None, allow_none=True, description="Resources of each trial's driver, e.g. {CPU: 1} (Ray backend)."
    )
    kubernetes_namespace: str | None = su.String(
        None, allow_none=True, description="Namespace of the Ray cluster when it runs on Kubernetes."
    )
    scheduler: dict = TypedOptions(
        SCHEDULERS,
        "fifo",
        description="Ray Tune trial scheduler: `type` plus that scheduler's options; types: "
        + ", ".join(SCHEDULERS)
        + ".",
    )


@executor_config_registry.register("optuna")
@su.config_class
class OptunaExecutorConfig(su.BaseConfig):
    """Trials run one after the other in an Optuna study (no Ray needed)."""

    type: str = su.ProtectedString("optuna", description="Run the trials in a sequential Optuna study.")
    num_samples: int | None = su.PositiveInteger(
        None, allow_none=True, description="Trials to run (null: 1); a grid is repeated this many times."
    )
    sampler: str = su.StringOptions(
        OPTUNA_SAMPLERS, "auto", description="Optuna sampler ('auto': grid sampler for grids, else TPE)."
    )
    pruner: str | None = su.StringOptions(
        OPTUNA_PRUNERS, "median", allow_none=True, description="Stops unpromising trials early ('none': never)."
    )
    random_state: int | None = su.Integer(
        None, allow_none=True, description="Sampler seed (null: search_alg.random_state, else 42)."
    )
    study_name: str | None = su.String(None, allow_none=True, description="Name of the Optuna study.")
    storage: str | None = su.String(
        None, allow_none=True, description="Study storage URL, e.g. sqlite:///study.db, so a sweep can resume."
    )


@su.config_class
class HyperoptConfig(su.BaseConfig):
    """Hyperparameter search: the parameters sampled and how each trial is scored."""

    output_feature: str = su.String("combined", description="Output feature scored, or 'combined' (all).")
    metric: str = su.String("loss", description="Metric of output_feature scoring a trial.")
    goal: str = su.StringOptions(GOALS, "minimize", description="Whether a better trial has a smaller metric.")
    split: str = su.StringOptions(SPLITS, "validation", description="Dataset split a trial is scored on.")
    parameters: dict = su.config_field(
        marshmallow_field=_ParametersField(),
        description="Config paths (e.g. trainer.learning_rate) mapped to their search space.",
        default_factory=dict,
    )
    search_alg: dict = TypedOptions(
        SEARCH_ALGORITHMS,
        "variant_generator",
        description=(
            "Ray Tune search algorithm: `type` plus its options (random_state, points_to_evaluate...); types: "
            + ", ".join(SEARCH_ALGORITHMS)
            + "."
        ),
    )
    executor: su.BaseConfig = su.TypeSelection(
        executor_config_registry, "ray", description="How trials run: Ray Tune or a sequential Optuna study."
    )


def HyperoptField(description: str = "") -> Any:
    """The optional ``hyperopt`` section of a model config: validated when present, None when absent."""
    return su.config_field(None, su.NestedConfigField(HyperoptConfig, allow_none=True), description)
