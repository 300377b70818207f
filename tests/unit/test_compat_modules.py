"""Ludwig's user-facing modules exist under the same names: constants, data_utils, dataset_synthesizer,
torch_utils and feature_utils."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ludwig.constants as constants
from ludwig.data import dataset_synthesizer as ds
from ludwig.utils import data_utils as du

NAMES_FILE = Path(__file__).with_name("ludwig_constants_names.txt")

SUPPORTED_INPUT_TYPES = ["binary", "number", "category", "set", "bag", "sequence", "text", "timeseries", "vector",
                         "date", "h3"]  # fmt: skip


def test_every_ludwig_constant_is_defined():
    names = [line.strip() for line in NAMES_FILE.read_text().splitlines() if line.strip()]
    assert len(names) > 250
    missing = [name for name in names if not hasattr(constants, name)]
    assert not missing


def test_some_constant_values_match_ludwig():
    assert constants.TRAIN_SPLIT == 0 and constants.VALIDATION_SPLIT == 1 and constants.TEST_SPLIT == 2
    assert constants.H3_VECTOR_LENGTH == 19
    assert constants.MISSING_VALUE_STRATEGY_OPTIONS[0] == constants.FILL_WITH_CONST


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"], "split": [0, 1, 2]})


@pytest.mark.parametrize(
    "suffix,write,read",
    [
        (".csv", lambda df, p: df.to_csv(p, index=False), du.read_csv),
        (".tsv", lambda df, p: df.to_csv(p, sep="\t", index=False), du.read_tsv),
        (".json", lambda df, p: df.to_json(p, orient="records"), du.read_json),
        (".jsonl", lambda df, p: df.to_json(p, orient="records", lines=True), du.read_jsonl),
        (".parquet", lambda df, p: df.to_parquet(p), du.read_parquet),
        (".feather", lambda df, p: df.to_feather(p), du.read_feather),
        (".xlsx", lambda df, p: df.to_excel(p, index=False), du.read_excel),
        (".html", lambda df, p: df.to_html(p, index=False), du.read_html),
        (".orc", lambda df, p: df.to_orc(p), du.read_orc),
        (".dta", lambda df, p: df.to_stata(p, write_index=False), du.read_stata),
        (".hdf5", lambda df, p: du.save_hdf5(p, df), du.load_hdf5),
    ],
)
def test_table_readers_round_trip(tmp_path, frame, suffix, write, read):
    path = str(tmp_path / f"data{suffix}")
    write(frame, path)
    df = read(path)
    assert list(df.columns) == ["a", "b", "split"]
    assert [str(v) for v in df["b"]] == ["x", "y", "z"]
    assert [int(v) for v in df["a"]] == [1, 2, 3]
    assert du.figure_data_format(path) == ("hdf5" if suffix == ".hdf5" else du.figure_data_format_dataset(path))


def test_read_fname_and_load_dataset(tmp_path, frame):
    path = str(tmp_path / "d.csv")
    frame.to_csv(path, index=False)
    assert du.read_fname(path).shape == (3, 3)
    assert du.load_dataset(path).shape == (3, 3)
    assert du.load_dataset(frame) is frame
    assert du.figure_data_format(frame) is pd.DataFrame
    assert du.csv_contains_column(path, "b")


def test_pickle_is_refused(tmp_path):
    with pytest.raises(ValueError, match="arbitrary code"):
        du.read_pickle(str(tmp_path / "x.pkl"))
    with pytest.raises(ValueError, match="arbitrary code"):
        du.load_object(str(tmp_path / "x.pkl"))


def test_json_yaml_csv_array_helpers(tmp_path):
    data = {"b": np.int64(2), "a": np.array([1.5, 2.5]), "c": (1, 2)}
    du.save_json(str(tmp_path / "x.json"), data)
    assert du.load_json(str(tmp_path / "x.json")) == {"a": [1.5, 2.5], "b": 2, "c": [1, 2]}
    du.save_yaml(str(tmp_path / "x.yaml"), data)
    assert du.load_yaml(str(tmp_path / "x.yaml")) == {"b": 2, "a": [1.5, 2.5], "c": [1, 2]}
    du.save_csv(str(tmp_path / "x.csv"), [["h1", "h2"], [1, 2], "solo"])
    assert du.load_csv(str(tmp_path / "x.csv")) == [["h1", "h2"], ["1", "2"], ["solo"]]
    du.save_array(str(tmp_path / "arr.txt"), np.array([1.0, 2.5, 3.0]))
    assert du.load_array(str(tmp_path / "arr.txt")).tolist() == [1.0, 2.5, 3.0]
    assert du.string2ndarray(du.ndarray2string(np.array([1, 2]))).tolist() == [1, 2]
    assert du.flatten_dict({"a": {"b": 1, "c": [2, 3]}}) == {"a.b": 1, "a.c.0": 2, "a.c.1": 3}
    assert du.get_split_path("/x/data.csv") == "/x/data.split.parquet"
    assert du.replace_file_extension("a.csv", ".json") == "a.json"


def test_to_numpy_dataset_and_split(frame):
    numpy_dataset = du.to_numpy_dataset(frame)
    assert numpy_dataset["a"].tolist() == [1, 2, 3]
    assert du.from_numpy_dataset(numpy_dataset).shape == (3, 3)
    training, test, validation = du.split_dataset_ttv(frame, "split")
    assert training["a"].tolist() == [1] and validation["a"].tolist() == [2] and test["a"].tolist() == [3]
    folds = list(du.generate_kfold_splits(pd.DataFrame({"x": range(10)}), 5, 0))
    assert len(folds) == 5 and sorted(np.concatenate([f[1] for f in folds]).tolist()) == list(range(10))


def _feature_specs() -> list[dict]:
    specs = [{"name": f"{t}_in", "type": t} for t in SUPPORTED_INPUT_TYPES]
    specs.append({"name": "label", "type": "binary"})
    return specs


def test_build_synthetic_dataset_covers_every_type(tmp_path):
    specs = _feature_specs() + [
        {"name": "image_in", "type": "image", "preprocessing": {"height": 8, "width": 6, "num_channels": 3}},
        {"name": "audio_in", "type": "audio", "audio_file_length_limit_in_s": 0.01},
        {"name": "dist", "type": "category_distribution"},
    ]
    rows = list(ds.build_synthetic_dataset(5, specs, outdir=str(tmp_path)))
    assert rows[0] == [s["name"] for s in specs]
    assert len(rows) == 6
    columns = dict(zip(rows[0], zip(*rows[1:], strict=True), strict=True))
    assert all(len(values) == 5 and all(v is not None for v in values) for values in columns.values())
    assert all(len(v.split()) == 10 for v in columns["vector_in"])
    from PIL import Image

    with Image.open(columns["image_in"][0]) as image:
        assert image.size == (8, 6) and image.mode == "RGB"
    assert all(Path(p).suffix == ".wav" and Path(p).exists() for p in columns["audio_in"])
    from ludwig.utils.h3_utils import h3_components, invalid_h3_reasons

    cells = np.array(columns["h3_in"], dtype=np.uint64)
    assert not any(invalid_h3_reasons(cells, h3_components(cells)))
    with pytest.raises(ValueError, match="cannot be synthesized"):
        list(ds.build_synthetic_dataset(1, [{"name": "x", "type": "nope"}]))


def test_build_synthetic_dataset_df():
    config = {
        "input_features": [{"name": "c", "type": "category"}],
        "output_features": [{"name": "y", "type": "number"}],
    }
    df = ds.build_synthetic_dataset_df(7, config)
    assert df.shape == (7, 2) and list(df.columns) == ["c", "y"]


def test_tiny_model_trains_on_synthesized_dataset(tmp_path):
    from ludwig.api import LudwigModel

    rows = list(ds.build_synthetic_dataset(64, copy.deepcopy(_feature_specs()), outdir=str(tmp_path)))
    df = pd.DataFrame(rows[1:], columns=rows[0])
    config = {
        "input_features": [{"name": f"{t}_in", "type": t} for t in SUPPORTED_INPUT_TYPES],
        "output_features": [{"name": "label", "type": "binary"}],
        "combiner": {"type": "concat"},
        "trainer": {"epochs": 1, "batch_size": 16},
    }
    model = LudwigModel(config, logging_level=40)
    model.train(dataset=df, output_directory=str(tmp_path / "results"), skip_save_processed_input=True)
    predictions, _ = model.predict(dataset=df.head(5))
    assert len(predictions) == 5


def test_cli_synthesize_dataset_writes_csv(tmp_path):
    from ludwig.cli import COMMANDS, main

    assert "synthesize_dataset" in COMMANDS
    out = tmp_path / "synth" / "data.csv"
    main(["synthesize_dataset", "--dataset_size", "12", "--output_path", str(out),
          "--features", "[{name: n, type: number}, {name: c, type: category, vocab_size: 3}]"])  # fmt: skip
    df = pd.read_csv(out)
    assert list(df.columns) == ["n", "c"] and len(df) == 12


def test_torch_and_feature_utils():
    import torch

    from ludwig.features import feature_utils as fu
    from ludwig.utils import torch_utils as tu

    assert tu.get_torch_device() in ("cpu", "cuda", "mps")
    assert tu.sequence_mask(torch.tensor([1, 2]), 3).tolist() == [[True, False, False], [True, True, False]]
    assert tu.sequence_length_3D(torch.tensor([[[1.0], [0.0]], [[1.0], [2.0]]])).tolist() == [1, 2]
    assert isinstance(tu.get_activation("relu"), torch.nn.ReLU)
    layer = torch.nn.Linear(2, 1)
    assert float(tu.reg_loss(layer, "l1", l1=1.0)) == pytest.approx(
        float(sum(p.abs().sum() for p in layer.parameters()))
    )
    assert tu.place_on_device({"x": [torch.zeros(1)]}, "cpu")["x"][0].device.type == "cpu"
    assert fu.get_module_dict_key_from_name("a") == "a__ludwig"
    assert fu.get_name_from_module_dict_key(fu.get_module_dict_key_from_name("a.b")) == "a.b"
    features = fu.LudwigFeatureDict()
    features.update({"type": torch.nn.Identity()})
    assert features.keys() == ["type"] and len(features) == 1
    assert fu.compute_feature_hash({"name": "a b", "type": "number"}).startswith("a_b_")
