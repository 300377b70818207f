"""Text features: sequence features with text defaults (``space_punct``, lowercase) and text metadata."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch

from ludwig.constants import TEXT
from ludwig.encoders import text_encoders
from ludwig.features.feature_registries import register_feature
from ludwig.features.sequence_feature import SequenceFeatureMixin, SequenceInputFeature, SequenceOutputFeature


class TextFeatureMixin(SequenceFeatureMixin):
    type = TEXT

    @classmethod
    def get_feature_meta(cls, config, column: pd.Series, is_input_feature: bool) -> dict[str, Any]:
        vocab = cls.vocabulary(config, column)
        metadata = cls.metadata_from_vocabulary(config, vocab)
        metadata["max_sequence_length_99ptile"] = vocab.sequence_length_99ptile
        metadata["str2idf"] = vocab.str2idf
        if is_input_feature and text_encoders.caches_encoder_embeddings(config):
            metadata.update(text_encoders.embedding_cache_metadata(config.encoder, metadata))
        return metadata

    @staticmethod
    def feature_data(config, column: pd.Series, metadata: dict[str, Any]) -> np.ndarray:
        ids = SequenceFeatureMixin.feature_data(config, column, metadata)
        if metadata.get(text_encoders.EMBEDDINGS_CACHED):  # preprocessing.cache_encoder_embeddings
            return text_encoders.precompute_embeddings(config.encoder, metadata, ids)
        return ids

    @classmethod
    def format_tokens(cls, tokens: list[list[str]]) -> list[Any]:
        return [" ".join(row) for row in tokens]


class TextInputFeature(SequenceInputFeature):
    """Hands the encoder the token ids as ``int64 [batch, time]`` (or the precomputed float embeddings)."""

    def prepare(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs.float() if inputs.is_floating_point() else inputs.long()


# Output features


class TextOutputFeature(SequenceOutputFeature):
    """Text generated token by token (or tagged per token); predictions are joined back into strings."""


register_feature(TEXT, TextFeatureMixin, TextInputFeature, TextOutputFeature)
