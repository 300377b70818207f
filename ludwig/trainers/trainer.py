"""The training loop of ECD models."""

from __future__ import annotations

import contextlib
import copy
import logging
import math
import os
import re
import time
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from ludwig.constants import COMBINED, LOSS_METRIC
from ludwig.data.dataset import Batcher, Dataset
from ludwig.globals import TRAINING_CHECKPOINTS_DIR_PATH, TRAINING_PROGRESS_TRACKER_FILE_NAME
from ludwig.models.calibration import calibrate
from ludwig.models.ecd import ECD
from ludwig.models.predictor import Predictor
from ludwig.modules.lr_scheduler import LRScheduler
from ludwig.modules.metric_modules import get_metric_objective
from ludwig.modules.optimization_modules import (
    clip_gradients,
    create_optimizer,
    scaled_learning_rate,
    set_schedule_free_mode,
)
from ludwig.trainers.bucketing import bucketing_lengths
from ludwig.trainers.checkpoint import Checkpoint
from ludwig.trainers.model_soup import SoupIngredients, greedy_soup, uniform_soup
from ludwig.trainers.progress_tracker import ProgressTracker
from ludwig.utils.print_utils import format_metrics_table

logger = logging.getLogger(__name__)

SPLITS = ("training", "validation", "test")


