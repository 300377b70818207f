"""Fully connected layers and stacks, configured the way Ludwig configs describe them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

_ACTIVATIONS: dict[str | None, Callable[[], nn.Module]] = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "elu": nn.ELU,
    "leakyRelu": nn.LeakyReLU,
    "gelu": nn.GELU,
    "selu": nn.SELU,
    "softplus": nn.Softplus,
    "linear": nn.Identity,
    None: nn.Identity,
}

_INITIALIZERS: dict[str, Callable[[torch.Tensor], Any]] = {
    "xavier_uniform": nn.init.xavier_uniform_,
    "xavier_normal": nn.init.xavier_normal_,
    "kaiming_uniform": nn.init.kaiming_uniform_,
    "kaiming_normal": nn.init.kaiming_normal_,
    "uniform": nn.init.uniform_,
    "normal": nn.init.normal_,
    "constant": lambda t: nn.init.constant_(t, 0.0),
    "zeros": nn.init.zeros_,
    "ones": nn.init.ones_,
    "orthogonal": nn.init.orthogonal_,
    "identity": nn.init.eye_,
}


def get_activation(name: str | None) -> nn.Module:
    return _ACTIVATIONS[name]()


def initialize(tensor: torch.Tensor, initializer: str) -> None:
    """Initialise ``tensor`` in place; 1-d tensors fall back to zeros/ones/normal where a matrix init is asked."""
    if tensor.dim() < 2 and initializer in (
        "xavier_uniform",
        "xavier_normal",
        "kaiming_uniform",
        "kaiming_normal",
        "orthogonal",
        "identity",
    ):
        nn.init.zeros_(tensor)
        return
    _INITIALIZERS[initializer](tensor)


def make_norm(norm: str | None, size: int, params: dict | None) -> nn.Module | None:
    params = dict(params or {})
    if norm == "batch" or norm == "ghost":
        params.pop("virtual_batch_size", None)
        return nn.BatchNorm1d(size, **params)
    if norm == "layer":
        return nn.LayerNorm(size, **params)
    return None


class FCLayer(nn.Module):
    """Linear -> normalization -> activation -> dropout."""

    def __init__(
        self,
        input_size: int,
        output_size: int,
        use_bias: bool = True,
        weights_initializer: str = "xavier_uniform",
        bias_initializer: str = "zeros",
        norm: str | None = None,
        norm_params: dict | None = None,
        activation: str | None = "relu",
        dropout: float = 0.0,
    ):
        super().__init__()
        self.linear = nn.Linear(input_size, output_size, bias=use_bias)
        initialize(self.linear.weight, weights_initializer)
        if use_bias:
            initialize(self.linear.bias, bias_initializer)
        # Absent steps are None rather than nn.Identity: each module call costs a few microseconds per step.
        self.norm = make_norm(norm, output_size, norm_params)
        self.activation = None if activation in (None, "linear") else get_activation(activation)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else None
        self.output_size = output_size

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        hidden = self.linear(inputs)
        if self.norm is not None:
            hidden = self.norm(hidden)
        if self.activation is not None:
            hidden = self.activation(hidden)
        if self.dropout is not None:
            hidden = self.dropout(hidden)
        return hidden


class FCStack(nn.Module):
    """A stack of :class:`FCLayer`, each configurable through ``layers`` (list of per-layer dicts).

    Args:
        input_size: size of the input vectors.
        layers: per-layer overrides (``output_size``, ``activation``, ...); when given, its length is the depth.
        num_layers: depth when ``layers`` is not given.
        residual: add the input of each layer to its output when the sizes match.
        **defaults: ``output_size``, ``use_bias``, ``weights_initializer``, ``bias_initializer``, ``norm``,
            ``norm_params``, ``activation``, ``dropout`` applied to every layer unless overridden.
    """

    def __init__(
        self,
        input_size: int,
        layers: list[dict] | None = None,
        num_layers: int = 0,
        residual: bool = False,
        **defaults: Any,
    ):
        super().__init__()
        layer_specs = [dict(spec) for spec in layers] if layers else [{} for _ in range(num_layers)]
        self.layers = nn.ModuleList()
        size = input_size
        for spec in layer_specs:
            params = {**defaults, **spec}
            params.setdefault("output_size", 256)
            layer = FCLayer(size, **params)
            self.layers.append(layer)
            size = layer.output_size
        self.residual = residual
        self.input_size = input_size
        self.output_size = size

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        hidden = inputs
        if not self.layers:
            return hidden
        for layer in self.layers:
            out = layer(hidden)
            hidden = out + hidden if self.residual and out.shape == hidden.shape else out
        return hidden


def fc_stack_from_config(input_size: int, config: Any, prefix: str = "", residual: bool = False) -> FCStack:
    """Build an :class:`FCStack` from a config section holding ``fc_layers``, ``num_fc_layers`` and
    (optionally ``prefix``-ed) per-layer defaults."""
    keys = (
        "output_size",
        "use_bias",
        "weights_initializer",
        "bias_initializer",
        "norm",
        "norm_params",
        "activation",
        "dropout",
    )
    defaults = {key: getattr(config, prefix + key) for key in keys}
    return FCStack(input_size, layers=config.fc_layers, num_layers=config.num_fc_layers, residual=residual, **defaults)
