"""The Python API: ``LudwigModel`` and ``kfold_cross_validate``.

``LudwigModel`` is a facade: it validates the config, asks ``ludwig.data`` to preprocess, builds the ECD model,
hands it to the backend's trainer and predictor, and writes the usual results folder.
"""

from __future__ import annotations

import json
import logging
import os
import random
import sys
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch

from ludwig.api_types import PreprocessedDataset, TrainingResults, TrainingStats
from ludwig.backend import initialize_backend
from ludwig.constants import COMBINED, FULL
from ludwig.globals import (
    DESCRIPTION_FILE_NAME,
    LUDWIG_VERSION,
    MODEL_FILE_NAME,
    MODEL_HYPERPARAMETERS_FILE_NAME,
    MODEL_WEIGHTS_FILE_NAME,
    TEST_STATISTICS_FILE_NAME,
    TRAIN_SET_METADATA_FILE_NAME,
    TRAINING_CHECKPOINTS_DIR_PATH,
    TRAINING_STATISTICS_FILE_NAME,
)
from ludwig.utils.fs_utils import check_path_name, get_output_directory, load_config_file, save_json
from ludwig.utils.logging_utils import set_ludwig_logging_level

if TYPE_CHECKING:
    from ludwig.data.dataset import Dataset
    from ludwig.data.preprocessing import PreprocessedSplits
    from ludwig.models.ecd import ECD
    from ludwig.schema.model_config import ModelConfig

# Heavy modules (schema, preprocessing, trainer, model) are imported inside the methods that use them, so
# `import ludwig.api` costs little more than importing torch and pandas.

logger = logging.getLogger("ludwig")

# Attribute of a ModelConfig holding the training set metadata its model is built from (see create_model); it is
# not a config field, so it never reaches the saved config.
_METADATA_ATTRIBUTE = "_ludwig_training_set_metadata"


