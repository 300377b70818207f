"""``hyperopt()`` and ``ludwig hyperopt`` end to end: sweeps with the Ray Tune and Optuna executors, validation
before any trial, resume, callbacks, the results folder, and a sweep on Titanic against the default config."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from ludwig.callbacks import Callback
from ludwig.error import ConfigValidationError
from ludwig.hyperopt.run import HYPEROPT_STATISTICS_FILE_NAME, hyperopt

REPO_ROOT = Path(__file__).resolve().parents[2]
NUM_ROWS = 200


def base_config(hyperopt_section: dict[str, Any], epochs: int = 1) -> dict[str, Any]:
    return {
        "input_features": [
            {"name": "num_in", "type": "number"},
            {"name": "cat_in", "type": "category"},
            {"name": "bin_in", "type": "binary"},
        ],
        "output_features": [{"name": "bin_out", "type": "binary"}],
        "combiner": {"type": "concat"},
        "trainer": {"epochs": epochs, "batch_size": 32, "learning_rate": 0.01},
        "hyperopt": hyperopt_section,
    }


def ray_section(parameters: dict, num_samples: int, search_alg: str = "random", **extra: Any) -> dict[str, Any]:
    return {
        "goal": "maximize",
        "metric": "accuracy",
        "output_feature": "bin_out",
        "split": "validation",
        "parameters": parameters,
        "search_alg": {"type": search_alg, "random_state": 1},
        "executor": {
            "type": "ray",
            "num_samples": num_samples,
            "cpu_resources_per_trial": 1,
            "max_concurrent_trials": 2,
        },
        **extra,
    }


def optuna_section(parameters: dict, num_samples: int, **executor: Any) -> dict[str, Any]:
    return {
        "goal": "minimize",
        "metric": "loss",
        "output_feature": "combined",
        "parameters": parameters,
        "executor": {"type": "optuna", "num_samples": num_samples, **executor},
    }


RANDOM_PARAMETERS = {
    "trainer.learning_rate": {"space": "loguniform", "lower": 0.001, "upper": 0.1},
    "combiner.output_size": {"space": "choice", "categories": [8, 16]},
}
GRID_PARAMETERS = {
    "trainer.learning_rate": {"space": "grid_search", "values": [0.003, 0.03]},
    "combiner.num_fc_layers": {"space": "grid_search", "values": [0, 1]},
}


@pytest.fixture
def dataset(tmp_path, synthetic_frame) -> str:
    path = tmp_path / "data" / "synthetic.csv"
    path.parent.mkdir()
    synthetic_frame(num_rows=NUM_ROWS).to_csv(path, index=False)
    return str(path)


class RecordingCallback(Callback):
    """Records the hyperopt hooks, in order."""

    def __init__(self):
        self.events: list[tuple[str, Any]] = []

    def on_hyperopt_init(self, experiment_name):
        self.events.append(("init", experiment_name))

    def on_hyperopt_preprocessing_start(self, experiment_name):
        self.events.append(("preprocessing_start", experiment_name))

    def on_hyperopt_preprocessing_end(self, experiment_name):
        self.events.append(("preprocessing_end", experiment_name))

    def on_hyperopt_start(self, experiment_name):
        self.events.append(("start", experiment_name))

    def on_hyperopt_trial_start(self, parameters):
        self.events.append(("trial_start", dict(parameters)))

    def on_hyperopt_trial_end(self, parameters):
        self.events.append(("trial_end", dict(parameters)))

    def on_hyperopt_end(self, experiment_name):
        self.events.append(("end", experiment_name))

    def on_hyperopt_finish(self, experiment_name):
        self.events.append(("finish", experiment_name))


class StopAfterTrials(Callback):
    """Stops the sweep once ``count`` trials ended (an interruption)."""

    def __init__(self, count: int):
        self.count = count
        self.ended = 0

    def on_hyperopt_trial_end(self, parameters):
        self.ended += 1

    def should_stop_hyperopt(self) -> bool:
        return self.ended >= self.count


def trial_folders(experiment_dir: Path) -> list[Path]:
    return sorted(p for p in experiment_dir.iterdir() if p.is_dir())


def check_results(results, experiment_dir: Path, num_trials: int, goal: str, parameters: dict) -> None:
    """Trials ranked by goal, one folder each with the run artefacts, and hyperopt_statistics.json best first."""
    trials = results.ordered_trials
    assert len(trials) == num_trials
    scores = [t.metric_score for t in trials]
    assert scores == sorted(scores, reverse=goal == "maximize")
    for trial in trials:
        assert set(trial.parameters) == set(parameters)
        run_dir = Path(trial.trial_dir)
        assert run_dir.is_dir() and experiment_dir in run_dir.parents
        assert (run_dir / "model" / "model_hyperparameters.json").is_file()
        assert (run_dir / "training_statistics.json").is_file()
        assert (run_dir / "description.json").is_file()
        user_hyperparameters = run_dir.parent / "user_hyperparameters.json"
        assert json.loads(user_hyperparameters.read_text()) == json.loads(json.dumps(trial.parameters))
        saved = json.loads((run_dir / "model" / "model_hyperparameters.json").read_text())
        if "trainer.learning_rate" in trial.parameters:
            assert saved["trainer"]["learning_rate"] == pytest.approx(trial.parameters["trainer.learning_rate"])
        assert trial.training_stats["validation"]
    assert len(trial_folders(experiment_dir)) == num_trials
    stats = json.loads((experiment_dir / HYPEROPT_STATISTICS_FILE_NAME).read_text())
    assert stats["hyperopt_config"]["goal"] == goal
    assert set(stats["hyperopt_config"]["parameters"]) == set(parameters)
    assert [r["metric_score"] for r in stats["hyperopt_results"]] == pytest.approx(scores)
    assert [r["parameters"] for r in stats["hyperopt_results"]] == [t.parameters for t in trials]


# ---------------------------------------------------------------------------------------------------------
# Ray Tune executor, through the API


@pytest.mark.distributed
@pytest.mark.parametrize(
    "search, parameters, num_samples, num_trials",
    [("random", RANDOM_PARAMETERS, 3, 3), ("variant_generator", GRID_PARAMETERS, 1, 4)],
    ids=["random", "grid"],
)
def test_ray_sweep_api(tmp_path, dataset, capsys, search, parameters, num_samples, num_trials):
    config = base_config(ray_section(parameters, num_samples, search_alg=search))
    callback = RecordingCallback()
    results = hyperopt(
        config,
        dataset=dataset,
        output_directory=str(tmp_path / "results"),
        hyperopt_log_verbosity=0,
        callbacks=[callback],
    )
    experiment_dir = tmp_path / "results" / "hyperopt"
    check_results(results, experiment_dir, num_trials, "maximize", parameters)
    names = [name for name, _ in callback.events]
    assert names[:4] == ["init", "preprocessing_start", "preprocessing_end", "start"]
    assert names[-2:] == ["end", "finish"]
    assert names.count("trial_start") == num_trials and names.count("trial_end") == num_trials
    assert all(0.0 <= t.metric_score <= 1.0 for t in results.ordered_trials)
    assert results.ordered_trials[0].metric_score == results.ordered_trials[0].eval_stats["bin_out"]["accuracy"]
    if search == "variant_generator":
        grid = {
            (t.parameters["trainer.learning_rate"], t.parameters["combiner.num_fc_layers"])
            for t in results.ordered_trials
        }
        assert grid == {(lr, n) for lr in (0.003, 0.03) for n in (0, 1)}
    assert "HYPEROPT RESULTS" in capsys.readouterr().out
    # Shared preprocessing: the splits were written once, as HDF5 with their metadata, for every trial.
    assert (experiment_dir / "hyperopt_dataset.training.hdf5").is_file()
    assert (experiment_dir / "hyperopt_dataset.meta.json").is_file()
    descriptions = [json.loads((Path(t.trial_dir) / "description.json").read_text()) for t in results.ordered_trials]
    assert all(str(d.get("training_set", "")).endswith("hyperopt_dataset.training.hdf5") for d in descriptions)


@pytest.mark.distributed
def test_nested_combiner_choice(tmp_path, dataset):
    categories = [
        {"type": "concat", "num_fc_layers": 2, "output_size": 8},
        {"type": "concat", "num_fc_layers": 0, "flatten_inputs": True},
    ]
    parameters = {"combiner": {"space": "grid_search", "values": categories}}
    config = base_config(ray_section(parameters, 1, search_alg="variant_generator"))
    results = hyperopt(config, dataset=dataset, output_directory=str(tmp_path / "results"), hyperopt_log_verbosity=0)
    assert len(results.ordered_trials) == 2
    seen = []
    for trial in results.ordered_trials:
        saved = json.loads((Path(trial.trial_dir) / "model" / "model_hyperparameters.json").read_text())
        chosen = trial.parameters["combiner"]
        seen.append(chosen)
        for key, value in chosen.items():
            assert saved["combiner"][key] == value
    assert sorted(seen, key=json.dumps) == sorted(categories, key=json.dumps)


@pytest.mark.distributed
def test_combiner_type_choice_of_dicts(tmp_path, dataset):
    categories = [{"type": "concat", "num_fc_layers": 1, "output_size": 8}, {"type": "concat", "num_fc_layers": 0}]
    parameters = {
        "combiner.type": {"space": "choice", "categories": categories},
        "trainer.learning_rate": {"space": "uniform", "lower": 0.005, "upper": 0.05},
    }
    config = base_config(ray_section(parameters, 2))
    results = hyperopt(config, dataset=dataset, output_directory=str(tmp_path / "results"), hyperopt_log_verbosity=0)
    assert len(results.ordered_trials) == 2
    for trial in results.ordered_trials:
        saved = json.loads((Path(trial.trial_dir) / "model" / "model_hyperparameters.json").read_text())
        chosen = trial.parameters["combiner.type"]
        assert chosen in categories
        assert saved["combiner"]["num_fc_layers"] == chosen["num_fc_layers"]


# ---------------------------------------------------------------------------------------------------------
# Through the CLI


def run_ludwig(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run(
        [sys.executable, "-m", "ludwig", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=600
    )


@pytest.mark.distributed
@pytest.mark.parametrize(
    "search, parameters, num_samples, num_trials",
    [("random", RANDOM_PARAMETERS, 2, 2), ("variant_generator", GRID_PARAMETERS, 1, 4)],
    ids=["random", "grid"],
)
def test_ray_sweep_cli(tmp_path, dataset, search, parameters, num_samples, num_trials):
    config_path = tmp_path / "config.yaml"
    config_path.write_text(yaml.safe_dump(base_config(ray_section(parameters, num_samples, search_alg=search))))
    result = run_ludwig(
        "hyperopt",
        "-c",
        str(config_path),
        "--dataset",
        dataset,
        "-od",
        "out",
        "-hlv",
        "0",
        "-l",
        "warning",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "HYPEROPT RESULTS" in result.stdout
    experiment_dir = tmp_path / "out" / "hyperopt"
    stats = json.loads((experiment_dir / HYPEROPT_STATISTICS_FILE_NAME).read_text())
    ranked = stats["hyperopt_results"]
    assert len(ranked) == num_trials
    scores = [r["metric_score"] for r in ranked]
    assert scores == sorted(scores, reverse=True)
    assert len(trial_folders(experiment_dir)) == num_trials
    for trial in ranked:
        assert (Path(trial["trial_dir"]) / "model" / "model_hyperparameters.json").is_file()


def test_cli_invalid_hyperopt_section_reports_the_path(tmp_path, dataset):
    section = optuna_section({"trainer.learnin_rate": {"space": "uniform", "lower": 0.001, "upper": 0.1}}, 2)
    config_path = tmp_path / "config.yaml"
    config_path.write_text(yaml.safe_dump(base_config(section)))
    result = run_ludwig("hyperopt", "-c", str(config_path), "--dataset", dataset, "-od", "out", cwd=tmp_path)
    assert result.returncode == 1
    assert "trainer.learnin_rate" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out" / "hyperopt").exists() or not trial_folders(tmp_path / "out" / "hyperopt")


# ---------------------------------------------------------------------------------------------------------
# Optuna executor


def test_optuna_sweep_with_callbacks(tmp_path, dataset, capsys):
    callback = RecordingCallback()
    config = base_config(optuna_section(RANDOM_PARAMETERS, 3, sampler="tpe"))
    results = hyperopt(
        config, dataset=dataset, output_directory=str(tmp_path / "results"), experiment_name="opt", callbacks=[callback]
    )
    experiment_dir = tmp_path / "results" / "opt"
    check_results(results, experiment_dir, 3, "minimize", RANDOM_PARAMETERS)
    for trial in results.ordered_trials:
        assert trial.metric_score == pytest.approx(trial.eval_stats["combined"]["loss"])
    names = [name for name, _ in callback.events]
    assert names[:4] == ["init", "preprocessing_start", "preprocessing_end", "start"]
    assert names[-2:] == ["end", "finish"]
    assert names.count("trial_start") == 3 and names.count("trial_end") == 3
    assert all(value == "opt" for name, value in callback.events if not name.startswith("trial"))
    out = capsys.readouterr().out
    table = out[out.index("HYPEROPT RESULTS") :]
    assert "trainer.learning_rate" in table and "combiner.output_size" in table


def test_skip_save_hyperopt_statistics(tmp_path, dataset):
    config = base_config(optuna_section(RANDOM_PARAMETERS, 2))
    results = hyperopt(
        config, dataset=dataset, output_directory=str(tmp_path / "results"), skip_save_hyperopt_statistics=True
    )
    assert len(results.ordered_trials) == 2
    assert not (tmp_path / "results" / "hyperopt" / HYPEROPT_STATISTICS_FILE_NAME).exists()


def test_tuned_preprocessing_is_done_per_trial(tmp_path, dataset):
    parameters = {"num_in.preprocessing.normalization": {"space": "grid_search", "values": ["zscore", "minmax"]}}
    config = base_config(optuna_section(parameters, 1))
    results = hyperopt(config, dataset=dataset, output_directory=str(tmp_path / "results"))
    assert len(results.ordered_trials) == 2
    assert not (tmp_path / "results" / "hyperopt" / "hyperopt_dataset.training.hdf5").exists()
    for trial in results.ordered_trials:
        metadata = json.loads((Path(trial.trial_dir) / "model" / "training_set_metadata.json").read_text())
        normalization = trial.parameters["num_in.preprocessing.normalization"]
        saved = json.loads((Path(trial.trial_dir) / "model" / "model_hyperparameters.json").read_text())
        assert saved["input_features"][0]["preprocessing"]["normalization"] == normalization
        assert metadata["num_in"]


class StopAtStep:
    """A ``TrialReporter`` that records the scores and asks to stop after ``stop_at`` evaluations."""

    def __init__(self, stop_at: int):
        self.stop_at = stop_at
        self.reports: list[tuple[int, float]] = []

    def report(self, step: int, metric_score: float) -> bool:
        self.reports.append((step, metric_score))
        return step >= self.stop_at


def test_reporter_gets_each_evaluation_and_can_stop_training(tmp_path, dataset):
    from ludwig.api import LudwigModel
    from ludwig.hyperopt.run import TrialReportingCallback

    config = base_config(GOOD, epochs=6)
    reporter = StopAtStep(2)
    callback = TrialReportingCallback(reporter, "validation", "bin_out", "accuracy")
    model = LudwigModel(config, callbacks=[callback])
    train_stats, _, _ = model.train(dataset=dataset, output_directory=str(tmp_path / "results"))
    assert [step for step, _ in reporter.reports] == [1, 2]
    assert [score for _, score in reporter.reports] == train_stats.validation["bin_out"]["accuracy"]
    combined = TrialReportingCallback(StopAtStep(100), "validation", "combined", "accuracy")
    assert combined.metric == "loss"


# ---------------------------------------------------------------------------------------------------------
# Validation before any trial


def _with(section: dict, **changes: Any) -> dict:
    section = copy.deepcopy(section)
    section.update(changes)
    return section


GOOD = optuna_section(RANDOM_PARAMETERS, 2)


@pytest.mark.parametrize(
    "section, config_changes, expected",
    [
        (_with(GOOD, output_feature="nope_out"), {}, "hyperopt.output_feature"),
        (_with(GOOD, output_feature="bin_out", metric="mean_squared_errr"), {}, "hyperopt.metric"),
        (_with(GOOD, output_feature="combined", metric="accuracy"), {}, "hyperopt.metric"),
        (
            _with(GOOD, parameters={"trainer.learnin_rate": {"space": "uniform", "lower": 0.01, "upper": 0.1}}),
            {},
            "trainer.learnin_rate",
        ),
        (
            _with(GOOD, parameters={"trainer.learning_rate": {"space": "uniform", "lower": 0.01}}),
            {},
            "upper",
        ),
        (
            _with(GOOD, split="validation"),
            {"preprocessing": {"split": {"type": "random", "probabilities": [0.8, 0.0, 0.2]}}},
            "hyperopt.split",
        ),
    ],
    ids=["unknown_output_feature", "unknown_metric", "combined_not_loss", "bad_path", "missing_bound", "empty_split"],
)
def test_validation_errors_before_any_trial(tmp_path, dataset, section, config_changes, expected):
    callback = RecordingCallback()
    config = {**base_config(section), **config_changes}
    with pytest.raises(ConfigValidationError) as error:
        hyperopt(config, dataset=dataset, output_directory=str(tmp_path / "results"), callbacks=[callback])
    assert expected in str(error.value)
    assert "start" not in [name for name, _ in callback.events]
    experiment_dir = tmp_path / "results" / "hyperopt"
    assert not experiment_dir.exists() or not trial_folders(experiment_dir)


def test_config_without_hyperopt_section(tmp_path, dataset):
    config = base_config({})
    del config["hyperopt"]
    with pytest.raises(ConfigValidationError, match="hyperopt"):
        hyperopt(config, dataset=dataset, output_directory=str(tmp_path / "results"))


def test_non_local_backend_is_refused(tmp_path, dataset):
    with pytest.raises(ValueError, match="local backend"):
        hyperopt(base_config(GOOD), dataset=dataset, output_directory=str(tmp_path / "results"), backend="dask")


# ---------------------------------------------------------------------------------------------------------
# Resume


def test_optuna_resume_after_interruption(tmp_path, dataset):
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    config = base_config(optuna_section(RANDOM_PARAMETERS, 3, storage=storage, study_name="resumable"))
    output_directory = str(tmp_path / "results")
    first = hyperopt(config, dataset=dataset, output_directory=output_directory, callbacks=[StopAfterTrials(1)])
    assert len(first.ordered_trials) == 1
    resumed = hyperopt(config, dataset=dataset, output_directory=output_directory, resume=True)
    assert len(resumed.ordered_trials) == 3
    first_parameters = first.ordered_trials[0].parameters
    assert any(t.parameters == first_parameters for t in resumed.ordered_trials)
    assert len(trial_folders(tmp_path / "results" / "hyperopt")) == 3


@pytest.mark.distributed
def test_ray_resume_after_interruption(tmp_path, dataset):
    """Interrupt ``ludwig hyperopt`` (Ctrl-C) once a trial finished, then resume the sweep through the API."""
    config = base_config(ray_section(RANDOM_PARAMETERS, 3), epochs=2)
    config["hyperopt"]["executor"]["max_concurrent_trials"] = 1
    config_path = tmp_path / "config.yaml"
    config_path.write_text(yaml.safe_dump(config))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ludwig",
            "hyperopt",
            "-c",
            str(config_path),
            "--dataset",
            dataset,
            "-od",
            "results",
            "-hlv",
            "0",
            "-l",
            "warning",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    experiment_dir = tmp_path / "results" / "hyperopt"
    try:
        deadline = time.time() + 300
        while not list(experiment_dir.glob("trial_*/trial_results.json")):
            assert process.poll() is None, "the sweep ended before it could be interrupted"
            assert time.time() < deadline, "no trial finished in time"
            time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        process.wait(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    finished_before = len(list(experiment_dir.glob("trial_*/trial_results.json")))
    assert 1 <= finished_before < 3
    resumed = hyperopt(
        str(config_path),
        dataset=dataset,
        output_directory=str(tmp_path / "results"),
        resume=True,
        hyperopt_log_verbosity=0,
    )
    assert len(resumed.ordered_trials) == 3
    assert len(list(experiment_dir.glob("trial_*/trial_results.json"))) == 3
    stats = json.loads((experiment_dir / HYPEROPT_STATISTICS_FILE_NAME).read_text())
    assert len(stats["hyperopt_results"]) == 3


# ---------------------------------------------------------------------------------------------------------
# Titanic: the best of a 6-trial sweep against the default config


@pytest.mark.slow
@pytest.mark.distributed
def test_titanic_sweep_beats_default_config(tmp_path, shared_datasets):
    from ludwig.api import LudwigModel

    folder = shared_datasets / "titanic"
    default_config = yaml.safe_load((folder / "config.yaml").read_text())
    default_config["trainer"]["epochs"] = 5
    dataset = tmp_path / "titanic.csv"
    dataset.write_bytes((folder / "titanic.csv").read_bytes())

    model = LudwigModel(copy.deepcopy(default_config))
    eval_stats, _, _, _ = model.experiment(
        dataset=str(dataset),
        eval_split="validation",
        output_directory=str(tmp_path / "default"),
        skip_save_processed_input=True,
    )
    default_accuracy = eval_stats["Survived"]["accuracy"]

    config = copy.deepcopy(default_config)
    config["hyperopt"] = {
        "goal": "maximize",
        "metric": "accuracy",
        "output_feature": "Survived",
        "split": "validation",
        "parameters": {
            "trainer.learning_rate": {"space": "loguniform", "lower": 0.0005, "upper": 0.05},
            "combiner.num_fc_layers": {"space": "choice", "categories": [0, 1, 2]},
            "combiner.output_size": {"space": "choice", "categories": [32, 64, 128]},
        },
        "search_alg": {"type": "random", "random_state": 7},
        "executor": {"type": "ray", "num_samples": 6, "cpu_resources_per_trial": 1, "max_concurrent_trials": 2},
    }
    results = hyperopt(
        config, dataset=str(dataset), output_directory=str(tmp_path / "results"), hyperopt_log_verbosity=0
    )
    assert len(results.ordered_trials) == 6
    best = results.ordered_trials[0]
    print(
        f"\ntitanic validation accuracy: default config {default_accuracy:.4f}; "
        f"best of 6 trials {best.metric_score:.4f} with {best.parameters}"
    )
    assert best.metric_score >= default_accuracy
