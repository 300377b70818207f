"""``hyperopt()``: search the ``hyperopt.parameters`` of a config, training one model per sampled set of values.

Steps: validate the config and its ``hyperopt`` section (every problem before any trial) -> build the search
space -> preprocess once (unless a preprocessing parameter is searched) into HDF5 files shared by every trial ->
run the trials through the configured executor -> rank them by ``hyperopt.goal`` -> save
``hyperopt_statistics.json`` and print the ranking.
"""

from __future__ import annotations

import copy
import logging
import math
import os
from typing import TYPE_CHECKING, Any

from ludwig.callbacks import Callback
from ludwig.constants import COMBINED
from ludwig.error import ConfigValidationError
from ludwig.hyperopt.results import HyperoptResults, TrialResults

USER_HYPERPARAMETERS_FILE = "user_hyperparameters.json"

if TYPE_CHECKING:
    from ludwig.hyperopt.executors.base import TrialReporter

logger = logging.getLogger(__name__)

HYPEROPT_STATISTICS_FILE_NAME = "hyperopt_statistics.json"
PREPROCESSED_STEM = "hyperopt_dataset"
LOCAL_BACKENDS = (None, "local")
LOSS = "loss"


def hyperopt(
    config: dict | str,
    dataset=None,
    training_set=None,
    validation_set=None,
    test_set=None,
    training_set_metadata: dict | str | None = None,
    data_format: str | None = None,
    experiment_name: str = "hyperopt",
    model_name: str = "run",
    resume: bool | None = None,
    skip_save_training_description: bool = False,
    skip_save_training_statistics: bool = False,
    skip_save_model: bool = False,
    skip_save_progress: bool = False,
    skip_save_log: bool = False,
    skip_save_processed_input: bool = True,
    skip_save_unprocessed_output: bool = False,
    skip_save_predictions: bool = False,
    skip_save_eval_stats: bool = False,
    skip_save_hyperopt_statistics: bool = False,
    output_directory: str = "results",
    gpus: Any = None,
    gpu_memory_limit: float | None = None,
    allow_parallel_threads: bool = True,
    callbacks: list | None = None,
    tune_callbacks: list | None = None,
    backend: Any = None,
    random_seed: int = 42,
    hyperopt_log_verbosity: int = 3,
    **kwargs: Any,
) -> HyperoptResults:
    """Run the hyperparameter search described by the config's ``hyperopt`` section.

    Every trial trains a model on the config with the sampled values substituted (``hyperopt.parameters`` maps
    dotted config paths to search spaces), evaluates it on ``hyperopt.split`` and scores it by ``hyperopt.metric``
    of ``hyperopt.output_feature``. Results go to ``<output_directory>/<experiment_name>/``: one folder per trial
    and ``hyperopt_statistics.json``.

    Args:
        config: config dict or path of a YAML file; it must have a ``hyperopt`` section.
        dataset: data file or DataFrame split by ``preprocessing.split``; or ``training_set``/``validation_set``/
            ``test_set``; ``training_set_metadata`` reuses an earlier preprocessing.
        experiment_name: name of the folder (under ``output_directory``) holding the trials.
        model_name: name of each trial's run folder (``<trial>/<experiment_name>_<model_name>``).
        resume: continue a search interrupted in the same folder (passed to the executor).
        skip_save_*: what each trial leaves out of its run folder, as in ``LudwigModel.experiment``;
            ``skip_save_hyperopt_statistics`` skips ``hyperopt_statistics.json``.
        callbacks: ``ludwig.callbacks.Callback`` instances; they get the ``on_hyperopt_*`` hooks and those of
            each trial's training.
        tune_callbacks: Ray Tune callbacks, for the ray executor.
        backend: ``"local"`` (or None); other backends are not supported yet.
        hyperopt_log_verbosity: verbosity of the executor's own progress reports (0-3).
        (gpus, gpu_memory_limit, allow_parallel_threads and random_seed are those of ``LudwigModel``.)

    Returns:
        ``HyperoptResults`` with the trials ordered best first.

    Raises:
        ConfigValidationError: the config or its ``hyperopt`` section is invalid, or ``hyperopt.split`` has no rows.
        UnsafePathError: ``experiment_name`` or ``model_name`` would leave ``output_directory``.
    """
    from ludwig.api import LudwigModel
    from ludwig.hyperopt.executors.base import executor_registry
    from ludwig.hyperopt.parameters import tunes_preprocessing, validate_hyperopt
    from ludwig.hyperopt.search_space import build_search_space
    from ludwig.hyperopt.utils import print_hyperopt_results
    from ludwig.schema.model_config import ModelConfig
    from ludwig.utils.backward_compatibility import upgrade_config_dict_to_latest_version
    from ludwig.utils.fs_utils import check_path_name, join_inside, load_config_file, save_json
    from ludwig.utils.registry import import_submodules

    logging_level = kwargs.pop("logging_level", logging.getLogger("ludwig").getEffectiveLevel())
    if kwargs:
        raise TypeError(f"hyperopt() got unexpected arguments {sorted(kwargs)}.")
    check_path_name(experiment_name, "experiment_name")  # before any work: both become folders of the results
    check_path_name(model_name, "model_name")
    if isinstance(config, str | os.PathLike):
        config = load_config_file(str(config))
    user_config = upgrade_config_dict_to_latest_version(copy.deepcopy(dict(config)))
    config_obj = ModelConfig.from_dict(user_config)
    hyperopt_config = _section_dict(config_obj.hyperopt)
    if not hyperopt_config:
        raise ConfigValidationError(
            "hyperopt: missing; hyperopt() needs a config with a `hyperopt` section (parameters, goal, metric...)."
        )
    validate_hyperopt(config_obj)
    _check_local_backend(backend, config_obj.backend)
    parameters = hyperopt_config.get("parameters") or {}
    search_space = build_search_space(parameters)
    import_submodules("ludwig.hyperopt.executors")
    executor_type = (hyperopt_config.get("executor") or {}).get("type", "ray")
    if executor_type not in executor_registry:
        raise ConfigValidationError(f"hyperopt.executor.type: {executor_registry.unknown_message(executor_type)}")
    executor = executor_registry[executor_type](hyperopt_config, search_space, log_verbosity=hyperopt_log_verbosity)

    callbacks = list(callbacks or [])
    experiment_dir = os.path.abspath(join_inside(output_directory, experiment_name, "experiment_name"))
    os.makedirs(experiment_dir, exist_ok=True)
    for callback in callbacks:
        callback.on_hyperopt_init(experiment_name)

    split = hyperopt_config.get("split", "validation")
    runtime = {
        "backend": backend,
        "gpus": gpus,
        "gpu_memory_limit": gpu_memory_limit,
        "allow_parallel_threads": allow_parallel_threads,
    }
    for callback in callbacks:
        callback.on_hyperopt_preprocessing_start(experiment_name)
    model = LudwigModel(user_config, logging_level=logging_level, **runtime)
    preprocessed = model.preprocess(
        dataset=dataset,
        training_set=training_set,
        validation_set=validation_set,
        test_set=test_set,
        training_set_metadata=training_set_metadata,
        data_format=data_format,
        skip_save_processed_input=skip_save_processed_input,
        random_seed=random_seed,
    )
    _check_split_has_rows(split, preprocessed)
    if tunes_preprocessing(parameters, user_config):
        # Each trial preprocesses the raw data with its own values; paths must survive a change of directory.
        data = {
            "dataset": _absolute(dataset),
            "training_set": _absolute(training_set),
            "validation_set": _absolute(validation_set),
            "test_set": _absolute(test_set),
            "training_set_metadata": _absolute(training_set_metadata),
            "data_format": data_format,
        }
    else:
        data = _save_preprocessed(preprocessed, experiment_dir)
    del model, preprocessed
    for callback in callbacks:
        callback.on_hyperopt_preprocessing_end(experiment_name)

    run_trial = _TrialRunner(
        user_config=user_config,
        data=data,
        split=split,
        output_feature=hyperopt_config.get("output_feature", COMBINED),
        metric=hyperopt_config.get("metric", LOSS),
        experiment_name=experiment_name,
        model_name=model_name,
        callbacks=callbacks,
        runtime=runtime,
        logging_level=logging_level,
        random_seed=random_seed,
        save_flags={
            "skip_save_training_description": skip_save_training_description,
            "skip_save_training_statistics": skip_save_training_statistics,
            "skip_save_model": skip_save_model,
            "skip_save_progress": skip_save_progress,
            "skip_save_log": skip_save_log,
            "skip_save_processed_input": True,
            "skip_save_unprocessed_output": skip_save_unprocessed_output,
            "skip_save_predictions": skip_save_predictions,
            "skip_save_eval_stats": skip_save_eval_stats,
        },
    )

    for callback in callbacks:
        callback.on_hyperopt_start(experiment_name)
    trials, analysis = executor.execute(
        run_trial, experiment_dir, resume=resume, callbacks=callbacks, tune_callbacks=tune_callbacks
    )
    for callback in callbacks:
        callback.on_hyperopt_end(experiment_name)

    results = HyperoptResults(sort_trials(trials, hyperopt_config.get("goal", "minimize")), analysis)
    if not skip_save_hyperopt_statistics:
        save_json(
            os.path.join(experiment_dir, HYPEROPT_STATISTICS_FILE_NAME),
            {
                "hyperopt_config": hyperopt_config,
                "hyperopt_results": [trial.to_dict() for trial in results.ordered_trials],
            },
        )
    print_hyperopt_results(results)
    for callback in callbacks:
        callback.on_hyperopt_finish(experiment_name)
    return results


