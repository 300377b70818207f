"""The Ray Tune executor on a real local Ray instance, with trials that score parameters without training a model."""

from __future__ import annotations

import importlib.util
import json
import os
import time

import pytest

from ludwig.callbacks import Callback
from ludwig.error import ConfigValidationError
from ludwig.hyperopt.executors.base import executor_registry
from ludwig.hyperopt.executors.ray_executor import RayTuneExecutor
from ludwig.hyperopt.results import TrialResults
from ludwig.hyperopt.search_space import build_search_space

pytestmark = pytest.mark.distributed

ray = pytest.importorskip("ray")


def _ray_descendants() -> list[str]:
    """Command lines of Ray processes (raylet, gcs_server, workers) descending from this test process."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], list(children.get(os.getpid(), []))
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if any(name in cmdline for name in ("raylet", "gcs_server", "ray::", "default_worker.py")):
            found.append(cmdline)
    return found


def make_run_trial(calls_dir: str, steps: int = 1, fail_first_marker: str | None = None, sleep_s: float = 0.0):
    """A ``run_trial`` closure: score (x - 3)^2 (+ a term shrinking with the step), files into trial_dir."""
    target = 3.0

    def run_trial(parameters, trial_dir, reporter):
        x = float(parameters["trainer.x"])
        os.makedirs(calls_dir, exist_ok=True)
        with open(os.path.join(calls_dir, f"{x:g}.txt"), "a") as f:
            f.write(f"{time.time()}\n")
        if fail_first_marker is not None and not os.path.exists(fail_first_marker):
            open(fail_first_marker, "w").close()
            raise RuntimeError("interrupted on purpose")
        score = (x - target) ** 2
        for step in range(steps):
            if sleep_s:
                time.sleep(sleep_s)
            with open(os.path.join(trial_dir, "steps.txt"), "a") as f:
                f.write(f"{step}\n")
            reporter.report(step, score + 10.0 / (step + 1))
        with open(os.path.join(trial_dir, "model.txt"), "w") as f:
            f.write(json.dumps(parameters))
        with open(os.path.join(calls_dir, f"{x:g}.end"), "a") as f:
            f.write(f"{time.time()}\n")
        final = score + 10.0 / steps if steps > 1 else score
        return TrialResults(parameters=dict(parameters), metric_score=final, training_stats={"steps": steps})

    return run_trial


def make_executor(parameters: dict, executor: dict | None = None, search_alg: dict | None = None, goal="minimize"):
    config = {"goal": goal, "metric": "loss", "executor": {"type": "ray", **(executor or {})}}
    if search_alg is not None:
        config["search_alg"] = search_alg
    assert executor_registry["ray"] is RayTuneExecutor
    return RayTuneExecutor(config, build_search_space(parameters))


X_UNIFORM = {"trainer.x": {"space": "uniform", "lower": 0.0, "upper": 6.0}}


class RecordingCallback(Callback):
    def __init__(self, stop_after: int | None = None):
        self.started: list[dict] = []
        self.ended: list[dict] = []
        self.stop_after = stop_after

    def on_hyperopt_trial_start(self, parameters):
        self.started.append(dict(parameters))

    def on_hyperopt_trial_end(self, parameters):
        self.ended.append(dict(parameters))

    def should_stop_hyperopt(self):
        return self.stop_after is not None and len(self.ended) >= self.stop_after


def test_executor_starts_and_stops_its_own_ray(tmp_path):
    """First in the module, before the shared Ray fixture: the executor starts Ray and leaves nothing behind."""
    if ray.is_initialized():
        ray.shutdown()
    executor = make_executor(X_UNIFORM, {"num_samples": 2, "max_concurrent_trials": 1, "time_budget_s": 120})
    trials, _ = executor.execute(make_run_trial(str(tmp_path / "calls")), str(tmp_path / "exp"))
    assert len(trials) == 2
    assert not ray.is_initialized()
    assert _ray_descendants() == []

    # An error after Ray started still shuts it down.
    too_big = make_executor(X_UNIFORM, {"num_samples": 1, "cpu_resources_per_trial": 1000})
    with pytest.raises(ConfigValidationError, match="cpu_resources_per_trial"):
        too_big.execute(make_run_trial(str(tmp_path / "calls2")), str(tmp_path / "exp2"))
    assert not ray.is_initialized()
    assert _ray_descendants() == []


@pytest.fixture(scope="module")
def ray_instance():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, ignore_reinit_error=True)
    yield
    ray.shutdown()


def test_random_search_finds_best_and_keeps_dotted_names(ray_instance, tmp_path):
    exp = tmp_path / "exp"
    executor = make_executor(
        X_UNIFORM, {"num_samples": 4, "max_concurrent_trials": 2}, {"type": "random", "random_state": 7}
    )
    trials, result_grid = executor.execute(make_run_trial(str(tmp_path / "calls")), str(exp))
    assert len(trials) == 4 and len(result_grid) == 4
    for trial in trials:
        assert set(trial.parameters) == {"trainer.x"}
        x = trial.parameters["trainer.x"]
        assert 0.0 <= x <= 6.0
        assert trial.metric_score == pytest.approx((x - 3.0) ** 2)
        assert trial.training_stats == {"steps": 1}
        assert os.path.basename(trial.trial_dir).startswith("trial_")
        assert os.path.dirname(trial.trial_dir) == str(exp)
        with open(os.path.join(trial.trial_dir, "model.txt")) as f:
            assert json.load(f) == trial.parameters
    best = result_grid.get_best_result()
    assert best.metrics["metric_score"] == pytest.approx(min(t.metric_score for t in trials))
    # The driver is still attached to the caller's Ray instance.
    assert ray.is_initialized()


def test_grid_search_runs_every_point(ray_instance, tmp_path):
    space = {
        "trainer.x": {"space": "grid_search", "values": [1, 2, 3, 4]},
        "combiner.type": {"space": "grid_search", "values": ["concat", "tabnet"]},
    }
    executor = make_executor(space, {"num_samples": 1})
    trials, _ = executor.execute(make_run_trial(str(tmp_path / "calls")), str(tmp_path / "exp"))
    points = sorted((t.parameters["trainer.x"], t.parameters["combiner.type"]) for t in trials)
    assert points == sorted((x, c) for x in [1, 2, 3, 4] for c in ["concat", "tabnet"])
    best = min(trials, key=lambda t: t.metric_score)
    assert best.parameters["trainer.x"] == 3 and best.metric_score == 0


def test_maximize_goal(ray_instance, tmp_path):
    space = {"trainer.x": {"space": "grid_search", "values": [0, 3, 5]}}
    executor = make_executor(space, goal="maximize")
    trials, result_grid = executor.execute(make_run_trial(str(tmp_path / "calls")), str(tmp_path / "exp"))
    assert len(trials) == 3
    assert result_grid.get_best_result().config["trainer.x"] == 0  # (0 - 3)^2 = 9 is the largest


@pytest.mark.skipif(importlib.util.find_spec("hyperopt") is None, reason="needs hyperopt")
def test_hyperopt_search_alg(ray_instance, tmp_path):
    space = {**X_UNIFORM, "combiner.num_fc_layers": {"space": "randint", "lower": 1, "upper": 4}}
    executor = make_executor(
        space,
        {"num_samples": 4, "max_concurrent_trials": 1},
        {"type": "hyperopt", "random_state_seed": 1, "n_initial_points": 2},
    )
    trials, _ = executor.execute(make_run_trial(str(tmp_path / "calls")), str(tmp_path / "exp"))
    assert len(trials) == 4
    for trial in trials:
        assert set(trial.parameters) == {"trainer.x", "combiner.num_fc_layers"}
        assert 1 <= trial.parameters["combiner.num_fc_layers"] < 4
        assert trial.metric_score == pytest.approx((trial.parameters["trainer.x"] - 3.0) ** 2)


def test_asha_stops_bad_trials_early(ray_instance, tmp_path):
    points = [{"trainer.x": 3.0}, {"trainer.x": 10.0}, {"trainer.x": 9.0}, {"trainer.x": 8.0}]
    executor = make_executor(
        {"trainer.x": {"space": "uniform", "lower": 0.0, "upper": 12.0}},
        {
            "num_samples": 4,
            "max_concurrent_trials": 1,
            "scheduler": {"type": "asha", "max_t": 10, "grace_period": 1, "reduction_factor": 2},
        },
        {"type": "variant_generator", "points_to_evaluate": points},
    )
    trials, result_grid = executor.execute(make_run_trial(str(tmp_path / "calls"), steps=10), str(tmp_path / "exp"))
    by_x = {t.parameters["trainer.x"]: t for t in trials}
    assert sorted(by_x) == [3.0, 8.0, 9.0, 10.0]
    iterations = {r.config["trainer.x"]: r.metrics["training_iteration"] for r in result_grid}
    assert iterations[3.0] == 10
    for x in (8.0, 9.0, 10.0):
        assert iterations[x] < 10, iterations
        # Stopped trials keep their last reported score and never wrote their final results.
        assert not os.path.exists(os.path.join(by_x[x].trial_dir, "trial_results.json"))
        assert by_x[x].metric_score == pytest.approx((x - 3.0) ** 2 + 10.0 / iterations[x])
    assert by_x[3.0].metric_score == pytest.approx(1.0)


def test_max_concurrent_trials_auto_runs_trials_in_parallel(ray_instance, tmp_path):
    executor = make_executor(
        {"trainer.x": {"space": "grid_search", "values": [1, 5]}}, {"max_concurrent_trials": "auto"}
    )
    assert executor._resolve_max_concurrent_trials() == 2
    calls = tmp_path / "calls"
    trials, _ = executor.execute(make_run_trial(str(calls), steps=1, sleep_s=4.0), str(tmp_path / "exp"))
    assert len(trials) == 2
    (start1, end1), (start2, end2) = (
        (float(open(calls / f"{x}.txt").read().split()[0]), float(open(calls / f"{x}.end").read().split()[0]))
        for x in (1, 5)
    )
    assert start1 < end2 and start2 < end1, "the two trials did not overlap"

    one_at_a_time = make_executor(
        {"trainer.x": {"space": "grid_search", "values": [1, 5]}}, {"max_concurrent_trials": 1}
    )
    calls = tmp_path / "calls_sequential"
    one_at_a_time.execute(make_run_trial(str(calls), steps=1, sleep_s=2.0), str(tmp_path / "exp_sequential"))
    (start1, end1), (start2, end2) = (
        (float(open(calls / f"{x}.txt").read().split()[0]), float(open(calls / f"{x}.end").read().split()[0]))
        for x in (1, 5)
    )
    assert end1 <= start2 or end2 <= start1, "max_concurrent_trials 1 ran two trials at once"

    two_cpus = make_executor(X_UNIFORM, {"max_concurrent_trials": "auto", "cpu_resources_per_trial": 2})
    assert two_cpus._resolve_max_concurrent_trials() == 1


def test_callbacks_fired_and_should_stop(ray_instance, tmp_path):
    callback = RecordingCallback()
    space = {"trainer.x": {"space": "grid_search", "values": [1, 2, 3]}}
    executor = make_executor(space, {"max_concurrent_trials": 1})
    executor.execute(make_run_trial(str(tmp_path / "calls")), str(tmp_path / "exp"), callbacks=[callback])
    assert sorted(p["trainer.x"] for p in callback.started) == [1, 2, 3]
    assert sorted(p["trainer.x"] for p in callback.ended) == [1, 2, 3]

    stopping = RecordingCallback(stop_after=1)
    space = {"trainer.x": {"space": "grid_search", "values": [1, 2, 3, 4, 5, 6]}}
    executor = make_executor(space, {"max_concurrent_trials": 1})
    trials, _ = executor.execute(make_run_trial(str(tmp_path / "calls2")), str(tmp_path / "exp2"), callbacks=[stopping])
    assert 1 <= len(stopping.ended) < 6
    assert len(trials) < 6


def test_resume_reruns_only_unfinished_trials(ray_instance, tmp_path):
    exp, calls, marker = str(tmp_path / "exp"), str(tmp_path / "calls"), str(tmp_path / "failed_once")
    space = {"trainer.x": {"space": "grid_search", "values": [1, 2, 3]}}
    run_trial = make_run_trial(calls, fail_first_marker=marker)

    first, _ = make_executor(space, {"max_concurrent_trials": 1}).execute(run_trial, exp)
    assert os.path.exists(marker)
    assert len(first) == 2  # one trial raised
    counts = {x: len(open(os.path.join(calls, f"{x}.txt")).read().split()) for x in (1, 2, 3)}
    assert sorted(counts.values()) == [1, 1, 1]
    failed_x = ({1, 2, 3} - {t.parameters["trainer.x"] for t in first}).pop()

    callback = RecordingCallback()
    resumed, _ = make_executor(space, {"max_concurrent_trials": 1}).execute(
        run_trial, exp, resume=True, callbacks=[callback]
    )
    assert sorted(t.parameters["trainer.x"] for t in resumed) == [1, 2, 3]
    counts = {x: len(open(os.path.join(calls, f"{x}.txt")).read().split()) for x in (1, 2, 3)}
    assert counts == {x: 2 if x == failed_x else 1 for x in (1, 2, 3)}
    assert [p["trainer.x"] for p in callback.started] == [failed_x]


def test_resume_without_previous_run_starts_fresh(ray_instance, tmp_path):
    executor = make_executor({"trainer.x": {"space": "grid_search", "values": [2, 4]}})
    trials, _ = executor.execute(make_run_trial(str(tmp_path / "calls")), str(tmp_path / "exp"), resume=True)
    assert sorted(t.parameters["trainer.x"] for t in trials) == [2, 4]


def test_run_trial_closure_pickles(tmp_path):
    import cloudpickle

    from ludwig.hyperopt.executors.ray_executor import _make_trainable

    trainable = _make_trainable(make_run_trial(str(tmp_path / "calls")), str(tmp_path), os.getcwd())
    restored = cloudpickle.loads(cloudpickle.dumps(trainable))
    assert callable(restored)


def test_config_errors_before_any_trial():
    grid = {"trainer.x": {"space": "grid_search", "values": [1, 2]}}
    with pytest.raises(ConfigValidationError, match="grid_search"):
        make_executor(grid, search_alg={"type": "hyperopt"})
    with pytest.raises(ConfigValidationError, match="max_concurrent_trials"):
        make_executor(X_UNIFORM, {"max_concurrent_trials": "lots"})

    from ludwig.hyperopt.executors.ray_schedulers import build_scheduler
    from ludwig.hyperopt.executors.ray_search_algs import build_search_alg

    with pytest.raises(ConfigValidationError, match="Did you mean 'hyperband'"):
        build_scheduler({"type": "hyperbend"})
    with pytest.raises(ConfigValidationError, match="grace_perod"):
        build_scheduler({"type": "asha", "grace_perod": 2})
    with pytest.raises(ConfigValidationError, match="Did you mean 'optuna'"):
        build_search_alg({"type": "optuma"})


def test_schedulers_and_search_algs_build():
    from ray.tune.schedulers import (
        AsyncHyperBandScheduler,
        HyperBandScheduler,
        MedianStoppingRule,
        PopulationBasedTraining,
    )

    from ludwig.hyperopt.executors.ray_schedulers import build_scheduler
    from ludwig.hyperopt.executors.ray_search_algs import build_search_alg

    asha = build_scheduler({"type": "async_hyperband", "max_t": 20, "metric": "ignored"})
    assert isinstance(asha, AsyncHyperBandScheduler)
    assert isinstance(build_scheduler({"type": "hyperband"}), HyperBandScheduler)
    assert isinstance(build_scheduler({"type": "median_stopping_rule", "grace_period": 2}), MedianStoppingRule)
    for name in ("fifo", "hb_bohb", "resource_changing"):
        assert build_scheduler({"type": name}) is not None
    with pytest.raises(ConfigValidationError, match="hyperparam_mutations"):
        build_scheduler({"type": "pbt"})
    pbt = build_scheduler({"type": "pbt", "perturbation_interval": 2}, build_search_space(X_UNIFORM))
    assert isinstance(pbt, PopulationBasedTraining) and "trainer.x" in pbt._hyperparam_mutations
    base = build_scheduler({"type": "resource_changing", "base_scheduler": {"type": "asha", "max_t": 5}})
    assert isinstance(base._base_scheduler, AsyncHyperBandScheduler)
    assert build_search_alg({"type": "optuna", "sampler": "tpe", "seed": 3}) is not None
    assert build_search_alg(None) is not None


@pytest.mark.parametrize(
    "name, module, package",
    [
        ("bayesopt", "bayes_opt", "bayesian-optimization"),
        ("ax", "ax", "ax-platform"),
        ("bohb", "hpbandster", "hpbandster"),
        ("nevergrad", "nevergrad", "nevergrad"),
        ("zoopt", "zoopt", "zoopt"),
        ("hebo", "hebo", "HEBO"),
        ("blendsearch", "flaml", "flaml"),
        ("cfo", "flaml", "flaml"),
        ("skopt", "skopt", "scikit-optimize"),
    ],
)
def test_missing_search_alg_dependency_names_the_package(name, module, package):
    from ludwig.hyperopt.executors.ray_search_algs import build_search_alg

    if importlib.util.find_spec(module) is not None:
        assert build_search_alg({"type": name}) is not None
    else:
        with pytest.raises(ConfigValidationError, match=f"pip install {package}"):
            build_search_alg({"type": name})


def test_missing_scheduler_dependency_names_the_package():
    from ludwig.hyperopt.executors.ray_schedulers import build_scheduler

    if importlib.util.find_spec("GPy") is None:
        with pytest.raises(ConfigValidationError, match="GPy"):
            build_scheduler({"type": "pb2"})
    else:
        assert build_scheduler({"type": "pb2"}) is not None


@pytest.mark.skipif(importlib.util.find_spec("skopt") is None, reason="needs scikit-optimize")
def test_skopt_search_alg(ray_instance, tmp_path):
    space = {
        **X_UNIFORM,
        "combiner.num_fc_layers": {"space": "randint", "lower": 1, "upper": 4},
        "combiner.type": {"space": "choice", "categories": ["concat", "tabnet"]},
    }
    exp = str(tmp_path / "exp")
    executor = make_executor(
        space,
        {"num_samples": 5, "max_concurrent_trials": 1},
        {
            "type": "skopt",
            "n_initial_points": 2,
            "random_state": 0,
            "points_to_evaluate": [{"trainer.x": 3.0, "combiner.num_fc_layers": 2, "combiner.type": "tabnet"}],
        },
    )
    trials, result_grid = executor.execute(make_run_trial(str(tmp_path / "calls")), exp)
    assert len(trials) == 5
    for trial in trials:
        assert set(trial.parameters) == set(space)
        assert 1 <= trial.parameters["combiner.num_fc_layers"] < 4
        assert trial.parameters["combiner.type"] in ("concat", "tabnet")
    assert result_grid.get_best_result().config["trainer.x"] == 3.0


INTERRUPTED_SWEEP = """
import os, sys, time
from ludwig.hyperopt.executors.ray_executor import RayTuneExecutor
from ludwig.hyperopt.results import TrialResults
from ludwig.hyperopt.search_space import build_search_space

