"""Hundreds of bad configs made from one valid config: each must be refused with a config error naming its path.

The mutations are derived from the schema itself: the valid config is rendered, its sections are walked next to
their config classes, and every field gets the wrong values of its kind (floats and huge values in integer
fields, non-finite numbers in float fields, lists and mappings where a name belongs, misspelled keys in every
section), plus wrong top-level shapes. Anything other than ``ConfigValidationError`` naming the path fails.
"""

from __future__ import annotations

import copy
import dataclasses
import random
from collections.abc import Iterator
from typing import Any

import pytest

from ludwig.error import ConfigValidationError
from ludwig.schema import utils as su
from ludwig.schema.model_config import ModelConfig

VALID = {
    "input_features": [
        {"name": "num", "type": "number", "encoder": {"type": "dense", "num_layers": 2}},
        {"name": "cat", "type": "category"},
        {"name": "txt", "type": "text", "encoder": {"type": "parallel_cnn"}},
        {"name": "seq", "type": "sequence", "encoder": {"type": "rnn"}},
        {"name": "bin", "type": "binary"},
        {"name": "tags", "type": "set"},
        {"name": "when", "type": "date"},
        {"name": "series", "type": "timeseries"},
    ],
    "output_features": [
        {"name": "label", "type": "category", "decoder": {"num_fc_layers": 1}},
        {"name": "score", "type": "number", "loss": {"type": "huber"}},
        {"name": "flag", "type": "binary"},
    ],
    "combiner": {"type": "concat", "num_fc_layers": 1},
    "trainer": {"epochs": 3, "optimizer": {"type": "adamw"}, "learning_rate_scheduler": {"decay": "cosine"}},
    "preprocessing": {"split": {"type": "random", "probabilities": [0.7, 0.1, 0.2]}},
}

#: How many mutations of each kind are checked (sampled with a fixed seed from every field of that kind).
SAMPLES_PER_KIND = 120

INTEGER_FIELDS = (su._StrictInteger, su._IntOrAuto)
FLOAT_FIELDS = (su._StrictFloat, su._FloatOrAuto)
BAD_INTEGERS = [1.5, 2.0, 1e308, True, "7", [3], 10**19, -(10**19)]
BAD_FLOATS = ["inf", float("inf"), float("-inf"), float("nan"), "Infinity", True, "abc", [0.5]]
BAD_NAMES = [["dense"], {"type": "dense"}, 7, True]


@dataclasses.dataclass
class Mutation:
    """One bad config: ``value`` written at ``path`` (keys and list indices) of the valid rendered config."""

    path: tuple
    value: Any
    kind: str

    @property
    def dotted(self) -> str:
        text = ""
        for part in self.path:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
        return text

    def apply(self, config: dict) -> dict:
        config = copy.deepcopy(config)
        parent = config
        for part in self.path[:-1]:
            parent = parent[part]
        parent[self.path[-1]] = self.value
        return config


def _sections(config: su.BaseConfig, path: tuple = ()) -> Iterator[tuple[tuple, su.BaseConfig]]:
    """Every config section (a ``BaseConfig``) under ``config`` with its path, ``config`` first."""
    yield path, config
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if isinstance(value, su.BaseConfig):
            yield from _sections(value, (*path, f.name))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, su.BaseConfig):
                    yield from _sections(item, (*path, f.name, i))


def _field_mutations(path: tuple, section: su.BaseConfig) -> Iterator[Mutation]:
    names = [f.name for f in dataclasses.fields(section)]
    if path:
        typo = _misspell(names)
        yield Mutation((*path, typo), 1, "misspelled key")
    for f in dataclasses.fields(section):
        field = f.metadata["marshmallow_field"]
        where = (*path, f.name)
        if isinstance(field, INTEGER_FIELDS):
            yield from (Mutation(where, v, "integer field") for v in BAD_INTEGERS)
        elif isinstance(field, FLOAT_FIELDS):
            yield from (Mutation(where, v, "float field") for v in BAD_FLOATS)
        elif isinstance(field, su.TypeSelectionField):
            yield from (Mutation((*where, field.key), v, "name") for v in BAD_NAMES[:2])
            yield Mutation(where, [1, 2], "section shape")
        elif isinstance(field, su.NestedConfigField):
            yield from (Mutation(where, v, "section shape") for v in (7, [], "x"))
        elif f.name == "type" or _is_options_field(field):
            yield from (Mutation(where, v, "name") for v in BAD_NAMES)
        elif isinstance(field, su._StrictBoolean):
            yield from (Mutation(where, v, "boolean field") for v in ("yes", 1))


