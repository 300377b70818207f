"""Applying sampled parameters to a config and validating the hyperopt section before any trial."""

import copy
import importlib.util

import pytest

from ludwig.error import ConfigValidationError
from ludwig.hyperopt.parameters import substitute_parameters, tunes_preprocessing, validate_hyperopt
from ludwig.schema.model_config import ModelConfig

BASE = {
    "input_features": [
        {"name": "x", "type": "number"},
        {"name": "a", "type": "category"},
        {"name": "a.b", "type": "category", "encoder": {"type": "dense", "embedding_size": 8}},
    ],
    "output_features": [{"name": "y", "type": "binary"}],
    "trainer": {"epochs": 2, "learning_rate": 0.01},
    "combiner": {"type": "concat", "num_fc_layers": 1, "dropout": 0.1},
}
SEQUENCE_BASE = {
    "input_features": [
        {"name": "s", "type": "sequence", "encoder": {"type": "embed", "reduce_output": None}},
        {"name": "x", "type": "number"},
    ],
    "output_features": [{"name": "y", "type": "binary"}],
}
LR = {"space": "loguniform", "lower": 0.001, "upper": 0.1}


def test_section_keys():
    original = copy.deepcopy(BASE)
    config = substitute_parameters(
        BASE, {"trainer.learning_rate": 0.05, "combiner.num_fc_layers": 3, "preprocessing.sample_ratio": 0.5}
    )
    assert config["trainer"] == {"epochs": 2, "learning_rate": 0.05}
    assert config["combiner"] == {"type": "concat", "num_fc_layers": 3, "dropout": 0.1}
    assert config["preprocessing"] == {"sample_ratio": 0.5}
    assert BASE == original
    ModelConfig.from_dict(config)


def test_nested_optimizer_key_and_shorthand_section():
    config = substitute_parameters(
        {**BASE, "trainer": {"optimizer": "adam"}}, {"trainer.optimizer.beta1": 0.8, "trainer.optimizer.type": "adam"}
    )
    assert config["trainer"]["optimizer"] == {"type": "adam", "beta1": 0.8}


def test_defaults_paths_and_old_preprocessing_type_spelling():
    config = substitute_parameters(
        BASE,
        {"defaults.category.encoder.embedding_size": 4, "preprocessing.number.normalization": "minmax"},
    )
    assert config["defaults"] == {
        "category": {"encoder": {"embedding_size": 4}},
        "number": {"preprocessing": {"normalization": "minmax"}},
    }
    rendered = ModelConfig.from_dict(config)
    assert rendered.get_feature("x").preprocessing.normalization == "minmax"


def test_feature_paths_longest_name_wins():
    config = substitute_parameters(
        BASE,
        {"a.b.encoder.embedding_size": 16, "a.encoder.embedding_size": 4, "x.preprocessing.normalization": "minmax"},
    )
    features = {f["name"]: f for f in config["input_features"]}
    assert features["a.b"]["encoder"] == {"type": "dense", "embedding_size": 16}
    assert features["a"]["encoder"] == {"embedding_size": 4}
    assert features["x"]["preprocessing"] == {"normalization": "minmax"}
    assert "b" not in features["a"]
    ModelConfig.from_dict(config)


def test_output_feature_path():
    config = substitute_parameters(BASE, {"y.decoder.num_fc_layers": 2})
    assert config["output_features"][0]["decoder"] == {"num_fc_layers": 2}


def test_whole_section_choice_merges_same_type_and_replaces_other_type():
    same = substitute_parameters(BASE, {"combiner": {"type": "concat", "num_fc_layers": 4}})
    assert same["combiner"] == {"type": "concat", "num_fc_layers": 4, "dropout": 0.1}
    other = substitute_parameters(
        SEQUENCE_BASE | {"combiner": {"type": "concat", "num_fc_layers": 2}},
        {"combiner": {"type": "sequence_concat", "reduce_output": "mean"}},
    )
    assert other["combiner"] == {"type": "sequence_concat", "reduce_output": "mean"}
    ModelConfig.from_dict(other)


