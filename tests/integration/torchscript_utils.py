"""Shared by the TorchScript tests: train a small model, then compare the scripted pipeline with Python.

``assert_scripted_inputs_match`` checks each scripted preprocessor's tensor against ``preprocess_for_prediction``
exactly (ids, multi-hot rows, date/h3 components) or to float tolerance; ``assert_scripted_outputs_match`` checks
the scripted pipeline's results against ``model.predict`` on the same rows.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ludwig.api import LudwigModel
from ludwig.data.preprocessing import preprocess_for_prediction
from ludwig.models.ecd import module_keys


def train(config: dict, df: pd.DataFrame, folder: Path) -> tuple[LudwigModel, Path]:
    """Train ``config`` on ``df`` with nothing written but the saved model; returns the model and its folder."""
    model = LudwigModel(config)
    model.train(
        dataset=df,
        output_directory=str(folder / "results"),
        skip_save_training_description=True,
        skip_save_training_statistics=True,
        skip_save_model=True,
        skip_save_progress=True,
        skip_save_log=True,
    )
    model_dir = folder / "model"
    model.save(str(model_dir))
    return model, model_dir


def preprocessed(model: LudwigModel, df: pd.DataFrame) -> dict[str, torch.Tensor]:
    """Python preprocessing of ``df``'s input columns, keyed by processed column name."""
    data, _ = preprocess_for_prediction(model.config_obj, df, model.training_set_metadata, include_outputs=False)
    return data.tensors


def raw_strings(df: pd.DataFrame, columns: list[str] | None = None) -> dict[str, list[str]]:
    """The columns as the scripted pipeline takes them: strings, ``""`` for a missing value."""
    columns = list(df.columns) if columns is None else columns
    return {c: ["" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in df[c]] for c in columns}


def assert_scripted_inputs_match(module: torch.jit.ScriptModule, model: LudwigModel, rows: pd.DataFrame) -> None:
    """Every input feature's scripted tensor equals Python preprocessing of ``rows`` (dtype, shape and values)."""
    features = model.config_obj.input_features
    keys = module_keys([f.name for f in features + model.config_obj.output_features])
    raw = raw_strings(rows, [f.column for f in features])
    expected = preprocessed(model, rows)
    for feature in features:
        # getattr: indexing a scripted ModuleDict hands back the eager Python module, not the scripted one.
        actual = getattr(module.preprocessors, keys[feature.name])(raw[feature.column])
        wanted = expected[feature.proc_column]
        assert actual.dtype == wanted.dtype, (feature.name, actual.dtype, wanted.dtype)
        if wanted.dtype.is_floating_point:
            torch.testing.assert_close(actual, wanted, rtol=1e-6, atol=1e-6, msg=feature.name)
        else:
            torch.testing.assert_close(actual, wanted, rtol=0, atol=0, msg=feature.name)


def assert_scripted_outputs_match(out: dict, expected: pd.DataFrame, model: LudwigModel) -> None:
    """The scripted pipeline's ``{feature: {key: value}}`` equals ``model.predict``'s columns for those keys."""
    for feature in model.config_obj.output_features:
        results = out[feature.name]
        for key, value in results.items():
            column = expected[f"{feature.name}_{key}"]
            if isinstance(value, torch.Tensor) and value.dtype.is_floating_point:
                wanted = np.stack(column.to_numpy()) if column.dtype == object else column.to_numpy(dtype=float)
                # float32 rounding of the model's output is relative to the column's scale, not to each value
                scale = max(1.0, float(np.abs(wanted).max())) if wanted.size else 1.0
                np.testing.assert_allclose(
                    value.numpy(), wanted, rtol=1e-5, atol=1e-5 * scale, err_msg=f"{feature.name} {key}"
                )
            elif isinstance(value, torch.Tensor):
                np.testing.assert_array_equal(value.numpy(), column.to_numpy(), err_msg=f"{feature.name} {key}")
            else:
                assert [list(v) if isinstance(v, list) else v for v in value] == [
                    list(v) if isinstance(v, list | tuple | np.ndarray) else v for v in column
                ], (feature.name, key)


def word_level_tokenizer(folder: Path, words: list[str]) -> str:
    """Save a Hugging Face word-level tokenizer (no TorchScript form) over ``words``; returns its folder."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {token: i for i, token in enumerate(["[PAD]", "[UNK]"] + sorted(set(words)))}
    backend = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="[UNK]", pad_token="[PAD]").save_pretrained(str(folder))
    return str(folder)
