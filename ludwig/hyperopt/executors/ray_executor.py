"""The Ray Tune executor (``hyperopt.executor.type: ray``): trials run as Ray Tune trials on a local Ray instance.

Each trial runs ``run_trial(parameters, trial_dir, reporter)`` in a Ray worker, with ``trial_dir`` =
``<experiment_dir>/trial_<trial id>`` (where Ray also keeps the trial's own files). Intermediate scores go to
Ray Tune as ``metric_score`` so schedulers (ASHA, median stopping, ...) can stop bad trials; the final
``TrialResults`` are written to ``trial_results.json`` in the trial folder and read back by the driver. A trial
stopped early by a scheduler gets its last reported score.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
from typing import Any

from ludwig.error import ConfigValidationError
from ludwig.hyperopt.executors.base import HyperoptExecutor, RunTrial, executor_registry
from ludwig.hyperopt.executors.ray_schedulers import build_scheduler
from ludwig.hyperopt.executors.ray_search_algs import GRID_SEARCH_ALGS, build_search_alg
from ludwig.hyperopt.results import TrialResults
from ludwig.hyperopt.run_folder import check_own_run_folder, mark_run_folder

logger = logging.getLogger(__name__)

TRIAL_RESULTS_FILE = "trial_results.json"
DEFAULT_TIME_BUDGET_S = 3600


def trial_dirname(trial: Any) -> str:
    """Folder name of a Ray trial (``trial_<id>``); used for Ray's trial folder and for ``run_trial``."""
    return f"trial_{trial.trial_id}"


def _make_trainable(run_trial: RunTrial, experiment_dir: str, cwd: str):
    """The Ray Tune function trainable running ``run_trial`` for one sampled ``config``."""

    def ludwig_trial(config: dict[str, Any]) -> None:
        from ray import tune

        from ludwig.hyperopt.executors._ray_callbacks import METRIC, RayTrialReporter
        from ludwig.utils.fs_utils import save_json

        # Ray starts trials in their own working directory; relative paths in the config mean the caller's.
        os.chdir(cwd)
        trial_id = tune.get_context().get_trial_id()
        trial_dir = os.path.join(experiment_dir, f"trial_{trial_id}")
        os.makedirs(trial_dir, exist_ok=True)
        reporter = RayTrialReporter()
        result = run_trial(dict(config), trial_dir, reporter)
        if result.trial_dir is None:
            result.trial_dir = trial_dir
        save_json(os.path.join(trial_dir, TRIAL_RESULTS_FILE), result.to_dict())
        if result.metric_score is None:
            return
        if reporter.last_score is None or reporter.last_score != float(result.metric_score):
            step = 0 if reporter.last_step is None else reporter.last_step + 1
            tune.report({METRIC: float(result.metric_score), "step": step})

    return ludwig_trial


@contextlib.contextmanager
def _quiet_tune_output(log_verbosity: int):
    """At verbosity 0 use Ray Tune's legacy reporter, which prints nothing (the new one prints a banner)."""
    if log_verbosity:
        yield
        return
    previous = os.environ.get("RAY_AIR_NEW_OUTPUT")
    os.environ["RAY_AIR_NEW_OUTPUT"] = "0"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("RAY_AIR_NEW_OUTPUT", None)
        else:
            os.environ["RAY_AIR_NEW_OUTPUT"] = previous


def _start_ray() -> bool:
    """Start a quiet local Ray instance unless one is up; True when this call started it."""
    import ray

    if ray.is_initialized():
        return False
    ray.init(
        num_cpus=os.cpu_count() or 2,
        include_dashboard=False,
        log_to_driver=False,
        ignore_reinit_error=True,
        logging_level=logging.WARNING,
        configure_logging=True,
    )
    return True