def sort_trials(trials: list[TrialResults], goal: str) -> list[TrialResults]:
    """``trials`` best first for ``goal`` (minimize or maximize); trials without a finite score come last."""

    def key(trial: TrialResults) -> tuple[bool, float]:
        score = trial.metric_score
        finite = isinstance(score, int | float) and math.isfinite(score)
        if not finite:
            return True, 0.0
        return False, -score if goal == "maximize" else score

    return sorted(trials, key=key)


# ---------------------------------------------------------------------------------------------------------
# Trials


class TrialReportingCallback(Callback):
    """Reports a trial's score after each evaluation and stops its training when the reporter says so.

    Args:
        reporter: the executor's ``TrialReporter``.
        split: ``hyperopt.split``; output_feature and metric: what is scored (``combined`` scores the loss).
    """

    def __init__(self, reporter: TrialReporter, split: str, output_feature: str, metric: str):
        self.reporter = reporter
        self.split = split
        self.output_feature = output_feature
        self.metric = LOSS if output_feature == COMBINED else metric
        self.stop = False

    def on_eval_end(self, trainer, progress_tracker, save_path: str | None) -> None:
        history = progress_tracker.metrics_for(self.split).get(self.output_feature, {}).get(self.metric)
        if not history:
            return  # e.g. a training-split metric that is only computed with evaluate_training_set
        if self.reporter.report(len(history), float(history[-1])):
            self.stop = True

    def should_early_stop(self, trainer, progress_tracker, is_coordinator: bool) -> bool:
        return self.stop