def set_random_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class LudwigModel:
    """Train, evaluate, predict with and save a model described by a Ludwig config.

    Args:
        config: a config dict or the path of a YAML file.
        logging_level: level of the ``ludwig`` logger (e.g. ``logging.INFO`` to see progress and tables).
        backend: ``"local"``, a ``{type: ...}`` dict or a Backend; defaults to the config's ``backend``.
        gpus: GPU index or list of indices to use; None picks CUDA when available.
        gpu_memory_limit: GPU memory cap, as a fraction (<= 1) or in GiB.
        allow_parallel_threads: False makes torch single-threaded and deterministic.
        callbacks: ``ludwig.callbacks.Callback`` instances.
    """

    def __init__(
        self,
        config: dict | str,
        logging_level: int = logging.ERROR,
        backend: Any = None,
        gpus: Any = None,
        gpu_memory_limit: float | None = None,
        allow_parallel_threads: bool = True,
        callbacks: list | None = None,
    ):
        from ludwig.schema.model_config import ModelConfig

        if isinstance(config, str | os.PathLike):
            config = load_config_file(str(config))
        self.config_obj = ModelConfig.from_dict(config)
        self._user_config = config
        self.set_logging_level(logging_level)
        self.backend = initialize_backend(
            backend if backend is not None else self.config_obj.backend, gpus, gpu_memory_limit, allow_parallel_threads
        )
        self.callbacks = list(callbacks or [])
        self.model: ECD | None = None
        self.training_set_metadata: dict[str, Any] | None = None

    # -----------------------------------------------------------------------------------------------------
    # Config

    @property
    def config(self) -> dict[str, Any]:
        """The fully rendered config."""
        return self.config_obj.to_dict()

    @config.setter
    def config(self, config: dict[str, Any]) -> None:
        from ludwig.schema.model_config import ModelConfig

        self.config_obj = ModelConfig.from_dict(config)

    @staticmethod
    def set_logging_level(logging_level: int) -> None:
        """Set the level of the ``ludwig`` logger (e.g. ``logging.INFO`` to see progress and tables)."""
        set_ludwig_logging_level(logging_level)

    # -----------------------------------------------------------------------------------------------------
    # Training

    def train(
        self,
        dataset=None,
        training_set=None,
        validation_set=None,
        test_set=None,
        training_set_metadata: dict | str | None = None,
        data_format: str | None = None,
        experiment_name: str = "api_experiment",
        model_name: str = "run",
        model_resume_path: str | None = None,
        skip_save_training_description: bool = False,
        skip_save_training_statistics: bool = False,
        skip_save_model: bool = False,
        skip_save_progress: bool = False,
        skip_save_log: bool = False,
        skip_save_processed_input: bool = False,
        output_directory: str = "results",
        random_seed: int = 42,
        callbacks: list | None = None,
        **kwargs,
    ) -> TrainingResults:
        """Preprocess the data, train the model and save the results folder.

        The results folder is ``<output_directory>/<experiment_name>_<model_name>`` (``_0``, ``_1``... appended when
        it exists); names that would leave ``output_directory`` (absolute, or with a ``..`` part) are refused.

        Args:
            callbacks: extra ``ludwig.callbacks.Callback`` objects for this call only; they run after the model's own
                callbacks (those given to ``LudwigModel``), which stay unchanged.
            (the other arguments are Ludwig's: the data, the names of the results folder and what to skip saving.)

        Returns:
            ``TrainingResults(train_stats, preprocessed_data, output_directory)``.

        Raises:
            UnsafePathError: ``experiment_name`` or ``model_name`` would leave ``output_directory``.
        """
        from ludwig.trainers.checkpoint import save_weights
        from ludwig.trainers.trainer import metrics_history
        from ludwig.utils.print_utils import format_training_report

        _reject_kwargs("train", kwargs)
        train_callbacks = self.callbacks + list(callbacks or [])
        self.config_obj.check_trainable()
        check_path_name(experiment_name, "experiment_name")  # before the preprocessing, not after it
        check_path_name(model_name, "model_name")
        resume = model_resume_path is not None
        if resume:
            self._prepare_resume(model_resume_path)
        set_random_seed(random_seed)
        splits = self._preprocess_for_training(
            dataset,
            training_set,
            validation_set,
            test_set,
            training_set_metadata,
            data_format,
            skip_save_processed_input,
            random_seed,
            callbacks=train_callbacks,
        )
        self.training_set_metadata = splits.metadata
        save_anything = not all(
            [
                skip_save_training_description,
                skip_save_training_statistics,
                skip_save_model,
                skip_save_progress,
                skip_save_log,
                skip_save_processed_input,
            ]
        )
        if resume:
            run_dir = model_resume_path
        elif save_anything:
            run_dir = get_output_directory(output_directory, experiment_name, model_name)
        else:
            run_dir = None
        model_dir = os.path.join(run_dir, MODEL_FILE_NAME) if run_dir else None
        for callback in train_callbacks:
            callback.on_train_init(
                self.config, run_dir, experiment_name, model_name, output_directory, model_resume_path
            )

        if run_dir and not skip_save_training_description:
            self._save_description(
                run_dir, dataset, training_set, validation_set, test_set, data_format, random_seed, experiment_name
            )
        if self.model is None or not resume:
            self.model = self._build_model(self.config_obj, random_seed, self.training_set_metadata)
        if model_dir:
            os.makedirs(model_dir, exist_ok=True)
            self._save_config_and_metadata(model_dir)
        for callback in train_callbacks:
            callback.on_train_start(self.model, self.config, None)
        _log_data_summary(splits)

        trainer = self.backend.create_trainer(
            self.model,
            self.config_obj.trainer,
            random_seed=random_seed,
            callbacks=train_callbacks,
            skip_save_progress=skip_save_progress or model_dir is None,
            skip_save_log=skip_save_log or model_dir is None,
        )
        self.model, tracker = trainer.train(
            splits.training, splits.validation, splits.test, save_path=model_dir, resume=resume
        )
        self._trained_batch_size = trainer.batch_size
        self._record_resolved_trainer_values(trainer)
        if model_dir:
            self.save_config(model_dir)
        history = metrics_history(tracker)
        train_stats = TrainingStats(history["training"], history["validation"], history["test"])
        if run_dir and not skip_save_training_statistics:
            save_json(os.path.join(run_dir, TRAINING_STATISTICS_FILE_NAME), train_stats.to_dict())
        if model_dir and not skip_save_model:
            save_weights(self.model, os.path.join(model_dir, MODEL_WEIGHTS_FILE_NAME))
        trainer_config = self.config_obj.trainer
        logger.info(
            "\n%s",
            format_training_report(
                {
                    "training": tracker.best_eval_train_metrics,
                    "validation": tracker.best_eval_validation_metrics,
                    "test": tracker.best_eval_test_metrics,
                },
                tracker.best_eval_metric_steps,
                tracker.best_eval_metric_epoch,
                trainer_config.validation_field,
                trainer_config.validation_metric,
            ),
        )
        if run_dir:
            logger.info("Saved results to %s", os.path.abspath(run_dir))
        for callback in train_callbacks:
            callback.on_train_end(run_dir)
        preprocessed = PreprocessedDataset(splits.training, splits.validation, splits.test, splits.metadata)
        return TrainingResults(train_stats, preprocessed, run_dir)

    def _record_resolved_trainer_values(self, trainer) -> None:
        """Replace ``auto`` batch sizes and learning rate in the config by the values training used."""
        trainer_config = self.config_obj.trainer
        trainer_config.batch_size = trainer.batch_size
        trainer_config.eval_batch_size = trainer.eval_batch_size
        trainer_config.learning_rate = trainer.learning_rate

    def _preprocess_for_training(
        self,
        dataset,
        training_set,
        validation_set,
        test_set,
        training_set_metadata,
        data_format,
        skip_save_processed_input,
        random_seed,
        callbacks: list | None = None,
    ) -> PreprocessedSplits:
        from ludwig.data.preprocessing import preprocess_for_training

        return preprocess_for_training(
            self.config_obj,
            dataset=dataset,
            training_set=training_set,
            validation_set=validation_set,
            test_set=test_set,
            training_set_metadata=training_set_metadata,
            data_format=data_format,
            skip_save_processed_input=skip_save_processed_input,
            random_seed=random_seed,
            callbacks=self.callbacks if callbacks is None else callbacks,
        )

    @staticmethod
    def _prepare_resume(model_resume_path: str) -> None:
        """Check that ``model_resume_path`` holds checkpoints; training resumes with this model's config."""
        checkpoints = os.path.join(model_resume_path, MODEL_FILE_NAME, TRAINING_CHECKPOINTS_DIR_PATH)
        if not os.path.isdir(checkpoints):
            raise FileNotFoundError(
                f"model_resume_path {model_resume_path} holds no training checkpoints ({checkpoints} is missing)."
            )

    def train_online(
        self, dataset, training_set_metadata: dict | None = None, data_format: str = "auto", random_seed: int = 42
    ) -> None:
        """Train the current model for one pass over ``dataset`` (building it first if needed)."""
        from ludwig.data.preprocessing import preprocess_for_prediction

        set_random_seed(random_seed)
        if self.model is None:
            splits = self._preprocess_for_training(
                dataset, None, None, None, training_set_metadata, data_format, True, random_seed
            )
            self.training_set_metadata = splits.metadata
            self.model = self._build_model(self.config_obj, random_seed, self.training_set_metadata)
            data = splits.training
        else:
            data, _ = preprocess_for_prediction(
                self.config_obj, dataset, self.training_set_metadata, data_format, include_outputs=True
            )
        trainer_config = self.config_obj.trainer.copy()
        trainer_config.epochs, trainer_config.train_steps = 1, None
        trainer_config.skip_all_evaluation = True
        trainer = self.backend.create_trainer(
            self.model,
            trainer_config,
            random_seed=random_seed,
            callbacks=self.callbacks,
            skip_save_progress=True,
            skip_save_log=True,
        )
        self.model, _ = trainer.train(data)

    # -----------------------------------------------------------------------------------------------------
    # Prediction and evaluation

    def predict(
        self,
        dataset=None,
        data_format: str | None = None,
        split: str = "full",
        batch_size: int = 128,
        generation_config: dict | None = None,
        skip_save_unprocessed_output: bool = True,
        skip_save_predictions: bool = True,
        output_directory: str = "results",
        return_type: Any = pd.DataFrame,
        callbacks: list | None = None,
        **kwargs,
    ) -> tuple[Any, str]:
        """Predict every row of ``dataset``; returns ``(predictions, output_directory)``.

        The predictions hold one row per input row, in input order, with ``<feature>_predictions`` and, for
        classifiers, ``_probabilities``, ``_probability`` and ``_probabilities_<label>`` columns.
        """
        from ludwig.data.preprocessing import preprocess_for_prediction
        from ludwig.utils.results_io import save_prediction_outputs

        _reject_kwargs("predict", kwargs)
        self._require_model("predict")
        data, raw = preprocess_for_prediction(
            self.config_obj, dataset, self.training_set_metadata, data_format, split=split, include_outputs=False
        )
        outputs = self.backend.create_predictor(self.model, batch_size).batch_predict(data)
        predictions = self._postprocess(outputs, index=raw.index)
        if not skip_save_predictions:
            os.makedirs(output_directory, exist_ok=True)
            save_prediction_outputs(predictions, output_directory)
            logger.info("Saved predictions to %s", os.path.abspath(output_directory))
        return _convert_return_type(predictions, return_type), output_directory

    def forecast(
        self,
        dataset,
        data_format: str | None = None,
        horizon: int = 1,
        output_directory: str | None = None,
        output_format: str = "parquet",
        callbacks: list | None = None,
    ) -> pd.DataFrame:
        """Forecast the ``horizon`` values that follow the last row of ``dataset``, feeding predictions back.

        The rows of ``dataset`` must be in time order. Two kinds of model can forecast:

        * column-major: a timeseries output with ``preprocessing.horizon`` > 0 reading the same column as a
          timeseries input with ``preprocessing.window_size`` > 0. Each step predicts from the last row (its window
          of the last ``window_size`` rows) and appends the predicted values as new rows of that column.
        * row-major: a number output whose column continues a timeseries input's history (row ``i + 1``'s
          history is row ``i``'s shifted by one, with row ``i``'s target appended; checked on the last rows). Each
          step predicts the target of a new row whose history is the previous history shifted by the last value.

        Limits: only the rolled columns move forward; every other column of the new rows keeps the value of the last
        row. Forecasts are point predictions (no intervals), and errors compound over long horizons.

        Args:
            dataset: a DataFrame or a file path holding the history.
            data_format: the format of ``dataset`` (inferred when None).
            horizon: number of future values to forecast per rolled column.
            output_directory: when given, the forecast is also written there as ``forecast.<output_format>``.
            output_format: ``"parquet"`` or ``"csv"``.
            callbacks: callbacks passed to each ``predict`` step.

        Returns:
            A DataFrame of ``horizon`` rows with one column per rolled output, named like its dataset column.

        Raises:
            ValueError: ``horizon`` < 1, an unknown ``output_format``, or a model that cannot forecast.
        """
        from ludwig.data.dataset_loader import load_dataset
        from ludwig.features.timeseries_feature import forecast_plan

        self._require_model("forecast")
        if not isinstance(horizon, int) or horizon < 1:
            raise ValueError(f"horizon must be an integer >= 1, found {horizon!r}.")
        if output_format not in ("parquet", "csv"):
            raise ValueError(f"output_format {output_format!r} is not supported; expected 'parquet' or 'csv'.")
        history = load_dataset(dataset, data_format)
        if len(history) == 0:
            raise ValueError("forecast needs at least one row of history; the dataset is empty.")
        plan = forecast_plan(self.config_obj, history)
        frame = plan.prepare(history.tail(plan.lookback).reset_index(drop=True))
        forecasts: dict[str, list[float]] = {column: [] for column in plan.columns}
        while min(len(values) for values in forecasts.values()) < horizon:
            predictions, _ = self.predict(frame.tail(plan.lookback), callbacks=callbacks)
            frame, values = plan.step(frame, predictions.iloc[-1])
            frame = frame.tail(plan.lookback + 1).reset_index(drop=True)
            for column, new in values.items():
                forecasts[column].extend(new)
        result = pd.DataFrame({column: values[:horizon] for column, values in forecasts.items()})
        if output_directory is not None:
            os.makedirs(output_directory, exist_ok=True)
            path = os.path.join(output_directory, f"forecast.{output_format}")
            if output_format == "parquet":
                result.to_parquet(path)
            else:
                result.to_csv(path, index=False)
            logger.info("Saved the forecast to %s", os.path.abspath(path))
        return result

    def evaluate(
        self,
        dataset=None,
        data_format: str | None = None,
        split: str = "full",
        batch_size: int | None = None,
        skip_save_unprocessed_output: bool = True,
        skip_save_predictions: bool = True,
        skip_save_eval_stats: bool = True,
        collect_predictions: bool = False,
        collect_overall_stats: bool = False,
        output_directory: str = "results",
        return_type: Any = pd.DataFrame,
        **kwargs,
    ) -> tuple[dict, Any, str]:
        """Evaluate on ``dataset`` (which must hold the output columns); returns
        ``(eval_stats, predictions, output_directory)``."""
        from ludwig.data.preprocessing import preprocess_for_prediction

        _reject_kwargs("evaluate", kwargs)
        self._require_model("evaluate")
        for callback in self.callbacks:
            callback.on_evaluation_start()
        data, raw = preprocess_for_prediction(
            self.config_obj, dataset, self.training_set_metadata, data_format, split=split, include_outputs=True
        )
        missing = [f.column for f in self.config_obj.output_features if f.proc_column not in data.columns]
        if missing:
            raise ValueError(f"evaluate needs the output columns {missing}; the dataset has {list(raw.columns)}.")
        eval_stats, predictions = self._evaluate_dataset(
            data,
            batch_size or getattr(self, "_trained_batch_size", 128),
            collect_predictions=collect_predictions or not skip_save_predictions,
            collect_overall_stats=collect_overall_stats or not skip_save_eval_stats,
            index=raw.index,
        )
        self._save_evaluation(eval_stats, predictions, output_directory, skip_save_eval_stats, skip_save_predictions)
        for callback in self.callbacks:
            callback.on_evaluation_end()
        return eval_stats, _convert_return_type(predictions, return_type), output_directory

    def _evaluate_dataset(
        self, data: Dataset, batch_size: int, collect_predictions: bool, collect_overall_stats: bool, index=None
    ) -> tuple[dict, pd.DataFrame | None]:
        from ludwig.features.feature_registries import base_type_registry
        from ludwig.utils.print_utils import format_evaluation_report

        predictor = self.backend.create_predictor(self.model, batch_size)
        need_outputs = collect_predictions or collect_overall_stats
        metrics, outputs = predictor.batch_evaluation(data, collect_predictions=need_outputs)
        eval_stats: dict[str, Any] = {name: dict(values) for name, values in metrics.items()}
        if collect_overall_stats:
            for feature in self.config_obj.output_features:
                if feature.name in outputs:
                    mixin = base_type_registry[feature.type]
                    eval_stats[feature.name].update(
                        mixin.overall_statistics(
                            outputs[feature.name],
                            data.columns[feature.proc_column],
                            self.training_set_metadata[feature.name],
                        )
                    )
        predictions = self._postprocess(outputs, index=index) if collect_predictions else None
        logger.info("\n%s", format_evaluation_report({k: v for k, v in eval_stats.items() if k != COMBINED}))
        return eval_stats, predictions

    def _save_evaluation(
        self,
        eval_stats: dict,
        predictions: pd.DataFrame | None,
        output_directory: str,
        skip_save_eval_stats: bool,
        skip_save_predictions: bool,
    ) -> None:
        from ludwig.utils.results_io import save_prediction_outputs

        if not skip_save_eval_stats or (not skip_save_predictions and predictions is not None):
            os.makedirs(output_directory, exist_ok=True)
        if not skip_save_eval_stats:
            save_json(os.path.join(output_directory, TEST_STATISTICS_FILE_NAME), eval_stats)
        if not skip_save_predictions and predictions is not None:
            save_prediction_outputs(predictions, output_directory)

    def _postprocess(self, outputs: dict[str, dict[str, np.ndarray]], index=None) -> pd.DataFrame:
        from ludwig.features.feature_registries import base_type_registry

        columns: dict[str, Any] = {}
        for feature in self.config_obj.output_features:
            if feature.name not in outputs:
                continue
            mixin = base_type_registry[feature.type]
            columns.update(
                mixin.postprocess_predictions(
                    feature.name, outputs[feature.name], self.training_set_metadata[feature.name]
                )
            )
        frame = pd.DataFrame(columns)
        if index is not None and len(index) == len(frame):
            frame.index = index
        return frame

    def experiment(
        self,
        dataset=None,
        training_set=None,
        validation_set=None,
        test_set=None,
        training_set_metadata=None,
        data_format: str | None = None,
        experiment_name: str = "experiment",
        model_name: str = "run",
        model_resume_path: str | None = None,
        eval_split: str = "test",
        skip_save_training_description: bool = False,
        skip_save_training_statistics: bool = False,
        skip_save_model: bool = False,
        skip_save_progress: bool = False,
        skip_save_log: bool = False,
        skip_save_processed_input: bool = False,
        skip_save_unprocessed_output: bool = False,
        skip_save_predictions: bool = False,
        skip_save_eval_stats: bool = False,
        skip_collect_predictions: bool = False,
        skip_collect_overall_stats: bool = False,
        output_directory: str = "results",
        random_seed: int = 42,
        **kwargs,
    ) -> tuple:
        """Train, then evaluate on ``eval_split``; returns
        ``(eval_stats, train_stats, preprocessed_data, output_directory)``."""
        from ludwig.data.dataset import Dataset

        train_stats, preprocessed, run_dir = self.train(
            dataset=dataset,
            training_set=training_set,
            validation_set=validation_set,
            test_set=test_set,
            training_set_metadata=training_set_metadata,
            data_format=data_format,
            experiment_name=experiment_name,
            model_name=model_name,
            model_resume_path=model_resume_path,
            skip_save_training_description=skip_save_training_description,
            skip_save_training_statistics=skip_save_training_statistics,
            skip_save_model=skip_save_model,
            skip_save_progress=skip_save_progress,
            skip_save_log=skip_save_log,
            skip_save_processed_input=skip_save_processed_input,
            output_directory=output_directory,
            random_seed=random_seed,
            **kwargs,
        )
        by_split = {
            "training": preprocessed.training_set,
            "validation": preprocessed.validation_set,
            "test": preprocessed.test_set,
        }
        if eval_split not in (*by_split, FULL):
            raise ValueError(f"eval_split {eval_split!r} is not allowed; expected one of {[*by_split, FULL]}.")
        if eval_split == FULL:
            eval_data = Dataset.concat([d for d in by_split.values() if d is not None])
        else:
            eval_data = by_split[eval_split]
        if eval_data is None or len(eval_data) == 0:
            fallback = next(s for s in ("test", "validation", "training") if by_split[s] is not None)
            logger.warning("The %s split is empty; evaluating on the %s split instead.", eval_split, fallback)
            eval_data = by_split[fallback]
        eval_stats, predictions = self._evaluate_dataset(
            eval_data,
            self._trained_batch_size,
            collect_predictions=not skip_collect_predictions,
            collect_overall_stats=not skip_collect_overall_stats,
        )
        if run_dir:
            self._save_evaluation(eval_stats, predictions, run_dir, skip_save_eval_stats, skip_save_predictions)
        return eval_stats, train_stats, preprocessed, run_dir

    def preprocess(
        self,
        dataset=None,
        training_set=None,
        validation_set=None,
        test_set=None,
        training_set_metadata=None,
        data_format: str | None = None,
        skip_save_processed_input: bool = True,
        random_seed: int = 42,
        **kwargs,
    ) -> PreprocessedDataset:
        """Preprocess the data (writing the cache unless ``skip_save_processed_input``) without training."""
        _reject_kwargs("preprocess", kwargs)
        splits = self._preprocess_for_training(
            dataset,
            training_set,
            validation_set,
            test_set,
            training_set_metadata,
            data_format,
            skip_save_processed_input,
            random_seed,
        )
        self.training_set_metadata = splits.metadata
        object.__setattr__(self.config_obj, _METADATA_ATTRIBUTE, splits.metadata)
        return PreprocessedDataset(splits.training, splits.validation, splits.test, splits.metadata)

    # -----------------------------------------------------------------------------------------------------
    # Introspection

    def collect_weights(self, tensor_names: list[str] | None = None, **kwargs) -> list[tuple[str, torch.Tensor]]:
        """``(name, tensor)`` for the named parameters (all when ``tensor_names`` is None)."""
        _reject_kwargs("collect_weights", kwargs)
        self._require_model("collect_weights")
        parameters = dict(self.model.named_parameters())
        if tensor_names is None:
            return list(parameters.items())
        unknown = [n for n in tensor_names if n not in parameters]
        if unknown:
            raise ValueError(f"Unknown tensor names {unknown}; the model has {list(parameters)}.")
        return [(name, parameters[name]) for name in tensor_names]

    def collect_activations(
        self,
        layer_names: list[str],
        dataset,
        data_format: str | None = None,
        split: str = "full",
        batch_size: int = 128,
        **kwargs,
    ) -> list[tuple[str, np.ndarray]]:
        """The outputs of the named modules (see ``model.named_modules()``) for every row of ``dataset``."""
        from ludwig.data.preprocessing import preprocess_for_prediction

        _reject_kwargs("collect_activations", kwargs)
        self._require_model("collect_activations")
        modules = dict(self.model.named_modules())
        unknown = [n for n in layer_names if n not in modules]
        if unknown:
            raise ValueError(f"Unknown layer names {unknown}; the model has {[n for n in modules if n]}.")
        collected: dict[str, list[np.ndarray]] = {name: [] for name in layer_names}

        def hook(name):
            def record(module, inputs, output):
                if isinstance(output, dict):
                    output = next(iter(output.values()))
                collected[name].append(output.detach().cpu().numpy())

            return record

        handles = [modules[name].register_forward_hook(hook(name)) for name in layer_names]
        try:
            data, _ = preprocess_for_prediction(
                self.config_obj, dataset, self.training_set_metadata, data_format, split=split, include_outputs=False
            )
            self.backend.create_predictor(self.model, batch_size).batch_predict(data)
        finally:
            for handle in handles:
                handle.remove()
        return [(name, np.concatenate(collected[name])) for name in layer_names]

    # -----------------------------------------------------------------------------------------------------
    # Saving and loading

    def save(self, save_path: str) -> None:
        """Write the model folder: hyperparameters, training set metadata and safetensors weights."""
        from ludwig.trainers.checkpoint import save_weights

        self._require_model("save")
        os.makedirs(save_path, exist_ok=True)
        self._save_config_and_metadata(save_path)
        save_weights(self.model, os.path.join(save_path, MODEL_WEIGHTS_FILE_NAME))

    def export_model(self, save_path: str, format: str = "safetensors", sample_input: dict | None = None) -> None:
        """Export the model to ``save_path`` as ``safetensors``, ``torch_export`` (``model.pt2``) or ``onnx``.

        ``safetensors`` writes a model folder ``LudwigModel.load`` reads. ``torch_export`` and ``onnx`` export the
        ECD core: it takes preprocessed tensors (one per input feature, named by ``proc_column``) and returns each
        output feature's predictions (and probabilities); preprocessing and postprocessing stay in Python, with
        the config and training set metadata written alongside. ``sample_input`` (a dict of preprocessed
        tensors keyed by ``proc_column``) is traced; by default one is built from the training set metadata.
        """
        from ludwig.model_export import export_model

        self._require_model("export_model")
        export_model(self, save_path, format, sample_input)

    def to_torchscript(self, model_only: bool = False, device: str | None = None) -> torch.jit.ScriptModule:
        """The model as TorchScript.

        ``model_only=True`` traces the ECD core: preprocessed tensors (input feature order) in, the predictions
        tuple out. ``model_only=False`` scripts a pipeline predicting from raw values: it takes
        ``{input_feature: [raw value as string, ...]}`` and returns ``{output_feature: {"predictions": ...,
        "probabilities": ..., "probability": ...}}``, with each type's preprocessing and postprocessing scripted
        (``docs/export.md`` lists what each type supports).

        Raises:
            ValueError: listing the features whose options have no TorchScript form (some tokenizers and date
                formats); ``model_only=True`` exports those models.
        """
        from ludwig.model_export.torchscript import to_torchscript

        self._require_model("to_torchscript")
        return to_torchscript(self, model_only, device)

    def save_torchscript(self, save_path: str, model_only: bool = False, device: str | None = None) -> None:
        """Write ``to_torchscript(model_only, device)`` to ``save_path/inference_module.pt`` with the metadata."""
        from ludwig.model_export.torchscript import save_torchscript

        self._require_model("save_torchscript")
        save_torchscript(self, save_path, model_only, device)

    def save_config(self, save_path: str) -> None:
        """Write ``model_hyperparameters.json`` into ``save_path``."""
        os.makedirs(save_path, exist_ok=True)
        save_json(os.path.join(save_path, MODEL_HYPERPARAMETERS_FILE_NAME), self.config)

    def _save_config_and_metadata(self, model_dir: str) -> None:
        self.save_config(model_dir)
        save_json(os.path.join(model_dir, TRAIN_SET_METADATA_FILE_NAME), self.training_set_metadata)

    @staticmethod
    def load(
        model_dir: str,
        logging_level: int = logging.ERROR,
        backend: Any = None,
        gpus: Any = None,
        gpu_memory_limit: float | None = None,
        allow_parallel_threads: bool = True,
        callbacks: list | None = None,
        from_checkpoint: bool = False,
        trust_remote_code: bool = False,
    ) -> LudwigModel:
        """Load a model folder written by ``save``/``train``.

        The folder is read as data: JSON config and metadata, safetensors weights, nothing unpickled and no code
        imported from it, or from where its config points, unless ``trust_remote_code`` (see ``docs/security.md``).

        Args:
            model_dir: the model folder (``<results>/<experiment>_<model>/model``).
            from_checkpoint: load the weights of the latest training checkpoint instead of the best model.
            trust_remote_code: allow the Hugging Face checkpoints the config names with
                ``pretrained_kwargs.trust_remote_code: true`` to run their own modelling code. Pass it only for a
                folder, and checkpoints, you trust.
            (the other arguments are those of ``LudwigModel``.)

        Raises:
            UntrustedCodeError: the config sets ``trust_remote_code`` and ``trust_remote_code`` is False.
        """
        from ludwig.utils.trust import check_remote_code

        hyperparameters = os.path.join(model_dir, MODEL_HYPERPARAMETERS_FILE_NAME)
        if not os.path.exists(hyperparameters):
            raise FileNotFoundError(
                f"{model_dir} is not a Ludwig model folder: {MODEL_HYPERPARAMETERS_FILE_NAME} is missing."
            )
        with open(hyperparameters) as f:
            config = json.load(f)
        check_remote_code(config, model_dir, trust_remote_code)
        model = LudwigModel(config, logging_level, backend, gpus, gpu_memory_limit, allow_parallel_threads, callbacks)
        with open(os.path.join(model_dir, TRAIN_SET_METADATA_FILE_NAME)) as f:
            from ludwig.utils.backward_compatibility import upgrade_metadata

            model.training_set_metadata = upgrade_metadata(json.load(f))
        model.model = LudwigModel._build_model(model.config_obj, 42, model.training_set_metadata)
        model.load_weights(model_dir, from_checkpoint)
        return model

    def load_weights(self, model_dir: str, from_checkpoint: bool = False) -> None:
        """Load weights from ``model_dir`` (or its latest training checkpoint)."""
        from ludwig.trainers.checkpoint import Checkpoint, load_weights

        device = self.backend.device
        if from_checkpoint:
            Checkpoint(os.path.join(model_dir, TRAINING_CHECKPOINTS_DIR_PATH)).load_model_weights(
                "latest", self.model, device
            )
        else:
            load_weights(self.model, os.path.join(model_dir, MODEL_WEIGHTS_FILE_NAME), device)
        self.model.to(device)

    @staticmethod
    def create_model(config_obj: ModelConfig | dict, random_seed: int = 42) -> ECD:
        """Build the (untrained) model that ``config_obj`` describes.

        The feature modules need the training set metadata (vocabularies, vector sizes). A config object of a
        ``LudwigModel`` that has preprocessed data, trained or been loaded carries it; a bare config has none.

        Args:
            config_obj: a ``ModelConfig`` or a config dict.
            random_seed: seed of the weight initialisation.

        Returns:
            The ECD model.

        Raises:
            ValueError: ``config_obj`` carries no training set metadata (preprocess, train or load first).
        """
        from ludwig.schema.model_config import ModelConfig

        if isinstance(config_obj, dict):
            config_obj = ModelConfig.from_dict(config_obj)
        metadata = getattr(config_obj, _METADATA_ATTRIBUTE, None)
        if metadata is None:
            raise ValueError(
                "create_model needs the training set metadata (vocabularies, vector sizes), which this config does "
                "not carry yet: preprocess the data, train or load a LudwigModel first and pass its config_obj."
            )
        return LudwigModel._build_model(config_obj, random_seed, metadata)

    @staticmethod
    def _build_model(config_obj: ModelConfig, random_seed: int, training_set_metadata: dict[str, Any] | None) -> ECD:
        """Build the ECD model from ``config_obj`` and ``training_set_metadata``, seeding the initialisation."""
        from ludwig.models.ecd import ECD

        if training_set_metadata is None:
            raise ValueError(
                "Building the model needs the training_set_metadata (vocabularies, vector sizes); "
                "preprocess the data first."
            )
        # create_model(self.config_obj) builds the same model later on.
        object.__setattr__(config_obj, _METADATA_ATTRIBUTE, training_set_metadata)
        set_random_seed(random_seed)
        return ECD(config_obj, training_set_metadata)

    @staticmethod
    def upload_to_hf_hub(
        repo_id: str,
        model_path: str,
        repo_type: str = "model",
        private: bool = False,
        commit_message: str = "Upload trained [Ludwig](https://ludwig.ai/latest/) model weights",
        commit_description: str | None = None,
    ) -> bool:
        """Upload a saved model to the Hugging Face Hub.

        The repository folder (``<experiment folder>/hf_hub_repo``: a model card ``README.md``, the weights,
        ``ludwig_config.json``, ``model_hyperparameters.json`` and ``training_set_metadata.json``) is written
        first, then pushed with ``huggingface_hub`` using the token of ``huggingface-cli login`` (or ``HF_TOKEN``).

        Args:
            repo_id: ``namespace/name`` of the Hub repository (created when it does not exist).
            model_path: the experiment folder holding ``model/``, or the ``model`` folder itself.
            repo_type: ``"model"``, ``"dataset"`` or ``"space"``.
            private: whether a newly created repository is private.
            commit_message: title of the upload commit.
            commit_description: description of the upload commit.

        Returns:
            True when the files were pushed.

        Raises:
            ValueError: ``repo_id`` is not ``namespace/name``, or ``model_path`` holds no saved model.
            RuntimeError: ``huggingface_hub`` is not installed, or the Hub is offline (``HF_HUB_OFFLINE=1``); the
                error names the repository folder, ready to push by hand. Nothing is sent over the network then.
        """
        from ludwig.utils.upload_utils import upload_to_hf_hub

        return upload_to_hf_hub(repo_id, model_path, repo_type, private, commit_message, commit_description)

    def save_dequantized_base_model(self, save_path: str) -> None:
        """Save the base model of a quantized LLM with its weights upcast to fp16 (Ludwig's LLM-only method).

        Args:
            save_path: folder the dequantized base model would be written to.

        Raises:
            ValueError: always here: the method applies to ``model_type: llm`` models with 4-bit
                ``quantization`` only, and this Ludwig builds ECD models.
        """
        model_type = self.config_obj.model_type
        raise ValueError(
            f"save_dequantized_base_model applies to LLM models (model_type: llm) with 4-bit quantization only; "
            f"this model's model_type is {model_type!r}, whose weights are not quantized. Use save() instead."
        )

    def generate(
        self,
        input_strings: str | list[str],
        generation_config: dict | None = None,
        streaming: bool | None = False,
        callbacks: list | None = None,
    ) -> str | list[str]:
        """Generate text from prompts with an LLM model (Ludwig's LLM-only method).

        Args:
            input_strings: one prompt or a list of prompts.
            generation_config: generation options overriding the config's ``generation`` section.
            streaming: stream the tokens as they are generated.
            callbacks: callbacks for this call.

        Returns:
            The generated text, or one text per prompt.

        Raises:
            ValueError: always here: only ``model_type: llm`` models generate text, and this Ludwig builds ECD
                models; use ``predict`` (a ``text`` output feature with a generator decoder generates from ECD).
        """
        raise ValueError(
            f"generate() is supported for LLM models (model_type: llm) only; this model's model_type is "
            f"{self.config_obj.model_type!r}. Use predict() instead."
        )

    def free_gpu_memory(self) -> None:
        """Move the model to the CPU and release cached GPU memory."""
        if self.model is not None:
            self.model.to("cpu")
        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    def is_merge_and_unload_set(self) -> bool:
        """Whether an LLM adapter is merged on save; ECD models have no adapters."""
        return False

    def _save_description(
        self,
        run_dir: str,
        dataset,
        training_set,
        validation_set,
        test_set,
        data_format,
        random_seed: int,
        experiment_name: str,
    ) -> None:
        def name(data):
            return data if isinstance(data, str) else (None if data is None else type(data).__name__)

        description = {
            "ludwig_version": LUDWIG_VERSION,
            "command": " ".join(sys.argv),
            "experiment_name": experiment_name,
            "random_seed": random_seed,
            "dataset": name(dataset),
            "training_set": name(training_set),
            "validation_set": name(validation_set),
            "test_set": name(test_set),
            "data_format": data_format,
            "config": self.config,
            "torch_version": torch.__version__,
            "compute": {"device": str(self.backend.device), "num_threads": torch.get_num_threads()},
        }
        save_json(os.path.join(run_dir, DESCRIPTION_FILE_NAME), description)

    def _require_model(self, action: str) -> None:
        if self.model is None or self.training_set_metadata is None:
            raise ValueError(
                f"Cannot {action}: the model is not trained or loaded yet. Call train() or LudwigModel.load() first."
            )


