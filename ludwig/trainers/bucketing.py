"""``trainer.bucketing_field``: the length of each row of a sequence-like input, to batch rows of similar length."""

from __future__ import annotations

import numpy as np

from ludwig.data.dataset import Dataset
from ludwig.models.ecd import ECD


def row_lengths(column: np.ndarray, padding_value: float) -> np.ndarray:
    """Entries of each row that are not ``padding_value`` (a 1-D column counts one entry a row)."""
    values = column.reshape(len(column), -1)
    return (values != padding_value).sum(axis=1)


def bucketing_lengths(model: ECD, dataset: Dataset, field: str) -> np.ndarray:
    """The length of each row of ``dataset`` in the input feature ``field`` (sequence, text or timeseries).

    Token ids are padded with the id the feature's encoder masks (``pad_idx``, from the vocabulary); float series
    (timeseries) with ``preprocessing.padding_value``.
    """
    feature = model.input_feature(field)
    padding_value = getattr(feature.encoder_obj, "pad_idx", None)
    if padding_value is None:
        padding_value = feature.config.preprocessing.padding_value
    return row_lengths(dataset.columns[feature.proc_column], padding_value)
