"""Hooks called at well-defined moments of preprocessing, training, evaluation and hyperopt.

Subclass :class:`Callback` and override what you need; every hook is a no-op by default. Pass instances
as ``LudwigModel(config, callbacks=[...])``.
"""

from __future__ import annotations

from typing import Any


class Callback:
    """Base class of callbacks; all hooks do nothing unless overridden."""

    def on_cmdline(self, cmd: str, *args: str) -> None:
        """A CLI command started."""

    def on_preprocess_start(self, config: dict[str, Any]) -> None:
        """Preprocessing is about to start."""

    def on_preprocess_end(self, training_set, validation_set, test_set, training_set_metadata: dict) -> None:
        """Preprocessing finished."""

    def on_hyperopt_init(self, experiment_name: str) -> None:
        """Hyperopt is set up."""

    def on_hyperopt_preprocessing_start(self, experiment_name: str) -> None:
        """Hyperopt preprocessing started."""

    def on_hyperopt_preprocessing_end(self, experiment_name: str) -> None:
        """Hyperopt preprocessing finished."""

    def on_hyperopt_start(self, experiment_name: str) -> None:
        """Hyperopt trials start."""

    def on_hyperopt_end(self, experiment_name: str) -> None:
        """All hyperopt trials ended."""

    def on_hyperopt_finish(self, experiment_name: str) -> None:
        """Hyperopt results are saved."""

    def on_hyperopt_trial_start(self, parameters: dict[str, Any]) -> None:
        """A trial starts."""

    def on_hyperopt_trial_end(self, parameters: dict[str, Any]) -> None:
        """A trial ended."""

    def should_stop_hyperopt(self) -> bool:
        """Return True to stop the sweep."""
        return False

    def on_resume_training(self, is_coordinator: bool) -> None:
        """Training resumes from a checkpoint."""

    def on_train_init(
        self,
        base_config: dict,
        experiment_directory: str,
        experiment_name: str,
        model_name: str,
        output_directory: str,
        resume_directory: str | None,
    ) -> None:
        """The run's output directory is created."""

    def on_train_start(self, model, config: dict, config_fp: str | None) -> None:
        """The model is built and training is about to start."""

    def on_train_end(self, output_directory: str) -> None:
        """Training ended and the results are saved."""

    def on_trainer_train_setup(self, trainer, save_path: str | None, is_coordinator: bool) -> None:
        """The trainer set up its optimizer and data."""

    def on_trainer_train_teardown(self, trainer, progress_tracker, save_path: str | None, is_coordinator: bool) -> None:
        """The trainer's loop ended."""

    def on_batch_start(self, trainer, progress_tracker, save_path: str | None) -> None:
        """A training step starts."""

    def on_batch_end(self, trainer, progress_tracker, save_path: str | None) -> None:
        """A training step ended."""

    def on_epoch_start(self, trainer, progress_tracker, save_path: str | None) -> None:
        """An epoch starts."""

    def on_epoch_end(self, trainer, progress_tracker, save_path: str | None) -> None:
        """An epoch ended."""

    def on_eval_start(self, trainer, progress_tracker, save_path: str | None) -> None:
        """An evaluation round starts."""

    def on_eval_end(self, trainer, progress_tracker, save_path: str | None) -> None:
        """An evaluation round ended."""

    def on_validation_start(self, trainer, progress_tracker, save_path: str | None) -> None:
        """The validation set is about to be evaluated."""

    def on_validation_end(self, trainer, progress_tracker, save_path: str | None) -> None:
        """The validation set was evaluated."""

    def on_test_start(self, trainer, progress_tracker, save_path: str | None) -> None:
        """The test set is about to be evaluated."""

    def on_test_end(self, trainer, progress_tracker, save_path: str | None) -> None:
        """The test set was evaluated."""

    def should_early_stop(self, trainer, progress_tracker, is_coordinator: bool) -> bool:
        """Return True to stop training after this epoch."""
        return False

    def on_checkpoint(self, trainer, progress_tracker) -> None:
        """A checkpoint was written."""

    def on_save_best_checkpoint(self, trainer, progress_tracker, save_path: str | None) -> None:
        """The best checkpoint so far was written."""

    def on_evaluation_start(self) -> None:
        """``LudwigModel.evaluate`` starts."""

    def on_evaluation_end(self) -> None:
        """``LudwigModel.evaluate`` ended."""

    def on_visualize_figure(self, fig) -> None:
        """A visualization produced a figure."""

    def on_ludwig_end(self) -> None:
        """The CLI command or API call finished."""