def test_dict_chosen_for_type_is_the_whole_section():
    config = substitute_parameters(BASE, {"combiner.type": {"type": "concat", "output_size": 32}})
    assert config["combiner"] == {"type": "concat", "num_fc_layers": 1, "dropout": 0.1, "output_size": 32}


def test_finer_parameter_wins_over_section_choice():
    config = substitute_parameters(
        BASE, {"combiner.num_fc_layers": 5, "combiner": {"type": "concat", "num_fc_layers": 2}}
    )
    assert config["combiner"]["num_fc_layers"] == 5


def test_root_choice_merges_into_whole_config():
    config = substitute_parameters(BASE, {".": {"trainer": {"batch_size": 16}, "combiner": {"dropout": 0.3}}})
    assert config["trainer"] == {"epochs": 2, "learning_rate": 0.01, "batch_size": 16}
    assert config["combiner"]["dropout"] == 0.3


def test_whole_section_needs_a_dict():
    with pytest.raises(ConfigValidationError, match=r"hyperopt.parameters.\.: a value for a whole section"):
        substitute_parameters(BASE, {".": 3})
    assert substitute_parameters(BASE, {"combiner": "concat"})["combiner"] == "concat"  # type shorthand


def test_old_training_prefix_and_old_config_are_upgraded():
    old = {k: v for k, v in BASE.items() if k != "trainer"} | {"training": {"epochs": 3}}
    with pytest.warns(DeprecationWarning):
        config = substitute_parameters(old, {"training.learning_rate": 0.2})
    assert config["trainer"] == {"epochs": 3, "learning_rate": 0.2}
    assert "training" not in config


def test_tunes_preprocessing():
    assert not tunes_preprocessing({"trainer.learning_rate": LR, "combiner.num_fc_layers": LR})
    assert tunes_preprocessing({"x.preprocessing.normalization": {}})
    assert tunes_preprocessing({"defaults.number.preprocessing.normalization": {}})
    assert tunes_preprocessing(["preprocessing.sample_ratio"])
    choice = {"space": "choice", "categories": [{"trainer": {}}, {"preprocessing": {"sample_ratio": 0.5}}]}
    assert tunes_preprocessing({".": choice})
    assert tunes_preprocessing({"a.type": {}}, BASE)
    assert not tunes_preprocessing({"a.encoder.type": {}}, BASE)
    assert tunes_preprocessing({"s.encoder.type": {}}, SEQUENCE_BASE)
    assert not tunes_preprocessing({"combiner.type": {}}, BASE)


def with_hyperopt(base=BASE, **hyperopt):
    return {**base, "hyperopt": hyperopt}


def test_valid_config_passes_and_returns_rendered_section():
    config = with_hyperopt(
        parameters={
            "trainer.learning_rate": LR,
            "a.b.encoder.embedding_size": {"space": "randint", "lower": 2, "upper": 9},
            "combiner": {"space": "choice", "categories": [{"type": "concat", "num_fc_layers": 2}, {"dropout": 0.2}]},
        },
        output_feature="y",
        metric="roc_auc",
        goal="maximize",
    )
    hyperopt = validate_hyperopt(config)
    assert hyperopt.metric == "roc_auc"
    assert validate_hyperopt(ModelConfig.from_dict(config)).goal == "maximize"


def test_key_of_a_type_chosen_by_another_parameter_is_accepted():
    config = with_hyperopt(
        SEQUENCE_BASE,
        parameters={
            "combiner.type": {"space": "choice", "categories": ["concat", "sequence_concat"]},
            "combiner.reduce_output": {"space": "choice", "categories": ["mean", "sum"]},
        },
    )
    validate_hyperopt(config)
    validate_hyperopt(ModelConfig.from_dict(config))
    without_type = with_hyperopt(
        SEQUENCE_BASE, parameters={"combiner.reduce_output": config["hyperopt"]["parameters"]["combiner.reduce_output"]}
    )
    with pytest.raises(ConfigValidationError, match="'reduce_output' is not a key of combiner"):
        validate_hyperopt(without_type)


