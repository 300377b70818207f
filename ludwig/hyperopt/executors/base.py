"""The executor interface: run trials of a search space, each trial through a function given by ``hyperopt()``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ludwig.hyperopt.results import TrialResults
from ludwig.utils.registry import Registry


class TrialReporter(Protocol):
    """Receives a trial's intermediate scores so schedulers and pruners can stop it early."""

    def report(self, step: int, metric_score: float) -> bool:
        """Record ``metric_score`` after ``step`` evaluations; True means the trial should stop now."""


RunTrial = Callable[[dict[str, Any], str, TrialReporter], TrialResults]
"""``run_trial(parameters, trial_dir, reporter)``: train one model with ``parameters`` (dotted path -> value)
applied to the config, saving its results under ``trial_dir``, reporting each evaluation's score."""


class HyperoptExecutor:
    """Samples parameters from the search space and runs trials.

    Args:
        hyperopt_config: the rendered ``hyperopt`` section (``goal``, ``metric``, ``executor``, ``search_alg``...).
        search_space: one search space per parameter path (``ludwig.hyperopt.search_space``).
        log_verbosity: how much of its own progress the executor prints, 0 (nothing) to 3 (every result).
    """

    def __init__(self, hyperopt_config: dict[str, Any], search_space: dict[str, Any], log_verbosity: int = 0):
        self.hyperopt_config = hyperopt_config
        self.search_space = search_space
        self.goal = hyperopt_config.get("goal", "minimize")
        self.log_verbosity = log_verbosity

    def execute(
        self,
        run_trial: RunTrial,
        experiment_dir: str,
        resume: bool = False,
        callbacks: list | None = None,
        tune_callbacks: list | None = None,
    ) -> tuple[list[TrialResults], Any]:
        """Run the trials; returns their results (any order) and the executor's analysis object (or None).

        Trial folders go under ``experiment_dir``; ``resume`` continues a search interrupted there.
        ``callbacks`` get ``on_hyperopt_trial_start/end`` and are asked ``should_stop_hyperopt`` between trials.
        ``tune_callbacks`` are Ray Tune callbacks; executors that do not run Ray Tune reject them.
        """
        raise NotImplementedError


executor_registry: Registry[type[HyperoptExecutor]] = Registry("hyperopt executor")
