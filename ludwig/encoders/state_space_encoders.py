"""State space encoders of sequence, text and timeseries inputs: ``mamba``, ``mamba2`` and ``jamba``.

Pure PyTorch, no ``mamba_ssm`` kernel:

* ``mamba`` runs Mamba-1's selective scan sequentially over the steps: per channel a ``d_state`` state with an
  input-dependent step size ``dt`` and input-dependent ``B``/``C`` projections.
* ``mamba2`` uses the state space duality form of Mamba-2: one scalar decay per head (``exp(dt * A)``), computed
  in parallel as a masked ``[time, time]`` mixing matrix per head.
* ``jamba`` interleaves Mamba-2 blocks with pre-norm transformer blocks.

All three are causal over the steps, so trailing padding never changes the real steps; the reduction skips it.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from ludwig.constants import SEQUENCE, TEXT, TIMESERIES
from ludwig.encoders.base import ENCODER_OUTPUT, Encoder
from ludwig.encoders.registry import encoder_registry
from ludwig.encoders.sequence_encoders import ENCODER_OUTPUT_MASK
from ludwig.modules.embedding_modules import Embed
from ludwig.modules.reduction_modules import SequenceReducer
from ludwig.utils.strings_utils import PAD_IDX

STATE_SPACE_TYPES = [SEQUENCE, TEXT, TIMESERIES]
# Size of the B/C projections of the Mamba-2 blocks (Ludwig's mamba2 and jamba have no d_state key).
MAMBA2_STATE_SIZE = 16


class _CausalDepthwiseConv(nn.Module):
    """Depthwise 1-d convolution over ``[batch, time, channels]`` that only looks at the current and past steps."""

    def __init__(self, channels: int, width: int):
        super().__init__()
        self.width = width
        self.conv = nn.Conv1d(channels, channels, kernel_size=width, groups=channels, padding=width - 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x.transpose(1, 2))[:, :, : x.shape[1]].transpose(1, 2)


class MambaBlock(nn.Module):
    """One pre-norm residual Mamba-1 block with the selective scan.

    Args:
        d_model: width of the block's input and output.
        d_state: state size per inner channel.
        d_conv: width of the causal depthwise convolution.
        expand_factor: inner width as a multiple of ``d_model``.
        dropout: dropout on the block's output.
    """

    def __init__(self, d_model: int, d_state: int, d_conv: int, expand_factor: int, dropout: float):
        super().__init__()
        d_inner = d_model * expand_factor
        self.dt_rank = math.ceil(d_model / 16)
        self.d_state = d_state
        self.norm = nn.LayerNorm(d_model)
        self.in_proj = nn.Linear(d_model, 2 * d_inner, bias=False)
        self.conv = _CausalDepthwiseConv(d_inner, d_conv)
        self.x_proj = nn.Linear(d_inner, self.dt_rank + 2 * d_state, bias=False)
        self.dt_proj = nn.Linear(self.dt_rank, d_inner)
        # Step sizes start log-uniform in [1e-3, 1e-1] (softplus inverse of the bias), as in the paper.
        dt = torch.exp(torch.rand(d_inner) * (math.log(0.1) - math.log(1e-3)) + math.log(1e-3))
        with torch.no_grad():
            self.dt_proj.bias.copy_(dt + torch.log(-torch.expm1(-dt)))
        # S4D-real initialisation: A = -(1, 2, ..., d_state) for every channel.
        self.A_log = nn.Parameter(torch.log(torch.arange(1, d_state + 1, dtype=torch.float32)).repeat(d_inner, 1))
        self.D = nn.Parameter(torch.ones(d_inner))
        self.out_proj = nn.Linear(d_inner, d_model, bias=False)
        self.dropout = nn.Dropout(dropout)

    def selective_scan(self, x: torch.Tensor, dt: torch.Tensor, B: torch.Tensor, C: torch.Tensor) -> torch.Tensor:
        """``h_t = exp(dt_t A) h_{t-1} + dt_t B_t x_t``, ``y_t = C_t h_t + D x_t`` over ``[batch, time, channels]``."""
        A = -torch.exp(self.A_log)  # [channels, state]
        decay = torch.exp(dt.unsqueeze(-1) * A)  # [batch, time, channels, state]
        drive = (dt * x).unsqueeze(-1) * B.unsqueeze(2)  # [batch, time, channels, state]
        state = x.new_zeros(x.shape[0], x.shape[2], self.d_state)
        outputs = []
        for t in range(x.shape[1]):
            state = decay[:, t] * state + drive[:, t]
            outputs.append(torch.einsum("bcs,bs->bc", state, C[:, t]))
        return torch.stack(outputs, dim=1) + x * self.D

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        x, gate = self.in_proj(self.norm(hidden)).chunk(2, dim=-1)
        x = F.silu(self.conv(x))
        dt, B, C = self.x_proj(x).split([self.dt_rank, self.d_state, self.d_state], dim=-1)
        dt = F.softplus(self.dt_proj(dt))
        y = self.selective_scan(x, dt, B, C) * F.silu(gate)
        return hidden + self.dropout(self.out_proj(y))


class Mamba2Block(nn.Module):
    """One pre-norm residual Mamba-2 block: multi-head SSD with a scalar, input-dependent decay per head.

    Args:
        d_model: width of the block's input and output.
        num_heads: number of heads; must divide ``d_model * expand_factor``.
        d_conv: width of the causal depthwise convolution.
        expand_factor: inner width as a multiple of ``d_model``.
        dropout: dropout on the block's output.
        d_state: size of the shared B/C projections.
    """

    def __init__(
        self,
        d_model: int,
        num_heads: int,
        d_conv: int,
        expand_factor: int,
        dropout: float,
        d_state: int = MAMBA2_STATE_SIZE,
    ):
        super().__init__()
        d_inner = d_model * expand_factor
        if d_inner % num_heads:
            raise ValueError(
                f"encoder: d_model * expand_factor ({d_inner}) must be divisible by num_heads ({num_heads})."
            )
        self.d_inner, self.num_heads, self.d_state = d_inner, num_heads, d_state
        self.head_dim = d_inner // num_heads
        self.norm = nn.LayerNorm(d_model)
        self.in_proj = nn.Linear(d_model, 2 * d_inner + 2 * d_state + num_heads, bias=False)
        self.conv = _CausalDepthwiseConv(d_inner + 2 * d_state, d_conv)
        dt = torch.exp(torch.rand(num_heads) * (math.log(0.1) - math.log(1e-3)) + math.log(1e-3))
        self.dt_bias = nn.Parameter(dt + torch.log(-torch.expm1(-dt)))
        self.A_log = nn.Parameter(torch.log(torch.empty(num_heads).uniform_(1.0, 16.0)))
        self.D = nn.Parameter(torch.ones(num_heads))
        self.out_norm = nn.LayerNorm(d_inner)
        self.out_proj = nn.Linear(d_inner, d_model, bias=False)
        self.dropout = nn.Dropout(dropout)

    def ssd(self, x: torch.Tensor, dt: torch.Tensor, B: torch.Tensor, C: torch.Tensor) -> torch.Tensor:
        """Parallel form of the scan: ``y_t = sum_{s<=t} (C_t . B_s) exp(sum_{s<r<=t} dt_r A) dt_s x_s + D x_t``.

        Args:
            x: ``[batch, time, heads, head_dim]``.
            dt: ``[batch, time, heads]`` positive step sizes.
            B: ``[batch, time, state]``.
            C: ``[batch, time, state]``.
        """
        time = x.shape[1]
        log_decay = dt * -torch.exp(self.A_log)  # [batch, time, heads], <= 0
        cumulative = torch.cumsum(log_decay, dim=1).transpose(1, 2)  # [batch, heads, time]
        segment = cumulative.unsqueeze(-1) - cumulative.unsqueeze(-2)  # [batch, heads, t, s]: sum over (s, t]
        causal = torch.ones(time, time, dtype=torch.bool, device=x.device).tril()
        weights = torch.exp(segment.masked_fill(~causal, float("-inf")))
        scores = torch.einsum("btn,bsn->bts", C, B).unsqueeze(1) * weights  # [batch, heads, t, s]
        y = torch.einsum("bhts,bshd->bthd", scores, x * dt.unsqueeze(-1))
        return y + x * self.D.view(1, 1, -1, 1)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        batch, time, _ = hidden.shape
        gate, xbc, dt = self.in_proj(self.norm(hidden)).split(
            [self.d_inner, self.d_inner + 2 * self.d_state, self.num_heads], dim=-1
        )
        x, B, C = F.silu(self.conv(xbc)).split([self.d_inner, self.d_state, self.d_state], dim=-1)
        dt = F.softplus(dt + self.dt_bias)
        y = self.ssd(x.view(batch, time, self.num_heads, self.head_dim), dt, B, C).reshape(batch, time, -1)
        y = self.out_norm(y * F.silu(gate))
        return hidden + self.dropout(self.out_proj(y))


class _AttentionBlock(nn.Module):
    """A pre-norm transformer encoder layer whose attention skips the padding steps."""

    def __init__(self, d_model: int, num_heads: int, ffn_size: int, dropout: float):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(
            d_model, num_heads, dim_feedforward=ffn_size, dropout=dropout, batch_first=True, norm_first=True
        )

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if mask is None:
            return self.layer(hidden)
        padding = ~mask
        padding[:, 0] = False  # a row of padding only still attends somewhere (no NaN)
        return self.layer(hidden, src_key_padding_mask=padding)


class _StateSpaceEncoder(Encoder):
    """Shared pieces: token embedding (or float steps) projected to ``d_model``, a final norm and the reduction."""

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, metadata)
        self.max_sequence_length = metadata.get("max_sequence_length") or config.max_sequence_length
        vocab = config.vocab or metadata.get("idx2str")
        self.pad_idx = int(metadata.get("pad_idx", PAD_IDX)) if vocab is not None else None
        self.embed: Embed | None = None
        channels = int(metadata.get("encoding_size") or 1)
        if config.should_embed and vocab is not None:
            sparse = config.representation == "sparse"
            self.embed = Embed(
                list(vocab),
                len(vocab) if sparse else config.embedding_size,
                representation=config.representation,
                embeddings_trainable=config.embeddings_trainable and not sparse,
                pretrained_embeddings=None if sparse else config.pretrained_embeddings,
                embedding_initializer=getattr(config, "weights_initializer", None),
                dropout=config.dropout,
                embeddings_on_cpu=config.embeddings_on_cpu,
            )
            channels = self.embed.output_size
        use_bias = getattr(config, "use_bias", True)
        self.project = nn.Identity() if channels == config.d_model else nn.Linear(channels, config.d_model, use_bias)
        self.final_norm = nn.LayerNorm(config.d_model)
        self.reducer = SequenceReducer(config.reduce_output, self.max_sequence_length, config.d_model)
        if self.reducer.reduce_mode is not None and self.reducer.output_size is None:
            raise ValueError("encoder.reduce_output: 'concat' needs the sequence length (max_sequence_length).")
        self.blocks = nn.ModuleList()

    def embed_inputs(self, inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``[batch, time, d_model]`` steps and the ``[batch, time]`` real-step mask (token inputs only)."""
        mask = None
        if not inputs.is_floating_point() and self.pad_idx is not None:
            mask = inputs != self.pad_idx
        if self.embed is None:
            hidden = inputs.float()
            hidden = hidden.unsqueeze(-1) if hidden.dim() == 2 else hidden
        else:
            hidden = self.embed(inputs)
        return self.project(hidden), mask

    def run_blocks(self, hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        for block in self.blocks:
            hidden = block(hidden, mask) if isinstance(block, Mamba2Block | _AttentionBlock) else block(hidden)
        return self.final_norm(hidden)

    def outputs(self, hidden: torch.Tensor, mask: torch.Tensor | None, projection: nn.Module) -> dict[str, Any]:
        if self.reducer.reduce_mode is None:
            result = {ENCODER_OUTPUT: projection(hidden)}
            if mask is not None:
                result[ENCODER_OUTPUT_MASK] = mask
            return result
        return {ENCODER_OUTPUT: projection(self.reducer(hidden, mask))}

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor | None = None) -> dict[str, Any]:
        hidden, real = self.embed_inputs(inputs)
        if real is None and mask is not None:
            real = mask.bool()
        return self.outputs(self.run_blocks(hidden, real), real, self.output_projection)

    @property
    def output_projection(self) -> nn.Module:
        return nn.Identity()