def _reject_kwargs(method: str, kwargs: dict[str, Any]) -> None:
    """Refuse the keyword arguments a method accepts for Ludwig's signature but does not use.

    Raises:
        TypeError: ``kwargs`` is not empty (a misspelt argument would otherwise be ignored silently).
    """
    if kwargs:
        raise TypeError(f"{method}() got unexpected arguments {sorted(kwargs)}.")


def _convert_return_type(predictions: pd.DataFrame | None, return_type: Any) -> Any:
    if predictions is None:
        return None
    if return_type in (dict, "dict"):
        return predictions.to_dict(orient="list")
    return predictions


def _log_data_summary(splits: PreprocessedSplits) -> None:
    sizes = {
        name: len(data) if data is not None else 0
        for name, data in (("training", splits.training), ("validation", splits.validation), ("test", splits.test))
    }
    logger.info("Dataset sizes: %s", ", ".join(f"{k} {v}" for k, v in sizes.items()))


def kfold_cross_validate(
    num_folds: int,
    config: dict | str,
    dataset=None,
    data_format: str | None = None,
    skip_save_training_description: bool = False,
    skip_save_training_statistics: bool = False,
    skip_save_model: bool = False,
    skip_save_progress: bool = False,
    skip_save_log: bool = False,
    skip_save_processed_input: bool = False,
    skip_save_predictions: bool = False,
    skip_save_eval_stats: bool = False,
    skip_collect_predictions: bool = False,
    skip_collect_overall_stats: bool = False,
    output_directory: str = "results",
    random_seed: int = 42,
    gpus: Any = None,
    gpu_memory_limit: float | None = None,
    allow_parallel_threads: bool = True,
    backend: Any = None,
    logging_level: int = logging.INFO,
) -> tuple[dict, dict]:
    """Train and evaluate on ``num_folds`` folds; returns ``(kfold_cv_stats, kfold_split_indices)``.

    ``kfold_cv_stats`` holds each fold's test statistics under ``fold_<i>`` and, under ``overall``, the mean and
    standard deviation of every scalar metric across folds (``<metric>_mean``, ``<metric>_std``).
    """
    from ludwig.data.dataset_loader import load_dataset

    if not isinstance(num_folds, int) or num_folds < 2:
        raise ValueError(f"num_folds must be an integer >= 2, found {num_folds!r}.")
    if isinstance(config, str):
        config = load_config_file(config)
    df = load_dataset(dataset, data_format)
    if len(df) < num_folds:
        raise ValueError(f"Cannot make {num_folds} folds from {len(df)} rows.")
    order = np.random.default_rng(random_seed).permutation(len(df))
    folds = np.array_split(order, num_folds)
    stats: dict[str, Any] = {}
    indices: dict[str, Any] = {}
    for i, test_index in enumerate(folds, start=1):
        train_index = np.sort(np.concatenate([f for j, f in enumerate(folds, start=1) if j != i]))
        test_index = np.sort(test_index)
        model = LudwigModel(config, logging_level, backend, gpus, gpu_memory_limit, allow_parallel_threads)
        eval_stats, _, _, _ = model.experiment(
            training_set=df.iloc[train_index].reset_index(drop=True),
            test_set=df.iloc[test_index].reset_index(drop=True),
            experiment_name="kfold",
            model_name=f"fold_{i}",
            output_directory=output_directory,
            skip_save_training_description=skip_save_training_description,
            skip_save_training_statistics=skip_save_training_statistics,
            skip_save_model=skip_save_model,
            skip_save_progress=skip_save_progress,
            skip_save_log=skip_save_log,
            skip_save_processed_input=skip_save_processed_input,
            skip_save_predictions=skip_save_predictions,
            skip_save_eval_stats=skip_save_eval_stats,
            skip_collect_predictions=skip_collect_predictions,
            skip_collect_overall_stats=skip_collect_overall_stats,
            random_seed=random_seed,
        )
        stats[f"fold_{i}"] = eval_stats
        indices[f"fold_{i}"] = {"training_set": train_index.tolist(), "test_set": test_index.tolist()}
    stats["overall"] = _aggregate_folds([stats[f"fold_{i}"] for i in range(1, num_folds + 1)])
    return stats, indices


def _aggregate_folds(fold_stats: list[dict]) -> dict[str, dict[str, float]]:
    overall: dict[str, dict[str, float]] = {}
    for feature in fold_stats[0]:
        metrics = [k for k, v in fold_stats[0][feature].items() if isinstance(v, int | float)]
        for metric in metrics:
            values = np.array([fold[feature][metric] for fold in fold_stats], dtype=np.float64)
            overall.setdefault(feature, {})[f"{metric}_mean"] = float(values.mean())
            overall[feature][f"{metric}_std"] = float(values.std())
    return overall


__all__ = ["LudwigModel", "kfold_cross_validate"]
