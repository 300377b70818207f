"""Recurrent stacks (rnn, lstm, gru) over ``[batch, time, channels]`` built on torch's fused cells."""

from __future__ import annotations

import logging

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ludwig.modules.fully_connected import initialize

logger = logging.getLogger(__name__)

# Ludwig's cell names; the block/cudnn/layer-norm variants of its TensorFlow days map to torch's fused cells.
CELL_TYPES = {
    "rnn": nn.RNN,
    "lstm": nn.LSTM,
    "lstm_block": nn.LSTM,
    "lstm_cudnn": nn.LSTM,
    "ln": nn.LSTM,
    "gru": nn.GRU,
    "gru_block": nn.GRU,
    "gru_cudnn": nn.GRU,
}
RNN_ACTIVATIONS = ("tanh", "relu")


class RecurrentStack(nn.Module):
    """``num_layers`` recurrent layers, optionally bidirectional.

    Args:
        input_size: size of the last axis of the input.
        hidden_size: state size of each direction.
        cell_type: a key of ``CELL_TYPES``.
        activation: nonlinearity of the plain ``rnn`` cell (``tanh`` or ``relu``); lstm and gru cells use
            tanh by construction.
        recurrent_activation: gate activation; torch's fused cells use sigmoid.
        unit_forget_bias: start the lstm forget-gate bias at 1.
        weights_initializer, recurrent_initializer, bias_initializer: initializers of the input-to-hidden
            weights, the hidden-to-hidden weights and the biases.
        dropout: dropout between stacked layers (torch's ``dropout``; no effect with one layer).

    ``forward`` returns the hidden sequence ``[batch, time, hidden_size * directions]`` and the final state of
    the last layer, both directions concatenated: a tensor ``[batch, hidden_size * directions]``, or the
    ``(h, c)`` pair of such tensors for lstm. With a mask, padded steps are skipped (packed sequences), so the
    final state is the state after each row's last real step and padded outputs are zero.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        cell_type: str = "rnn",
        num_layers: int = 1,
        bidirectional: bool = False,
        activation: str | None = "tanh",
        recurrent_activation: str | None = "sigmoid",
        use_bias: bool = True,
        unit_forget_bias: bool = True,
        weights_initializer: str = "xavier_uniform",
        recurrent_initializer: str = "orthogonal",
        bias_initializer: str = "zeros",
        dropout: float = 0.0,
    ):
        super().__init__()
        if cell_type not in CELL_TYPES:
            raise ValueError(f"cell_type {cell_type!r} is not allowed; expected one of {sorted(CELL_TYPES)}.")
        cell_cls = CELL_TYPES[cell_type]
        kwargs = {}
        if cell_cls is nn.RNN:
            if activation not in RNN_ACTIVATIONS:
                logger.warning("rnn cells support activation tanh or relu; using tanh instead of %r.", activation)
                activation = "tanh"
            kwargs["nonlinearity"] = activation
        elif activation not in ("tanh", None):
            logger.warning("%s cells use tanh; activation %r has no effect.", cell_type, activation)
        if recurrent_activation not in ("sigmoid", None):
            logger.warning(
                "torch recurrent cells use sigmoid gates; recurrent_activation %r has no effect.", recurrent_activation
            )
        self.rnn = cell_cls(
            input_size,
            hidden_size,
            num_layers=num_layers,
            bias=use_bias,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
            bidirectional=bidirectional,
            **kwargs,
        )
        self.is_lstm = cell_cls is nn.LSTM
        for name, param in self.rnn.named_parameters():
            if name.startswith("weight_ih"):
                initialize(param, weights_initializer)
            elif name.startswith("weight_hh"):
                initialize(param, recurrent_initializer)
            elif name.startswith("bias"):
                initialize(param, bias_initializer)
                if self.is_lstm and unit_forget_bias and name.startswith("bias_ih"):
                    with torch.no_grad():
                        param[hidden_size : 2 * hidden_size] += 1.0  # torch gate order: input, forget, cell, output
        self.num_directions = 2 if bidirectional else 1
        self.hidden_size = hidden_size
        self.output_size = hidden_size * self.num_directions

    def _final(self, state: torch.Tensor) -> torch.Tensor:
        # state: [layers * directions, batch, hidden] -> the last layer's directions side by side.
        last = state[-self.num_directions :]
        return last.transpose(0, 1).reshape(state.shape[1], -1)

    def forward(
        self, inputs: torch.Tensor, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | tuple[torch.Tensor, torch.Tensor]]:
        if mask is None or bool(mask.all()):
            outputs, state = self.rnn(inputs)
        else:
            outputs, state = self._forward_masked(inputs, mask)
        if self.is_lstm:
            return outputs, (self._final(state[0]), self._final(state[1]))
        return outputs, self._final(state)

    def _forward_masked(self, inputs: torch.Tensor, mask: torch.Tensor):
        batch, time = mask.shape
        lengths = mask.sum(dim=1)
        starts = mask.to(torch.int8).argmax(dim=1)  # first real step (0 with right padding)
        shifted = bool(starts.any())
        if shifted:  # Left padding: move each row's real steps to the front, run, then move them back.
            index = (torch.arange(time, device=mask.device).unsqueeze(0) + starts.unsqueeze(1)) % time
            inputs = inputs.gather(1, index.unsqueeze(-1).expand(-1, -1, inputs.shape[-1]))
        packed = pack_padded_sequence(inputs, lengths.clamp(min=1).cpu(), batch_first=True, enforce_sorted=False)
        outputs, state = self.rnn(packed)
        outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=time)
        if shifted:
            back = (torch.arange(time, device=mask.device).unsqueeze(0) - starts.unsqueeze(1)) % time
            outputs = outputs.gather(1, back.unsqueeze(-1).expand(-1, -1, outputs.shape[-1]))
        return outputs, state
