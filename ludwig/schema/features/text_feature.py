"""Config sections of text features."""

from __future__ import annotations

from ludwig.constants import DROP_ROW, TEXT
from ludwig.schema import utils as su
from ludwig.schema.decoders.base import DecoderField
from ludwig.schema.encoders.base import EncoderField
from ludwig.schema.features.base import (
    BaseInputFeatureConfig,
    BaseOutputFeatureConfig,
    input_feature_config_registry,
    output_feature_config_registry,
)
from ludwig.schema.features.loss import LossField
from ludwig.schema.features.preprocessing import (
    PreprocessingField,
    output_preprocessing_config_registry,
    preprocessing_config_registry,
)
from ludwig.schema.features.sequence_feature import (
    SequencePreprocessingConfig,
    TokenizerField,
    _missing_value_strategy,
)


@preprocessing_config_registry.register(TEXT)
@su.config_class
class TextPreprocessingConfig(SequencePreprocessingConfig):
    """How text becomes padded token id matrices (lowercased and split on words and punctuation by default)."""

    tokenizer: str = TokenizerField("space_punct")
    lowercase: bool = su.Boolean(True, description="Lowercase the strings before tokenizing.")
    pretrained_model_name_or_path: str | None = su.String(
        None,
        allow_none=True,
        description="Name or local path of a pretrained tokenizer/model (`hf_tokenizer`, `sentencepiece`).",
    )
    compute_idf: bool = su.Boolean(False, description="Compute the inverse document frequency of each token.")


@output_preprocessing_config_registry.register(TEXT)
@su.config_class
class TextOutputPreprocessingConfig(TextPreprocessingConfig):
    """Text preprocessing of an output feature: rows with a missing target are dropped."""

    missing_value_strategy: str = _missing_value_strategy(DROP_ROW)


@input_feature_config_registry.register(TEXT)
@su.config_class
class TextInputFeatureConfig(BaseInputFeatureConfig):
    """A text input: free text per row."""

    type: str = su.ProtectedString(TEXT)
    preprocessing: su.BaseConfig = PreprocessingField(TEXT)
    encoder: su.BaseConfig = EncoderField(TEXT)


# Output features


@output_feature_config_registry.register(TEXT)
@su.config_class
class TextOutputFeatureConfig(BaseOutputFeatureConfig):
    type: str = su.ProtectedString(TEXT)
    preprocessing: su.BaseConfig = PreprocessingField(TEXT, output=True)
    decoder: su.BaseConfig = DecoderField(TEXT)
    loss: su.BaseConfig = LossField(TEXT)
