"""Search spaces: Ray Tune domains, Optuna suggestions within bounds, and spec errors with their paths."""

import math

import optuna
import pytest
from ray import tune
from ray.tune.search import sample

from ludwig.error import ConfigValidationError
from ludwig.hyperopt.search_space import build_search_space

optuna.logging.set_verbosity(optuna.logging.WARNING)


def space(spec):
    return build_search_space({"p": spec})["p"]


def optuna_values(s, n=40):
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    values = []
    for _ in range(n):
        trial = study.ask()
        values.append(s.suggest(trial, "p"))
        study.tell(trial, 0.0)
    return values


@pytest.mark.parametrize(
    "spec, domain_cls, sampler_cls, lower, upper",
    [
        ({"space": "uniform", "lower": 0.1, "upper": 0.5}, sample.Float, sample.Float._Uniform, 0.1, 0.5),
        ({"space": "quniform", "lower": 0.0, "upper": 1.0, "q": 0.25}, sample.Float, sample.Quantized, 0.0, 1.0),
        ({"space": "loguniform", "lower": 1e-4, "upper": 1e-1}, sample.Float, sample.Float._LogUniform, 1e-4, 1e-1),
        ({"space": "qloguniform", "lower": 1, "upper": 100, "q": 1}, sample.Float, sample.Quantized, 1, 100),
        ({"space": "randint", "lower": 2, "upper": 9}, sample.Integer, sample.Integer._Uniform, 2, 9),
        ({"space": "qrandint", "lower": 0, "upper": 20, "q": 5}, sample.Integer, sample.Quantized, 0, 20),
        ({"space": "lograndint", "lower": 1, "upper": 64}, sample.Integer, sample.Integer._LogUniform, 1, 64),
        ({"space": "qlograndint", "lower": 2, "upper": 64, "q": 2}, sample.Integer, sample.Quantized, 2, 64),
    ],
)
def test_ray_domain_and_optuna_bounds(spec, domain_cls, sampler_cls, lower, upper):
    s = space(spec)
    domain = s.to_ray()
    assert isinstance(domain, domain_cls)
    assert isinstance(domain.get_sampler(), sampler_cls)
    assert (domain.lower, domain.upper) == (lower, upper)
    assert not s.is_grid
    values = optuna_values(s)
    exclusive = spec["space"] in ("randint", "lograndint")
    for v in values:
        assert lower <= v < upper if exclusive else lower <= v <= upper
        if "q" in spec:
            assert math.isclose(v / spec["q"], round(v / spec["q"]), abs_tol=1e-9)
        if domain_cls is sample.Integer:
            assert isinstance(v, int)
    assert len(set(values)) > 1
    ray_values = [domain.sample() for _ in range(20)]
    assert all(lower <= v <= upper for v in ray_values)


@pytest.mark.parametrize("name, q", [("randn", None), ("qrandn", 0.5)])
def test_normal_spaces(name, q):
    spec = {"space": name, "mean": 3.0, "sd": 0.5, **({"q": q} if q else {})}
    s = space(spec)
    domain = s.to_ray()
    assert isinstance(domain, sample.Float)
    normal = domain.get_sampler()
    if q:
        assert isinstance(normal, sample.Quantized)
        normal = normal.sampler
    assert isinstance(normal, sample.Float._Normal) and (normal.mean, normal.sd) == (3.0, 0.5)
    values = optuna_values(s, 200)
    mean = sum(values) / len(values)
    assert abs(mean - 3.0) < 0.15
    assert all(0.0 < v < 6.0 for v in values)
    if q:
        assert all(math.isclose(v / q, round(v / q), abs_tol=1e-9) for v in values)


def test_randn_defaults_to_standard_normal():
    s = space({"space": "randn"})
    assert (s.mean, s.sd) == (0.0, 1.0)


def test_choice_of_dicts_survives_optuna_and_ray():
    categories = [{"type": "concat", "num_fc_layers": 2}, {"type": "sequence_concat"}, [1, 2]]
    s = space({"space": "choice", "categories": categories})
    assert isinstance(s.to_ray(), sample.Categorical) and s.to_ray().categories == categories
    values = optuna_values(s)
    assert all(v in categories for v in values)
    assert {str(v) for v in values} == {str(c) for c in categories}


def test_choice_of_primitives_is_stored_as_is():
    s = space({"space": "choice", "categories": ["adam", "sgd", None]})
    study = optuna.create_study()
    trial = study.ask()
    value = s.suggest(trial, "p")
    assert value in ["adam", "sgd", None] and trial.params["p"] == value


def test_grid_search():
    s = space({"space": "grid_search", "values": [1, {"a": 2}]})
    assert s.is_grid and s.grid_values == [1, {"a": 2}]
    assert s.to_ray() == tune.grid_search([1, {"a": 2}])


