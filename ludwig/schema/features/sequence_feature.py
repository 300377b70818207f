"""Config sections of sequence features and the preprocessing sections of sequence and text features."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields

from ludwig.constants import DROP_ROW, FILL_WITH_CONST, PADDING_SYMBOL, SEQUENCE, UNKNOWN_SYMBOL
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
    MISSING_VALUE_STRATEGIES,
    PreprocessingField,
    output_preprocessing_config_registry,
    preprocessing_config_registry,
)
from ludwig.utils.registry import did_you_mean


def _check_tokenizer(value: Any) -> None:
    # Looked up when validating, so tokenizers registered by modules imported later are accepted too.
    from ludwig.utils.tokenizers import SPACY_MODELS, tokenizer_registry

    if isinstance(value, str) and value in tokenizer_registry:
        return
    names = list(tokenizer_registry)
    spacy_prefixes = tuple(f"{language}_" for language in SPACY_MODELS)
    shown = sorted(n for n in names if not n.startswith(spacy_prefixes) or n.startswith("english_"))
    raise ValidationError(
        f"Unknown tokenizer {value!r}.{did_you_mean(value, names)} Expected one of {shown}, or a spaCy tokenizer "
        f"<language>_tokenize|_tokenize_filter|_tokenize_remove_stopwords|_lemmatize|_lemmatize_filter|"
        f"_lemmatize_remove_stopwords for a language in {sorted(SPACY_MODELS)}."
    )


def TokenizerField(default: str) -> Any:
    """The name of a registered tokenizer (``ludwig.utils.tokenizers.tokenizer_registry``)."""
    return su.config_field(
        default,
        fields.Raw(validate=_check_tokenizer),
        description="How a string is split into tokens: the name of a registered tokenizer.",
    )


def _missing_value_strategy(default: str) -> Any:
    return su.StringOptions(MISSING_VALUE_STRATEGIES, default, description="What to do with missing values.")


@preprocessing_config_registry.register(SEQUENCE)
@su.config_class
class SequencePreprocessingConfig(su.BaseConfig):
    """How sequence strings become padded token id matrices."""

    tokenizer: str = TokenizerField("space")
    vocab_file: str | None = su.String(
        None,
        allow_none=True,
        description="UTF-8 file of the vocabulary, one token per line (text before a tab); replaces the "
        "vocabulary inferred from the data.",
    )
    sequence_length: int | None = su.PositiveInteger(
        None,
        allow_none=True,
        description="Fixed length of the preprocessed sequences (start/stop symbols included); overrides the "
        "length inferred from the data.",
        max=su.MAX_WIDTH,
    )
    max_sequence_length: int = su.PositiveInteger(
        256,
        description="Longest preprocessed sequence (start/stop symbols included); longer rows are truncated.",
        max=su.MAX_WIDTH,
    )
    most_common: int = su.PositiveInteger(
        20000,
        description="Keep at most this many most frequent tokens; the others become the unknown symbol.",
        max=su.MAX_WIDTH,
    )
    padding_symbol: str = su.String(PADDING_SYMBOL, description="Symbol that pads sequences to the same length.")
    unknown_symbol: str = su.String(UNKNOWN_SYMBOL, description="Symbol of tokens outside the vocabulary.")
    padding: str = su.StringOptions(["right", "left"], "right", description="Side of the sequence the padding goes on.")
    lowercase: bool = su.Boolean(False, description="Lowercase the strings before tokenizing.")
    missing_value_strategy: str = _missing_value_strategy(FILL_WITH_CONST)
    fill_value: str = su.String(UNKNOWN_SYMBOL, description="Value used by fill_with_const.")
    ngram_size: int = su.PositiveInteger(2, description="Largest n-gram size of the `ngram` tokenizer.")
    cache_encoder_embeddings: bool = su.Boolean(False, description="Precompute encoder embeddings (frozen only).")


@output_preprocessing_config_registry.register(SEQUENCE)
@su.config_class
class SequenceOutputPreprocessingConfig(SequencePreprocessingConfig):
    """Sequence preprocessing of an output feature: rows with a missing target are dropped."""

    missing_value_strategy: str = _missing_value_strategy(DROP_ROW)


@input_feature_config_registry.register(SEQUENCE)
@su.config_class
class SequenceInputFeatureConfig(BaseInputFeatureConfig):
    """A sequence input: a string of tokens per row."""

    type: str = su.ProtectedString(SEQUENCE)
    preprocessing: su.BaseConfig = PreprocessingField(SEQUENCE)
    encoder: su.BaseConfig = EncoderField(SEQUENCE)


# Output features


@output_feature_config_registry.register(SEQUENCE)
@su.config_class
class SequenceOutputFeatureConfig(BaseOutputFeatureConfig):
    type: str = su.ProtectedString(SEQUENCE)
    preprocessing: su.BaseConfig = PreprocessingField(SEQUENCE, output=True)
    decoder: su.BaseConfig = DecoderField(SEQUENCE)
    loss: su.BaseConfig = LossField(SEQUENCE)
