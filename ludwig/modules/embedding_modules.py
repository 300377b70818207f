"""Embedding tables, optionally initialised from a GloVe-style text file."""

from __future__ import annotations

import logging

import numpy as np
import torch
from torch import nn

from ludwig.modules.fully_connected import initialize

logger = logging.getLogger(__name__)


def load_pretrained_embeddings(path: str, vocab: list[str], embedding_size: int | None) -> np.ndarray:
    """Read a whitespace-separated ``token v1 v2 ...`` file; rows for tokens not in the file are random."""
    vectors: dict[str, np.ndarray] = {}
    wanted = set(vocab)
    with open(path, encoding="utf-8") as f:
        for line_number, line in enumerate(f, start=1):
            parts = line.rstrip().split(" ")
            if len(parts) < 2 or parts[0] not in wanted:
                continue
            try:
                vectors[parts[0]] = np.asarray(parts[1:], dtype=np.float32)
            except ValueError:
                raise ValueError(f"{path}:{line_number}: expected a token followed by numbers.") from None
    if not vectors:
        raise ValueError(f"Pretrained embeddings file {path} holds none of the {len(vocab)} vocabulary entries.")
    size = len(next(iter(vectors.values())))
    if embedding_size is not None and embedding_size != size:
        logger.warning("Using the pretrained embedding size %d instead of embedding_size %d.", size, embedding_size)
    rng = np.random.default_rng(0)
    table = rng.normal(0.0, 1.0, (len(vocab), size)).astype(np.float32)
    for i, token in enumerate(vocab):
        if token in vectors:
            table[i] = vectors[token]
    return table


class Embed(nn.Module):
    """An embedding table over a vocabulary.

    Args:
        vocab: the vocabulary (index -> string).
        embedding_size: width of each embedding; ignored for one-hot (``representation="sparse"``). A dense table
            is never wider than the vocabulary (as Ludwig does) unless ``force_embedding_size``.
        representation: ``"dense"`` (learned) or ``"sparse"`` (identity matrix).
        embeddings_on_cpu: keep the table in CPU memory when the model moves to an accelerator; lookups run on
            the CPU and only the looked-up rows move.
    """

    def __init__(
        self,
        vocab: list[str],
        embedding_size: int,
        representation: str = "dense",
        embeddings_trainable: bool = True,
        pretrained_embeddings: str | None = None,
        embedding_initializer: str | None = None,
        dropout: float = 0.0,
        force_embedding_size: bool = False,
        embeddings_on_cpu: bool = False,
    ):
        super().__init__()
        vocab_size = len(vocab)
        if not force_embedding_size and not pretrained_embeddings:
            embedding_size = min(embedding_size, vocab_size)
        if representation == "sparse":
            weight = torch.eye(vocab_size)
        elif pretrained_embeddings:
            weight = torch.from_numpy(load_pretrained_embeddings(pretrained_embeddings, vocab, embedding_size))
        else:
            weight = torch.empty(vocab_size, embedding_size)
            if embedding_initializer:
                initialize(weight, embedding_initializer)
            else:
                # Ludwig's default when no initializer is named: uniform on [-1, 1] (the scale of its checkpoints).
                nn.init.uniform_(weight, -1.0, 1.0)
        self.embeddings = nn.Embedding.from_pretrained(weight, freeze=not embeddings_trainable)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else None
        self.output_size = weight.shape[1]
        self.embeddings_on_cpu = embeddings_on_cpu

    def _apply(self, fn, recurse: bool = True):
        # Device moves and casts of the model leave a CPU-resident table where it is.
        return self if self.embeddings_on_cpu else super()._apply(fn, recurse)

    def forward(self, indices: torch.Tensor) -> torch.Tensor:
        if self.embeddings_on_cpu and indices.device.type != "cpu":
            embedded = self.embeddings(indices.cpu()).to(indices.device)
        else:
            embedded = self.embeddings(indices)
        return embedded if self.dropout is None else self.dropout(embedded)