class _TrialRunner:
    """``run_trial(parameters, trial_dir, reporter)``: train and score one model; a plain picklable object, so
    executors may run it in another process (Ray workers)."""

    def __init__(
        self,
        user_config: dict[str, Any],
        data: dict[str, Any],
        split: str,
        output_feature: str,
        metric: str,
        experiment_name: str,
        model_name: str,
        callbacks: list,
        runtime: dict[str, Any],
        logging_level: int,
        random_seed: int,
        save_flags: dict[str, bool],
    ):
        self.user_config = user_config
        self.data = data
        self.split = split
        self.output_feature = output_feature
        self.metric = LOSS if output_feature == COMBINED else metric
        self.experiment_name = experiment_name
        self.model_name = model_name
        self.callbacks = callbacks
        self.runtime = runtime
        self.logging_level = logging_level
        self.random_seed = random_seed
        self.save_flags = save_flags

    def __call__(self, parameters: dict[str, Any], trial_dir: str, reporter: TrialReporter) -> TrialResults:
        from ludwig.api import LudwigModel
        from ludwig.hyperopt.parameters import substitute_parameters
        from ludwig.utils.fs_utils import save_json

        config = substitute_parameters(copy.deepcopy(self.user_config), parameters)
        os.makedirs(trial_dir, exist_ok=True)
        save_json(os.path.join(trial_dir, USER_HYPERPARAMETERS_FILE), dict(parameters))  # as Ludwig's trial folders
        reporting = TrialReportingCallback(reporter, self.split, self.output_feature, self.metric)
        model = LudwigModel(
            config, logging_level=self.logging_level, callbacks=[*self.callbacks, reporting], **self.runtime
        )
        eval_stats, train_stats, _, run_dir = model.experiment(
            **self.data,
            experiment_name=self.experiment_name,
            model_name=self.model_name,
            eval_split=self.split,
            output_directory=trial_dir,
            random_seed=self.random_seed,
            skip_collect_predictions=self.save_flags["skip_save_predictions"]
            and self.save_flags["skip_save_unprocessed_output"],
            **self.save_flags,
        )
        metrics = eval_stats.get(self.output_feature, {})
        if self.metric not in metrics:
            raise ValueError(
                f"hyperopt.metric {self.metric!r} was not computed for {self.output_feature!r} on the {self.split} "
                f"split; computed: {sorted(k for k, v in metrics.items() if isinstance(v, int | float))}."
            )
        return TrialResults(
            parameters=dict(parameters),
            metric_score=float(metrics[self.metric]),
            training_stats=train_stats.to_dict(),
            eval_stats=_scalar_stats(eval_stats),
            trial_dir=run_dir or trial_dir,
        )


