"""Encoders for category inputs."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from ludwig.constants import CATEGORY
from ludwig.encoders.base import ENCODER_OUTPUT, Encoder
from ludwig.encoders.registry import encoder_registry
from ludwig.modules.embedding_modules import Embed


@encoder_registry.register("dense", [CATEGORY])
class CategoryEmbedEncoder(Encoder):
    """A learned embedding per category value (``embedding_size`` capped at the vocabulary size)."""

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, metadata)
        vocab = metadata["idx2str"]
        self.embed = Embed(
            vocab,
            config.embedding_size,
            embeddings_trainable=config.embeddings_trainable,
            pretrained_embeddings=config.pretrained_embeddings,
            embedding_initializer=config.embedding_initializer,
            dropout=config.dropout,
            embeddings_on_cpu=config.embeddings_on_cpu,
        )
        self.output_size = self.embed.output_size

    def forward(self, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        return {ENCODER_OUTPUT: self.embed(inputs)}


@encoder_registry.register("sparse", [CATEGORY])
class CategorySparseEncoder(Encoder):
    """A one-hot embedding table (identity matrix), optionally trainable."""

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, metadata)
        vocab = metadata["idx2str"]
        self.embed = Embed(
            vocab,
            len(vocab),
            representation="sparse",
            embeddings_trainable=config.embeddings_trainable,
            dropout=config.dropout,
            embeddings_on_cpu=config.embeddings_on_cpu,
        )
        self.output_size = self.embed.output_size

    def forward(self, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        return {ENCODER_OUTPUT: self.embed(inputs)}


@encoder_registry.register("onehot", [CATEGORY])
class CategoryOneHotEncoder(Encoder):
    """The one-hot vector of the category index (no parameters)."""

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, metadata)
        self.output_size = metadata["vocab_size"]

    def forward(self, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        return {ENCODER_OUTPUT: F.one_hot(inputs, self.output_size).float()}


@encoder_registry.register("passthrough", [CATEGORY])
class CategoryPassthroughEncoder(Encoder):
    """The category index as a single float feature."""

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, metadata)
        self.output_size = 1

    def forward(self, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        return {ENCODER_OUTPUT: inputs.float().unsqueeze(-1)}


@encoder_registry.register("target", [CATEGORY])
class CategoryTargetEncoder(Encoder):
    """A learned ``[vocab_size, output_size]`` table, initialised to zeros, looked up by category index.

    Ludwig's parameter: ``target_values`` (an ``nn.Embedding``); the values are learned in training.
    """

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, metadata)
        self.target_values = nn.Embedding(metadata["vocab_size"], config.output_size)
        nn.init.zeros_(self.target_values.weight)
        self.output_size = config.output_size

    def forward(self, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        return {ENCODER_OUTPUT: self.target_values(inputs)}


@encoder_registry.register("hash", [CATEGORY])
class CategoryHashEncoder(Encoder):
    """The embedding of bucket ``index % num_hash_buckets`` (categories sharing a bucket share an embedding).

    Ludwig's parameter: ``embedding`` (``nn.Embedding(num_hash_buckets, embedding_size)``).
    """

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, metadata)
        self.num_hash_buckets = config.num_hash_buckets
        self.embedding = nn.Embedding(config.num_hash_buckets, config.embedding_size)
        self.output_size = config.embedding_size

    def bucket(self, inputs: torch.Tensor) -> torch.Tensor:
        """The hash bucket of each category index."""
        return inputs % self.num_hash_buckets

    def forward(self, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        return {ENCODER_OUTPUT: self.embedding(self.bucket(inputs))}