@executor_registry.register("ray")
class RayTuneExecutor(HyperoptExecutor):
    """Runs the search with Ray Tune: ``search_alg`` picks parameters, ``executor.scheduler`` stops trials early.

    Args:
        hyperopt_config: the rendered ``hyperopt`` section.
        search_space: one ``SearchSpace`` (with ``.to_ray()``, ``.is_grid``) per dotted parameter path.
        log_verbosity: Ray Tune's progress output, 0 (silent) to 3 (every result).
    """

    def __init__(self, hyperopt_config: dict[str, Any], search_space: dict[str, Any], log_verbosity: int = 0):
        super().__init__(hyperopt_config, search_space, log_verbosity)
        executor = dict(hyperopt_config.get("executor") or {})
        if self.goal not in ("minimize", "maximize"):
            raise ConfigValidationError(f"hyperopt.goal: {self.goal!r}; expected 'minimize' or 'maximize'.")
        self.mode = "min" if self.goal == "minimize" else "max"
        self.num_samples = executor.get("num_samples") or 1
        self.time_budget_s = executor.get("time_budget_s", DEFAULT_TIME_BUDGET_S)
        self.cpu_resources_per_trial = executor.get("cpu_resources_per_trial", 1)
        self.gpu_resources_per_trial = executor.get("gpu_resources_per_trial", 0) or 0
        self.max_concurrent_trials = executor.get("max_concurrent_trials", "auto")
        self.scheduler_config = dict(executor.get("scheduler") or {})
        self.search_alg_config = dict(hyperopt_config.get("search_alg") or {})
        self._check_config()

    def _check_config(self) -> None:
        errors = []
        if not isinstance(self.num_samples, int) or self.num_samples < 1:
            errors.append(f"hyperopt.executor.num_samples: {self.num_samples!r}; expected a positive integer.")
        mct = self.max_concurrent_trials
        if not (mct is None or mct == "auto" or (isinstance(mct, int) and mct >= 1)):
            errors.append(f"hyperopt.executor.max_concurrent_trials: {mct!r}; expected 'auto' or an integer >= 1.")
        for key in ("cpu_resources_per_trial", "gpu_resources_per_trial"):
            value = getattr(self, key)
            if not isinstance(value, int | float) or value < 0:
                errors.append(f"hyperopt.executor.{key}: {value!r}; expected a number >= 0.")
        alg = self.search_alg_config.get("type") or "variant_generator"
        grid = sorted(name for name, space in self.search_space.items() if getattr(space, "is_grid", False))
        if grid and alg not in GRID_SEARCH_ALGS:
            errors.append(
                f"hyperopt.search_alg.type: {alg!r} cannot search grid_search parameters {grid}; use "
                f"search_alg type 'variant_generator' (or 'random'), or give those parameters another space."
            )
        if errors:
            raise ConfigValidationError(errors=errors)

    def _resolve_max_concurrent_trials(self) -> int | None:
        """``auto``: as many trials as the Ray instance's CPUs (and GPUs) hold at once."""
        import ray

        resources = ray.cluster_resources()
        cpus, gpus = resources.get("CPU", 0), resources.get("GPU", 0)
        if self.cpu_resources_per_trial > cpus:
            raise ConfigValidationError(
                f"hyperopt.executor.cpu_resources_per_trial: {self.cpu_resources_per_trial} but Ray has only "
                f"{cpus:g} CPUs, so no trial could start."
            )
        if self.gpu_resources_per_trial > gpus:
            raise ConfigValidationError(
                f"hyperopt.executor.gpu_resources_per_trial: {self.gpu_resources_per_trial} but Ray has only "
                f"{gpus:g} GPUs, so no trial could start."
            )
        if self.max_concurrent_trials != "auto":
            return self.max_concurrent_trials
        limits = []
        if self.cpu_resources_per_trial > 0:
            limits.append(math.floor(cpus / self.cpu_resources_per_trial))
        if self.gpu_resources_per_trial > 0:
            limits.append(math.floor(gpus / self.gpu_resources_per_trial))
        return max(1, min(limits)) if limits else None

    def execute(
        self,
        run_trial: RunTrial,
        experiment_dir: str,
        resume: bool = False,
        callbacks: list | None = None,
        tune_callbacks: list | None = None,
    ) -> tuple[list[TrialResults], Any]:
        """Run the sweep; returns one ``TrialResults`` per trial that reported a score, and Ray's ``ResultGrid``.

        A local Ray instance is started when none is running, and shut down at the end (also on errors).
        With ``resume``, a Ray Tune run found in ``experiment_dir`` is continued: finished trials are kept,
        unfinished and errored ones run again (a sweep that ended on purpose, by ``time_budget_s`` or
        ``should_stop_hyperopt``, stays ended). ``tune_callbacks`` are extra ``ray.tune.Callback`` objects.
        """
        import ray

        experiment_dir = os.path.abspath(experiment_dir)
        os.makedirs(os.path.dirname(experiment_dir), exist_ok=True)
        started = _start_ray()
        try:
            return self._execute(run_trial, experiment_dir, resume, list(callbacks or []), list(tune_callbacks or []))
        finally:
            if started:
                ray.shutdown()

    def _execute(
        self, run_trial: RunTrial, experiment_dir: str, resume: bool, callbacks: list, tune_callbacks: list
    ) -> tuple[list[TrialResults], Any]:
        from ray import tune
        from ray.tune.search import Searcher

        from ludwig.hyperopt.executors._ray_callbacks import (
            METRIC,
            HyperoptCallbackAdapter,
            HyperoptCallbackStopper,
        )

        max_concurrent_trials = self._resolve_max_concurrent_trials()
        trainable = tune.with_resources(
            _make_trainable(run_trial, experiment_dir, os.getcwd()),
            {"cpu": self.cpu_resources_per_trial, "gpu": self.gpu_resources_per_trial},
        )
        param_space = {name: space.to_ray() for name, space in self.search_space.items()}
        ray_callbacks = [HyperoptCallbackAdapter(callbacks), *tune_callbacks]
        stopper = HyperoptCallbackStopper(callbacks)

        if resume and tune.Tuner.can_restore(experiment_dir):
            # Restoring unpickles the folder's files: only from a folder a Ludwig search started (run_folder).
            check_own_run_folder(experiment_dir, "ray")
            logger.info("Resuming the Ray Tune run in %s", experiment_dir)
            tuner = tune.Tuner.restore(
                experiment_dir, trainable, resume_unfinished=True, restart_errored=True, param_space=param_space
            )
            # The pickled run config holds callback adapters without callbacks; attach the live ones.
            run_config = tuner._local_tuner.get_run_config()
            run_config.callbacks = ray_callbacks
            run_config.stop = stopper
        else:
            if resume:
                logger.info("No Ray Tune run to resume in %s; starting a new one", experiment_dir)
            search_alg = build_search_alg(self.search_alg_config, max_concurrent_trials)
            if not isinstance(search_alg, Searcher):
                max_concurrent_trials = None  # the search algorithm limits itself (see build_search_alg)
            tune_config = tune.TuneConfig(
                metric=METRIC,
                mode=self.mode,
                search_alg=search_alg,
                scheduler=build_scheduler(self.scheduler_config, self.search_space),
                num_samples=self.num_samples,
                max_concurrent_trials=max_concurrent_trials,
                time_budget_s=self.time_budget_s,
                trial_name_creator=trial_dirname,
                trial_dirname_creator=trial_dirname,
            )
            run_config = tune.RunConfig(
                name=os.path.basename(experiment_dir),
                storage_path=os.path.dirname(experiment_dir),
                verbose=self.log_verbosity,
                callbacks=ray_callbacks,
                stop=stopper,
                failure_config=tune.FailureConfig(max_failures=0),
            )
            tuner = tune.Tuner(trainable, param_space=param_space, tune_config=tune_config, run_config=run_config)
            mark_run_folder(experiment_dir, "ray")

        with _quiet_tune_output(self.log_verbosity):
            result_grid = tuner.fit()
        return self._collect(result_grid, experiment_dir), result_grid

    def _collect(self, result_grid: Any, experiment_dir: str) -> list[TrialResults]:
        """One ``TrialResults`` per trial: from its ``trial_results.json``, else from its last reported score."""
        from ludwig.hyperopt.executors._ray_callbacks import METRIC

        trials = []
        for result in result_grid:
            metrics = result.metrics or {}
            trial_id = metrics.get("trial_id")
            trial_dir = os.path.join(experiment_dir, f"trial_{trial_id}") if trial_id else result.path
            results_file = os.path.join(trial_dir, TRIAL_RESULTS_FILE) if trial_dir else None
            if results_file and os.path.isfile(results_file):
                with open(results_file) as f:
                    data = json.load(f)
                trials.append(
                    TrialResults(
                        parameters=data.get("parameters", {}),
                        metric_score=data.get("metric_score"),
                        training_stats=data.get("training_stats") or {},
                        eval_stats=data.get("eval_stats") or {},
                        trial_dir=data.get("trial_dir") or trial_dir,
                    )
                )
            elif metrics.get(METRIC) is not None:
                # Stopped early by the scheduler (or by the time budget): keep its last reported score.
                trials.append(
                    TrialResults(
                        parameters=dict(result.config or {}), metric_score=metrics[METRIC], trial_dir=trial_dir
                    )
                )
            elif result.error is not None:
                logger.warning("Hyperopt trial %s failed: %s", trial_id or result.path, result.error)
        return trials