@encoder_registry.register("mamba", STATE_SPACE_TYPES)
class MambaEncoder(_StateSpaceEncoder):
    """Mamba-1 encoder: ``n_layers`` selective-scan blocks over the embedded steps, then the reduction.

    Its output is ``d_model`` wide (per step when ``reduce_output`` is None): like Ludwig's, it has no FC layers.
    """

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, metadata)
        self.blocks.extend(
            MambaBlock(config.d_model, config.d_state, config.d_conv, config.expand_factor, config.dropout)
            for _ in range(config.n_layers)
        )
        self.output_size = self.reducer.output_size if self.reducer.reduce_mode is not None else config.d_model


@encoder_registry.register("mamba2", STATE_SPACE_TYPES)
class Mamba2Encoder(_StateSpaceEncoder):
    """Mamba-2 encoder: ``n_layers`` SSD blocks, the reduction, then a projection to ``output_size``."""

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, metadata)
        self.blocks.extend(
            Mamba2Block(config.d_model, config.num_heads, config.d_conv, config.expand_factor, config.dropout)
            for _ in range(config.n_layers)
        )
        reduced = self.reducer.output_size if self.reducer.reduce_mode is not None else config.d_model
        self.head = nn.Linear(reduced, config.output_size)
        self.output_size = config.output_size

    @property
    def output_projection(self) -> nn.Module:
        return self.head


@encoder_registry.register("jamba", STATE_SPACE_TYPES)
class JambaEncoder(Mamba2Encoder):
    """Jamba encoder: block ``i`` (from 1) is attention when ``i % attention_every_k == 0``, else Mamba-2."""

    def __init__(self, config, input_size: int, metadata: dict):
        if config.d_model % config.num_heads:
            raise ValueError(
                f"encoder.d_model ({config.d_model}) must be divisible by encoder.num_heads ({config.num_heads})."
            )
        _StateSpaceEncoder.__init__(self, config, input_size, metadata)
        for i in range(1, config.n_layers + 1):
            if i % config.attention_every_k == 0:
                block = _AttentionBlock(config.d_model, config.num_heads, config.ffn_size, config.dropout)
            else:
                block = Mamba2Block(
                    config.d_model, config.num_heads, config.d_conv, config.expand_factor, config.dropout
                )
            self.blocks.append(block)
        reduced = self.reducer.output_size if self.reducer.reduce_mode is not None else config.d_model
        self.head = nn.Linear(reduced, config.output_size)
        self.output_size = config.output_size
