"""The global ``preprocessing`` section (split and sampling)."""

from __future__ import annotations

from ludwig.schema import utils as su
from ludwig.schema.split import SplitField


@su.config_class
class PreprocessingConfig(su.BaseConfig):
    """Options applied to the dataset as a whole."""

    sample_ratio: float = su.Float(
        1.0, min=0.0, max=1.0, min_inclusive=False, description="Fraction of the rows to use."
    )
    sample_size: int | None = su.PositiveInteger(
        None, allow_none=True, description="Number of rows to use (exclusive with sample_ratio)."
    )
    oversample_minority: float | None = su.Float(
        None,
        min=0.0,
        allow_none=True,
        min_inclusive=False,
        description="Oversample the minority class of the binary output up to this ratio of the majority.",
    )
    undersample_majority: float | None = su.Float(
        None,
        min=0.0,
        allow_none=True,
        min_inclusive=False,
        description="Undersample the majority class of the binary output down to this ratio.",
    )
    global_max_sequence_length: int | None = su.PositiveInteger(
        None, allow_none=True, description="Cap on the sequence length of all sequence features.", max=su.MAX_WIDTH
    )
    split: su.BaseConfig = SplitField()
