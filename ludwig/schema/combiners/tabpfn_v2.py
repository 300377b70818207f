"""Config section of the `tabpfn_v2` combiner, and the training check for the optional `tabpfn` package.

As in Ludwig 0.17, the combined vector is a learned projection of the concatenated encoder outputs; the TabPFN
model itself does not run inside the network (its scikit-learn style API is not differentiable), so no TabPFN
checkpoint is read and `tabpfn_hidden_size`, `n_estimators` and `device` do not change the network. Ludwig 0.17
refuses to build the combiner without the `tabpfn` package; here training is refused before any data is read.
"""

from __future__ import annotations

import importlib.util

from ludwig.schema import utils as su
from ludwig.schema.checks import register_training_check
from ludwig.schema.combiners.base import combiner_config_registry


@combiner_config_registry.register("tabpfn_v2")
@su.config_class
class TabPFNV2CombinerConfig(su.BaseConfig):
    """TabPFN v2 (Hollmann et al., 2025) combiner for small tabular data sets: the encoder outputs, concatenated,
    are projected to `output_size`. Needs the optional `tabpfn` package (`pip install tabpfn`)."""

    type: str = su.ProtectedString("tabpfn_v2")
    output_size: int = su.PositiveInteger(
        128, max=su.MAX_WIDTH, description="Width of the learned projection of the concatenated encoder outputs."
    )
    tabpfn_hidden_size: int = su.PositiveInteger(
        512, max=su.MAX_WIDTH, description="TabPFN v2's internal width (kept from Ludwig 0.17; informational)."
    )
    n_estimators: int = su.PositiveInteger(
        4, max=su.MAX_LAYERS, description="TabPFN ensemble members (kept from Ludwig 0.17; informational)."
    )
    device: str = su.StringOptions(
        ["auto", "cpu", "cuda"],
        "auto",
        description="Device of TabPFN inference (kept from Ludwig 0.17; informational).",
    )


@register_training_check
def check_tabpfn_installed(config) -> list[str]:
    """The `tabpfn_v2` combiner needs the `tabpfn` package: say so before any data is preprocessed."""
    if not isinstance(config.combiner, TabPFNV2CombinerConfig) or importlib.util.find_spec("tabpfn"):
        return []
    return [
        "combiner.type: 'tabpfn_v2' needs the optional package `tabpfn`, which is not installed. Install it with "
        "`pip install tabpfn` (or `pip install ludwig[tabpfn]`). No TabPFN checkpoint is needed: this combiner, "
        "like Ludwig 0.17's, trains a projection of the encoder outputs and never loads TabPFN weights. "
        "Or choose another combiner, such as 'concat' or 'ft_transformer'."
    ]
