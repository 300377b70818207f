"""GPU paths: device placement, mixed precision, batch size tuning. Skipped on machines without CUDA."""

import numpy as np
import pandas as pd
import pytest
import torch

from ludwig.api import LudwigModel

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def _data(n: int = 2000) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=n), "c": rng.choice(list("abc"), n)})
    df["y"] = (df.x + (df.c == "a")) > 0.3
    return df


def _config(**trainer) -> dict:
    return {
        "input_features": [{"name": "x", "type": "number"}, {"name": "c", "type": "category"}],
        "output_features": [{"name": "y", "type": "binary"}],
        "combiner": {"type": "concat", "num_fc_layers": 1, "output_size": 32},
        "trainer": {"epochs": 3, **trainer},
    }


def test_model_trains_and_predicts_on_the_gpu(tmp_path):
    model = LudwigModel(_config(batch_size=64), gpus=0)
    model.train(dataset=_data(), output_directory=str(tmp_path))
    assert next(model.model.parameters()).device.type == "cuda"
    predictions, _ = model.predict(_data(50))
    assert len(predictions) == 50


def test_mixed_precision_training_learns(tmp_path):
    model = LudwigModel(_config(batch_size=64, use_mixed_precision=True, epochs=10), gpus=0)
    model.train(dataset=_data(), output_directory=str(tmp_path))
    stats, _, _ = model.evaluate(_data())
    assert stats["y"]["accuracy"] > 0.8


def test_auto_batch_size_on_gpu_is_not_capped_at_128(tmp_path):
    model = LudwigModel(_config(batch_size="auto"), gpus=0)
    model.train(dataset=_data(20_000), output_directory=str(tmp_path), skip_save_processed_input=True)
    import json

    progress = json.load(open(next(tmp_path.glob("*/model/training_progress.json"))))
    assert progress["batch_size"] > 128


def test_weights_saved_on_gpu_load_on_cpu(tmp_path):
    model = LudwigModel(_config(batch_size=64), gpus=0)
    results = model.train(dataset=_data(), output_directory=str(tmp_path))
    expected, _ = model.predict(_data(100))
    loaded = LudwigModel.load(f"{results.output_directory}/model", gpus=[])
    actual, _ = loaded.predict(_data(100))
    np.testing.assert_allclose(actual["y_probability"], expected["y_probability"], atol=1e-5)