def test_non_grid_space_has_no_grid_values():
    with pytest.raises(TypeError):
        _ = space({"space": "uniform", "lower": 0, "upper": 1}).grid_values


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"space": "unifrom", "lower": 0, "upper": 1}, "p.space: Unknown hyperopt parameter space 'unifrom'"),
        ({"lower": 0, "upper": 1}, "p.space: missing"),
        ({"space": "uniform", "lower": 1, "upper": 1}, "p.lower: 1 must be smaller than upper (1)"),
        ({"space": "uniform", "lower": 0}, "p.upper: missing"),
        ({"space": "uniform", "lower": "a", "upper": 1}, "p.lower: expected a finite number"),
        ({"space": "quniform", "lower": 0, "upper": 1}, "p.q: missing"),
        ({"space": "quniform", "lower": 0, "upper": 1, "q": 0}, "p.q: must be > 0"),
        ({"space": "loguniform", "lower": 0, "upper": 1}, "p.lower: a log space needs lower > 0"),
        ({"space": "randint", "lower": 0.5, "upper": 3}, "p.lower: expected an integer"),
        ({"space": "randn", "sd": -1}, "p.sd: must be > 0"),
        ({"space": "choice", "categories": []}, "p.categories: expected a non-empty list"),
        ({"space": "grid_search", "values": "abc"}, "p.values: expected a non-empty list"),
        ({"space": "uniform", "lower": 0, "upper": 1, "q": 2}, "p.q: unknown key for space 'uniform'"),
        ("0.1", "p: expected a mapping"),
    ],
)
def test_spec_errors(spec, message):
    with pytest.raises(ConfigValidationError) as info:
        build_search_space({"p": spec})
    assert any(e.startswith(f"hyperopt.parameters.{message}") for e in info.value.errors), info.value.errors


def test_unknown_space_suggests_closest():
    with pytest.raises(ConfigValidationError, match="Did you mean 'loguniform'"):
        build_search_space({"trainer.learning_rate": {"space": "loguniforn", "lower": 1e-3, "upper": 1}})


def test_all_errors_listed_together():
    with pytest.raises(ConfigValidationError) as info:
        build_search_space(
            {
                "trainer.learning_rate": {"space": "uniform", "lower": 1, "upper": 0},
                "combiner.num_fc_layers": {"space": "qrandint", "lower": 1, "upper": 4},
                "trainer.batch_size": {"space": "choice", "categories": [8, 16]},
            }
        )
    assert info.value.errors == [
        "hyperopt.parameters.trainer.learning_rate.lower: 1 must be smaller than upper (0).",
        "hyperopt.parameters.combiner.num_fc_layers.q: missing; space 'qrandint' needs ['lower', 'upper', 'q'].",
    ]


def test_empty_parameters():
    assert build_search_space({}) == {}
    assert build_search_space(None) == {}


@pytest.mark.parametrize(
    "spec, expected",
    [
        ({"space": "int", "lower": 2, "upper": 6}, {2, 3, 4, 5, 6}),
        ({"space": "int", "lower": 3, "upper": 20, "q": 5}, {5, 10, 15, 20}),
        ({"space": "int", "lower": -4, "upper": 4, "q": 4}, {-4, 0, 4}),
    ],
)
def test_int_space_includes_upper_in_ray_and_optuna(spec, expected):
    """Ludwig's ``space: int`` (its Optuna executor's integer space) includes both bounds, in both backends."""
    s = space(spec)
    domain = s.to_ray()
    assert isinstance(domain, sample.Integer)
    ray_values = [domain.sample() for _ in range(300)]
    assert all(isinstance(v, int) for v in ray_values)
    assert set(ray_values) == expected
    values = optuna_values(s, n=200)
    assert all(isinstance(v, int) for v in values)
    assert set(values) == expected


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"space": "int", "lower": 1}, "upper: missing"),
        ({"space": "int", "lower": 1.5, "upper": 4}, "lower: expected an integer"),
        ({"space": "int", "lower": 5, "upper": 5}, "must be smaller than upper"),
        ({"space": "int", "lower": 1, "upper": 4, "q": 0}, "q: must be > 0"),
        ({"space": "int", "lower": 1, "upper": 4, "q": 10}, "q: no multiple of 10"),
        ({"space": "int", "lower": 1, "upper": 4, "step": 1}, "step: unknown key"),
    ],
)
def test_int_space_errors(spec, message):
    with pytest.raises(ConfigValidationError) as info:
        space(spec)
    assert any(e.startswith("hyperopt.parameters.p.") and message in e for e in info.value.errors), info.value.errors
