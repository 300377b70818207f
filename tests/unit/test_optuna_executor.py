"""The Optuna executor with a real, cheap ``run_trial`` scoring the sampled parameters (no model training)."""

import importlib.util
import os
from collections import Counter

import optuna
import pytest
from optuna.trial import TrialState

from ludwig.callbacks import Callback
from ludwig.hyperopt.executors.base import executor_registry
from ludwig.hyperopt.executors.optuna_executor import STUDY_FILE_NAME, OptunaExecutor
from ludwig.hyperopt.results import TrialResults
from ludwig.hyperopt.search_space import build_search_space
from ludwig.schema.hyperopt import HyperoptConfig

optuna.logging.set_verbosity(optuna.logging.WARNING)

LR = {"trainer.learning_rate": {"space": "loguniform", "lower": 1e-4, "upper": 1.0}}


def make_executor(parameters=LR, goal="minimize", **executor):
    config = HyperoptConfig.from_dict(
        {"parameters": parameters, "goal": goal, "executor": {"type": "optuna", **executor}}
    ).to_dict()
    return OptunaExecutor(config, build_search_space(parameters))


def score(parameters):
    return (parameters["trainer.learning_rate"] - 0.01) ** 2


def run_trial(parameters, trial_dir, reporter, steps=4):
    """Score ``(lr - 0.01)^2``, reported after each of ``steps`` evaluations, stopping when told to."""
    os.makedirs(trial_dir, exist_ok=True)
    value = score(parameters)
    for step in range(steps):
        if reporter.report(step, value):
            break
    return TrialResults(parameters=parameters, metric_score=value, eval_stats={"combined": {"loss": value}})


class Recorder(Callback):
    def __init__(self, stop_after=None):
        self.started, self.ended = [], []
        self.stop_after = stop_after

    def on_hyperopt_trial_start(self, parameters):
        self.started.append(parameters)

    def on_hyperopt_trial_end(self, parameters):
        self.ended.append(parameters)

    def should_stop_hyperopt(self):
        return self.stop_after is not None and len(self.ended) >= self.stop_after


def test_registered():
    assert executor_registry["optuna"] is OptunaExecutor


def test_runs_num_samples_and_finds_best(tmp_path):
    recorder = Recorder()
    executor = make_executor(num_samples=12, sampler="tpe", pruner="none")
    results, study = executor.execute(run_trial, str(tmp_path / "exp"), callbacks=[recorder])
    assert len(results) == 12 and len(recorder.started) == len(recorder.ended) == 12
    assert all(1e-4 <= r.parameters["trainer.learning_rate"] <= 1.0 for r in results)
    assert all(r.metric_score == score(r.parameters) for r in results)
    best = min(results, key=lambda r: r.metric_score)
    assert best.metric_score == study.best_value
    assert best.parameters["trainer.learning_rate"] == pytest.approx(study.best_params["trainer.learning_rate"])
    assert best.metric_score < 1e-3  # lr within ~0.03 of 0.01: better than the search range's average
    dirs = sorted(os.path.basename(r.trial_dir) for r in results)
    assert dirs == sorted(f"trial_{n}" for n in range(12))
    assert all(os.path.isdir(r.trial_dir) and r.trial_dir.startswith(str(tmp_path / "exp")) for r in results)
    assert study.direction == optuna.study.StudyDirection.MINIMIZE


def test_maximize_direction(tmp_path):
    results, study = make_executor(goal="maximize", num_samples=3).execute(run_trial, str(tmp_path))
    assert study.direction == optuna.study.StudyDirection.MAXIMIZE
    assert study.best_value == max(r.metric_score for r in results)


def test_seeded_sampler_is_reproducible(tmp_path):
    first, _ = make_executor(num_samples=4, sampler="random").execute(run_trial, str(tmp_path / "a"))
    second, _ = make_executor(num_samples=4, sampler="random").execute(run_trial, str(tmp_path / "b"))
    other, _ = make_executor(num_samples=4, sampler="random", random_state=7).execute(run_trial, str(tmp_path / "c"))
    assert [r.parameters for r in first] == [r.parameters for r in second]
    assert [r.parameters for r in first] != [r.parameters for r in other]


