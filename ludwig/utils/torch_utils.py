"""Torch helpers under the names Ludwig's ``ludwig.utils.torch_utils`` gives them.

Activations and initializers the repo already defines (``ludwig.modules.fully_connected``) are reused; the table here
adds the other activations Ludwig accepts by name. Ludwig's sparsemax/entmax activations are not available.
"""

from __future__ import annotations

import math
import os
import warnings
from abc import abstractmethod
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import torch
from torch import nn

from ludwig.modules.fully_connected import _ACTIVATIONS, _INITIALIZERS
from ludwig.utils.strings_utils import PAD_IDX

_TORCH_INIT_PARAMS: tuple | None = None


def get_torch_device() -> str:
    """The device Ludwig trains on: ``"cuda"`` when a GPU is visible, ``"mps"`` when ``LUDWIG_ENABLE_MPS`` is set
    and MPS works, else ``"cpu"``.

    Returns:
        The device name.
    """
    if torch.cuda.is_available() and torch.cuda.device_count() > 0:
        return "cuda"
    if os.environ.get("LUDWIG_ENABLE_MPS"):
        if torch.backends.mps.is_available() and torch.backends.mps.is_built():
            if not os.environ.get("PYTORCH_ENABLE_MPS_FALLBACK"):
                warnings.warn(
                    "LUDWIG_ENABLE_MPS is set and MPS is available, but PYTORCH_ENABLE_MPS_FALLBACK is not set; "
                    "operations MPS lacks will fail. Set PYTORCH_ENABLE_MPS_FALLBACK=1 if errors occur.",
                    stacklevel=2,
                )
            return "mps"
        warnings.warn("LUDWIG_ENABLE_MPS is set but MPS is not available, falling back to CPU.", stacklevel=2)
    return "cpu"


DEVICE = get_torch_device()


def place_on_device(x: Any, device: str | torch.device) -> Any:
    """Move every tensor inside ``x`` (lists, tuples, sets and dicts, recursively) to ``device``.

    Args:
        x: A tensor or a container of them; other values are returned unchanged.
        device: The target device.

    Returns:
        The same structure on ``device``.
    """
    if isinstance(x, torch.Tensor):
        return x.to(device)
    if isinstance(x, dict):
        return {k: place_on_device(v, device) for k, v in x.items()}
    if isinstance(x, list):
        return [place_on_device(v, device) for v in x]
    if isinstance(x, tuple):
        return tuple(place_on_device(v, device) for v in x)
    if isinstance(x, set):
        return {place_on_device(v, device) for v in x}
    return x


def sequence_length_2D(sequence: torch.Tensor) -> torch.Tensor:
    """The number of non-padding ids in each row of a ``[batch, max_len]`` tensor of token ids.

    Args:
        sequence: The token ids (padding is the ``<PAD>`` id).

    Returns:
        ``[batch]`` int32 lengths.
    """
    return torch.sum((sequence != PAD_IDX).to(torch.int32), dim=1)


def sequence_length_3D(sequence: torch.Tensor) -> torch.Tensor:
    """The number of time steps with a non-zero vector in each row of a ``[batch, max_len, hidden]`` tensor.

    Args:
        sequence: The embedded sequences.

    Returns:
        ``[batch]`` int32 lengths.
    """
    used = torch.sign(torch.amax(torch.abs(sequence), dim=2))
    return torch.sum(used, dim=1).int()


def sequence_mask(lengths: torch.Tensor, maxlen: int | None = None, dtype: torch.dtype = torch.bool) -> torch.Tensor:
    """A ``[batch, maxlen]`` mask, true for the first ``lengths[i]`` positions of row ``i``.

    Args:
        lengths: ``[batch]`` integer lengths.
        maxlen: The mask width (``lengths.max()`` by default).
        dtype: The mask dtype.

    Returns:
        The mask.
    """
    if maxlen is None:
        maxlen = int(lengths.max()) if lengths.numel() else 0
    positions = torch.arange(0, maxlen, 1, device=lengths.device)
    return (positions < lengths.unsqueeze(-1)).to(dtype)


def periodic(inputs: torch.Tensor, period: int) -> torch.Tensor:
    """``cos(2 pi inputs / period)``: a periodic encoding with 0 at the start of the period.

    Args:
        inputs: The values.
        period: The period length.

    Returns:
        The encoded values.
    """
    return torch.cos(inputs * 2 * math.pi / period)


def masked_fill(inputs: torch.Tensor, mask: torch.Tensor, value: float) -> torch.Tensor:
    """``inputs`` with the positions where ``mask`` is true replaced by ``value`` (not in place).

    Args:
        inputs: The tensor.
        mask: A boolean mask broadcastable to ``inputs``.
        value: The fill value.

    Returns:
        The filled tensor.
    """
    return inputs.masked_fill(mask.bool(), value)


