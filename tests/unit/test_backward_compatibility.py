"""Upgrades of configs, training progress and metadata written by older Ludwig versions."""

from __future__ import annotations

import copy
import warnings
from typing import Any

import pytest

from ludwig.error import ConfigValidationError
from ludwig.globals import LUDWIG_VERSION
from ludwig.utils.backward_compatibility import (
    upgrade_config_dict_to_latest_version,
    upgrade_metadata,
    upgrade_model_progress,
)

TEXT_IN = {"name": "review", "type": "text"}
CATEGORY_OUT = {"name": "label", "type": "category"}


def make_config(**sections: Any) -> dict[str, Any]:
    """A minimal config; ``sections`` replace or add top-level sections."""
    return {"input_features": [dict(TEXT_IN)], "output_features": [dict(CATEGORY_OUT)], **sections}


def upgrade(config: dict[str, Any]) -> dict[str, Any]:
    """Upgrades expecting at least one DeprecationWarning; returns the result without ``ludwig_version``."""
    with pytest.warns(DeprecationWarning):
        upgraded = upgrade_config_dict_to_latest_version(config)
    assert upgraded.pop("ludwig_version") == LUDWIG_VERSION
    return upgraded


def upgrade_silently(config: dict[str, Any]) -> dict[str, Any]:
    """Upgrades expecting no warning at all; returns the result without ``ludwig_version``."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        upgraded = upgrade_config_dict_to_latest_version(config)
    assert upgraded.pop("ludwig_version") == LUDWIG_VERSION
    return upgraded


CURRENT_CONFIG = {
    "model_type": "ecd",
    "input_features": [
        {
            "name": "review",
            "type": "text",
            "column": "Review Text",
            "encoder": {"type": "rnn", "cell_type": "lstm", "use_bias": True},
            "preprocessing": {"tokenizer": "space", "max_sequence_length": 64, "missing_value_strategy": "bfill"},
        },
        {"name": "photo", "type": "image", "encoder": {"type": "resnet"}, "augmentation": True},
        {"name": "age", "type": "number", "tied": None, "active": True},
    ],
    "output_features": [
        {
            "name": "label",
            "type": "category",
            "top_k": 2,
            "decoder": {"type": "classifier", "num_fc_layers": 1, "fc_output_size": 32},
            "loss": {"type": "softmax_cross_entropy", "class_weights": [1.0, 2.0]},
            "reduce_input": "sum",
            "dependencies": [],
        },
        {"name": "series", "type": "timeseries", "horizon": 3},
    ],
    "combiner": {"type": "concat", "output_size": 128},
    "trainer": {
        "epochs": 2,
        "eval_batch_size": None,
        "max_batch_size": 1024,
        "learning_rate_scheduler": {"decay": "cosine", "warmup_evaluations": 1, "reduce_on_plateau": 2},
    },
    "preprocessing": {"split": {"type": "stratify", "column": "label", "probabilities": [0.8, 0.1, 0.1]}},
    "defaults": {"text": {"preprocessing": {"most_common": 100}, "encoder": {"type": "parallel_cnn"}}},
    "hyperopt": {
        "executor": {"type": "ray", "num_samples": 2},
        "search_alg": {"type": "variant_generator"},
        "parameters": {"trainer.learning_rate": {"space": "loguniform", "lower": 1e-4, "upper": 1e-2}},
    },
    "backend": {"type": "local", "credentials": {"cache": {"profile": "x"}}},
}


# ---------------------------------------------------------------------------------------------------------------
# General behaviour


def test_current_config_passes_unchanged_and_silently():
    assert upgrade_silently(CURRENT_CONFIG) == CURRENT_CONFIG


def test_input_is_not_mutated():
    old = make_config(training={"epochs": 3, "decay": True}, preprocessing={"numerical": {"fill_value": 1}})
    old["input_features"][0].update(encoder="rnn", cell_type="lstm", bias=False)
    snapshot = copy.deepcopy(old)
    upgraded = upgrade(old)
    assert old == snapshot
    assert upgraded["input_features"][0] is not old["input_features"][0]


def test_ludwig_version_is_stamped_over_an_old_one():
    upgraded = upgrade_silently(make_config(ludwig_version="0.5.2"))
    assert upgraded == make_config()
    assert upgrade_config_dict_to_latest_version(make_config())["ludwig_version"] == LUDWIG_VERSION


def test_deprecation_warning_names_old_and_new_key():
    with pytest.warns(DeprecationWarning, match="`training` was renamed to `trainer`"):
        upgrade_config_dict_to_latest_version(make_config(training={"epochs": 1}))


def _legacy_config(version: str | None) -> dict[str, Any]:
    config = make_config(training={"epochs": 1}, hyperopt={})
    config["input_features"] = [
        {"name": "x", "type": "numerical", "encoder": "dense", "output_size": 8},
        {"name": "t", "type": "text", "preprocessing": {"word_tokenizer": "space", "missing_value_strategy": "pad"}},
    ]
    if version is not None:
        config["ludwig_version"] = version
    return config


@pytest.mark.parametrize("version", ["0.6", "0.6.4", "v0.6.0", "0.6.dev0"])
def test_config_from_0_6_only_gets_later_transforms(version):
    upgraded = upgrade(_legacy_config(version))
    expected = _legacy_config(None)
    del expected["hyperopt"]  # the 0.7 transform applies
    assert upgraded == expected


def test_config_from_0_5_gets_0_6_transforms_but_not_0_5_ones():
    upgraded = upgrade(_legacy_config("0.5.9"))
    assert upgraded["training"] == {"epochs": 1}
    assert upgraded["input_features"] == [
        {"name": "x", "type": "numerical", "encoder": {"type": "dense", "output_size": 8}},
        {"name": "t", "type": "text", "preprocessing": {"word_tokenizer": "space", "missing_value_strategy": "ffill"}},
    ]


def test_config_without_version_gets_every_transform():
    upgraded = upgrade(_legacy_config(None))
    assert upgraded["input_features"] == [
        {"name": "x", "type": "number", "encoder": {"type": "dense", "output_size": 8}},
        {"name": "t", "type": "text", "preprocessing": {"tokenizer": "space", "missing_value_strategy": "ffill"}},
    ]
    assert upgraded["trainer"] == {"epochs": 1}
    assert "training" not in upgraded
    assert "hyperopt" not in upgraded


def test_config_newer_than_every_transform_is_left_alone():
    assert upgrade_silently(_legacy_config("0.11")) == _legacy_config(None)


def test_unparseable_version_is_a_config_error():
    with pytest.raises(ConfigValidationError, match="ludwig_version: cannot parse 'latest'"):
        upgrade_config_dict_to_latest_version(make_config(ludwig_version="latest"))


# ---------------------------------------------------------------------------------------------------------------
# 0.4


@pytest.mark.parametrize(
    "old_key, new_key",
    [
        ("sequence_length_limit", "max_sequence_length"),
        ("word_sequence_length_limit", "max_sequence_length"),
        ("char_sequence_length_limit", "max_sequence_length"),
        ("word_most_common", "most_common"),
        ("char_most_common", "most_common"),
        ("word_tokenizer", "tokenizer"),
        ("char_tokenizer", "tokenizer"),
        ("word_vocab_file", "vocab_file"),
        ("char_vocab_file", "vocab_file"),
    ],
)
def test_0_4_level_preprocessing_keys_renamed(old_key, new_key):
    config = make_config()
    config["input_features"] = [{"name": "s", "type": "sequence", "preprocessing": {old_key: 7}}]
    upgraded = upgrade(config)
    assert upgraded["input_features"] == [{"name": "s", "type": "sequence", "preprocessing": {new_key: 7}}]


def test_0_4_word_key_wins_over_char_key_and_global_type_sections_are_renamed():
    config = make_config(preprocessing={"text": {"word_most_common": 5}, "category": {"word_most_common": 9}})
    config["input_features"][0]["preprocessing"] = {"word_tokenizer": "space", "char_tokenizer": "characters"}
    upgraded = upgrade(config)
    assert upgraded["input_features"][0]["preprocessing"] == {"tokenizer": "space"}
    # preprocessing.<type> is renamed first (0.4), then moved to defaults (0.5); category is not a sequence type
    assert upgraded["defaults"] == {
        "text": {"preprocessing": {"most_common": 5}},
        "category": {"preprocessing": {"word_most_common": 9}},
    }


# ---------------------------------------------------------------------------------------------------------------
# 0.5


def test_0_5_training_renamed_to_trainer():
    assert upgrade(make_config(training={"epochs": 3})) == make_config(trainer={"epochs": 3})


def test_0_5_training_ignored_when_trainer_present():
    upgraded = upgrade(make_config(training={"epochs": 3}, trainer={"epochs": 5}))
    assert upgraded == make_config(trainer={"epochs": 5})


def test_0_5_training_prefix_in_hyperopt_parameters():
    hyperopt = {
        "executor": {"type": "ray"},
        "search_alg": {"type": "random"},
        "parameters": {"training.learning_rate": {"space": "choice"}, "review.encoder.type": {"space": "grid"}},
    }
    upgraded = upgrade(make_config(hyperopt=hyperopt))
    assert upgraded["hyperopt"]["parameters"] == {
        "review.encoder.type": {"space": "grid"},
        "trainer.learning_rate": {"space": "choice"},
    }


def test_0_5_bias_keys_renamed_anywhere_in_features_and_defaults():
    config = make_config(defaults={"text": {"encoder": {"bias": True}}})
    config["input_features"][0].update(conv_bias=False, fc_layers=[{"output_size": 4, "bias": False}])
    config["output_features"][0]["default_bias"] = True
    upgraded = upgrade(config)
    assert upgraded["input_features"][0]["encoder"] == {
        "conv_use_bias": False,
        "fc_layers": [{"output_size": 4, "use_bias": False}],
    }
    assert upgraded["output_features"][0]["decoder"] == {"default_use_bias": True}
    assert upgraded["defaults"] == {"text": {"encoder": {"use_bias": True}}}


def test_0_5_numerical_type_renamed_to_number():
    config = make_config(defaults={"numerical": {"preprocessing": {"normalization": "minmax"}}})
    config["output_features"] = [{"name": "price", "type": "numerical"}]
    upgraded = upgrade(config)
    assert upgraded["output_features"] == [{"name": "price", "type": "number"}]
    assert upgraded["defaults"] == {"number": {"preprocessing": {"normalization": "minmax"}}}


def test_0_5_audio_feature_unnested_into_preprocessing():
    audio = {
        "name": "clip",
        "type": "audio",
        "preprocessing": {"in_memory": False, "audio_feature": {"type": "stft", "window_length_in_s": 0.05}},
    }
    upgraded = upgrade(make_config(input_features=[audio]))
    assert upgraded["input_features"][0]["preprocessing"] == {
        "in_memory": False,
        "type": "stft",
        "window_length_in_s": 0.05,
    }


def test_0_5_audio_feature_unnested_in_global_audio_preprocessing():
    config = make_config(preprocessing={"audio": {"audio_feature": {"type": "fbank", "num_filter_bands": 40}}})
    upgraded = upgrade(config)
    assert upgraded["defaults"] == {"audio": {"preprocessing": {"type": "fbank", "num_filter_bands": 40}}}
    assert "preprocessing" not in upgraded


def test_0_5_non_ray_executor_coerced_to_ray():
    config = make_config(hyperopt={"executor": {"type": "serial"}, "search_alg": {"type": "random"}})
    upgraded = upgrade(config)
    assert upgraded["hyperopt"] == {"executor": {"type": "ray"}, "search_alg": {"type": "random"}}


def test_0_5_search_alg_promoted_from_executor_and_string_becomes_dict():
    config = make_config(hyperopt={"executor": {"type": "ray", "search_alg": "hyperopt"}})
    upgraded = upgrade(config)
    assert upgraded["hyperopt"] == {"executor": {"type": "ray"}, "search_alg": {"type": "hyperopt"}}


def test_0_5_sampler_removed_and_its_settings_moved():
    sampler = {"type": "ray", "num_samples": 10, "scheduler": {"type": "async_hyperband"}, "search_alg": "bohb"}
    upgraded = upgrade(make_config(hyperopt={"sampler": sampler, "goal": "minimize"}))
    assert upgraded["hyperopt"] == {
        "goal": "minimize",
        "executor": {"type": "ray", "num_samples": 10, "scheduler": {"type": "async_hyperband"}},
        "search_alg": {"type": "bohb"},
    }


def test_0_5_sampler_does_not_override_executor_settings_and_empty_scheduler_is_dropped():
    hyperopt = {"sampler": {"num_samples": 10, "scheduler": {}}, "executor": {"type": "ray", "num_samples": 3}}
    upgraded = upgrade(make_config(hyperopt=hyperopt))
    assert upgraded["hyperopt"] == {
        "executor": {"type": "ray", "num_samples": 3},
        "search_alg": {"type": "variant_generator"},
    }


def test_0_5_missing_executor_and_search_alg_filled_without_warning():
    upgraded = upgrade_silently(make_config(hyperopt={"goal": "maximize"}))
    assert upgraded["hyperopt"] == {
        "goal": "maximize",
        "executor": {"type": "ray"},
        "search_alg": {"type": "variant_generator"},
    }


def test_0_5_eval_batch_size_zero_becomes_none():
    upgraded = upgrade(make_config(trainer={"eval_batch_size": 0, "batch_size": 0}))
    assert upgraded["trainer"] == {"eval_batch_size": None, "batch_size": 0}


def test_0_5_type_sections_of_preprocessing_moved_to_defaults():
    preprocessing = {
        "sample_ratio": 0.5,
        "text": {"lowercase": True, "most_common": 10},
        "numerical": {"normalization": "minmax"},
        "category": {"preprocessing": {"most_common": 3}},
    }
    defaults = {"text": {"preprocessing": {"most_common": 99}, "encoder": {"type": "embed"}}}
    upgraded = upgrade(make_config(preprocessing=preprocessing, defaults=defaults))
    assert upgraded["preprocessing"] == {"sample_ratio": 0.5}
    assert upgraded["defaults"] == {
        "text": {"preprocessing": {"lowercase": True, "most_common": 99}, "encoder": {"type": "embed"}},
        "number": {"preprocessing": {"normalization": "minmax"}},
        "category": {"preprocessing": {"most_common": 3}},
    }


def test_0_5_force_split_and_probabilities_become_random_split():
    config = make_config(preprocessing={"force_split": True, "split_probabilities": [0.6, 0.2, 0.2]})
    upgraded = upgrade(config)
    assert upgraded["preprocessing"] == {"split": {"type": "random", "probabilities": [0.6, 0.2, 0.2]}}


def test_0_5_stratify_becomes_stratify_split_on_that_column():
    upgraded = upgrade(make_config(preprocessing={"stratify": "label", "force_split": False}))
    assert upgraded["preprocessing"] == {"split": {"type": "stratify", "column": "label"}}


def test_0_5_existing_split_section_wins():
    preprocessing = {"split_probabilities": [0.5, 0.25, 0.25], "split": {"type": "fixed", "column": "fold"}}
    upgraded = upgrade(make_config(preprocessing=preprocessing))
    assert upgraded["preprocessing"] == {
        "split": {"type": "fixed", "column": "fold", "probabilities": [0.5, 0.25, 0.25]}
    }


# ---------------------------------------------------------------------------------------------------------------
# 0.6


def test_0_6_cache_credentials_moved_under_credentials():
    backend = {"type": "ray", "cache_credentials": {"s3": {"key": "k"}}, "credentials": {"other": {}}}
    upgraded = upgrade(make_config(backend=backend))
    assert upgraded["backend"] == {"type": "ray", "credentials": {"other": {}, "cache": {"s3": {"key": "k"}}}}


def test_0_6_string_backend_is_left_alone():
    assert upgrade_silently(make_config(backend="local")) == make_config(backend="local")


@pytest.mark.parametrize("old, new", [(1, None), (0.5, None), ([1, 2], [1, 2]), ({"a": 2}, {"a": 2}), (None, None)])
def test_0_6_scalar_class_weights_become_none(old, new):
    config = make_config(defaults={"category": {"loss": {"class_weights": old}}})
    config["output_features"][0]["loss"] = {"class_weights": old}
    upgraded = upgrade(config) if old != new else upgrade_silently(config)
    assert upgraded["output_features"][0]["loss"] == {"class_weights": new}
    assert upgraded["defaults"]["category"]["loss"] == {"class_weights": new}


def test_0_6_flat_encoder_params_nested_into_encoder():
    feature = {"name": "review", "type": "text", "encoder": "rnn", "cell_type": "lstm", "num_layers": 2,
               "tied": None, "preprocessing": {"lowercase": True}}  # fmt: skip
    upgraded = upgrade(make_config(input_features=[feature]))
    assert upgraded["input_features"] == [
        {
            "name": "review",
            "type": "text",
            "encoder": {"type": "rnn", "cell_type": "lstm", "num_layers": 2},
            "tied": None,
            "preprocessing": {"lowercase": True},
        }
    ]


def test_0_6_flat_encoder_params_merge_into_existing_encoder_dict():
    feature = {"name": "x", "type": "number", "encoder": {"type": "dense", "output_size": 4}, "output_size": 8,
               "dropout": 0.1}  # fmt: skip
    upgraded = upgrade(make_config(input_features=[feature]))
    assert upgraded["input_features"][0]["encoder"] == {"type": "dense", "output_size": 4, "dropout": 0.1}


def test_0_6_flat_decoder_params_nested_and_fc_keys_copied():
    feature = {"name": "label", "type": "category", "top_k": 5, "loss": {"type": "softmax_cross_entropy"},
               "decoder": "classifier", "num_fc_layers": 2, "fc_layers": [{"output_size": 8}], "output_size": 16,
               "activation": "tanh", "dropout": 0.2, "norm": "batch", "norm_params": {"momentum": 0.9},
               "use_bias": False, "weights_initializer": "ones", "bias_initializer": "zeros"}  # fmt: skip
    upgraded = upgrade(make_config(output_features=[feature]))
    assert upgraded["output_features"] == [
        {
            "name": "label",
            "type": "category",
            "top_k": 5,
            "loss": {"type": "softmax_cross_entropy"},
            "decoder": {
                "type": "classifier",
                "num_fc_layers": 2,
                "fc_layers": [{"output_size": 8}],
                "output_size": 16,
                "fc_output_size": 16,
                "activation": "tanh",
                "fc_activation": "tanh",
                "dropout": 0.2,
                "fc_dropout": 0.2,
                "norm": "batch",
                "fc_norm": "batch",
                "norm_params": {"momentum": 0.9},
                "fc_norm_params": {"momentum": 0.9},
                "use_bias": False,
                "fc_use_bias": False,
                "weights_initializer": "ones",
                "fc_weights_initializer": "ones",
                "bias_initializer": "zeros",
                "fc_bias_initializer": "zeros",
            },
        }
    ]


@pytest.mark.parametrize("old, new", [("backfill", "bfill"), ("pad", "ffill")])
def test_0_6_missing_value_strategy_renamed_in_features_and_defaults(old, new):
    config = make_config(defaults={"text": {"preprocessing": {"missing_value_strategy": old}}})
    config["input_features"][0]["preprocessing"] = {"missing_value_strategy": old}
    config["output_features"][0]["preprocessing"] = {"missing_value_strategy": old}
    upgraded = upgrade(config)
    assert upgraded["input_features"][0]["preprocessing"] == {"missing_value_strategy": new}
    assert upgraded["output_features"][0]["preprocessing"] == {"missing_value_strategy": new}
    assert upgraded["defaults"]["text"]["preprocessing"] == {"missing_value_strategy": new}


def test_0_6_increase_batch_size_on_plateau_max_renamed():
    upgraded = upgrade(make_config(trainer={"increase_batch_size_on_plateau_max": 256}))
    assert upgraded["trainer"] == {"max_batch_size": 256}


def test_0_6_ecd_trainer_type_removed():
    upgraded = upgrade(make_config(trainer={"type": "trainer", "epochs": 1}))
    assert upgraded["trainer"] == {"epochs": 1}


def test_0_6_llm_trainer_type_kept():
    config = make_config(model_type="llm", base_model="gpt2", trainer={"type": "finetune"})
    assert upgrade_silently(config) == config


# ---------------------------------------------------------------------------------------------------------------
# 0.7


def test_0_7_learning_rate_keys_moved_into_scheduler():
    trainer = {
        "epochs": 1,
        "learning_rate": 0.01,
        "reduce_learning_rate_on_plateau": 2.0,
        "reduce_learning_rate_on_plateau_patience": 3,
        "reduce_learning_rate_on_plateau_rate": 0.5,
        "reduce_learning_rate_eval_metric": "accuracy",
        "reduce_learning_rate_eval_split": "validation",
        "decay": True,
        "decay_steps": 100,
        "decay_rate": 0.9,
        "staircase": True,
        "learning_rate_warmup_epochs": 2,
    }
    upgraded = upgrade(make_config(trainer=trainer))
    assert upgraded["trainer"] == {
        "epochs": 1,
        "learning_rate": 0.01,
        "learning_rate_scheduler": {
            "reduce_on_plateau": 2,
            "reduce_on_plateau_patience": 3,
            "reduce_on_plateau_rate": 0.5,
            "reduce_eval_metric": "accuracy",
            "reduce_eval_split": "validation",
            "decay": "exponential",
            "decay_steps": 100,
            "decay_rate": 0.9,
            "staircase": True,
            "warmup_evaluations": 2,
        },
    }
    assert isinstance(upgraded["trainer"]["learning_rate_scheduler"]["reduce_on_plateau"], int)


def test_0_7_decay_false_becomes_none_and_existing_scheduler_keys_win():
    trainer = {"decay": False, "decay_rate": 0.5, "learning_rate_scheduler": {"decay_rate": 0.8}}
    upgraded = upgrade(make_config(trainer=trainer))
    assert upgraded["trainer"] == {"learning_rate_scheduler": {"decay_rate": 0.8, "decay": None}}


@pytest.mark.parametrize("old, new", [("_resnet_legacy", "resnet"), ("_vit_legacy", "vit")])
def test_0_7_legacy_image_encoders_renamed(old, new):
    config = make_config(defaults={"image": {"encoder": {"type": old}}})
    config["input_features"] = [{"name": "img", "type": "image", "encoder": {"type": old, "use_pretrained": False}}]
    upgraded = upgrade(config)
    assert upgraded["input_features"][0]["encoder"] == {"type": new, "use_pretrained": False}
    assert upgraded["defaults"] == {"image": {"encoder": {"type": new}}}


def test_0_7_empty_hyperopt_removed():
    assert upgrade(make_config(hyperopt={})) == make_config()


def test_0_7_stray_type_in_defaults_removed():
    defaults = {"number": {"type": "number", "preprocessing": {"normalization": "zscore"}}, "text": {"type": "text"}}
    upgraded = upgrade(make_config(defaults=defaults))
    assert upgraded["defaults"] == {"number": {"preprocessing": {"normalization": "zscore"}}, "text": {}}


# ---------------------------------------------------------------------------------------------------------------
# 0.11


@pytest.mark.parametrize(
    "old, checkpoint",
    [("transformer_xl", "transfo-xl-wt103"), ("ctrl", "ctrl"), ("flaubert", "flaubert/flaubert_small_cased")],
)
def test_0_11_removed_text_encoders_become_auto_transformer(old, checkpoint):
    config = make_config(defaults={"text": {"encoder": {"type": old, "pretrained_model_name_or_path": "mine"}}})
    config["input_features"][0]["encoder"] = {"type": old, "trainable": True}
    upgraded = upgrade(config)
    assert upgraded["input_features"][0]["encoder"] == {
        "type": "auto_transformer",
        "trainable": True,
        "pretrained_model_name_or_path": checkpoint,
    }
    assert upgraded["defaults"]["text"]["encoder"] == {
        "type": "auto_transformer",
        "pretrained_model_name_or_path": "mine",
    }


def test_0_11_encoders_of_other_types_untouched():
    config = make_config(input_features=[{"name": "s", "type": "sequence", "encoder": {"type": "ctrl"}}])
    assert upgrade_silently(config) == config


# ---------------------------------------------------------------------------------------------------------------
# Training progress and metadata


def test_upgrade_model_progress_from_epoch_based_format():
    old = {
        "epoch": 2,
        "batch_size": 16,
        "last_improvement_epoch": 2,
        "last_learning_rate_reduction_epoch": 1,
        "last_increase_batch_size_epoch": 0,
        "last_improvement": 0,
        "best_eval_metric": 0.25,
        "best_reduce_learning_rate_eval_metric": 1.0,
        "last_reduce_learning_rate_eval_metric_improvement": 0,
        "train_metrics": {"label": {"loss": [0.9, 0.5]}},
        "vali_metrics": {"label": {"loss": [1.0, 0.7], "accuracy": []}},
    }
    snapshot = copy.deepcopy(old)
    upgraded = upgrade_model_progress(old)
    assert old == snapshot
    assert upgraded == {
        "epoch": 2,
        "batch_size": 16,
        "last_improvement_steps": 32,
        "last_learning_rate_reduction_steps": 16,
        "last_increase_batch_size_steps": 0,
        "best_eval_metric_value": 0.25,
        "train_metrics": {"label": {"loss": [0.9, 0.5]}},
        "validation_metrics": {"label": {"loss": [1.0, 0.7], "accuracy": []}},
        "tune_checkpoint_num": 0,
        "checkpoint_number": 0,
        "best_eval_metric_steps": 0,
        "best_eval_metric_epoch": 0,
        "best_eval_metric_checkpoint_number": 0,
        "best_eval_train_metrics": {},
        "best_eval_validation_metrics": {},
        "best_eval_test_metrics": {},
    }


def test_upgrade_model_progress_turns_metric_triples_into_values():
    progress = {"batch_size": 8, "train_metrics": {"y": {"loss": [[1, 10, 0.5], [2, 20, 0.25]]}}}
    assert upgrade_model_progress(progress)["train_metrics"] == {"y": {"loss": [0.5, 0.25]}}


def test_upgrade_model_progress_keeps_current_format():
    current = {
        "epoch": 1,
        "steps": 10,
        "batch_size": 8,
        "last_improvement_steps": 10,
        "best_eval_metric_value": 0.1,
        "validation_metrics": {"combined": {"loss": [0.1]}},
        "tune_checkpoint_num": 0,
        "checkpoint_number": 1,
        "best_eval_metric_steps": 10,
        "best_eval_metric_epoch": 1,
        "best_eval_metric_checkpoint_number": 1,
        "best_eval_train_metrics": {"combined": {"loss": 0.2}},
        "best_eval_validation_metrics": {},
        "best_eval_test_metrics": {},
    }
    assert upgrade_model_progress(current) == current


def test_upgrade_metadata_renames_missing_value_strategies_and_fills_image_standardization():
    old = {
        "review": {"preprocessing": {"missing_value_strategy": "backfill"}, "vocab_size": 3},
        "age": {"preprocessing": {"missing_value_strategy": "pad"}, "mean": 1.0},
        "photo": {"preprocessing": {"height": 8, "width": 8, "missing_value_strategy": "bfill"}},
        "label": {"preprocessing": {"missing_value_strategy": "drop_row"}},
        "dataset_version": 2,
    }
    snapshot = copy.deepcopy(old)
    upgraded = upgrade_metadata(old)
    assert old == snapshot
    assert upgraded == {
        "review": {"preprocessing": {"missing_value_strategy": "bfill"}, "vocab_size": 3},
        "age": {"preprocessing": {"missing_value_strategy": "ffill"}, "mean": 1.0},
        "photo": {"preprocessing": {"height": 8, "width": 8, "missing_value_strategy": "bfill",
                                    "standardize_image": None}},
        "label": {"preprocessing": {"missing_value_strategy": "drop_row"}},
        "dataset_version": 2,
    }  # fmt: skip


def test_misspelt_feature_key_is_not_moved_into_the_encoder():
    upgraded = upgrade_config_dict_to_latest_version(
        {
            "input_features": [{"name": "x", "type": "number", "preprocesing": {}, "output_size": 8}],
            "output_features": [],
        }
    )
    feature = upgraded["input_features"][0]
    assert "preprocesing" in feature
    assert feature["encoder"] == {"output_size": 8}