def test_median_pruner_stops_bad_trials_and_keeps_their_results(tmp_path):
    steps_run = []

    def counting_trial(parameters, trial_dir, reporter):
        value = score(parameters)
        for step in range(5):
            steps_run.append(step)
            if reporter.report(step, value):
                break
        return TrialResults(parameters=parameters, metric_score=value)

    results, study = make_executor(num_samples=14, sampler="random", pruner="median").execute(
        counting_trial, str(tmp_path)
    )
    states = Counter(t.state for t in study.trials)
    assert states[TrialState.PRUNED] >= 1
    assert len(results) == 14  # pruned trials are returned with their score so far
    pruned = [t for t in study.trials if t.state == TrialState.PRUNED]
    assert all(len(t.intermediate_values) < 5 for t in pruned)
    assert len(steps_run) < 14 * 5


def test_no_pruner_never_prunes(tmp_path):
    _, study = make_executor(num_samples=8, sampler="random", pruner=None).execute(run_trial, str(tmp_path))
    assert all(t.state == TrialState.COMPLETE for t in study.trials)


def test_hyperband_pruner_runs(tmp_path):
    results, study = make_executor(num_samples=6, pruner="hyperband").execute(run_trial, str(tmp_path))
    assert len(results) == 6 and isinstance(study.pruner, optuna.pruners.HyperbandPruner)


def test_grid_sampler_enumerates_the_grid(tmp_path):
    parameters = {
        "combiner.num_fc_layers": {"space": "grid_search", "values": [1, 2, 3]},
        "combiner": {"space": "grid_search", "values": [{"type": "concat"}, {"type": "concat", "dropout": 0.2}]},
    }

    def grid_trial(parameters, trial_dir, reporter):
        return TrialResults(parameters=parameters, metric_score=float(parameters["combiner.num_fc_layers"]))

    results, study = make_executor(parameters).execute(grid_trial, str(tmp_path))
    assert isinstance(study.sampler, optuna.samplers.GridSampler)
    combos = sorted((r.parameters["combiner.num_fc_layers"], str(r.parameters["combiner"])) for r in results)
    assert len(results) == 6 and len(set(combos)) == 6
    assert {r.parameters["combiner"].get("dropout") for r in results} == {None, 0.2}


def test_grid_repeated_num_samples_times(tmp_path):
    parameters = {"trainer.batch_size": {"space": "grid_search", "values": [8, 16, 32]}}

    def grid_trial(parameters, trial_dir, reporter):
        return TrialResults(parameters=parameters, metric_score=float(parameters["trainer.batch_size"]))

    results, study = make_executor(parameters, num_samples=2).execute(grid_trial, str(tmp_path))
    assert Counter(r.parameters["trainer.batch_size"] for r in results) == {8: 2, 16: 2, 32: 2}
    assert study.best_value == 8.0


def test_grid_mixed_with_other_spaces_repeats_each_point(tmp_path):
    parameters = {**LR, "trainer.batch_size": {"space": "grid_search", "values": [8, 16]}}
    results, study = make_executor(parameters, num_samples=2, sampler="random").execute(run_trial, str(tmp_path))
    assert Counter(r.parameters["trainer.batch_size"] for r in results) == {8: 2, 16: 2}
    assert len({r.parameters["trainer.learning_rate"] for r in results}) == 4


def test_resume_continues_an_interrupted_study(tmp_path):
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    executor = make_executor(num_samples=5, storage=storage, study_name="sweep")
    first, _ = executor.execute(run_trial, str(tmp_path / "exp"), callbacks=[Recorder(stop_after=2)])
    assert len(first) == 2
    recorder = Recorder()
    results, study = executor.execute(run_trial, str(tmp_path / "exp"), resume=True, callbacks=[recorder])
    assert len(results) == 5 and len(recorder.started) == 3
    assert [r.parameters for r in results[:2]] == [r.parameters for r in first]
    assert len(study.trials) == 5 and study.study_name == "sweep"
    with pytest.raises(ValueError, match="already exists"):
        executor.execute(run_trial, str(tmp_path / "exp"), resume=False)