initializer_registry: dict[str, Callable[..., Any]] = {
    **_INITIALIZERS,
    "constant": nn.init.constant_,
    "eye": nn.init.eye_,
    "dirac": nn.init.dirac_,
    "sparse": nn.init.sparse_,
}


class _GatedLinearUnit(nn.Module):
    """Split the last dimension in two halves ``a, b`` and return ``a * act(b)``."""

    def __init__(self, activation: Callable[[torch.Tensor], torch.Tensor]) -> None:
        super().__init__()
        self._activation = activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = x.chunk(2, dim=-1)
        return a * self._activation(b)


class SwiGLU(_GatedLinearUnit):
    """``a * silu(b)`` over the two halves of the last dimension (halves it)."""

    def __init__(self) -> None:
        super().__init__(nn.functional.silu)


class GeGLU(_GatedLinearUnit):
    """``a * gelu(b)`` over the two halves of the last dimension (halves it)."""

    def __init__(self) -> None:
        super().__init__(nn.functional.gelu)


class ReGLU(_GatedLinearUnit):
    """``a * relu(b)`` over the two halves of the last dimension (halves it)."""

    def __init__(self) -> None:
        super().__init__(nn.functional.relu)


activations: dict[str | None, Callable[[], nn.Module]] = {
    **_ACTIVATIONS,
    "logSigmoid": nn.LogSigmoid,
    "softmax": nn.Softmax,
    "silu": nn.SiLU,
    "swish": nn.SiLU,
    "mish": nn.Mish,
    "prelu": nn.PReLU,
    "relu6": nn.ReLU6,
    "hardswish": nn.Hardswish,
    "hardsigmoid": nn.Hardsigmoid,
    "celu": nn.CELU,
    "swiglu": SwiGLU,
    "geglu": GeGLU,
    "reglu": ReGLU,
}


def get_activation(activation: str | None) -> nn.Module:
    """A new activation module by Ludwig's name (``None`` is the identity).

    Args:
        activation: The name, e.g. ``"relu"``, ``"leakyRelu"``, ``"gelu"``.

    Returns:
        The module.

    Raises:
        KeyError: For an unknown name.
    """
    if activation not in activations:
        known = ", ".join(sorted(k for k in activations if k is not None))
        raise KeyError(f"Unknown activation {activation!r}; known: {known}")
    return activations[activation]()


def reg_loss(model: nn.Module, regularizer: str, l1: float = 0.01, l2: float = 0.01) -> torch.Tensor | None:
    """The L1, L2 or L1+L2 penalty of all of a model's parameters.

    Args:
        model: The module.
        regularizer: ``"l1"``, ``"l2"`` or ``"l1_l2"``.
        l1: The L1 coefficient.
        l2: The L2 coefficient.

    Returns:
        The penalty, or None for another regularizer name (as in Ludwig).
    """
    if regularizer not in ("l1", "l2", "l1_l2"):
        return None
    total: Any = 0
    if regularizer in ("l1", "l1_l2"):
        total = total + l1 * sum(p.abs().sum() for p in model.parameters())
    if regularizer in ("l2", "l1_l2"):
        total = total + l2 * sum(p.square().sum() for p in model.parameters())
    return total


class LudwigModule(nn.Module):
    """A module that collects extra loss terms from itself and its children and knows its shapes.

    Subclasses define ``input_shape``; ``output_shape`` runs a dummy batch through ``forward`` once.
    """

    def __init__(self) -> None:
        super().__init__()
        self._losses: dict[str, torch.Tensor] = {}
        self.register_buffer("device_tensor", torch.zeros(0), persistent=False)

    @property
    def device(self) -> torch.device:
        """The device of the module's buffers."""
        return self.device_tensor.device

    def prepare_for_training(self) -> None:
        """Hook called by the trainer before training starts (nothing by default)."""

    def losses(self) -> list[torch.Tensor]:
        """The loss terms of this module and of its children (ModuleDict values included)."""
        collected = list(self._losses.values())
        for child in self.children():
            if isinstance(child, LudwigModule):
                collected.extend(child.losses())
            elif isinstance(child, nn.ModuleDict):
                for module in child.values():
                    if hasattr(module, "losses"):
                        collected.extend(module.losses())
        return collected

    def update_loss(self, key: str, loss: torch.Tensor) -> None:
        """Record a loss term under ``key`` (call it in ``forward``) to add it to the combined loss."""
        self._losses[key] = loss

    @property
    def input_dtype(self) -> torch.dtype:
        """The dtype of the dummy input used to compute ``output_shape``."""
        return torch.float32

    @property
    @abstractmethod
    def input_shape(self) -> torch.Size:
        """The input's shape without the batch dimension."""

    @property
    def output_shape(self) -> torch.Size:
        """The output's shape without the batch dimension."""
        return self._computed_output_shape()

    @lru_cache(maxsize=1)  # noqa: B019 - one shape per module, as in Ludwig
    def _computed_output_shape(self) -> torch.Size:
        dummy = torch.rand(2, *self.input_shape, device=self.device).type(self.input_dtype)
        output = self.forward(dummy)
        if isinstance(output, torch.Tensor):
            return output.size()[1:]
        if isinstance(output, dict) and "encoder_output" in output:
            return output["encoder_output"].size()[1:]
        raise ValueError(
            f"Cannot determine output shape from output of type {type(output).__name__}: expected a tensor or a "
            "dict with key 'encoder_output'."
        )


