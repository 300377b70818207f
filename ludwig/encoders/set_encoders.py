"""Encoders for set and bag inputs: a (weighted) sum of the embeddings of the elements present."""

from __future__ import annotations

import torch

from ludwig.constants import BAG, SET
from ludwig.encoders.base import ENCODER_OUTPUT, Encoder
from ludwig.encoders.registry import encoder_registry
from ludwig.modules.embedding_modules import Embed
from ludwig.modules.fully_connected import fc_stack_from_config


@encoder_registry.register("embed", [SET, BAG])
class SetEmbedEncoder(Encoder):
    """``inputs [batch, vocab_size] @ embeddings [vocab_size, embedding_size]``, then the FC stack.

    Sets arrive as multi-hot rows, so each row is the sum of its elements' embeddings; bags arrive as counts,
    so each embedding is weighted by how often the element occurs.
    """

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, metadata)
        vocab = metadata["idx2str"]
        self.embed = Embed(
            vocab,
            config.embedding_size,
            representation=config.representation,
            embeddings_trainable=config.embeddings_trainable,
            pretrained_embeddings=config.pretrained_embeddings,
            embedding_initializer=config.weights_initializer,
            force_embedding_size=config.force_embedding_size,
            embeddings_on_cpu=config.embeddings_on_cpu,
        )
        self.dropout = torch.nn.Dropout(config.dropout) if config.dropout > 0 else None
        self.fc_stack = fc_stack_from_config(self.embed.output_size, config)
        self.output_size = self.fc_stack.output_size

    def forward(self, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        weights = self.embed.embeddings.weight
        hidden = inputs.to(weights.dtype) @ weights
        if self.dropout is not None:
            hidden = self.dropout(hidden)
        return {ENCODER_OUTPUT: self.fc_stack(hidden)}