def test_resume_reruns_the_trial_that_was_running(tmp_path):
    calls = []

    def crashing_trial(parameters, trial_dir, reporter):
        calls.append(parameters)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the sweep is killed during its second trial
        return run_trial(parameters, trial_dir, reporter)

    executor = make_executor(num_samples=3, sampler="random")
    experiment_dir = str(tmp_path / "exp")
    with pytest.raises(KeyboardInterrupt):
        executor.execute(crashing_trial, experiment_dir)
    assert os.path.exists(os.path.join(experiment_dir, STUDY_FILE_NAME))  # default storage: the experiment folder
    results, study = executor.execute(crashing_trial, experiment_dir, resume=True)
    assert len(results) == 3
    assert calls[2] == calls[1]  # the interrupted trial ran again with the same values
    assert Counter(t.state for t in study.trials) == {TrialState.COMPLETE: 3, TrialState.FAIL: 1}
    fresh, study = executor.execute(run_trial, experiment_dir)  # no resume: a new study in the same folder
    assert len(fresh) == 3 and len(study.trials) == 3


def test_a_failing_trial_does_not_end_the_sweep(tmp_path):
    def flaky_trial(parameters, trial_dir, reporter):
        if parameters["trainer.learning_rate"] > 0.01:
            raise ValueError("diverged")
        return run_trial(parameters, trial_dir, reporter)

    results, study = make_executor(num_samples=8, sampler="random").execute(flaky_trial, str(tmp_path / "a"))
    failed = [t for t in study.trials if t.state == TrialState.FAIL]
    assert failed and len(results) == 8 - len(failed)

    def broken_trial(parameters, trial_dir, reporter):
        raise ValueError("broken")

    with pytest.raises(RuntimeError, match="Every hyperopt trial failed") as info:
        make_executor(num_samples=2).execute(broken_trial, str(tmp_path / "b"))
    assert isinstance(info.value.__cause__, ValueError)


@pytest.mark.skipif(importlib.util.find_spec("cmaes") is not None, reason="cmaes is installed")
def test_missing_sampler_package_is_named(tmp_path):
    with pytest.raises(ImportError, match="'cmaes' package"):
        make_executor(sampler="cmaes").execute(run_trial, str(tmp_path))


def test_gp_sampler(tmp_path):
    pytest.importorskip("scipy")
    results, study = make_executor(num_samples=3, sampler="gp").execute(run_trial, str(tmp_path))
    assert isinstance(study.sampler, optuna.samplers.GPSampler) and len(results) == 3


def test_tune_callbacks_are_rejected_by_the_optuna_executor(tmp_path):
    executor = OptunaExecutor({"goal": "minimize", "executor": {"type": "optuna", "num_samples": 1}}, {})
    with pytest.raises(ValueError, match="Ray Tune callbacks"):
        executor.execute(lambda *args: None, str(tmp_path), tune_callbacks=[object()])


def test_int_space_samples_ints_in_range(tmp_path):
    parameters = {
        "trainer.batch_size": {"space": "int", "lower": 16, "upper": 20},
        "combiner.num_fc_layers": {"space": "int", "lower": 0, "upper": 6, "q": 3},
    }

    def int_trial(params, trial_dir, reporter):
        return TrialResults(parameters=params, metric_score=float(params["trainer.batch_size"]))

    results, _ = make_executor(parameters, num_samples=30, sampler="random").execute(int_trial, str(tmp_path))
    sizes = [r.parameters["trainer.batch_size"] for r in results]
    layers = [r.parameters["combiner.num_fc_layers"] for r in results]
    assert all(type(v) is int for v in sizes + layers)
    assert set(sizes) <= set(range(16, 21)) and len(set(sizes)) > 1
    assert set(layers) <= {0, 3, 6} and len(set(layers)) > 1


def test_int_space_in_ray_param_space():
    """The Ray executor's param space (``space.to_ray()`` per path) resolves ``space: int`` to ints in range."""
    from ray.tune.search.variant_generator import generate_variants

    spaces = build_search_space({"trainer.batch_size": {"space": "int", "lower": 16, "upper": 20}})
    param_space = {name: s.to_ray() for name, s in spaces.items()}
    values = [resolved["trainer.batch_size"] for _ in range(100) for _, resolved in generate_variants(param_space)]
    assert all(type(v) is int for v in values)
    assert set(values) == set(range(16, 21))