def _scalar_stats(eval_stats: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The scalar metrics of each feature (confusion matrices and per-class tables are left in the run folder)."""
    return {
        feature: {k: float(v) for k, v in metrics.items() if isinstance(v, int | float) and not isinstance(v, bool)}
        for feature, metrics in eval_stats.items()
        if isinstance(metrics, dict)
    }


# ---------------------------------------------------------------------------------------------------------
# Data and checks


def _section_dict(section: Any) -> dict[str, Any] | None:
    if section is None:
        return None
    if hasattr(section, "to_dict"):
        return section.to_dict()
    return copy.deepcopy(dict(section))


def _check_local_backend(backend: Any, config_backend: Any) -> None:
    for where, value in (("backend", backend), ("config backend", config_backend)):
        name = value.get("type") if isinstance(value, dict) else value
        if name is not None and not isinstance(name, str):
            name = getattr(value, "name", type(value).__name__)
        if name not in LOCAL_BACKENDS:
            raise ValueError(
                f"hyperopt runs on the local backend only for now; the {where} is {name!r}. "
                "Use backend='local' (trials still run in parallel through the ray executor)."
            )


def _check_split_has_rows(split: str, preprocessed) -> None:
    datasets = {
        "training": preprocessed.training_set,
        "validation": preprocessed.validation_set,
        "test": preprocessed.test_set,
    }
    if split not in datasets:
        raise ConfigValidationError(
            f"hyperopt.split: value {split!r} is not allowed; expected one of {list(datasets)}."
        )
    data = datasets[split]
    if data is None or len(data) == 0:
        sizes = {name: 0 if d is None else len(d) for name, d in datasets.items()}
        raise ConfigValidationError(
            f"hyperopt.split: the {split} split has no rows (split sizes: {sizes}); set preprocessing.split so that "
            f"it gets rows, or choose another hyperopt.split."
        )


def _save_preprocessed(preprocessed, experiment_dir: str) -> dict[str, Any]:
    """Write the preprocessed splits as HDF5 with their ``.meta.json``; returns the data arguments of a trial."""
    import json

    from ludwig.data.cache import write_hdf5

    paths = {}
    for name, dataset in (
        ("training", preprocessed.training_set),
        ("validation", preprocessed.validation_set),
        ("test", preprocessed.test_set),
    ):
        if dataset is None or len(dataset) == 0:
            paths[name] = None
            continue
        paths[name] = os.path.join(experiment_dir, f"{PREPROCESSED_STEM}.{name}.hdf5")
        write_hdf5(paths[name], dataset)
    meta_path = os.path.join(experiment_dir, f"{PREPROCESSED_STEM}.meta.json")
    with open(meta_path, "w") as f:
        json.dump(preprocessed.training_set_metadata, f, indent=2, default=str)
    return {
        "training_set": paths["training"],
        "validation_set": paths["validation"],
        "test_set": paths["test"],
        "training_set_metadata": meta_path,
        "data_format": "hdf5",
    }


def _absolute(value: Any) -> Any:
    if isinstance(value, str) and os.path.exists(value):
        return os.path.abspath(value)
    return value
