"""1-d convolutions over sequences ``[batch, time, channels]``: single layers, stacks and parallel banks.

Every layer takes an optional padding mask (``[batch, time]``, true on real steps) and returns the mask of its
output steps, so padding never leaks into real steps: padded inputs are zeroed before each convolution, and
pooling only looks at real steps. With right padding, adding more padding leaves the real outputs unchanged.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from ludwig.modules.fully_connected import get_activation, initialize

PADDINGS = ("same", "valid")
POOL_FUNCTIONS = ("max", "average", "avg", "mean")

# Keys a per-layer dict of ``conv_layers`` / ``stacked_layers`` may set.
CONV_LAYER_KEYS = (
    "num_filters",
    "filter_size",
    "strides",
    "padding",
    "dilation_rate",
    "use_bias",
    "weights_initializer",
    "bias_initializer",
    "norm",
    "norm_params",
    "activation",
    "dropout",
    "pool_function",
    "pool_size",
    "pool_strides",
    "pool_padding",
)


def _same_padding(length: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    """(left, right) zero padding so a window is centred on every ``stride``-th step.

    The left side is fixed by the kernel alone, so extra right padding of the data never shifts the windows.
    """
    span = dilation * (kernel - 1)
    left = span // 2
    if stride == 1:
        return left, span - left
    out = math.ceil(length / stride)
    total = max((out - 1) * stride + span + 1 - length, 0)
    return left, max(total - left, 0)


class Conv1DLayer(nn.Module):
    """Conv1d -> normalization -> activation -> dropout -> optional pooling, over ``[batch, time, channels]``.

    Args:
        in_channels: size of the last axis of the input.
        num_filters: number of output channels.
        filter_size: width of the convolution window.
        strides: step between windows.
        padding: ``"same"`` (output length ``ceil(time / strides)``) or ``"valid"`` (no padding).
        dilation_rate: spacing between the window's taps.
        norm: ``"batch"``, ``"layer"``, ``"ghost"`` (as batch) or None.
        pool_function: ``"max"`` or ``"average"`` (``"avg"``, ``"mean"``); used when ``pool_size`` is set.
        pool_size: width of the pooling window; None for no pooling.
        pool_strides: step of the pooling windows (defaults to ``pool_size``).
        pool_padding: ``"same"`` or ``"valid"``.
    """

    def __init__(
        self,
        in_channels: int,
        num_filters: int,
        filter_size: int,
        strides: int = 1,
        padding: str = "same",
        dilation_rate: int = 1,
        use_bias: bool = True,
        weights_initializer: str = "xavier_uniform",
        bias_initializer: str = "zeros",
        norm: str | None = None,
        norm_params: dict | None = None,
        activation: str | None = "relu",
        dropout: float = 0.0,
        pool_function: str | None = "max",
        pool_size: int | None = None,
        pool_strides: int | None = None,
        pool_padding: str = "valid",
    ):
        super().__init__()
        if padding not in PADDINGS:
            raise ValueError(f"padding {padding!r} is not allowed; expected one of {list(PADDINGS)}.")
        if pool_padding not in PADDINGS:
            raise ValueError(f"pool_padding {pool_padding!r} is not allowed; expected one of {list(PADDINGS)}.")
        if pool_function not in (*POOL_FUNCTIONS, None):
            raise ValueError(f"pool_function {pool_function!r} is not allowed; expected one of {list(POOL_FUNCTIONS)}.")
        self.filter_size = filter_size
        self.strides = strides
        self.padding = padding
        self.dilation_rate = dilation_rate
        span = dilation_rate * (filter_size - 1)
        # The convolution pads by itself when "same" padding is symmetric (stride 1, even span); other cases
        # pad explicitly first.
        builtin_same = padding == "same" and strides == 1 and span % 2 == 0
        self.conv = nn.Conv1d(
            in_channels,
            num_filters,
            filter_size,
            stride=strides,
            padding=span // 2 if builtin_same else 0,
            dilation=dilation_rate,
            bias=use_bias,
        )
        self._manual_same = padding == "same" and not builtin_same
        initialize(self.conv.weight, weights_initializer)
        if use_bias:
            initialize(self.conv.bias, bias_initializer)
        params = dict(norm_params or {})
        params.pop("virtual_batch_size", None)
        self.batch_norm = nn.BatchNorm1d(num_filters, **params) if norm in ("batch", "ghost") else None
        self.layer_norm = nn.LayerNorm(num_filters, **params) if norm == "layer" else None
        self.activation = None if activation in (None, "linear") else get_activation(activation)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else None
        self.pool_size = pool_size
        self.pool_strides = pool_strides or pool_size
        self.pool_padding = pool_padding
        self.pool_max = pool_function in ("max", None)
        self.output_size = num_filters

    def _conv_length(self, length: int) -> int:
        span = self.dilation_rate * (self.filter_size - 1)
        if self.padding == "same":
            left, right = _same_padding(length, self.filter_size, self.strides, self.dilation_rate)
            length = length + left + right
        else:
            length = max(length, span + 1)
        return (length - span - 1) // self.strides + 1

    def _pool_length(self, length: int) -> int:
        if self.pool_size is None:
            return length
        if self.pool_padding == "same":
            return math.ceil(length / self.pool_strides)
        return (max(length, self.pool_size) - self.pool_size) // self.pool_strides + 1

    def output_length(self, length: int) -> int:
        """Number of output steps for ``length`` input steps."""
        return self._pool_length(self._conv_length(length))

    def forward(
        self, inputs: torch.Tensor, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Map ``[batch, time, channels]`` to ``[batch, time', num_filters]`` and the output steps' mask."""
        hidden, mask = self.forward_channels_first(inputs.transpose(1, 2), mask)
        return hidden.transpose(1, 2), mask

    def forward_channels_first(
        self, inputs: torch.Tensor, mask: torch.Tensor | None = None, inputs_masked: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """As ``forward`` on ``[batch, channels, time]`` tensors (stacks avoid a transpose per layer).

        ``inputs_masked`` says the padded steps of ``inputs`` are already zero (parallel banks zero them once).
        """
        hidden = inputs
        if mask is not None and not inputs_masked:
            hidden = hidden * mask.unsqueeze(1).to(hidden.dtype)
        length = hidden.shape[-1]
        if self._manual_same:
            hidden = F.pad(hidden, _same_padding(length, self.filter_size, self.strides, self.dilation_rate))
        elif self.padding == "valid":
            span = self.dilation_rate * (self.filter_size - 1)
            if length <= span:  # Too short for one window: extend with zeros, as padding would be.
                hidden = F.pad(hidden, (0, span + 1 - length))
        hidden = self.conv(hidden)
        if self.batch_norm is not None:
            hidden = self.batch_norm(hidden)
        if self.layer_norm is not None:
            hidden = self.layer_norm(hidden.transpose(1, 2)).transpose(1, 2)
        if self.activation is not None:
            hidden = self.activation(hidden)
        if self.dropout is not None:
            hidden = self.dropout(hidden)
        if mask is not None:
            # An output step is real when the input step its window is anchored on is real.
            mask = mask[:, :: self.strides][:, : hidden.shape[-1]]
        if self.pool_size is not None:
            hidden, mask = self._pool(hidden, mask)
        return hidden, mask

    def _pool(self, hidden: torch.Tensor, mask: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        size, stride = self.pool_size, self.pool_strides
        length = hidden.shape[-1]
        if self.pool_padding == "same":
            out = math.ceil(length / stride)
            right = max((out - 1) * stride + size - length, 0)
        else:
            right = max(size - length, 0)
        real = None if mask is None else mask.unsqueeze(1)
        if self.pool_max:
            floor = torch.finfo(hidden.dtype).min
            if real is not None:
                hidden = hidden.masked_fill(~real, floor)
            if right:
                hidden = F.pad(hidden, (0, right), value=floor)
            pooled = F.max_pool1d(hidden, size, stride)
        else:
            weights = torch.ones_like(hidden[:, :1]) if real is None else real.to(hidden.dtype)
            hidden = hidden * weights
            if right:
                hidden, weights = F.pad(hidden, (0, right)), F.pad(weights, (0, right))
            # Average over the real steps of each window only (padding is not counted).
            pooled = F.avg_pool1d(hidden, size, stride) / F.avg_pool1d(weights, size, stride).clamp(min=1e-12)
        if mask is None:
            return pooled, None
        real_f = mask.unsqueeze(1).to(pooled.dtype)
        if right:
            real_f = F.pad(real_f, (0, right))
        new_mask = F.max_pool1d(real_f, size, stride).squeeze(1) > 0
        return pooled * new_mask.unsqueeze(1).to(pooled.dtype), new_mask


def _layer_params(spec: dict[str, Any], defaults: dict[str, Any], where: str) -> dict[str, Any]:
    unknown = sorted(set(spec) - set(CONV_LAYER_KEYS))
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown}; expected some of {list(CONV_LAYER_KEYS)}.")
    return {**defaults, **spec}


def _build_layer(in_channels: int, params: dict[str, Any]) -> Conv1DLayer:
    return Conv1DLayer(in_channels, **params)


class Conv1DStack(nn.Module):
    """Convolutional layers applied one after the other.

    Args:
        in_channels: size of the last axis of the input.
        layers: per-layer dicts (keys of ``CONV_LAYER_KEYS``) overriding ``defaults``; their number is the depth.
        num_layers: depth when ``layers`` is None.
        where: config path used in error messages (``input_features[0].encoder.conv_layers``).
        **defaults: values of ``CONV_LAYER_KEYS`` applied to every layer unless overridden.
    """

    def __init__(
        self,
        in_channels: int,
        layers: list[dict] | None = None,
        num_layers: int = 1,
        where: str = "conv_layers",
        **defaults: Any,
    ):
        super().__init__()
        specs = [dict(s) for s in layers] if layers is not None else [{} for _ in range(num_layers)]
        self.layers = nn.ModuleList()
        size = in_channels
        for i, spec in enumerate(specs):
            layer = _build_layer(size, _layer_params(spec, defaults, f"{where}[{i}]"))
            self.layers.append(layer)
            size = layer.output_size
        self.output_size = size

    def output_length(self, length: int) -> int:
        for layer in self.layers:
            length = layer.output_length(length)
        return length

    def forward(
        self, inputs: torch.Tensor, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``[batch, time, channels]`` -> ``[batch, time', output_size]`` and the output mask."""
        hidden = inputs.transpose(1, 2)
        for layer in self.layers:
            hidden, mask = layer.forward_channels_first(hidden, mask)
        return hidden.transpose(1, 2), mask


class ParallelConv1D(nn.Module):
    """Convolutional layers applied side by side to the same input; outputs concatenated along channels.

    Every layer keeps the length (``same`` padding, stride 1); layers may differ in width, filters and
    pooling, as long as their pooling yields the same number of steps.
    """

    def __init__(
        self,
        in_channels: int,
        layers: list[dict] | None = None,
        num_layers: int = 1,
        where: str = "conv_layers",
        **defaults: Any,
    ):
        super().__init__()
        specs = [dict(s) for s in layers] if layers is not None else [{} for _ in range(num_layers)]
        if not specs:
            raise ValueError(f"{where}: a parallel convolution needs at least one layer.")
        self.layers = nn.ModuleList()
        length_keeping = {"strides": 1, "padding": "same", "dilation_rate": 1}
        for i, spec in enumerate(specs):
            params = _layer_params(spec, defaults, f"{where}[{i}]")
            changed = {k: spec[k] for k, v in length_keeping.items() if k in spec and spec[k] != v}
            if changed:
                raise ValueError(
                    f"{where}[{i}]: parallel convolutions keep the sequence length; {changed} is not allowed."
                )
            params.update(length_keeping)
            self.layers.append(_build_layer(in_channels, params))
        self.where = where
        self.output_size = sum(layer.output_size for layer in self.layers)

    def output_length(self, length: int) -> int:
        return self.layers[0].output_length(length)

    def forward_channels_first(
        self, inputs: torch.Tensor, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        if mask is not None:
            inputs = inputs * mask.unsqueeze(1).to(inputs.dtype)
        outputs = [layer.forward_channels_first(inputs, mask, inputs_masked=True) for layer in self.layers]
        lengths = {int(hidden.shape[-1]) for hidden, _ in outputs}  # ints: shapes are tensors while tracing
        if len(lengths) > 1:
            raise ValueError(
                f"{self.where}: parallel layers give outputs of different lengths {sorted(lengths)}; "
                "use the same pool_size and pool_strides in every parallel layer."
            )
        return torch.cat([hidden for hidden, _ in outputs], dim=1), outputs[0][1]

    def forward(
        self, inputs: torch.Tensor, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``[batch, time, channels]`` -> ``[batch, time', output_size]`` and the output mask."""
        hidden, mask = self.forward_channels_first(inputs.transpose(1, 2), mask)
        return hidden.transpose(1, 2), mask


class ParallelConv1DStack(nn.Module):
    """A stack of :class:`ParallelConv1D` banks.

    Args:
        in_channels: size of the last axis of the input.
        stacked_layers: one list of per-layer dicts per bank.
        where: config path used in error messages.
        **defaults: values of ``CONV_LAYER_KEYS`` applied to every layer unless overridden.
    """

    def __init__(self, in_channels: int, stacked_layers: list[list[dict]], where: str = "stacked_layers", **defaults):
        super().__init__()
        self.banks = nn.ModuleList()
        size = in_channels
        for i, bank_layers in enumerate(stacked_layers):
            if not isinstance(bank_layers, list | tuple):
                raise ValueError(f"{where}[{i}]: expected a list of layer dicts, found {bank_layers!r}.")
            bank = ParallelConv1D(size, layers=list(bank_layers), where=f"{where}[{i}]", **defaults)
            self.banks.append(bank)
            size = bank.output_size
        self.output_size = size

    def output_length(self, length: int) -> int:
        for bank in self.banks:
            length = bank.output_length(length)
        return length

    def forward(
        self, inputs: torch.Tensor, mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``[batch, time, channels]`` -> ``[batch, time', output_size]`` and the output mask."""
        hidden = inputs.transpose(1, 2)
        for bank in self.banks:
            hidden, mask = bank.forward_channels_first(hidden, mask)
        return hidden.transpose(1, 2), mask
