"""Reduction of a sequence of vectors ``[batch, time, hidden]`` to one vector per row (``reduce_output``).

Used by sequence encoders (``reduce_output``), by output features fed a sequence-shaped combiner output
(``reduce_input``) and by the sequence combiners. ``None`` and ``"none"`` keep the sequence as it is.
"""

from __future__ import annotations

import torch
from torch import nn

REDUCE_MODES = ("sum", "mean", "avg", "max", "concat", "last", "attention", "none", None)


def sequence_lengths(mask: torch.Tensor) -> torch.Tensor:
    """Number of real (unmasked) steps of each row of a ``[batch, time]`` boolean mask (at least 1)."""
    return mask.sum(dim=1).clamp(min=1)


class SequenceReducer(nn.Module):
    """Reduces ``[batch, time, hidden]`` inputs along the time axis.

    Args:
        reduce_mode: one of ``REDUCE_MODES``.
        max_sequence_length: number of time steps (needed by ``concat`` to know its output size).
        encoding_size: size of the hidden axis (needed by ``attention`` and to report ``output_size``).

    ``forward`` takes an optional ``mask`` (``[batch, time]``, true on real steps): ``sum``, ``mean``, ``max``,
    ``last`` and ``attention`` then ignore padded steps. Without a mask every step counts and ``last`` is the
    final step.
    """

    def __init__(
        self, reduce_mode: str | None, max_sequence_length: int | None = None, encoding_size: int | None = None
    ):
        super().__init__()
        if reduce_mode not in REDUCE_MODES:
            raise ValueError(f"reduce mode {reduce_mode!r} is not allowed; expected one of {list(REDUCE_MODES)}.")
        self.reduce_mode = None if reduce_mode == "none" else ("mean" if reduce_mode == "avg" else reduce_mode)
        self.max_sequence_length = max_sequence_length
        self.encoding_size = encoding_size
        if self.reduce_mode == "attention":
            if encoding_size is None:
                raise ValueError("attention reduction needs the encoding size.")
            self.attention_hidden = nn.Linear(encoding_size, encoding_size)
            self.attention_score = nn.Linear(encoding_size, 1, bias=False)

    @property
    def output_size(self) -> int | None:
        """Size of the last axis of the output (``None`` when unknown)."""
        if self.reduce_mode == "concat":
            if self.max_sequence_length is None or self.encoding_size is None:
                return None
            return self.max_sequence_length * self.encoding_size
        return self.encoding_size

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        mode = self.reduce_mode
        if mode is None or inputs.dim() < 3:
            return inputs
        if mode == "concat":
            return inputs.flatten(start_dim=1)
        if mode == "last":
            if mask is None:
                return inputs[:, -1]
            # The last real step, wherever the padding is (right or left).
            last = mask.shape[1] - 1 - mask.flip(dims=[1]).int().argmax(dim=1)
            return inputs[torch.arange(inputs.shape[0], device=inputs.device), last]
        if mode == "attention":
            scores = self.attention_score(torch.tanh(self.attention_hidden(inputs))).squeeze(-1)
            if mask is not None:
                scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
            weights = torch.softmax(scores, dim=1).unsqueeze(-1)
            return (weights * inputs).sum(dim=1)
        if mask is not None:
            mask3 = mask.unsqueeze(-1)
            if mode == "max":
                return inputs.masked_fill(~mask3, torch.finfo(inputs.dtype).min).amax(dim=1)
            summed = (inputs * mask3).sum(dim=1)
            return summed if mode == "sum" else summed / sequence_lengths(mask).unsqueeze(-1).to(inputs.dtype)
        if mode == "max":
            return inputs.amax(dim=1)
        return inputs.sum(dim=1) if mode == "sum" else inputs.mean(dim=1)
