"""``executor: {type: optuna}``: the trials run one after the other in an Optuna study, without Ray.

The study is stored in ``executor.storage`` (any Optuna storage URL) or, by default, in
``<experiment_dir>/optuna_study.db`` (SQLite), so ``resume`` continues an interrupted sweep: finished trials are
kept, a trial that was running when the sweep stopped is run again with the same values, and only the missing
trials run (trials that failed with an error are not counted).

Grid spaces run each grid point ``num_samples`` times, as Ray Tune's grid search does. When every parameter is a
``grid_search``, Optuna's grid sampler covers the grid once and the further passes are queued; mixed with other
spaces, each grid point is queued ``num_samples`` times and the other parameters come from the chosen sampler.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import logging
import math
import os
from typing import Any

from ludwig.globals import TRAINING_STATISTICS_FILE_NAME
from ludwig.hyperopt.executors.base import HyperoptExecutor, RunTrial, executor_registry
from ludwig.hyperopt.results import TrialResults

logger = logging.getLogger(__name__)

DEFAULT_SEED = 42
STUDY_FILE_NAME = "optuna_study.db"
_RESULT_ATTR = "ludwig_trial_results"
_INTERRUPTED_ATTR = "ludwig_interrupted"
_RETRIED_ATTR = "ludwig_retried"
_SAMPLER_PACKAGES = {"cmaes": "cmaes", "gp": "scipy"}


class _OptunaReporter:
    """Passes a trial's intermediate scores to Optuna's pruner."""

    def __init__(self, trial: Any):
        self.trial = trial
        self.pruned = False
        self.last_score: float | None = None

    def report(self, step: int, metric_score: float) -> bool:
        self.last_score = float(metric_score)
        if not math.isfinite(self.last_score):
            return False
        self.trial.report(self.last_score, step)
        if self.trial.should_prune():
            self.pruned = True
        return self.pruned


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=lambda v: v.item() if hasattr(v, "item") else str(v)))


@executor_registry.register("optuna")
class OptunaExecutor(HyperoptExecutor):
    """Runs ``executor.num_samples`` trials in an Optuna study (see the module docstring).

    Args:
        hyperopt_config: the rendered ``hyperopt`` section; reads ``goal`` and ``executor`` (``num_samples``,
            ``sampler``, ``pruner``, ``random_state``, ``study_name``, ``storage``), and
            ``search_alg.random_state`` as the seed when ``executor.random_state`` is not set.
        search_space: one ``SearchSpace`` per parameter path.
    """

    def __init__(self, hyperopt_config: dict[str, Any], search_space: dict[str, Any], log_verbosity: int = 0):
        if hasattr(hyperopt_config, "to_dict"):
            hyperopt_config = hyperopt_config.to_dict()
        super().__init__(hyperopt_config, search_space, log_verbosity)
        executor = hyperopt_config.get("executor") or {}
        search_alg = hyperopt_config.get("search_alg") or {}
        self.num_samples = executor.get("num_samples") or 1
        self.sampler_name = executor.get("sampler") or "auto"
        pruner = executor.get("pruner", "median")
        self.pruner_name = None if pruner in (None, "none") else pruner
        seed = executor.get("random_state")
        self.seed = seed if seed is not None else search_alg.get("random_state", DEFAULT_SEED)
        self.study_name = executor.get("study_name")
        self.storage = executor.get("storage")
        self.grid_names = [name for name, space in search_space.items() if space.is_grid]

    # -- construction -----------------------------------------------------------------------------------------

    def _grid_points(self) -> list[dict[str, Any]]:
        """Every combination of the grid parameters, in Optuna's representation of each value."""
        choices = [self.search_space[name].optuna_choices() for name in self.grid_names]
        return [dict(zip(self.grid_names, combo)) for combo in itertools.product(*choices)]

    def _all_grid(self) -> bool:
        return bool(self.search_space) and len(self.grid_names) == len(self.search_space)

    def _make_sampler(self) -> Any:
        import optuna

        if self._all_grid():
            grid = {name: self.search_space[name].optuna_choices() for name in self.grid_names}
            return optuna.samplers.GridSampler(grid, seed=self.seed)
        package = _SAMPLER_PACKAGES.get(self.sampler_name)
        if package and importlib.util.find_spec(package) is None:
            raise ImportError(
                f"hyperopt.executor.sampler {self.sampler_name!r} needs the {package!r} package: "
                f"`pip install {package}`."
            )
        factories = {
            "auto": optuna.samplers.TPESampler,
            "tpe": optuna.samplers.TPESampler,
            "random": optuna.samplers.RandomSampler,
            "cmaes": optuna.samplers.CmaEsSampler,
            "gp": optuna.samplers.GPSampler,
        }
        if self.sampler_name not in factories:
            raise ValueError(
                f"hyperopt.executor.sampler: unknown Optuna sampler {self.sampler_name!r}; "
                f"expected one of {sorted(factories)}."
            )
        return factories[self.sampler_name](seed=self.seed)

    def _make_pruner(self) -> Any:
        import optuna

        if self.pruner_name is None:
            return optuna.pruners.NopPruner()
        if self.pruner_name == "median":
            return optuna.pruners.MedianPruner()
        if self.pruner_name == "hyperband":
            return optuna.pruners.HyperbandPruner()
        raise ValueError(
            f"hyperopt.executor.pruner: unknown Optuna pruner {self.pruner_name!r}; "
            "expected one of ['median', 'hyperband', 'none']."
        )

    def _storage_url(self, experiment_dir: str, resume: bool) -> str | None:
        if self.storage is not None:
            return self.storage
        if importlib.util.find_spec("sqlalchemy") is None:
            logger.warning("sqlalchemy is not installed: the Optuna study is kept in memory and cannot resume.")
            return None
        path = os.path.abspath(os.path.join(experiment_dir, STUDY_FILE_NAME))
        if not resume and os.path.exists(path):
            os.remove(path)  # a fresh sweep in this folder starts a fresh study
        return f"sqlite:///{path}"

    def _create_study(self, experiment_dir: str, resume: bool) -> Any:
        import optuna

        storage = self._storage_url(experiment_dir, resume)
        study_name = self.study_name or os.path.basename(os.path.normpath(experiment_dir)) or "hyperopt"
        try:
            return optuna.create_study(
                study_name=study_name,
                storage=storage,
                sampler=self._make_sampler(),
                pruner=self._make_pruner(),
                direction="maximize" if self.goal == "maximize" else "minimize",
                load_if_exists=resume,
            )
        except optuna.exceptions.DuplicatedStudyError:
            raise ValueError(
                f"The Optuna study {study_name!r} already exists in {storage}; resume the sweep to continue it, "
                "or set hyperopt.executor.study_name to start another."
            ) from None

    # -- running ----------------------------------------------------------------------------------------------

    def execute(
        self,
        run_trial: RunTrial,
        experiment_dir: str,
        resume: bool = False,
        callbacks: list | None = None,
        tune_callbacks: list | None = None,
    ) -> tuple[list[TrialResults], Any]:
        """Run the study's trials; returns every finished trial (resumed ones included) and the study."""
        if tune_callbacks:
            raise ValueError("tune_callbacks are Ray Tune callbacks; the optuna executor does not run Ray Tune.")
        import optuna
        from optuna.trial import TrialState

        callbacks = list(callbacks or [])
        os.makedirs(experiment_dir, exist_ok=True)
        study = self._create_study(experiment_dir, resume)
        grid_size = len(self._grid_points()) if self.grid_names else 1
        total = self.num_samples * grid_size

        results: list[TrialResults] = []
        existing = study.get_trials(deepcopy=False)
        for frozen in existing:
            interrupted = frozen.state == TrialState.RUNNING or (
                frozen.state == TrialState.FAIL and frozen.user_attrs.get(_INTERRUPTED_ATTR)
            )
            if interrupted and not frozen.user_attrs.get(_RETRIED_ATTR):
                if frozen.state == TrialState.RUNNING:
                    study.tell(frozen.number, state=TrialState.FAIL)
                # Run it again with the same values; the copy is marked so a second resume does not re-queue it.
                study.enqueue_trial(frozen.params, user_attrs={_RETRIED_ATTR: True}, skip_if_exists=False)
            elif frozen.state in (TrialState.COMPLETE, TrialState.PRUNED) and _RESULT_ATTR in frozen.user_attrs:
                results.append(self._restore(frozen.user_attrs[_RESULT_ATTR]))
        if not existing and self.grid_names:
            # The grid sampler covers each point once; the other passes (all of them when the grid is mixed
            # with other spaces) are queued so every point runs exactly num_samples times.
            repeats = self.num_samples - 1 if self._all_grid() else self.num_samples
            for _ in range(repeats):
                for point in self._grid_points():
                    study.enqueue_trial(point, skip_if_exists=False)

        state = {"attempted": 0, "stop": False, "error": None}

        def objective(trial: Any) -> float:
            state["attempted"] += 1
            parameters = {name: space.suggest(trial, name) for name, space in self.search_space.items()}
            trial_dir = os.path.join(experiment_dir, f"trial_{trial.number}")
            for callback in callbacks:
                callback.on_hyperopt_trial_start(parameters)
            reporter = _OptunaReporter(trial)
            try:
                result = run_trial(parameters, trial_dir, reporter)
            except KeyboardInterrupt:
                trial.set_user_attr(_INTERRUPTED_ATTR, True)
                raise
            except Exception as e:  # one failing trial does not end the sweep (optuna records it as failed)
                logger.exception(f"Trial {trial.number} with parameters {parameters} failed.")
                state["error"] = e
                raise
            if result.trial_dir is None:
                result.trial_dir = trial_dir
            trial.set_user_attr(_RESULT_ATTR, self._record(result))
            for callback in callbacks:
                callback.on_hyperopt_trial_end(parameters)
            results.append(result)
            if reporter.pruned:
                raise optuna.TrialPruned(f"Pruned at score {reporter.last_score}.")
            score = result.metric_score
            return float("nan") if score is None else float(score)

        def check_stop(study: Any, trial: Any) -> None:
            if any(callback.should_stop_hyperopt() for callback in callbacks):
                logger.info("A callback asked to stop the hyperparameter search.")
                state["stop"] = True
                study.stop()

        remaining = total - len(results)
        while remaining > state["attempted"] and not state["stop"]:
            if any(callback.should_stop_hyperopt() for callback in callbacks):
                break
            # The grid sampler stops the study when its grid is exhausted; running again repeats the grid.
            study.optimize(
                objective,
                n_trials=remaining - state["attempted"],
                catch=(Exception,),
                callbacks=[check_stop],
                gc_after_trial=False,
                show_progress_bar=False,
            )
        if not results and state["error"] is not None:
            raise RuntimeError("Every hyperopt trial failed; the last error is above.") from state["error"]
        return results, study

    @staticmethod
    def _record(result: TrialResults) -> dict[str, Any]:
        """What the study keeps of a trial to give it back on resume (training stats stay in the trial folder)."""
        return _json_safe(
            {
                "parameters": result.parameters,
                "metric_score": result.metric_score,
                "eval_stats": result.eval_stats,
                "trial_dir": result.trial_dir,
            }
        )

    @staticmethod
    def _restore(record: dict[str, Any]) -> TrialResults:
        training_stats: dict[str, Any] = {}
        trial_dir = record.get("trial_dir")
        if trial_dir:
            for root, _, files in os.walk(trial_dir):
                if TRAINING_STATISTICS_FILE_NAME in files:
                    with open(os.path.join(root, TRAINING_STATISTICS_FILE_NAME)) as f:
                        training_stats = json.load(f)
                    break
        return TrialResults(
            parameters=record["parameters"],
            metric_score=record["metric_score"],
            training_stats=training_stats,
            eval_stats=record.get("eval_stats") or {},
            trial_dir=trial_dir,
        )
