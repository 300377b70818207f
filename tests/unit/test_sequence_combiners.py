"""The `sequence_concat` and `sequence` combiners: step alignment, tiling, reduction, validation, ECD wiring."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import ludwig.schema.model_config  # noqa: F401  (registers every config section in the package-scan order)
from ludwig.combiners.sequence_combiners import SequenceCombiner, SequenceConcatCombiner
from ludwig.data.dataset import Batcher
from ludwig.data.preprocessing import preprocess_for_training
from ludwig.error import ConfigValidationError
from ludwig.models.ecd import ECD
from ludwig.schema.combiners.sequence_combiners import SequenceCombinerConfig, SequenceConcatCombinerConfig
from ludwig.schema.model_config import ModelConfig


def outputs(**tensors: torch.Tensor) -> dict[str, dict[str, torch.Tensor]]:
    return {name: {"encoder_output": t} for name, t in tensors.items()}


def test_concat_aligns_sequences_and_tiles_vectors():
    torch.manual_seed(0)
    main, short, long, vector = torch.randn(2, 5, 3), torch.randn(2, 3, 2), torch.randn(2, 7, 2), torch.randn(2, 4)
    sizes = {"main": 3, "short": 2, "long": 2, "vector": 4}
    combiner = SequenceConcatCombiner(SequenceConcatCombinerConfig.from_dict({}), sizes)
    assert combiner.output_size == 11
    out = combiner(outputs(main=main, short=short, long=long, vector=vector))["combiner_output"]
    assert out.shape == (2, 5, 11)
    torch.testing.assert_close(out[..., :3], main)
    torch.testing.assert_close(out[:, :3, 3:5], short)
    assert out[:, 3:, 3:5].abs().sum() == 0  # the shorter sequence is padded with zeros
    torch.testing.assert_close(out[..., 5:7], long[:, :5])  # the longer one is truncated
    torch.testing.assert_close(out[..., 7:], vector.unsqueeze(1).expand(-1, 5, -1))


def test_main_sequence_feature_comes_first_and_sets_the_length():
    first, second = torch.randn(2, 4, 3), torch.randn(2, 6, 2)
    config = SequenceConcatCombinerConfig.from_dict({"main_sequence_feature": "second"})
    out = SequenceConcatCombiner(config, {"first": 3, "second": 2})(outputs(first=first, second=second))
    combined = out["combiner_output"]
    assert combined.shape == (2, 6, 5)
    torch.testing.assert_close(combined[..., :2], second)
    torch.testing.assert_close(combined[:, :4, 2:], first)


@pytest.mark.parametrize("reduce_output", ["sum", "mean", "max", "last", "attention"])
def test_concat_reduction(reduce_output):
    config = SequenceConcatCombinerConfig.from_dict({"reduce_output": reduce_output})
    combiner = SequenceConcatCombiner(config, {"seq": 3, "vec": 2})
    assert combiner.output_size == 5
    out = combiner(outputs(seq=torch.randn(2, 4, 3), vec=torch.randn(2, 2)))["combiner_output"]
    assert out.shape == (2, 5)
    with pytest.raises(ValueError, match="combiner.reduce_output"):  # concat needs the length of the steps
        SequenceConcatCombiner(SequenceConcatCombinerConfig.from_dict({"reduce_output": "concat"}), {"seq": 3})


def test_concat_reduction_skips_the_main_sequence_padding():
    main, vector = torch.randn(2, 4, 3), torch.randn(2, 2)
    mask = torch.tensor([[True, True, False, False], [True, True, True, True]])
    config = SequenceConcatCombinerConfig.from_dict({"reduce_output": "last"})
    combiner = SequenceConcatCombiner(config, {"seq": 3, "vec": 2})
    out = combiner({"seq": {"encoder_output": main, "encoder_output_mask": mask}, "vec": {"encoder_output": vector}})
    torch.testing.assert_close(out["combiner_output"][:, :3], torch.stack([main[0, 1], main[1, 3]]))
    torch.testing.assert_close(out["combiner_output"][:, 3:], vector)


def test_concat_without_a_sequence_names_the_config_key():
    combiner = SequenceConcatCombiner(SequenceConcatCombinerConfig.from_dict({}), {"a": 3})
    with pytest.raises(ValueError, match="combiner.main_sequence_feature"):
        combiner(outputs(a=torch.randn(2, 3)))


def test_state_is_passed_through_for_a_single_input():
    state = torch.randn(2, 3)
    combiner = SequenceConcatCombiner(SequenceConcatCombinerConfig.from_dict({}), {"seq": 3})
    out = combiner({"seq": {"encoder_output": torch.randn(2, 4, 3), "encoder_output_state": state}})
    assert out["encoder_output_state"] is state


@pytest.mark.parametrize(
    "encoder,reduce_output,shape",
    [
        ({"type": "parallel_cnn", "num_filters": 4}, None, (2, 6, 16)),
        ({"type": "stacked_cnn", "num_conv_layers": 1, "num_filters": 4, "num_fc_layers": 0}, "sum", (2, 4)),
        ({"type": "rnn", "state_size": 5}, None, (2, 6, 5)),
        ({"type": "cnnrnn", "num_filters": 4, "state_size": 5, "conv_layers": [{}]}, "max", (2, 5)),
    ],
)
def test_sequence_combiner_runs_an_encoder_over_the_combined_steps(encoder, reduce_output, shape):
    config = SequenceCombinerConfig.from_dict({"encoder": encoder, "reduce_output": reduce_output})
    combiner = SequenceCombiner(config, {"seq": 3, "vec": 2})
    out = combiner(outputs(seq=torch.randn(2, 6, 3), vec=torch.randn(2, 2)))
    assert out["combiner_output"].shape == shape
    assert combiner.output_size == shape[-1]
    assert combiner.encoder.embed is None  # combined steps are read as vectors, never embedded
    if encoder["type"] == "rnn":
        assert out["encoder_output_state"].shape == (2, 5)


def test_sequence_combiner_transformer_needs_the_sequence_length():
    config = SequenceCombinerConfig.from_dict({"encoder": {"type": "transformer"}})
    with pytest.raises(ValueError, match="max_sequence_length"):
        SequenceCombiner(config, {"seq": 3})


def test_sequence_combiner_default_encoder_is_parallel_cnn():
    config = SequenceCombinerConfig.from_dict({})
    assert config.encoder.type == "parallel_cnn" and config.reduce_output is None
    with pytest.raises(Exception, match="embed"):
        SequenceCombinerConfig.from_dict({"encoder": {"type": "embed"}})


# --------------------------------------------------------------------------------------------------------
# Through the config and the ECD model


ROWS = 24


def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(8)]
    return pd.DataFrame(
        {
            "seq": [" ".join(rng.choice(words, rng.integers(1, 6))) for _ in range(ROWS)],
            "text": [" ".join(rng.choice(words, rng.integers(1, 4))) for _ in range(ROWS)],
            "cat": rng.choice(["a", "b"], ROWS),
            "y": rng.choice(["x", "z"], ROWS),
        }
    )


def model_config(combiner: dict, seq_encoder: dict | None = None) -> dict:
    return {
        "input_features": [
            {
                "name": "seq",
                "type": "sequence",
                "encoder": seq_encoder or {"type": "embed", "embedding_size": 4, "reduce_output": None},
            },
            {
                "name": "text",
                "type": "text",
                "encoder": {"type": "rnn", "state_size": 3, "reduce_output": None, "embedding_size": 4},
            },
            {"name": "cat", "type": "category", "encoder": {"embedding_size": 2}},
        ],
        "output_features": [{"name": "y", "type": "category"}],
        "combiner": combiner,
    }


def build_model(config_dict: dict) -> tuple[ECD, dict]:
    config = ModelConfig.from_dict(config_dict)
    splits = preprocess_for_training(config, frame(), skip_save_processed_input=True)
    torch.manual_seed(0)
    model = ECD(config, splits.metadata)
    return model, next(Batcher(splits.training, 5).epoch())


@pytest.mark.parametrize(
    "combiner",
    [
        {"type": "sequence_concat"},
        {"type": "sequence_concat", "main_sequence_feature": "text", "reduce_output": "concat"},
        {"type": "sequence", "encoder": {"type": "stacked_cnn", "num_conv_layers": 1, "num_filters": 4}},
        {
            "type": "sequence",
            "encoder": {"type": "transformer", "hidden_size": 4, "num_heads": 1, "transformer_output_size": 4},
            "reduce_output": "mean",
        },
    ],
)
def test_ecd_builds_and_runs_the_sequence_combiners(combiner):
    model, batch = build_model(model_config(combiner))
    main = combiner.get("main_sequence_feature", "seq")
    assert model.combiner.output_size > 0
    out = model(batch)
    assert out["y"]["logits"].shape[0] == 5
    concat = model.combiner if combiner["type"] == "sequence_concat" else model.combiner.concat
    assert concat.main_sequence_feature == main
    combined = model.combiner({f.name: f(batch[f.proc_column]) for f in model.input_features.values()})[
        "combiner_output"
    ]
    assert combined.shape[-1] == model.combiner.output_size
    model.train_loss(batch, out)[0].backward()


@pytest.mark.parametrize(
    "combiner,seq_encoder,message",
    [
        ({"type": "sequence_concat", "main_sequence_feature": "cat"}, None, "does not output a sequence"),
        ({"type": "sequence", "main_sequence_feature": "nope"}, None, "is not an input feature"),
        ({"type": "sequence_concat", "main_sequence_feature": "seq"}, {"type": "embed"}, "does not output"),
    ],
)
def test_config_errors_name_main_sequence_feature(combiner, seq_encoder, message):
    with pytest.raises(ConfigValidationError, match=f"combiner.main_sequence_feature.*{message}"):
        ModelConfig.from_dict(model_config(combiner, seq_encoder))


def test_config_without_any_sequence_output_is_an_error():
    config = {
        "input_features": [{"name": "seq", "type": "sequence"}, {"name": "cat", "type": "category"}],
        "output_features": [{"name": "y", "type": "category"}],
        "combiner": {"type": "sequence"},
    }
    with pytest.raises(ConfigValidationError, match="combiner.main_sequence_feature.*reduce_output: null"):
        ModelConfig.from_dict(config)
