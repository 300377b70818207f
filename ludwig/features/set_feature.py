"""Set features: each value is a set of elements (tokens of a string), encoded as a multi-hot row."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
import torch

from ludwig.constants import LOGITS, PREDICTIONS, PROBABILITIES, SET, UNKNOWN_SYMBOL
from ludwig.error import InputDataError
from ludwig.features.base_feature import BaseFeatureMixin, InputFeature, OutputFeature, loss_with_class_weights
from ludwig.features.feature_registries import register_feature
from ludwig.utils.tokenizers import get_tokenizer, tokenize_column

logger = logging.getLogger(__name__)

# Ludwig's vocabularies reserve index 3 for the unknown symbol (after stop, start and padding, which sets
# do not have): a set vocabulary is the most frequent elements with <UNK> moved to index 3.
UNKNOWN_INDEX = 3


def _is_list_like(value: Any) -> bool:
    return isinstance(value, list | tuple | set | frozenset | np.ndarray)


def element_lists(config, column: pd.Series) -> pd.Series:
    """Each row of the column as a list of element strings.

    Strings are split by ``preprocessing.tokenizer``; rows that already are lists (a DataFrame built in Python)
    are taken element by element. Missing values are empty sets.
    """
    column = column.reset_index(drop=True)
    is_list = column.map(_is_list_like) if column.dtype == object else None
    if is_list is None or not is_list.any():
        return _tokenize(config, column)
    lowercase = config.preprocessing.lowercase
    given = column[is_list].map(lambda v: [str(e).lower() if lowercase else str(e) for e in v])
    return _tokenize(config, column.where(~is_list, None)).where(~is_list, given)


def _tokenize(config, column: pd.Series) -> pd.Series:
    preprocessing = config.preprocessing
    try:
        tokenizer = get_tokenizer(preprocessing.tokenizer)
    except KeyError as e:
        raise InputDataError(config.column, config.type, f"preprocessing.tokenizer: {e.args[0]}") from None
    return tokenize_column(column, tokenizer, lowercase=preprocessing.lowercase)


def build_vocabulary(lists: pd.Series, most_common: int) -> dict[str, Any]:
    """``idx2str``, ``str2idx``, ``str2freq``, ``vocab_size`` and ``max_set_size`` of the training rows."""
    counts = lists.explode().dropna().value_counts()
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))  # ties broken by element
    vocab = [element for element, _ in ordered[:most_common] if element != UNKNOWN_SYMBOL]
    vocab.insert(min(UNKNOWN_INDEX, len(vocab)), UNKNOWN_SYMBOL)
    freq = dict(ordered)
    lengths = lists.map(len)
    return {
        "idx2str": vocab,
        "str2idx": {element: i for i, element in enumerate(vocab)},
        "str2freq": {element: int(freq.get(element, 0)) for element in vocab},
        "vocab_size": len(vocab),
        "max_set_size": int(lengths.max()) if len(lengths) else 0,
    }


def element_matrix(lists: pd.Series, metadata: dict[str, Any], counts: bool) -> np.ndarray:
    """``[rows, vocab_size]``: booleans (is the element present) or, with ``counts``, float32 occurrence counts.

    Elements outside the vocabulary count as ``<UNK>``.
    """
    str2idx = metadata["str2idx"]
    exploded = lists.reset_index(drop=True).explode()
    exploded = exploded[exploded.notna()]
    rows = exploded.index.to_numpy(dtype=np.int64)
    ids = exploded.map(str2idx)
    unseen = ids.isna()
    if unseen.any():
        ids = ids.fillna(str2idx[UNKNOWN_SYMBOL])
    ids = ids.to_numpy(dtype=np.int64)
    shape = (len(lists), metadata["vocab_size"])
    if counts:
        matrix = np.zeros(shape, dtype=np.float32)
        np.add.at(matrix, (rows, ids), 1.0)
    else:
        matrix = np.zeros(shape, dtype=bool)
        matrix[rows, ids] = True
    return matrix


class SetFeatureMixin(BaseFeatureMixin):
    type = SET
    counts = False  # bags count their elements

    @staticmethod
    def get_feature_meta(config, column: pd.Series, is_input_feature: bool) -> dict[str, Any]:
        lists = element_lists(config, column)
        metadata = build_vocabulary(lists, config.preprocessing.most_common)
        if not is_input_feature and metadata["vocab_size"] <= 1:
            raise InputDataError(config.column, config.type, "an output set needs at least one element; none found.")
        return metadata

    @classmethod
    def feature_data(cls, config, column: pd.Series, metadata: dict[str, Any]) -> np.ndarray:
        return element_matrix(element_lists(config, column), metadata, cls.counts)

    @staticmethod
    def postprocess_predictions(
        name: str, outputs: dict[str, np.ndarray], metadata: dict[str, Any], threshold: float | None = None
    ) -> dict[str, Any]:
        predicted = outputs[PREDICTIONS].astype(bool)
        rows, elements = np.nonzero(predicted)
        bounds = np.searchsorted(rows, np.arange(1, len(predicted)))
        vocab = np.asarray(metadata["idx2str"], dtype=object)
        columns: dict[str, Any] = {f"{name}_{PREDICTIONS}": [list(v) for v in np.split(vocab[elements], bounds)]}
        if PROBABILITIES in outputs:
            probabilities = outputs[PROBABILITIES].astype(np.float32)
            # As Ludwig: the probabilities of the predicted elements, in vocabulary order.
            columns[f"{name}_{PROBABILITIES}"] = np.split(probabilities[rows, elements], bounds)
        return columns


class SetInputFeature(InputFeature):
    @staticmethod
    def input_size(metadata: dict[str, Any]) -> int:
        return metadata["vocab_size"]

    def prepare(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs.float()


class SetOutputFeature(OutputFeature):
    def loss_config(self, config, metadata: dict[str, Any]):
        return loss_with_class_weights(config, metadata, "elements")

    def _metric_instances_spec(self) -> dict[str, Any]:
        spec = dict(self.metric_classes)
        if "jaccard" in spec:
            threshold = self.config.threshold
            spec["jaccard"] = lambda cls=spec["jaccard"]: cls(threshold=threshold)
        return spec

    def predictions(self, logits: torch.Tensor) -> dict[str, torch.Tensor]:
        probabilities = torch.sigmoid(logits)
        return {PREDICTIONS: probabilities >= self.config.threshold, PROBABILITIES: probabilities, LOGITS: logits}


register_feature(SET, SetFeatureMixin, SetInputFeature, SetOutputFeature)
