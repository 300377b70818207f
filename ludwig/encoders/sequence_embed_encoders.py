"""The `embed` and `passthrough` encoders of sequence and text inputs (token ids ``int64 [batch, time]``)."""

from __future__ import annotations

import torch

from ludwig.constants import SEQUENCE, TEXT
from ludwig.encoders.base import ENCODER_OUTPUT, Encoder
from ludwig.encoders.registry import encoder_registry
from ludwig.modules.embedding_modules import Embed
from ludwig.modules.reduction_modules import SequenceReducer
from ludwig.utils.strings_utils import PAD_IDX


@encoder_registry.register("embed", [SEQUENCE, TEXT])
class SequenceEmbedEncoder(Encoder):
    """An embedding per token, then ``reduce_output`` over the non-padding steps.

    Returns ``[batch, embedding_size]`` (``[batch, time, embedding_size]`` when ``reduce_output`` is null).
    With ``embeddings_on_cpu`` the embedding table stays in CPU memory when the model moves to an accelerator;
    lookups run there and only the looked-up rows move.
    """

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, metadata)
        vocab = list(config.vocab or metadata["idx2str"])
        sparse = config.representation == "sparse"
        self.embed = Embed(
            vocab,
            len(vocab) if sparse else config.embedding_size,
            representation=config.representation,
            embeddings_trainable=config.embeddings_trainable,
            pretrained_embeddings=None if sparse else config.pretrained_embeddings,
            embedding_initializer=config.weights_initializer,
            dropout=config.dropout,
            embeddings_on_cpu=config.embeddings_on_cpu,
        )
        self.pad_idx = int(metadata.get("pad_idx", PAD_IDX))
        max_length = config.max_sequence_length or metadata.get("max_sequence_length")
        self.reducer = SequenceReducer(config.reduce_output, max_length, self.embed.output_size)
        self.output_size = self.reducer.output_size or self.embed.output_size

    def forward(self, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        mask = inputs != self.pad_idx
        return {ENCODER_OUTPUT: self.reducer(self.embed(inputs), mask)}


@encoder_registry.register("passthrough", [SEQUENCE, TEXT])
class SequencePassthroughEncoder(Encoder):
    """The token ids as floats, ``[batch, time, 1]``; ``reduce_output`` (default null) reduces the steps."""

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, metadata)
        self.pad_idx = int(metadata.get("pad_idx", PAD_IDX))
        step_size = config.encoding_size or 1
        max_length = metadata.get("max_sequence_length", config.max_sequence_length)
        self.reducer = SequenceReducer(config.reduce_output, max_length, step_size)
        self.output_size = self.reducer.output_size or step_size

    def forward(self, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        mask = None
        if not inputs.is_floating_point():
            mask = inputs != self.pad_idx
        values = inputs.float()
        if values.dim() == 2:
            values = values.unsqueeze(-1)
        return {ENCODER_OUTPUT: self.reducer(values, mask)}
