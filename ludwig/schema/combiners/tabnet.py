"""Config section of the `tabnet` combiner (Arik and Pfister, 2019, https://arxiv.org/abs/1908.07442).

The keys, defaults and allowed values are Ludwig 0.17's, except two values Ludwig accepts but cannot use:
``num_steps`` and ``num_total_blocks`` must be at least 1 (0 steps makes a model that ignores its inputs, 0 blocks
crashes), and ``num_shared_blocks`` may not exceed ``num_total_blocks`` (checked across the two keys below). Inputs
must reach the combiner as vectors: an encoder keeping the sequence axis (``reduce_output: null``) is refused.
"""

from __future__ import annotations

from ludwig.schema import utils as su
from ludwig.schema.checks import register_config_check
from ludwig.schema.combiners.base import combiner_config_registry
from ludwig.schema.combiners.sequence_combiners import sequence_inputs

ENTMAX_MODES = ["entmax15", "sparsemax", "constant", "adaptive"]


@combiner_config_registry.register("tabnet")
@su.config_class
class TabNetCombinerConfig(su.BaseConfig):
    """TabNet: sequential attentive feature selection over the concatenated encoder outputs."""

    type: str = su.ProtectedString("tabnet")
    size: int = su.PositiveInteger(
        32, max=su.MAX_WIDTH, description="Width of the hidden representation the attention reads (`N_a`)."
    )
    output_size: int = su.PositiveInteger(
        128, max=su.MAX_WIDTH, description="Width of each step's decision output and of the combiner output (`N_d`)."
    )
    num_steps: int = su.PositiveInteger(
        3, description="Number of decision steps (attentive transformer then feature transformer) (`N_steps`)."
    )
    num_total_blocks: int = su.PositiveInteger(
        4, description="Number of GLU blocks in each feature transformer, shared ones included."
    )
    num_shared_blocks: int = su.NonNegativeInteger(
        2, description="How many of the first GLU blocks share their linear layer across all steps."
    )
    relaxation_factor: float = su.Float(
        1.5,
        description="How often a feature may be selected across steps: 1 means at most once, larger values allow "
        "reuse (`gamma`).",
    )
    bn_epsilon: float = su.Float(1e-3, description="Epsilon added to the batch norm variance.")
    bn_momentum: float = su.Float(
        0.05, description="Momentum of the batch norm running statistics (1 - `m_B` in the paper)."
    )
    bn_virtual_bs: int | None = su.PositiveInteger(
        1024,
        allow_none=True,
        description="Rows per chunk of ghost batch norm (`B_v`); null normalizes the whole batch at once.",
    )
    sparsity: float = su.Float(
        1e-4,
        description="Weight of the mask entropy added to the training loss, pushing masks to be sparse "
        "(`lambda_sparse`).",
    )
    entmax_mode: str = su.StringOptions(
        ENTMAX_MODES,
        "sparsemax",
        description="Mapping of attention scores to feature masks: `sparsemax`, `entmax15` (alpha 1.5), `constant` "
        "(alpha-entmax with `entmax_alpha`) or `adaptive` (alpha-entmax learning alpha from `entmax_alpha`).",
    )
    entmax_alpha: float = su.FloatRange(
        1.5,
        min=1.0,
        max=2.0,
        description="Alpha of the `constant` and `adaptive` modes, in [1, 2]: 1 is softmax, 2 is sparsemax; "
        "the starting value in `adaptive` mode.",
    )
    dropout: float = su.FloatRange(0.05, min=0.0, max=1.0, description="Dropout rate applied to the output.")


@register_config_check
def check_tabnet_combiner(config) -> list[str]:
    """The shared GLU blocks are a subset of each feature transformer's blocks, and every input is a vector."""
    combiner = config.combiner
    if combiner.type != "tabnet":
        return []
    errors = []
    if combiner.num_shared_blocks > combiner.num_total_blocks:
        errors.append(
            f"combiner.num_shared_blocks: {combiner.num_shared_blocks} exceeds combiner.num_total_blocks "
            f"({combiner.num_total_blocks}); it must be between 0 and num_total_blocks."
        )
    sequences = set(sequence_inputs(config))
    errors.extend(
        f"input_features[{i}].encoder.reduce_output: the tabnet combiner needs one vector per row, but "
        f"{feature.name!r} keeps its sequence (reduce_output null); set a reduction such as `sum` or `mean`."
        for i, feature in enumerate(config.input_features)
        if feature.name in sequences
    )
    return errors