def _is_options_field(field) -> bool:
    return any(getattr(v, "__qualname__", "").startswith("_options_validator") for v in field.validators)


def _misspell(names: list[str]) -> str:
    """A key one character away from a real key of the section, and not itself a key."""
    for name in sorted(names, key=len, reverse=True):
        for typo in (name[:-1], name + "s", name[1:] + name[0]):
            if typo and typo not in names:
                return typo
    raise AssertionError(f"no typo found for {names}")


TOP_LEVEL_SHAPES = [
    Mutation(("input_features",), 7, "top level"),
    Mutation(("input_features",), True, "top level"),
    Mutation(("input_features",), {}, "top level"),
    Mutation(("input_features",), [], "top level"),
    Mutation(("input_features",), [7], "top level"),
    Mutation(("input_features",), [None], "top level"),
    Mutation(("input_features",), ["num"], "top level"),
    Mutation(("input_features",), [[{"name": "a", "type": "number"}]], "top level"),
    Mutation(("output_features",), True, "top level"),
    Mutation(("output_features",), "label", "top level"),
    Mutation(("output_features",), [{"name": "y"}], "top level"),
    Mutation(("output_features",), [{"type": "binary"}], "top level"),
    Mutation(("combiner",), [], "top level"),
    Mutation(("trainer",), 7, "top level"),
    Mutation(("preprocessing",), "random", "top level"),
    Mutation(("defaults",), [], "top level"),
    Mutation(("defaults",), {"number": {"encoder": {"type": ["dense"]}}}, "top level"),
    Mutation(("model_type",), ["ecd"], "top level"),
    Mutation(("backend",), 7, "top level"),
    Mutation(("backend",), {"type": ["local"]}, "top level"),
    Mutation(("ludwig_version",), ["0.4"], "top level"),
    Mutation(("hyperopt",), 7, "top level"),
]


def _rendered_valid_config() -> tuple[dict, ModelConfig]:
    config = ModelConfig.from_dict(VALID)
    return config.to_dict(), config


def _mutations() -> list[Mutation]:
    _, config = _rendered_valid_config()
    by_kind: dict[str, list[Mutation]] = {}
    for path, section in _sections(config):
        for mutation in _field_mutations(path, section):
            by_kind.setdefault(mutation.kind, []).append(mutation)
    rng = random.Random(0)
    chosen = []
    for kind in sorted(by_kind):
        found = by_kind[kind]
        chosen.extend(found if len(found) <= SAMPLES_PER_KIND else rng.sample(found, SAMPLES_PER_KIND))
    return chosen + TOP_LEVEL_SHAPES


MUTATIONS = _mutations()


def test_the_valid_config_and_its_rendering_are_valid():
    rendered, _ = _rendered_valid_config()
    assert ModelConfig.from_dict(rendered).to_dict() == rendered


def test_enough_bad_configs_of_every_kind_are_generated():
    kinds = {m.kind for m in MUTATIONS}
    assert kinds >= {"misspelled key", "integer field", "float field", "name", "section shape", "top level"}
    assert len(MUTATIONS) >= 400


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: f"{m.dotted}={m.value!r}"[:90])
def test_bad_config_is_refused_naming_its_path(mutation: Mutation):
    rendered, _ = _rendered_valid_config_cached()
    bad = mutation.apply(rendered)
    with pytest.raises(ConfigValidationError) as raised:
        ModelConfig.from_dict(bad)
    named = [e for e in raised.value.errors if e.startswith(_reported_prefix(mutation))]
    assert named, f"{mutation.dotted} = {mutation.value!r}: no error names the path; got {raised.value.errors}"


def _reported_prefix(mutation: Mutation) -> str:
    """The path an error must start with; top-level shapes name only the top-level key."""
    return mutation.path[0] if mutation.kind == "top level" else mutation.dotted


_CACHE: dict[str, tuple[dict, ModelConfig]] = {}


