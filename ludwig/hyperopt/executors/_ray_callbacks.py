"""Ray Tune adapters for Ludwig's hyperopt callbacks and trial reporting (imports ray: load it lazily).

Ray pickles its run config into the experiment folder so ``Tuner.restore`` can continue a run. Ludwig callbacks
are the caller's objects and need not pickle, so the adapters drop them from their pickled state; the executor
attaches the live callbacks again when it restores.
"""

from __future__ import annotations

from typing import Any

from ray import tune

METRIC = "metric_score"
"""The name under which trials report ``hyperopt.metric``; schedulers and searchers optimise it."""


class RayTrialReporter:
    """``TrialReporter`` for a trial running inside a Ray worker: each score goes to ``tune.report``."""

    def __init__(self):
        self.last_step: int | None = None
        self.last_score: float | None = None

    def report(self, step: int, metric_score: float) -> bool:
        """Send ``metric_score`` at ``step`` to Ray Tune; returns False as Ray's scheduler stops trials itself."""
        tune.report({METRIC: float(metric_score), "step": int(step)})
        self.last_step = int(step)
        self.last_score = float(metric_score)
        return False


class HyperoptCallbackAdapter(tune.Callback):
    """Calls ``on_hyperopt_trial_start/end(parameters)`` of Ludwig callbacks from the Ray Tune driver loop."""

    def __init__(self, callbacks: list[Any] | None = None):
        self.callbacks = list(callbacks or [])

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "callbacks": []}

    def on_trial_start(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        for callback in self.callbacks:
            callback.on_hyperopt_trial_start(dict(trial.config))

    def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        for callback in self.callbacks:
            callback.on_hyperopt_trial_end(dict(trial.config))

    def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        for callback in self.callbacks:
            callback.on_hyperopt_trial_end(dict(trial.config))


class HyperoptCallbackStopper(tune.Stopper):
    """Ends the whole sweep as soon as any Ludwig callback's ``should_stop_hyperopt()`` returns True."""

    def __init__(self, callbacks: list[Any] | None = None):
        self.callbacks = list(callbacks or [])

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "callbacks": []}

    def __call__(self, trial_id: str, result: dict[str, Any]) -> bool:
        return False

    def stop_all(self) -> bool:
        return any(callback.should_stop_hyperopt() for callback in self.callbacks)
