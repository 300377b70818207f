"""The ``tf_idf`` text encoder: a fixed (untrained) TF-IDF vector over the feature vocabulary."""

from __future__ import annotations

import torch

from ludwig.constants import TEXT
from ludwig.encoders.base import ENCODER_OUTPUT, Encoder
from ludwig.encoders.registry import encoder_registry
from ludwig.utils.strings_utils import PAD_IDX


@encoder_registry.register("tf_idf", [TEXT])
class TfIdfEncoder(Encoder):
    """Each row's token frequencies (counts over its non-padding tokens, divided by their number) times the
    training-set idf of each vocabulary entry: ``[batch, vocab_size]``.

    The idf is the metadata's ``str2idf`` (``preprocessing.compute_idf``, set whenever this encoder is used).
    """

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, metadata)
        vocab = metadata.get("idx2str")
        str2idf = metadata.get("str2idf")
        if not vocab or not str2idf:
            raise ValueError(
                "tf_idf encoder: the training set metadata has no idf (str2idf); the text feature must be "
                "preprocessed with preprocessing.compute_idf: true."
            )
        self.vocab_size = len(vocab)
        self.pad_idx = int(metadata.get("pad_idx", PAD_IDX))
        idf = torch.tensor([float(str2idf.get(token, 0.0)) for token in vocab], dtype=torch.float32)
        self.register_buffer("idf", idf.unsqueeze(0))
        self.output_size = self.vocab_size

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        ids = inputs.long()
        real = (ids != self.pad_idx).to(self.idf.dtype)
        counts = self.idf.new_zeros(ids.shape[0], self.vocab_size).scatter_add_(1, ids, real)
        tf = counts / counts.sum(dim=1, keepdim=True).clamp(min=1.0)
        return {ENCODER_OUTPUT: tf * self.idf}
