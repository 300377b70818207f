"""The ``hyperopt`` section schema: defaults rendered, bad values reported with their config paths."""

import pytest

from ludwig.error import ConfigValidationError
from ludwig.hyperopt.parameters import validate_hyperopt
from ludwig.schema.hyperopt import HyperoptConfig
from ludwig.schema.model_config import ModelConfig

BASE = {
    "input_features": [{"name": "x", "type": "number"}],
    "output_features": [{"name": "y", "type": "binary"}],
}
LR = {"trainer.learning_rate": {"space": "loguniform", "lower": 0.001, "upper": 0.1}}


def render(hyperopt):
    return ModelConfig.from_dict({**BASE, "hyperopt": hyperopt})


def errors_of(hyperopt):
    with pytest.raises(ConfigValidationError) as info:
        render(hyperopt)
    return info.value.errors


def test_absent_hyperopt_stays_none():
    config = ModelConfig.from_dict(BASE)
    assert config.hyperopt is None
    assert config.to_dict()["hyperopt"] is None


def test_defaults_rendered():
    rendered = render({"parameters": LR}).to_dict()["hyperopt"]
    assert rendered == {
        "output_feature": "combined",
        "metric": "loss",
        "goal": "minimize",
        "split": "validation",
        "parameters": LR,
        "search_alg": {"type": "variant_generator"},
        "executor": {
            "type": "ray",
            "num_samples": None,
            "time_budget_s": 3600,
            "cpu_resources_per_trial": 1,
            "gpu_resources_per_trial": 0,
            "max_concurrent_trials": "auto",
            "trial_driver_resources": None,
            "kubernetes_namespace": None,
            "scheduler": {"type": "fifo"},
        },
    }
    assert isinstance(rendered, dict) and isinstance(rendered["executor"], dict)


def test_optuna_executor_defaults_and_not_coerced_to_ray():
    executor = render({"parameters": LR, "executor": {"type": "optuna", "num_samples": 4}}).hyperopt.executor
    assert executor.to_dict() == {
        "type": "optuna",
        "num_samples": 4,
        "sampler": "auto",
        "pruner": "median",
        "random_state": None,
        "study_name": None,
        "storage": None,
    }


def test_legacy_serial_executor_still_becomes_ray():
    with pytest.warns(DeprecationWarning):
        config = render({"parameters": LR, "executor": {"type": "serial"}})
    assert config.hyperopt.executor.type == "ray"


def test_rendered_config_round_trips():
    config = render(
        {
            "parameters": LR,
            "goal": "maximize",
            "metric": "accuracy",
            "output_feature": "y",
            "search_alg": {"type": "hyperopt", "random_state": 7, "points_to_evaluate": [{"a": 1}]},
            "executor": {"num_samples": 3, "max_concurrent_trials": 2, "scheduler": {"type": "asha", "max_t": 5}},
        }
    )
    rendered = config.to_dict()
    again = ModelConfig.from_dict(rendered).to_dict()
    assert again["hyperopt"] == rendered["hyperopt"]
    assert rendered["hyperopt"]["search_alg"] == {
        "type": "hyperopt",
        "random_state": 7,
        "points_to_evaluate": [{"a": 1}],
    }
    assert rendered["hyperopt"]["executor"]["scheduler"] == {"type": "asha", "max_t": 5}
    assert rendered["hyperopt"]["executor"]["max_concurrent_trials"] == 2


def test_search_alg_name_shorthand():
    assert HyperoptConfig.from_dict({"search_alg": "random"}).search_alg == {"type": "random"}


@pytest.mark.parametrize(
    "hyperopt, path, fragment",
    [
        ({"goal": "min"}, "hyperopt.goal", "expected one of ['minimize', 'maximize']"),
        ({"split": "valid"}, "hyperopt.split", "Did you mean 'validation'?"),
        ({"search_alg": {"type": "hyperop"}}, "hyperopt.search_alg.type", "Did you mean 'hyperopt'?"),
        ({"executor": {"type": "rayy"}}, "hyperopt.executor.type", "Did you mean 'ray'?"),
        ({"executor": {"num_samples": 0}}, "hyperopt.executor.num_samples", "expected a value >= 1"),
        ({"executor": {"max_concurrent_trials": "many"}}, "hyperopt.executor.max_concurrent_trials", "'auto'"),
        ({"executor": {"scheduler": {"type": "ashaa"}}}, "hyperopt.executor.scheduler.type", "Did you mean 'asha'?"),
        ({"executor": {"type": "optuna", "sampler": "tp"}}, "hyperopt.executor.sampler", "Did you mean 'tpe'?"),
        ({"executor": {"type": "optuna", "pruner": "mediann"}}, "hyperopt.executor.pruner", "median"),
        ({"executor": {"type": "optuna", "num_sample": 2}}, "hyperopt.executor.num_sample", "num_samples"),
        ({"gaol": "minimize"}, "hyperopt.gaol", "Did you mean 'goal'?"),
        (
            {"parameters": {"trainer.learning_rate": {"space": "unifrm", "lower": 0, "upper": 1}}},
            "hyperopt.parameters.trainer.learning_rate.space",
            "Did you mean 'uniform'?",
        ),
        (
            {"parameters": {"trainer.learning_rate": {"space": "uniform", "lower": 1, "upper": 0.5}}},
            "hyperopt.parameters.trainer.learning_rate.lower",
            "must be smaller than upper",
        ),
    ],
)
def test_bad_values_name_their_path(hyperopt, path, fragment):
    errors = errors_of(hyperopt)
    assert any(e.startswith(f"{path}:") and fragment in e for e in errors), errors


def test_every_problem_listed_together():
    errors = errors_of(
        {
            "goal": "min",
            "search_alg": {"type": "nope"},
            "executor": {"num_samples": -1},
            "parameters": {"trainer.learning_rate": {"space": "quniform", "lower": 0, "upper": 1}},
        }
    )
    paths = {e.split(":")[0] for e in errors}
    assert paths == {
        "hyperopt.goal",
        "hyperopt.search_alg.type",
        "hyperopt.executor.num_samples",
        "hyperopt.parameters.trainer.learning_rate.q",
    }


def test_int_space_renders():
    """``space: int`` (as in Ludwig's examples/hyperopt/config_optuna.yaml) renders as written, with either executor."""
    parameters = {
        "trainer.batch_size": {"space": "int", "lower": 16, "upper": 256},
        "combiner.num_fc_layers": {"space": "int", "lower": 0, "upper": 4, "q": 2},
    }
    for executor in ("optuna", "ray"):
        rendered = render({"parameters": parameters, "executor": {"type": executor}}).to_dict()["hyperopt"]
        assert rendered["parameters"] == parameters
        assert rendered["executor"]["type"] == executor
        # validate_hyperopt substitutes each space's extreme values into the config: ints, within the bounds.
        validate_hyperopt({**BASE, "combiner": {"type": "concat"}, "hyperopt": {"parameters": parameters}})