def test_every_problem_listed_together():
    config = with_hyperopt(
        parameters={
            "trainer.learnin_rate": LR,
            "a.b.encoder.output_sizee": {"space": "randint", "lower": 2, "upper": 9},
            "x.preprocessing.normalization": {"space": "choice", "categories": ["zscore", "bogus"]},
            "trainer.batch_size": {"space": "randint", "lower": -2, "upper": 8},
            "combiner.num_fc_layers": {"space": "qrandint", "lower": 1, "upper": 3},
            "nothere.encoder.x": {"space": "choice", "categories": [1]},
        },
        metric="accuracy",
    )
    with pytest.raises(ConfigValidationError) as info:
        validate_hyperopt(config)
    errors = info.value.errors
    expected = [
        ("hyperopt.metric:", "'combined'"),
        ("hyperopt.parameters.trainer.learnin_rate:", "Did you mean 'learning_rate'?"),
        ("hyperopt.parameters.a.b.encoder.output_sizee:", "'output_sizee' is not a key of encoder"),
        ("hyperopt.parameters.x.preprocessing.normalization:", "value 'bogus' makes the config invalid"),
        ("hyperopt.parameters.trainer.batch_size:", "value -2 makes the config invalid"),
        ("hyperopt.parameters.combiner.num_fc_layers.q:", "missing"),
        ("hyperopt.parameters.nothere.encoder.x:", "'nothere' is not a config section or feature name"),
    ]
    for path, fragment in expected:
        assert any(e.startswith(path) and fragment in e for e in errors), (path, errors)
    assert len(errors) == len(expected), errors


@pytest.mark.parametrize(
    "hyperopt, fragment",
    [
        (
            {"output_feature": "z"},
            "hyperopt.output_feature: 'z' is not an output feature; expected one of ['combined', 'y']",
        ),
        ({"output_feature": "y", "metric": "acuracy"}, "Did you mean 'accuracy'?"),
        ({"output_feature": "y", "metric": "mean_squared_error"}, "not a metric of binary output feature 'y'"),
        ({"metric": "accuracy"}, "which has only 'loss'"),
        ({"parameters": {}}, "hyperopt.parameters: empty"),
        ({"executor": {"type": "optuna", "sampler": "cmaes"}}, "needs the 'cmaes' package"),
        ({"search_alg": {"type": "bayes"}}, "hyperopt.search_alg.type"),
    ],
)
def test_objective_and_section_errors(hyperopt, fragment):
    hyperopt = {"parameters": {"trainer.learning_rate": LR}, **hyperopt}
    if "cmaes" in str(hyperopt) and importlib.util.find_spec("cmaes") is not None:
        pytest.skip("cmaes is installed")
    with pytest.raises(ConfigValidationError) as info:
        validate_hyperopt(with_hyperopt(**hyperopt))
    assert any(fragment in e for e in info.value.errors), info.value.errors


def test_loss_of_an_output_feature_is_fine():
    validate_hyperopt(with_hyperopt(parameters={"trainer.learning_rate": LR}, output_feature="y"))


def test_schema_and_model_errors_reported_together():
    bad = {**BASE, "trainer": {"epochs": 0}, "hyperopt": {"goal": "min", "parameters": {"trainer.learning_rate": LR}}}
    with pytest.raises(ConfigValidationError) as info:
        validate_hyperopt(bad)
    assert {e.split(":")[0] for e in info.value.errors} == {"hyperopt.goal", "trainer.epochs"}


def test_missing_hyperopt_section():
    with pytest.raises(ConfigValidationError, match="hyperopt: missing"):
        validate_hyperopt(BASE)
