"""TorchScript pipelines for set, bag and timeseries inputs and for set, vector, timeseries, sequence and text
outputs: the scripted module's tensors and results equal Python preprocessing and ``model.predict``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from ludwig.model_export.torchscript.pipeline import fill_from_neighbours

from .test_sequence_outputs import token_frame
from .torchscript_utils import (
    assert_scripted_inputs_match,
    assert_scripted_outputs_match,
    raw_strings,
    train,
)

COLOURS = ["red", "green", "blue", "black", "white"]
WORDS = ["Apple", "pear", "fig", "PLUM"]
TRAINER = {"epochs": 2, "batch_size": 16, "learning_rate": 0.01}


def mixed_frame(num_rows: int = 120, seed: int = 0) -> pd.DataFrame:
    """Set, bag, row-major timeseries and number inputs; set, vector and timeseries targets that depend on them."""
    rng = np.random.default_rng(seed)
    tags = [list(rng.choice(COLOURS, size=rng.integers(1, 4), replace=False)) for _ in range(num_rows)]
    words = [list(rng.choice(WORDS, size=rng.integers(1, 6))) for _ in range(num_rows)]
    lengths = rng.integers(2, 7, size=num_rows)
    series = [np.round(rng.normal(size=n), 3) for n in lengths]
    num = rng.normal(size=num_rows)
    return pd.DataFrame(
        {
            "tags": [" ".join(t) for t in tags],
            "words": [" ".join(w) for w in words],
            "series": [" ".join(str(v) for v in s) for s in series],
            "num": num,
            "label": [" ".join(sorted(set(t[:1]) | ({"long"} if len(s) > 4 else set()))) for t, s in zip(tags, series)],
            "vec": [f"{x:.4f} {len(t) + y:.4f}" for x, t, y in zip(num, tags, rng.normal(size=num_rows))],
            "ts_out": [" ".join(f"{v + x:.3f}" for v in (1.0, 2.0, 3.0)) for x in num],
        }
    )


MIXED_CONFIG = {
    "input_features": [
        {"name": "tags", "type": "set"},
        {"name": "words", "type": "bag", "preprocessing": {"lowercase": True}},
        {"name": "series", "type": "timeseries", "preprocessing": {"padding": "left", "padding_value": -1.0}},
        {"name": "num", "type": "number", "preprocessing": {"missing_value_strategy": "bfill"}},
    ],
    "output_features": [
        {"name": "label", "type": "set"},
        {"name": "vec", "type": "vector"},
        {"name": "ts_out", "type": "timeseries"},
    ],
    "trainer": TRAINER,
}


def tricky_rows(df: pd.DataFrame) -> pd.DataFrame:
    rows = df.iloc[:16].reset_index(drop=True).astype(object)
    rows.loc[0, "tags"] = None  # missing: the training fill value
    rows.loc[1, "tags"] = "red never_seen blue"  # an unseen element counts as <UNK>
    rows.loc[2, "words"] = "APPLE apple Apple fig"  # lowercased, then counted
    rows.loc[3, "words"] = None
    rows.loc[4, "series"] = "1.5 nan 2 NULL 3"  # missing values inside a series: padding_value
    rows.loc[5, "series"] = " ".join(["0.25"] * 20)  # longer than the training series: truncated
    rows.loc[6, "series"] = None  # missing: an empty series
    rows.loc[7, "num"] = None  # bfill: takes row 8's value
    rows.loc[15, "num"] = None  # bfill at the end: falls back to the previous value
    rows.loc[10, "num"] = "inf"  # not a finite number: missing, as in Python preprocessing
    rows.loc[11, "num"] = "-Infinity"
    rows.loc[12, "num"] = "abc"
    return rows


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    df = mixed_frame()
    model, model_dir = train(MIXED_CONFIG, df, tmp_path_factory.mktemp("mixed"))
    return model, model_dir, tricky_rows(df)


def test_set_bag_and_timeseries_inputs_preprocess_as_python(mixed):
    model, _, rows = mixed
    assert_scripted_inputs_match(model.to_torchscript(), model, rows)


def test_set_vector_and_timeseries_outputs_match_predict_after_a_reload(mixed, tmp_path):
    model, _, rows = mixed
    model.save_torchscript(str(tmp_path / "ts"))
    module = torch.jit.load(str(tmp_path / "ts" / "inference_module.pt"))
    out = module(raw_strings(rows, ["tags", "words", "series", "num"]))
    expected = model.predict(rows)[0]
    assert set(out) == {"label", "vec", "ts_out"}
    assert set(out["label"]) == {"predictions", "probabilities"}
    assert all(isinstance(row, list) for row in out["label"]["predictions"])
    assert tuple(out["ts_out"]["predictions"].shape) == (len(rows), 3)
    assert_scripted_outputs_match(out, expected, model)


def test_a_bad_number_inside_a_series_names_the_feature_and_row(mixed):
    model, _, rows = mixed
    raw = raw_strings(rows, ["tags", "words", "series", "num"])
    raw["series"][3] = "1.0 two 3.0"
    with pytest.raises(Exception, match=r"timeseries feature 'series': row 3: 'two' is not a number"):
        model.to_torchscript()(raw)


@pytest.mark.parametrize(
    "strategy,expected",
    [
        ("bfill", ["1", "1", "3", "3", "3", "3"]),
        ("ffill", ["1", "1", "1", "3", "3", "3"]),
        ("fill_with_const", ["", "1", "", "3", "", ""]),
    ],
)
def test_neighbour_fill_follows_pandas(strategy, expected):
    values = ["", "1", "", "3", "", ""]
    assert fill_from_neighbours(values, strategy) == expected
    column = pd.Series([None if v == "" else v for v in values], dtype=object)
    if strategy != "fill_with_const":
        pandas = (column.bfill().ffill() if strategy == "bfill" else column.ffill().bfill()).tolist()
        assert pandas == expected
    assert torch.jit.script(fill_from_neighbours)(values, strategy) == expected


def test_column_major_timeseries_windows_over_the_batch(tmp_path):
    rng = np.random.default_rng(1)
    values = np.round(np.cumsum(rng.normal(size=150)), 3)
    df = pd.DataFrame({"obs": values, "target": np.roll(values, -1)})
    config = {
        "input_features": [{"name": "obs", "type": "timeseries", "preprocessing": {"window_size": 4}}],
        "output_features": [{"name": "target", "type": "number"}],
        "trainer": TRAINER,
    }
    model, _ = train(config, df, tmp_path)
    rows = df.iloc[:12].reset_index(drop=True).astype(object)
    rows.loc[5, "obs"] = None  # a blank observation: padding inside the windows that hold it
    module = model.to_torchscript()
    assert_scripted_inputs_match(module, model, rows)
    assert_scripted_outputs_match(module(raw_strings(rows, ["obs"])), model.predict(rows)[0], model)


@pytest.mark.parametrize(
    "output_type,decoder,reduce_output,reduce_input,target",
    [
        ("sequence", {"type": "generator"}, "concat", "sum", "rev"),
        ("text", {"type": "generator", "beam_width": 3}, "concat", "sum", "rev"),
        ("sequence", {"type": "tagger"}, None, None, "upper"),
        ("text", {"type": "tagger"}, None, None, "upper"),
    ],
    ids=["sequence_generator", "text_generator_beam", "sequence_tagger", "text_tagger"],
)
def test_sequence_and_text_outputs_match_predict(output_type, decoder, reduce_output, reduce_input, target, tmp_path):
    config = {
        "input_features": [
            {
                "name": "src",
                "type": "sequence",
                "encoder": {"type": "embed", "embedding_size": 16, "reduce_output": reduce_output},
            }
        ],
        "output_features": [{"name": target, "type": output_type, "decoder": decoder, "reduce_input": reduce_input}],
        "trainer": {"epochs": 3, "batch_size": 8, "learning_rate": 0.01},
    }
    df = token_frame(num_rows=120)
    model, _ = train(config, df, tmp_path)
    rows = df.iloc[:10].reset_index(drop=True)
    out = model.to_torchscript()(raw_strings(rows, ["src"]))
    expected = model.predict(rows)[0]
    cell = out[target]["predictions"][0]
    assert isinstance(cell, str) if output_type == "text" else isinstance(cell, list)
    assert_scripted_outputs_match(out, expected, model)


def test_category_lowercasing_and_stripping_follow_pandas_on_non_ascii_values(tmp_path):
    rng = np.random.default_rng(2)
    cities = ["München", "ÉCOLE", "Straße", "ΣΟΦΙΑ", "İzmir", "plain"]
    labels = rng.choice(len(cities), size=120)
    df = pd.DataFrame({"city": [cities[i] for i in labels], "far": labels % 2 == 0})
    config = {
        "input_features": [{"name": "city", "type": "category", "preprocessing": {"lowercase": True}}],
        "output_features": [{"name": "far", "type": "binary"}],
        "trainer": TRAINER,
    }
    model, _ = train(config, df, tmp_path)
    rows = pd.DataFrame(
        {"city": ["MÜNCHEN", "école", "\u00a0STRASSE ", "σοφια", "İZMİR", "Plain\u2003", None, "unseen"]}
    )
    module = model.to_torchscript()
    assert_scripted_inputs_match(module, model, rows)
    assert_scripted_outputs_match(module(raw_strings(rows, ["city"])), model.predict(rows)[0], model)