def freeze_parameters(module: nn.Module) -> None:
    """Stop gradients for every parameter of ``module``.

    Args:
        module: The module.
    """
    for p in module.parameters():
        p.requires_grad = False


class FreezeModule(nn.Module):
    """Wrap a module; when ``frozen`` its parameters are frozen and it stays in eval mode."""

    def __init__(self, module: nn.Module, frozen: bool) -> None:
        super().__init__()
        if frozen:
            freeze_parameters(module)
            module.eval()
        else:
            module.train()
        self.module = module
        self.frozen = frozen

    def train(self, mode: bool = True) -> FreezeModule:
        """Set training mode, unless frozen (then a no-op)."""
        if self.frozen:
            return self
        return super().train(mode)


class Dense(LudwigModule):
    """A linear layer with Ludwig's initializer names; the last dimension is squeezed when it is 1."""

    def __init__(
        self,
        input_size: int,
        output_size: int,
        use_bias: bool = True,
        weights_initializer: str = "xavier_uniform",
        bias_initializer: str = "zeros",
    ) -> None:
        super().__init__()
        self.input_size = input_size
        self.dense = nn.Linear(in_features=input_size, out_features=output_size, bias=use_bias)
        initializer_registry[weights_initializer](self.dense.weight)
        if use_bias:
            initializer_registry[bias_initializer](self.dense.bias)

    @property
    def input_shape(self) -> torch.Size:
        """``[input_size]``."""
        return torch.Size([self.input_size])

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        """Apply the layer."""
        return torch.squeeze(self.dense(input), dim=-1)


def initialize_pytorch(
    gpus: int | str | list[int] | None = None,
    gpu_memory_limit: float | None = None,
    allow_parallel_threads: bool = True,
) -> None:
    """Set up torch once per process: visible GPUs, per-GPU memory fraction, and determinism.

    A second call with other values warns and changes nothing.

    Args:
        gpus: GPU ids (an int, a list, or a comma separated string); ``-1`` hides every GPU.
        gpu_memory_limit: The fraction of each GPU's memory torch may use.
        allow_parallel_threads: When False, one thread and deterministic cuDNN, for reproducibility.
    """
    global _TORCH_INIT_PARAMS
    params = (gpus, gpu_memory_limit, allow_parallel_threads)
    if _TORCH_INIT_PARAMS is not None:
        if params != _TORCH_INIT_PARAMS:
            warnings.warn(
                "PyTorch has already been initialized. Changes to `gpus`, `gpu_memory_limit`, and "
                "`allow_parallel_threads` will be ignored. Start a new Python process to modify these values.",
                stacklevel=2,
            )
        return
    cuda = torch.cuda.is_available() and torch.cuda.device_count() > 0
    if not allow_parallel_threads:
        torch.set_num_threads(1)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:  # only settable before any parallel work has started
            pass
        if cuda:
            torch.backends.cudnn.deterministic = True
            torch.backends.cudnn.benchmark = False
    if isinstance(gpus, int):
        gpus = [gpus]
    elif isinstance(gpus, str):
        gpus = [int(g) for g in gpus.strip().split(",") if g.strip()]
    if gpus and len(gpus) == 1 and gpus[0] == -1:
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
    elif cuda:
        if gpus:
            if len(gpus) == 1:
                torch.cuda.set_device(gpus[0])
            else:
                os.environ["CUDA_VISIBLE_DEVICES"] = ",".join(str(g) for g in gpus)
        if gpu_memory_limit is not None:
            for gpu in gpus or range(torch.cuda.device_count()):
                torch.cuda.memory.set_per_process_memory_fraction(gpu_memory_limit, gpu)
    _TORCH_INIT_PARAMS = params


def model_size(model: nn.Module) -> int:
    """A model's size in bytes: its parameters and buffers.

    Args:
        model: The module.

    Returns:
        The size in bytes.
    """
    tensors = [*model.parameters(), *model.buffers()]
    return sum(t.nelement() * t.element_size() for t in tensors)
