"""Modality dropout (``trainer.modality_dropout``): while training, an input feature's whole encoder output is
sometimes replaced by a learned "missing feature" embedding, so the model learns to predict without it.

For every training batch each input feature is dropped independently with the configured probability; a dropped
feature's ``encoder_output`` becomes its embedding (a vector of the encoder's output size, starting at zeros)
repeated over the batch and any sequence steps. Other keys of the encoder's output (a mask) are kept. In eval mode
(evaluation, predict, serving, export) the module returns its input unchanged. The draws come from torch's global
generator, whose state the training checkpoints save, so a resumed run draws the same features.
"""

from __future__ import annotations

import torch
from torch import nn

from ludwig.encoders.base import ENCODER_OUTPUT


class ModalityDropout(nn.Module):
    """Drops whole input features' encoder outputs while training.

    Args:
        sizes: each input feature's encoder output size, keyed by feature name, in the combiner's order.
        probability: the chance that a feature is dropped for a batch.
    """

    def __init__(self, sizes: dict[str, int], probability: float):
        super().__init__()
        self.names = list(sizes)
        self.probability = float(probability)
        self.missing = nn.ParameterList([nn.Parameter(torch.zeros(size)) for size in sizes.values()])

    def forward(self, encoder_outputs: dict[str, dict[str, torch.Tensor]]) -> dict[str, dict[str, torch.Tensor]]:
        """``encoder_outputs`` (feature name -> encoder output) with the features drawn for dropping replaced."""
        if not self.training:
            return encoder_outputs
        dropped = (torch.rand(len(self.names)) < self.probability).tolist()
        outputs = dict(encoder_outputs)
        for name, embedding, drop in zip(self.names, self.missing, dropped):
            if drop:
                encoded = encoder_outputs[name][ENCODER_OUTPUT]
                missing = embedding.to(encoded.dtype).expand_as(encoded)
                outputs[name] = {**encoder_outputs[name], ENCODER_OUTPUT: missing}
        return outputs