exp, calls = sys.argv[1], sys.argv[2]

def run_trial(parameters, trial_dir, reporter):
    x = parameters["trainer.x"]
    with open(os.path.join(calls, f"{x}.txt"), "a") as f:
        f.write("call\\n")
    if x == 3:
        time.sleep(120)  # interrupted here
    return TrialResults(parameters=dict(parameters), metric_score=(x - 3) ** 2)

config = {"goal": "minimize", "executor": {"type": "ray", "max_concurrent_trials": 1}}
space = build_search_space({"trainer.x": {"space": "grid_search", "values": [1, 2, 3, 4]}})
RayTuneExecutor(config, space).execute(run_trial, exp)
"""


def test_resume_after_interrupted_sweep(ray_instance, tmp_path):
    """Ctrl-C in the middle of a sweep, then resume: finished trials are kept, the rest run."""
    import signal
    import subprocess
    import sys

    exp, calls = str(tmp_path / "exp"), tmp_path / "calls"
    calls.mkdir()
    script = tmp_path / "sweep.py"
    script.write_text(INTERRUPTED_SWEEP)
    repo_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([repo_root, os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen([sys.executable, str(script), exp, str(calls)], cwd=repo_root, env=env)
    try:
        deadline = time.time() + 120
        while not (calls / "3.txt").exists() and time.time() < deadline and process.poll() is None:
            time.sleep(0.5)
        assert (calls / "3.txt").exists(), "the sweep did not reach its third trial"
        time.sleep(2)
        process.send_signal(signal.SIGINT)
        process.wait(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert not (calls / "4.txt").exists()

    def run_trial(parameters, trial_dir, reporter):
        x = parameters["trainer.x"]
        with open(calls / f"{x}.txt", "a") as f:
            f.write("call\n")
        return TrialResults(parameters=dict(parameters), metric_score=(x - 3) ** 2)

    space = {"trainer.x": {"space": "grid_search", "values": [1, 2, 3, 4]}}
    resumed, _ = make_executor(space, {"max_concurrent_trials": 1}).execute(run_trial, exp, resume=True)
    assert sorted(t.parameters["trainer.x"] for t in resumed) == [1, 2, 3, 4]
    counts = {x: len((calls / f"{x}.txt").read_text().split()) for x in (1, 2, 3, 4)}
    assert counts == {1: 1, 2: 1, 3: 2, 4: 1}, counts
