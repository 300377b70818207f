"""Feature helpers under the names Ludwig's ``ludwig.features.feature_utils`` gives them."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import torch

from ludwig.constants import NAME, PREPROCESSING, SEQUENCE, TEXT, TIMESERIES, TYPE, UNKNOWN_SYMBOL
from ludwig.utils.data_utils import hash_dict

SEQUENCE_TYPES = {SEQUENCE, TEXT, TIMESERIES}
FEATURE_NAME_SUFFIX = "__ludwig"
FEATURE_NAME_SUFFIX_LENGTH = len(FEATURE_NAME_SUFFIX)
_PERIOD = "__ludwig_punct_period__"


def should_regularize(regularize_layers: Any) -> bool:
    """Whether layers should be regularized: ``True``, or a non-empty list whose last item is true.

    Args:
        regularize_layers: A bool or a list of bools.

    Returns:
        The decision.
    """
    if isinstance(regularize_layers, bool):
        return regularize_layers
    return isinstance(regularize_layers, list | tuple) and bool(regularize_layers) and bool(regularize_layers[-1])


def set_str_to_idx(set_string: str, feature_dict: dict[str, int], tokenizer_name: str) -> np.ndarray:
    """The ids of a set string's tokens, unknown tokens mapped to the ``<UNK>`` id.

    Args:
        set_string: The text.
        feature_dict: Token -> id (must hold ``<UNK>``).
        tokenizer_name: A registered tokenizer name, e.g. ``"space"``.

    Returns:
        int32 ids.
    """
    from ludwig.utils.tokenizers import tokenizer_registry

    if tokenizer_name not in tokenizer_registry:
        raise ValueError(f"Tokenizer {tokenizer_name} not supported")
    tokenizer = tokenizer_registry[tokenizer_name]()
    unknown = feature_dict[UNKNOWN_SYMBOL]
    return np.array([feature_dict.get(token, unknown) for token in tokenizer(set_string)], dtype=np.int32)


def compute_token_probabilities(probabilities: list | tuple | np.ndarray) -> np.ndarray:
    """The highest probability at each time step of a ``(sequence_length, num_classes)`` array.

    Args:
        probabilities: Per-step probability distributions.

    Returns:
        ``(sequence_length,)`` maxima.

    Raises:
        ValueError: For a flat list, an array that is not 2-D, or another type.
    """
    if isinstance(probabilities, list | tuple):
        if probabilities and not hasattr(probabilities[0], "__len__"):
            raise ValueError(
                "Received token probabilities as a flat 1D list. Expected list of list of probabilities "
                "(sequence_length, vocab_size)."
            )
        return np.array([np.max(step) for step in probabilities])
    if isinstance(probabilities, np.ndarray):
        if probabilities.ndim != 2:
            raise ValueError(
                f"Received token probabilities with non 2D shape: {probabilities.shape}. Expected shape: "
                "(sequence_length, vocab_size)."
            )
        return np.max(probabilities, axis=-1)
    raise ValueError(f"probabilities type must be in [list, tuple, np.ndarray]. Got {type(probabilities)}")


def compute_sequence_probability(
    sequence_probabilities: np.ndarray, max_sequence_length: int | None = None, return_log_prob: bool = True
) -> float:
    """The probability of a whole sequence from its per-token probabilities.

    Args:
        sequence_probabilities: ``(sequence_length,)`` token probabilities.
        max_sequence_length: Only the first this many tokens count (all by default).
        return_log_prob: Return the log probability (probabilities clipped to ``[1e-10, 1]``).

    Returns:
        The (log) probability.
    """
    if max_sequence_length is None:
        max_sequence_length = sequence_probabilities.shape[0]
    kept = sequence_probabilities[:max_sequence_length]
    if return_log_prob:
        return np.sum(np.log(np.clip(kept, 1e-10, 1.0)))
    return np.prod(kept)


def sanitize(name: str) -> str:
    """Replace non-word characters (and a leading digit) so that ``name`` is a valid identifier.

    Args:
        name: The name.

    Returns:
        The sanitized name.
    """
    return re.sub(r"\W|^(?=\d)", "_", name)


def compute_feature_hash(feature: dict) -> str:
    """A name for a feature's processed column: its sanitized name plus a hash of its type and preprocessing.

    Args:
        feature: The feature config.

    Returns:
        ``<name>_<hash>``.
    """
    data = {"preprocessing": feature.get(PREPROCESSING, {}), "type": feature[TYPE]}
    return sanitize(feature[NAME]) + "_" + hash_dict(data).decode("ascii")


def get_input_size_with_dependencies(
    combiner_output_size: int, dependencies: list[str], other_output_features: dict[str, Any]
) -> int:
    """The input size of an output feature's FC stack: the combiner's output size plus each dependency's hidden size.

    A dependency with a 0-layer FC stack contributes its own input size.

    Args:
        combiner_output_size: The combiner's output size.
        dependencies: Names of the output features this one depends on.
        other_output_features: Output feature name -> output feature (with ``fc_stack`` and ``input_size``).

    Returns:
        The input size.
    """
    size = combiner_output_size
    for name in dependencies:
        feature = other_output_features[name]
        fc_stack = getattr(feature, "fc_stack", None)
        if fc_stack is not None and getattr(fc_stack, "num_layers", 0):
            size += fc_stack.output_shape[-1]
        else:
            size += feature.input_size
    return size


def get_module_dict_key_from_name(name: str, feature_name_suffix: str = FEATURE_NAME_SUFFIX) -> str:
    """A ``ModuleDict`` key for any feature name: dots escaped, ``__ludwig`` appended.

    Args:
        name: The feature name.
        feature_name_suffix: The suffix.

    Returns:
        The key.
    """
    return name.replace(".", _PERIOD) + feature_name_suffix


def get_name_from_module_dict_key(key: str, feature_name_suffix_length: int = FEATURE_NAME_SUFFIX_LENGTH) -> str:
    """The feature name back from :func:`get_module_dict_key_from_name`.

    Args:
        key: The key.
        feature_name_suffix_length: The suffix's length.

    Returns:
        The feature name.
    """
    return key.replace(_PERIOD, ".")[:-feature_name_suffix_length]


class LudwigFeatureDict(torch.nn.Module):
    """A ``ModuleDict`` that takes any feature name as a key (``type``, dotted names...) by suffixing the keys."""

    def __init__(self) -> None:
        super().__init__()
        self.module_dict = torch.nn.ModuleDict()
        self.internal_key_to_original_name_map: dict[str, str] = {}

    def get(self, key: str) -> torch.nn.Module:
        """The module stored under feature name ``key``."""
        return self.module_dict[get_module_dict_key_from_name(key)]

    def set(self, key: str, module: torch.nn.Module) -> None:
        """Store ``module`` under feature name ``key``."""
        internal = get_module_dict_key_from_name(key)
        self.internal_key_to_original_name_map[internal] = key
        self.module_dict[internal] = module

    def __len__(self) -> int:
        return len(self.module_dict)

    def __iter__(self):
        return iter(self.keys())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and get_module_dict_key_from_name(key) in self.module_dict

    def keys(self) -> list[str]:
        """The feature names, in insertion order."""
        return [get_name_from_module_dict_key(k) for k in self.module_dict.keys()]

    def values(self) -> list[torch.nn.Module]:
        """The modules, in insertion order."""
        return list(self.module_dict.values())

    def items(self) -> list[tuple[str, torch.nn.Module]]:
        """``(feature name, module)`` pairs, in insertion order."""
        return [(get_name_from_module_dict_key(k), m) for k, m in self.module_dict.items()]

    def update(self, modules: dict[str, torch.nn.Module]) -> None:
        """Store every module of ``modules`` under its feature name."""
        for name, module in modules.items():
            self.set(name, module)
