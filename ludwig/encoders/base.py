"""Base class of encoders."""

from __future__ import annotations

from torch import nn

ENCODER_OUTPUT = "encoder_output"


class Encoder(nn.Module):
    """Maps a batch of one input feature's tensors to ``{"encoder_output": Tensor[batch, output_size]}``.

    Subclasses set ``output_size`` and implement ``forward``.

    Args:
        config: the feature's ``encoder`` section.
        input_size: size of the last dimension of the preprocessed input (1 for scalars).
        metadata: the feature's entry of ``training_set_metadata`` (vocabularies, sizes).
    """

    output_size: int

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__()
        self.config = config