class Trainer:
    """Trains an :class:`ECD` model as the ``trainer`` section describes.

    Args:
        model: the model to train (modified in place; the best weights are loaded at the end).
        config: the ``trainer`` section.
        device: where to train.
        random_seed: seed of shuffling and initialisation.
        callbacks: ``ludwig.callbacks.Callback`` instances.
        skip_save_progress: do not write checkpoints (a run then cannot resume).
        skip_save_log: do not write TensorBoard logs.
    """

    def __init__(
        self,
        model: ECD,
        config,
        device: torch.device | str = "cpu",
        random_seed: int = 42,
        callbacks: list | None = None,
        skip_save_progress: bool = False,
        skip_save_log: bool = False,
    ):
        self.model = model
        self.config = config
        self.device = torch.device(device)
        self.random_seed = random_seed
        self.callbacks = callbacks or []
        self.skip_save_progress = skip_save_progress
        self.skip_save_log = skip_save_log
        self.use_amp = bool(config.use_mixed_precision) and self.device.type == "cuda"
        if config.use_mixed_precision and not self.use_amp:
            logger.warning("trainer.use_mixed_precision needs a GPU; training in full precision on %s.", self.device)
        self.batch_size: int = 0
        self.eval_batch_size: int = 0
        self.gradient_accumulation_steps: int = 1
        self.learning_rate: float = 0.0
        self.train_model = model
        self.optimizer: torch.optim.Optimizer | None = None
        self.uses_closure = False
        self.trainable_parameters: list[torch.nn.Parameter] = []
        self.scheduler: LRScheduler | None = None
        self.soup: SoupIngredients | None = None

    # -----------------------------------------------------------------------------------------------------
    # Setup

    def _freeze_layers(self) -> None:
        pattern = self.config.layers_to_freeze_regex
        if not pattern:
            return
        regex = re.compile(pattern)
        frozen = [name for name, p in self.model.named_parameters() if regex.search(name)]
        if not frozen:
            raise ValueError(f"trainer.layers_to_freeze_regex {pattern!r} matches no parameter.")
        for name, parameter in self.model.named_parameters():
            if name in frozen:
                parameter.requires_grad_(False)
        logger.info("Frozen %d parameter tensors matching %r.", len(frozen), pattern)

    def _resolve_sizes(self, training_set: Dataset) -> None:
        from ludwig.trainers.batch_size_tuner import tune_batch_size

        config = self.config
        if config.batch_size == "auto":
            self.batch_size = tune_batch_size(self.model, training_set, self.device, config.max_batch_size)
        else:
            self.batch_size = int(config.batch_size)
        if config.eval_batch_size in (None, "auto"):
            self.eval_batch_size = self.batch_size
        else:
            self.eval_batch_size = int(config.eval_batch_size)
        accumulation = config.gradient_accumulation_steps
        if accumulation == "auto":
            effective = config.effective_batch_size
            accumulation = max(1, int(effective) // self.batch_size) if effective != "auto" else 1
        self.gradient_accumulation_steps = int(accumulation)

    def _resolve_learning_rate(self, training_set: Dataset) -> float:
        if self.config.learning_rate != "auto":
            return float(self.config.learning_rate)
        from ludwig.trainers.lr_finder import find_learning_rate

        learning_rate = find_learning_rate(self.model, training_set, self.config, self.batch_size, self.device)
        logger.info("Learning rate range test chose learning_rate=%.3g.", learning_rate)
        return learning_rate

    def _bucket_lengths(self, training_set: Dataset) -> np.ndarray | None:
        field = self.config.bucketing_field
        return None if field is None else bucketing_lengths(self.model, training_set, field)

    def _steps_per_checkpoint(self, steps_per_epoch: int) -> int:
        config = self.config
        if config.steps_per_checkpoint:
            return min(config.steps_per_checkpoint, max(1, steps_per_epoch * config.epochs))
        if config.checkpoints_per_epoch:
            return max(1, steps_per_epoch // config.checkpoints_per_epoch)
        return steps_per_epoch

    # -----------------------------------------------------------------------------------------------------
    # Training

    def train(
        self,
        training_set: Dataset,
        validation_set: Dataset | None = None,
        test_set: Dataset | None = None,
        save_path: str | None = None,
        resume: bool = False,
    ) -> tuple[ECD, ProgressTracker]:
        """Train until ``epochs``/``train_steps`` or early stopping; return the model and its progress.

        ``save_path`` is the model directory (``<run>/model``): checkpoints, progress and logs go there.
        With ``resume``, training continues from ``save_path``'s latest checkpoint.
        """
        config = self.config
        self.model.to(self.device)
        self._freeze_layers()
        self._resolve_sizes(training_set)
        self.learning_rate = self._resolve_learning_rate(training_set)
        learning_rate = scaled_learning_rate(self.learning_rate, config.learning_rate_scaling, _world_size())
        trainable = [p for p in self.model.parameters() if p.requires_grad]
        self.trainable_parameters = trainable
        self.optimizer = create_optimizer(trainable, config.optimizer, learning_rate)
        self.uses_closure = isinstance(self.optimizer, torch.optim.LBFGS)
        if self.uses_closure and (self.use_amp or self.gradient_accumulation_steps > 1):
            logger.warning("optimizer lbfgs steps at every batch in full precision: no gradient accumulation, no AMP.")
        batcher = Batcher(
            training_set,
            self.batch_size,
            shuffle=config.should_shuffle,
            seed=self.random_seed,
            device=self.device,
            bucket_lengths=self._bucket_lengths(training_set),
        )
        steps_per_epoch = batcher.steps_per_epoch
        total_steps = config.train_steps or steps_per_epoch * config.epochs
        steps_per_checkpoint = self._steps_per_checkpoint(steps_per_epoch)
        self.scheduler = LRScheduler(
            config.learning_rate_scheduler,
            self.optimizer,
            steps_per_checkpoint,
            math.ceil(total_steps / self.gradient_accumulation_steps),
        )
        tracker = ProgressTracker(batch_size=self.batch_size, learning_rate=learning_rate)
        checkpoint = Checkpoint(os.path.join(save_path, TRAINING_CHECKPOINTS_DIR_PATH)) if save_path else None
        soup_directory = checkpoint.directory if checkpoint is not None and not self.skip_save_progress else None
        self.soup = SoupIngredients(config.model_soup_top_k, soup_directory) if config.model_soup else None
        epoch_start_steps = 0
        if resume:
            tracker, epoch_start_steps = self._restore(checkpoint, save_path)
            batcher.batch_size = tracker.batch_size
        self.train_model = torch.compile(self.model) if config.compile else self.model
        scaler = torch.amp.GradScaler("cuda") if self.use_amp else None
        writer = self._summary_writer(save_path)
        best_state = self._best_state_so_far(checkpoint, resume)
        for callback in self.callbacks:
            callback.on_trainer_train_setup(self, save_path, True)

        progress = tqdm(
            total=total_steps,
            initial=tracker.steps,
            desc="Training",
            unit="step",
            disable=not logger.isEnabledFor(logging.INFO),
            leave=False,
        )
        should_stop = tracker.steps >= total_steps
        start_time = time.time()
        profiler = self._profiler(save_path)
        while not should_stop:
            if tracker.batch_size != batcher.batch_size:
                logger.info("Batch size increased to %d.", tracker.batch_size)
                batcher.batch_size = tracker.batch_size
            for callback in self.callbacks:
                callback.on_epoch_start(self, tracker, save_path)
            self.model.train()
            step_losses: list[tuple[dict[str, torch.Tensor], int]] = []
            start_step = tracker.steps - epoch_start_steps
            for batch in batcher.epoch(tracker.epoch, start_step=start_step):
                for callback in self.callbacks:
                    callback.on_batch_start(self, tracker, save_path)
                losses, rows = self._train_step(batch, tracker.steps, scaler)
                step_losses.append((losses, rows))
                tracker.steps += 1
                progress.update(1)
                if profiler is not None:
                    profiler.step()
                for callback in self.callbacks:
                    callback.on_batch_end(self, tracker, save_path)
                if tracker.steps % steps_per_checkpoint == 0 or tracker.steps >= total_steps:
                    # A schedule-free optimizer trains at an interpolation of its iterates, but the weights to
                    # evaluate, keep as best and checkpoint are its average: swap them in until the next step.
                    set_schedule_free_mode(self.optimizer, training=False)
                    at_epoch_end = tracker.steps - epoch_start_steps >= steps_per_epoch
                    if at_epoch_end:
                        tracker.epoch += 1
                        epoch_start_steps = tracker.steps
                    train_losses = _mean_losses(step_losses)
                    should_stop, improved = self._evaluate_and_checkpoint(
                        tracker, train_losses, training_set, validation_set, test_set, writer
                    )
                    if improved:
                        best_state = copy.deepcopy(self.model.state_dict())
                        if self.soup is not None:
                            self.soup.add(tracker.steps, self.model)
                    if checkpoint is not None and not self.skip_save_progress:
                        self._save_checkpoint(checkpoint, "latest", tracker, epoch_start_steps, save_path)
                        if self.soup is not None:
                            self.soup.remove_dropped_files()
                        if improved:
                            self._save_checkpoint(checkpoint, "best", tracker, epoch_start_steps, save_path)
                            for callback in self.callbacks:
                                callback.on_save_best_checkpoint(self, tracker, save_path)
                    if tracker.steps >= total_steps:
                        should_stop = True
                    if should_stop or at_epoch_end:
                        break
            else:
                # The epoch ended between checkpoints (steps_per_checkpoint does not divide the epoch).
                tracker.epoch += 1
                epoch_start_steps = tracker.steps
            for callback in self.callbacks:
                callback.on_epoch_end(self, tracker, save_path)
            if any(callback.should_early_stop(self, tracker, True) for callback in self.callbacks):
                should_stop = True
        progress.close()
        set_schedule_free_mode(self.optimizer, training=False)  # end with the averaged weights
        if profiler is not None:
            profiler.stop()
        logger.info(
            "Training took %.1fs over %d steps (%d epochs).", time.time() - start_time, tracker.steps, tracker.epoch
        )
        if not config.skip_all_evaluation:
            self.model.load_state_dict(self._final_state(best_state, training_set, validation_set))
        calibrate(self.model, validation_set, self.eval_batch_size, self.device)
        if writer is not None:
            writer.close()
        for callback in self.callbacks:
            callback.on_trainer_train_teardown(self, tracker, save_path, True)
        return self.model, tracker

    def _loss(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The training loss of ``batch`` (with the regularization penalty) and each output feature's loss."""
        outputs = self.train_model(batch)
        loss, feature_losses = self.model.train_loss(batch, outputs)
        if self.config.regularization_lambda:
            loss = loss + self.model.regularization_loss(
                self.config.regularization_type, self.config.regularization_lambda
            )
        return loss, feature_losses

    def _train_step(
        self, batch: dict[str, torch.Tensor], step: int, scaler: torch.amp.GradScaler | None
    ) -> tuple[dict[str, torch.Tensor], int]:
        # Gradients of a schedule-free optimizer are taken at its training weights (swapped out to evaluate).
        set_schedule_free_mode(self.optimizer, training=True)
        if self.uses_closure:
            return self._train_step_with_closure(batch)
        accumulation = self.gradient_accumulation_steps
        autocast = torch.autocast("cuda", dtype=torch.float16) if self.use_amp else contextlib.nullcontext()
        with autocast:
            loss, feature_losses = self._loss(batch)
        scaled = loss / accumulation
        if scaler is not None:
            scaler.scale(scaled).backward()
        else:
            scaled.backward()
        if (step + 1) % accumulation == 0:
            if scaler is not None:
                scaler.unscale_(self.optimizer)
            clip_gradients(self.trainable_parameters, self.config.gradient_clipping)
            if scaler is not None:
                scaler.step(self.optimizer)
                scaler.update()
            else:
                self.optimizer.step()
            self.optimizer.zero_grad(set_to_none=True)
            self.scheduler.step()
            self.model.loss_balancer.after_step(feature_losses)
        return _detached_losses(loss, feature_losses), len(next(iter(batch.values())))

    def _train_step_with_closure(self, batch: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], int]:
        """One step of an optimizer that re-evaluates the loss itself (L-BFGS): the closure recomputes forward, loss
        and backward. No mixed precision, gradient accumulation or clipping: they would break its curvature
        estimates. The reported losses are those at the weights after the step."""

        def closure() -> torch.Tensor:
            self.optimizer.zero_grad(set_to_none=True)
            loss, _ = self._loss(batch)
            loss.backward()
            return loss

        self.optimizer.step(closure)
        self.optimizer.zero_grad(set_to_none=True)
        self.scheduler.step()
        with torch.no_grad():
            loss, feature_losses = self._loss(batch)
        self.model.loss_balancer.after_step(feature_losses)
        return _detached_losses(loss, feature_losses), len(next(iter(batch.values())))

    # -----------------------------------------------------------------------------------------------------
    # Evaluation, early stopping, checkpoints

    def _evaluate_and_checkpoint(
        self,
        tracker: ProgressTracker,
        train_losses: dict[str, float],
        training_set: Dataset,
        validation_set: Dataset | None,
        test_set: Dataset | None,
        writer,
    ) -> tuple[bool, bool]:
        """Evaluate every split, log, update early stopping. Returns ``(should_stop, improved)``."""
        config = self.config
        tracker.checkpoint_number += 1
        tracker.learning_rate = self.scheduler.get_last_lr()[0]
        if config.skip_all_evaluation:
            return False, False
        for callback in self.callbacks:
            callback.on_eval_start(self, tracker, None)
        predictor = Predictor(self.model, self.eval_batch_size, self.device)
        evaluate_training = config.evaluate_training_set or validation_set is None
        results: dict[str, dict[str, dict[str, float]]] = {}
        if evaluate_training:
            results["training"], _ = predictor.batch_evaluation(training_set, max_batches=config.eval_steps)
        else:
            results["training"] = {name: {LOSS_METRIC: value} for name, value in train_losses.items()}
        for split, dataset, start, end in (
            ("validation", validation_set, "on_validation_start", "on_validation_end"),
            ("test", test_set, "on_test_start", "on_test_end"),
        ):
            if dataset is None or len(dataset) == 0:
                continue
            for callback in self.callbacks:
                getattr(callback, start)(self, tracker, None)
            results[split], _ = predictor.batch_evaluation(dataset, max_batches=config.eval_steps)
            for callback in self.callbacks:
                getattr(callback, end)(self, tracker, None)
        for split, metrics in results.items():
            tracker.append_metrics(split, metrics)
            if writer is not None:
                writer.log(split, metrics, tracker.steps)
        self.model.train()
        logger.info("\n%s", format_metrics_table(tracker.epoch, tracker.steps, results))
        for callback in self.callbacks:
            callback.on_eval_end(self, tracker, None)
        improved = self._update_best(tracker, results)
        self.scheduler.eval_step(
            *self._watched_value(
                results,
                config.learning_rate_scheduler.reduce_eval_split,
                config.learning_rate_scheduler.reduce_eval_metric,
            )
        )
        self._maybe_increase_batch_size(tracker, results)
        stop = config.early_stop > 0 and tracker.evaluations_since_improvement >= config.early_stop
        if stop:
            logger.info(
                "Early stopping: %s did not improve for %d evaluations.",
                config.validation_metric,
                tracker.evaluations_since_improvement,
            )
        return stop, improved

    def _update_best(self, tracker: ProgressTracker, results: dict[str, dict[str, dict[str, float]]]) -> bool:
        split = "validation" if "validation" in results else "training"
        value, objective = self._watched_value(results, split, self.config.validation_metric)
        best = tracker.best_eval_metric_value
        improved = best is None or (value < best if objective == "minimize" else value > best)
        if improved:
            tracker.best_eval_metric_value = value
            tracker.best_eval_metric_steps = tracker.steps
            tracker.best_eval_metric_epoch = tracker.epoch
            tracker.best_eval_metric_checkpoint_number = tracker.checkpoint_number
            tracker.last_improvement_steps = tracker.steps
            tracker.evaluations_since_improvement = 0
            tracker.best_eval_train_metrics = results.get("training", {})
            tracker.best_eval_validation_metrics = results.get("validation", {})
            tracker.best_eval_test_metrics = results.get("test", {})
        else:
            tracker.evaluations_since_improvement += 1
        return improved

    def _watched_value(
        self, results: dict[str, dict[str, dict[str, float]]], split: str, metric: str
    ) -> tuple[float, str]:
        """``metric`` of the validation field on ``split`` (the combined loss when unavailable), and its objective."""
        split_results = results.get(split) or results.get("validation") or results["training"]
        value = split_results.get(self.config.validation_field, {}).get(metric)
        if value is None:
            value, metric = split_results[COMBINED][LOSS_METRIC], LOSS_METRIC
        return value, get_metric_objective(metric)

    def _maybe_increase_batch_size(
        self,
        tracker: ProgressTracker,
        results: dict[str, dict[str, dict[str, float]]],
    ) -> None:
        """``increase_batch_size_on_plateau``: grow the batch size (from the next epoch) when the watched metric
        stops improving for ``increase_batch_size_on_plateau_patience`` evaluations."""
        config = self.config
        if tracker.num_increases_batch_size >= config.increase_batch_size_on_plateau:
            return
        value, objective = self._watched_value(
            results, config.increase_batch_size_eval_split, config.increase_batch_size_eval_metric
        )
        best = tracker.best_increase_batch_size_eval_metric
        if best is None or (value < best if objective == "minimize" else value > best):
            tracker.best_increase_batch_size_eval_metric = value
            tracker.evaluations_since_batch_size_improvement = 0
            return
        tracker.evaluations_since_batch_size_improvement += 1
        if tracker.evaluations_since_batch_size_improvement < config.increase_batch_size_on_plateau_patience:
            return
        new_size = min(int(tracker.batch_size * config.increase_batch_size_on_plateau_rate), config.max_batch_size)
        if new_size > tracker.batch_size:
            tracker.batch_size = new_size
            tracker.num_increases_batch_size += 1
        tracker.evaluations_since_batch_size_improvement = 0

    def _profiler(self, save_path: str | None):
        """A torch profiler writing TensorBoard traces to ``<model>/logs/profiling`` when profiling is on."""
        if not self.config.enable_profiling:
            return None
        options = {"wait": 1, "warmup": 1, "active": 3, "repeat": 1, **self.config.profiler}
        trace_dir = os.path.join(save_path or ".", "logs", "profiling")
        profiler = torch.profiler.profile(
            schedule=torch.profiler.schedule(**options),
            on_trace_ready=torch.profiler.tensorboard_trace_handler(trace_dir),
        )
        profiler.start()
        return profiler

    def _save_checkpoint(
        self, checkpoint: Checkpoint, name: str, tracker: ProgressTracker, epoch_start_steps: int, save_path: str
    ) -> None:
        state = {
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "torch_rng_state": torch.get_rng_state(),
            "epoch_start_steps": epoch_start_steps,
        }
        if self.soup is not None:
            state["soup_steps"] = list(self.soup.steps)
        checkpoint.save(name, self.model, state)
        tracker.save(os.path.join(save_path, TRAINING_PROGRESS_TRACKER_FILE_NAME))
        for callback in self.callbacks:
            callback.on_checkpoint(self, tracker)

    def _restore(self, checkpoint: Checkpoint | None, save_path: str | None) -> tuple[ProgressTracker, int]:
        if checkpoint is None or not checkpoint.exists("latest"):
            raise FileNotFoundError(f"Cannot resume: no checkpoint in {save_path}/{TRAINING_CHECKPOINTS_DIR_PATH}.")
        state = checkpoint.load("latest", self.model, self.device)
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["torch_rng_state"].cpu())
        if self.soup is not None:
            self.soup.steps = [int(step) for step in state.get("soup_steps", [])]
        tracker = ProgressTracker.load(os.path.join(save_path, TRAINING_PROGRESS_TRACKER_FILE_NAME))
        for callback in self.callbacks:
            callback.on_resume_training(True)
        logger.info("Resuming training at step %d (epoch %d).", tracker.steps, tracker.epoch)
        return tracker, int(state["epoch_start_steps"])

    def _best_state_so_far(self, checkpoint: Checkpoint | None, resume: bool) -> dict[str, torch.Tensor]:
        """The weights to end with unless a later evaluation improves: the best checkpoint's when resuming (the
        restored progress tracker holds its metrics), else the current weights."""
        if resume and checkpoint.exists("best"):
            return checkpoint.weights("best", self.device)
        return copy.deepcopy(self.model.state_dict())

    def _final_state(
        self, best_state: dict[str, torch.Tensor], training_set: Dataset, validation_set: Dataset | None
    ) -> dict[str, torch.Tensor]:
        """The weights training ends with: the best checkpoint's, or with ``model_soup`` the soup of the kept
        checkpoints (when there are at least two)."""
        state_dicts = self.soup.state_dicts(self.device) if self.soup is not None else []
        if len(state_dicts) < 2:
            return best_state
        if self.config.model_soup == "uniform":
            logger.info("Uniform model soup of %d checkpoints.", len(state_dicts))
            return uniform_soup(state_dicts)
        has_validation = validation_set is not None and len(validation_set) > 0
        split, dataset = ("validation", validation_set) if has_validation else ("training", training_set)
        predictor = Predictor(self.model, self.eval_batch_size, self.device)

        def cost(state: dict[str, torch.Tensor]) -> float:
            """The watched validation metric of ``state``, negated when higher is better."""
            self.model.load_state_dict(state)
            metrics, _ = predictor.batch_evaluation(dataset, max_batches=self.config.eval_steps)
            value, objective = self._watched_value({split: metrics}, split, self.config.validation_metric)
            return value if objective == "minimize" else -value

        logger.info("Greedy model soup over %d checkpoints.", len(state_dicts))
        return greedy_soup(state_dicts, cost)

    def _summary_writer(self, save_path: str | None):
        if self.skip_save_log or save_path is None:
            return None
        from ludwig.utils.tensorboard_utils import MetricsWriter

        return MetricsWriter(os.path.join(save_path, "logs"))


def _world_size() -> int:
    """Number of processes training together (1 unless torch.distributed is initialized)."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_world_size()
    return 1


def _detached_losses(loss: torch.Tensor, feature_losses: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Each output feature's loss and the combined loss, detached from the graph."""
    losses = {name: value.detach() for name, value in feature_losses.items()}
    losses[COMBINED] = loss.detach()
    return losses


def _mean_losses(step_losses: list[tuple[dict[str, torch.Tensor], int]]) -> dict[str, float]:
    """Row-weighted mean of each loss over the steps since the epoch started (one sync, at evaluation time)."""
    if not step_losses:
        return {}
    rows = torch.tensor([n for _, n in step_losses], dtype=torch.float64)
    return {
        name: float((torch.stack([losses[name].double() for losses, _ in step_losses]).cpu() * rows).sum() / rows.sum())
        for name in step_losses[0][0]
    }


def metrics_history(tracker: ProgressTracker) -> dict[str, Any]:
    """The ``training``/``validation``/``test`` metric histories of a run."""
    return {"training": tracker.train_metrics, "validation": tracker.validation_metrics, "test": tracker.test_metrics}