def _rendered_valid_config_cached() -> tuple[dict, ModelConfig]:
    if "valid" not in _CACHE:
        _CACHE["valid"] = _rendered_valid_config()
    return _CACHE["valid"]


def _with(path: tuple, value: Any) -> dict:
    return Mutation(path, value, "explicit").apply(_rendered_valid_config_cached()[0])


@pytest.mark.parametrize(
    "path, value, message",
    [
        (("input_features", 1, "encoder", "embedding_size"), 1e308, "Expected an integer, found float 1e+308"),
        (("input_features", 0, "encoder", "num_layers"), 1e308, "Expected an integer, found float 1e+308"),
        (("combiner", "num_fc_layers"), 1e308, "Expected an integer, found float 1e+308"),
        (("combiner", "num_fc_layers"), 10**6, "expected a value in [0, 1024]"),
        (("combiner", "output_size"), 2.0, "Expected an integer, found float 2.0"),
        (("output_features", 0, "decoder", "fc_output_size"), 1e308, "Expected an integer, found float 1e+308"),
        (("output_features", 0, "decoder", "fc_output_size"), 10**12, "expected a value in [1, 1048576]"),
        (("trainer", "epochs"), 1e308, "Expected an integer, found float 1e+308"),
        (("trainer", "epochs"), True, "Expected an integer, found boolean True"),
        (("trainer", "batch_size"), 1e308, "Expected an integer or 'auto', found float 1e+308"),
        (("output_features", 1, "loss", "weight"), "inf", "Expected a finite number, found 'inf'"),
        (("output_features", 1, "loss", "weight"), float("inf"), "Expected a finite number, found inf"),
        (("output_features", 1, "loss", "weight"), -1.0, "expected a value >= 0.0"),
    ],
)
def test_the_values_the_issue_names_are_refused(path, value, message):
    with pytest.raises(ConfigValidationError) as raised:
        ModelConfig.from_dict(_with(path, value))
    dotted = Mutation(path, value, "explicit").dotted
    assert any(e.startswith(dotted) and message in e for e in raised.value.errors), raised.value.errors


@pytest.mark.parametrize("value", [0, -1, "inf", float("nan")])
def test_outlier_threshold_must_be_a_positive_finite_number(value):
    config = copy.deepcopy(VALID)
    config["input_features"][0]["preprocessing"] = {"outlier_threshold": value}
    with pytest.raises(ConfigValidationError, match=r"input_features\[0\]\.preprocessing\.outlier_threshold"):
        ModelConfig.from_dict(config)


def test_most_common_takes_integers_only():
    config = copy.deepcopy(VALID)
    config["input_features"][2]["preprocessing"] = {"most_common": 1e308}
    with pytest.raises(ConfigValidationError, match=r"input_features\[2\]\.preprocessing\.most_common: Expected an"):
        ModelConfig.from_dict(config)


@pytest.mark.parametrize(
    "path, layers, expected",
    [
        (("combiner", "fc_layers"), [{"output_size": 1e308}], "combiner.fc_layers[0].output_size: Expected an integer"),
        (("combiner", "fc_layers"), [{}, {"outputsize": 8}], "combiner.fc_layers[1].outputsize: Unknown parameter"),
        (("combiner", "fc_layers"), [7], "combiner.fc_layers[0]: Expected a mapping of layer parameters"),
        (("combiner", "fc_layers"), {"output_size": 8}, "combiner.fc_layers: Expected a list of per-layer mappings"),
        (
            ("input_features", 2, "encoder", "conv_layers"),
            [{"filter_size": 3}, {"kernel": 3}],
            "input_features[2].encoder.conv_layers[1].kernel: Unknown parameter 'kernel'",
        ),
        (
            ("output_features", 0, "loss", "class_weights"),
            [1.0, float("inf")],
            "output_features[0].loss.class_weights: Expected a number >= 0 for class_weights[1], found inf",
        ),
    ],
)
def test_per_layer_and_per_class_lists_are_checked_item_by_item(path, layers, expected):
    with pytest.raises(ConfigValidationError) as raised:
        ModelConfig.from_dict(_with(path, layers))
    assert any(e.startswith(expected) for e in raised.value.errors), raised.value.errors
