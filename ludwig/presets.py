"""Quality presets (`preset: medium_quality | high_quality | best_quality | tabular_realmlp`), as in Ludwig 0.17.

A preset is a partial config applied underneath the user's: every value the user wrote wins. ``from_dict`` applies
it first, before the config is upgraded, as Ludwig does. Where the user names a different combiner ``type`` than the
preset's, the user's combiner section replaces the preset's whole (the preset's keys belong to its own combiner
and would not validate on another).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

QUALITY_PRESETS: dict[str, dict[str, Any]] = {
    "medium_quality": {
        "combiner": {"type": "concat", "num_fc_layers": 2, "output_size": 128},
        "trainer": {"epochs": 50, "early_stop": 5, "batch_size": 256},
    },
    "high_quality": {
        "combiner": {"type": "transformer", "num_layers": 2, "hidden_size": 256, "num_heads": 8},
        "trainer": {"epochs": 100, "early_stop": 10, "batch_size": 128, "loss_balancing": "uncertainty"},
    },
    "best_quality": {
        "combiner": {"type": "ft_transformer", "num_layers": 4, "hidden_size": 256, "num_heads": 8},
        "trainer": {
            "epochs": 200,
            "early_stop": 20,
            "batch_size": 64,
            "loss_balancing": "uncertainty",
            "model_soup": "uniform",
            "model_soup_top_k": 5,
        },
    },
    # RealMLP (Holzmüller et al., 2024): robust scaling of numbers, a 4-layer MLP, AdamW, cosine decay, a long
    # horizon with patient early stopping.
    "tabular_realmlp": {
        "combiner": {"type": "concat", "num_fc_layers": 4, "output_size": 256, "dropout": 0.15},
        "defaults": {"number": {"preprocessing": {"normalization": "iq"}}},
        "trainer": {
            "epochs": 300,
            "early_stop": 40,
            "batch_size": 256,
            "learning_rate": 0.0005,
            "optimizer": {"type": "adamw", "weight_decay": 0.01},
            "learning_rate_scheduler": {"decay": "cosine"},
        },
    },
}
PRESET_NAMES = list(QUALITY_PRESETS)


def _merge_under(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``override`` written over it, mappings merged key by key."""
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge_under(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def apply_preset(config: Mapping[str, Any], preset: str) -> dict[str, Any]:
    """``config`` on top of the preset's defaults. ``preset`` must be one of ``PRESET_NAMES`` (the schema checks
    the name; this raises ``KeyError`` for any other)."""
    defaults = copy.deepcopy(QUALITY_PRESETS[preset])
    combiner = config.get("combiner")
    if (
        isinstance(combiner, Mapping)
        and combiner.get("type", defaults["combiner"]["type"]) != defaults["combiner"]["type"]
    ):
        del defaults["combiner"]
    return _merge_under(defaults, config)
