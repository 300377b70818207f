"""Encoder sections of the pretrained Hugging Face text encoders: ``auto_transformer`` and the named ones.

The named encoders (``bert``, ``roberta``, ...) differ only in their default checkpoint, their ``transformers``
classes and the architecture keys used when ``use_pretrained`` is false, so they are declared by one table
(``HF_TEXT_ENCODERS``) from which their config classes are generated. The architecture keys carry the names
of the ``transformers`` config class of the model and the defaults of Ludwig (those of the default checkpoint's
family).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ludwig.constants import TEXT
from ludwig.schema import utils as su
from ludwig.schema.checks import register_config_check, register_config_renderer
from ludwig.schema.common_fields import REDUCE_OPTIONS
from ludwig.schema.encoders.base import encoder_config_registry

CLS_POOLED = "cls_pooled"
HF_REDUCE_OPTIONS = [CLS_POOLED] + REDUCE_OPTIONS


class HFArchitecture(NamedTuple):
    """What distinguishes one named Hugging Face text encoder."""

    default_checkpoint: str
    config_class: str  # name of the transformers config class
    model_class: str  # name of the transformers model class (encoder part only)
    description: str
    architecture: tuple[tuple[str, Any, str], ...]  # (key, default, description) of the config class
    reduce_output: str = CLS_POOLED  # Ludwig's default; most models without a pooler sum their token vectors


def _bert_like(
    hidden_size: int,
    num_hidden_layers: int,
    num_attention_heads: int,
    intermediate_size: int,
    hidden_act: str = "gelu",
    dropout: float = 0.1,
    max_position_embeddings: int = 512,
) -> tuple[tuple[str, Any, str], ...]:
    return (
        ("hidden_size", hidden_size, "Size of the encoder layers and of the pooler layer."),
        ("num_hidden_layers", num_hidden_layers, "Number of transformer layers."),
        ("num_attention_heads", num_attention_heads, "Number of attention heads of each layer."),
        ("intermediate_size", intermediate_size, "Size of the feed-forward layer of each transformer layer."),
        ("hidden_act", hidden_act, "Activation of the feed-forward layers."),
        ("hidden_dropout_prob", dropout, "Dropout probability of the embeddings, encoder and pooler layers."),
        ("attention_probs_dropout_prob", dropout, "Dropout probability of the attention weights."),
        ("max_position_embeddings", max_position_embeddings, "Longest sequence the position embeddings cover."),
    )


_GPT_DROPOUTS = (
    ("resid_pdrop", 0.1, "Dropout probability of the residual connections."),
    ("embd_pdrop", 0.1, "Dropout probability of the embeddings."),
    ("attn_pdrop", 0.1, "Dropout probability of the attention weights."),
)

HF_TEXT_ENCODERS: dict[str, HFArchitecture] = {
    "albert": HFArchitecture(
        "albert-base-v2",
        "AlbertConfig",
        "AlbertModel",
        "ALBERT: BERT with factorised embeddings and layers sharing their parameters.",
        (("embedding_size", 128, "Size of the token embeddings."),)
        + _bert_like(4096, 12, 64, 16384, hidden_act="gelu_new", dropout=0.0)
        + (
            ("num_hidden_groups", 1, "Number of groups of layers sharing their parameters."),
            ("inner_group_num", 1, "Number of inner repetitions of attention and feed-forward."),
        ),
    ),
    "bert": HFArchitecture("bert-base-uncased", "BertConfig", "BertModel", "BERT.", _bert_like(768, 12, 12, 3072)),
    "camembert": HFArchitecture(
        "camembert-base",
        "CamembertConfig",
        "CamembertModel",
        "CamemBERT (French RoBERTa).",
        _bert_like(768, 12, 12, 3072, max_position_embeddings=514),
        "sum",
    ),
    "deberta": HFArchitecture(
        "sileod/deberta-v3-base-tasksource-nli",
        "DebertaV2Config",
        "DebertaV2Model",
        "DeBERTa (v2/v3): BERT with disentangled attention.",
        _bert_like(1536, 24, 24, 6144),
        "sum",
    ),
    "distilbert": HFArchitecture(
        "distilbert-base-uncased",
        "DistilBertConfig",
        "DistilBertModel",
        "DistilBERT: a smaller BERT distilled from BERT base.",
        (
            ("dim", 768, "Size of the encoder layers."),
            ("n_layers", 6, "Number of transformer layers."),
            ("n_heads", 12, "Number of attention heads of each layer."),
            ("hidden_dim", 3072, "Size of the feed-forward layer of each transformer layer."),
            ("activation", "gelu", "Activation of the feed-forward layers."),
            ("dropout", 0.1, "Dropout probability of the fully connected layers."),
            ("attention_dropout", 0.1, "Dropout probability of the attention weights."),
            ("max_position_embeddings", 512, "Longest sequence the position embeddings cover."),
        ),
        "sum",
    ),
    "electra": HFArchitecture(
        "google/electra-small-discriminator",
        "ElectraConfig",
        "ElectraModel",
        "ELECTRA discriminator.",
        (("embedding_size", 128, "Size of the token embeddings."),) + _bert_like(256, 12, 4, 1024),
        "sum",
    ),
    "gpt": HFArchitecture(
        "openai-gpt",
        "OpenAIGPTConfig",
        "OpenAIGPTModel",
        "OpenAI GPT (causal transformer).",
        (
            ("n_embd", 768, "Size of the embeddings and hidden states."),
            ("n_layer", 12, "Number of transformer layers."),
            ("n_head", 12, "Number of attention heads of each layer."),
            ("n_positions", 512, "Longest sequence the position embeddings cover."),
            ("afn", "gelu", "Activation of the feed-forward layers."),
        )
        + _GPT_DROPOUTS,
        "sum",
    ),
    "gpt2": HFArchitecture(
        "gpt2",
        "GPT2Config",
        "GPT2Model",
        "GPT-2 (causal transformer).",
        (
            ("n_embd", 768, "Size of the embeddings and hidden states."),
            ("n_layer", 12, "Number of transformer layers."),
            ("n_head", 12, "Number of attention heads of each layer."),
            ("n_positions", 1024, "Longest sequence the position embeddings cover."),
            ("n_inner", None, "Size of the feed-forward layers (null: 4 * n_embd)."),
            ("activation_function", "gelu_new", "Activation of the feed-forward layers."),
        )
        + _GPT_DROPOUTS,
        "sum",
    ),
    "longformer": HFArchitecture(
        "allenai/longformer-base-4096",
        "LongformerConfig",
        "LongformerModel",
        "Longformer: RoBERTa with sliding-window attention for long documents.",
        _bert_like(768, 12, 12, 3072, max_position_embeddings=4098)
        + (("attention_window", 512, "Size of the attention window of each token."),),
    ),
    "roberta": HFArchitecture(
        "roberta-base",
        "RobertaConfig",
        "RobertaModel",
        "RoBERTa.",
        _bert_like(768, 12, 12, 3072, max_position_embeddings=514),
    ),
    "t5": HFArchitecture(
        "t5-small",
        "T5Config",
        "T5EncoderModel",
        "The encoder of T5.",
        (
            ("d_model", 512, "Size of the encoder layers."),
            ("d_kv", 64, "Size of the key, query and value projections of each attention head."),
            ("d_ff", 2048, "Size of the feed-forward layer of each block."),
            ("num_layers", 6, "Number of transformer blocks."),
            ("num_heads", 8, "Number of attention heads of each block."),
            ("dropout_rate", 0.1, "Dropout probability of all dropout layers."),
            ("feed_forward_proj", "relu", "Feed-forward type: relu or gated-gelu."),
        ),
        "sum",
    ),
    "xlmroberta": HFArchitecture(
        "xlm-roberta-base",
        "XLMRobertaConfig",
        "XLMRobertaModel",
        "XLM-RoBERTa (multilingual RoBERTa).",
        _bert_like(768, 12, 12, 3072, max_position_embeddings=514),
    ),
    "xlnet": HFArchitecture(
        "xlnet-base-cased",
        "XLNetConfig",
        "XLNetModel",
        "XLNet (permutation language model).",
        (
            ("d_model", 1024, "Size of the encoder layers."),
            ("n_layer", 24, "Number of transformer layers."),
            ("n_head", 16, "Number of attention heads of each layer."),
            ("d_inner", 4096, "Size of the feed-forward layer of each layer."),
            ("ff_activation", "gelu", "Activation of the feed-forward layers."),
            ("dropout", 0.1, "Dropout probability of the fully connected layers."),
        ),
        "sum",
    ),
    "modernbert": HFArchitecture(
        "answerdotai/ModernBERT-base",
        "ModernBertConfig",
        "ModernBertModel",
        "ModernBERT: BERT with rotary positions, alternating local/global attention and long context.",
        (
            ("hidden_size", 768, "Size of the encoder layers."),
            ("num_hidden_layers", 22, "Number of transformer layers."),
            ("num_attention_heads", 12, "Number of attention heads of each layer."),
            ("intermediate_size", 1152, "Size of the feed-forward layer of each transformer layer."),
            ("hidden_activation", "gelu", "Activation of the feed-forward layers."),
            ("max_position_embeddings", 8192, "Longest sequence the model covers."),
            ("embedding_dropout", 0.0, "Dropout probability of the embeddings."),
            ("attention_dropout", 0.0, "Dropout probability of the attention weights."),
            ("mlp_dropout", 0.0, "Dropout probability of the feed-forward layers."),
        ),
        "sum",
    ),
}


def _common_fields(reduce_output: str) -> dict[str, Any]:
    return {
        "trainable": su.Boolean(
            False, description="Fine-tune the pretrained weights (false: frozen, run in eval mode without gradients)."
        ),
        "reduce_output": su.StringOptions(
            HF_REDUCE_OPTIONS,
            reduce_output,
            allow_none=True,
            description="How the token vectors become one vector: cls_pooled (the pooler output, or the first "
            "token for models without a pooler), sum, mean, max, last, concat, attention, or null/none "
            "to keep the sequence.",
        ),
        "max_sequence_length": su.PositiveInteger(
            None,
            allow_none=True,
            description="Longest input (in tokens) the encoder reads; null: the preprocessed width.",
        ),
        "saved_weights_in_checkpoint": su.Boolean(
            False,
            description="The encoder weights are in the Ludwig model's weights: build the architecture from the "
            "checkpoint's config only, without loading its pretrained weights.",
        ),
        "pretrained_kwargs": su.Dict(
            None, allow_none=True, description="Extra keyword arguments of the model's `from_pretrained`."
        ),
    }


_AUTO_FIELDS = _common_fields("sum")


@encoder_config_registry.register("auto_transformer", [TEXT])
@su.config_class(kw_only=True)  # a required key after `type`
class AutoTransformerConfig(su.BaseConfig):
    """Any pretrained Hugging Face model, by hub name or local directory (its architecture is read from it)."""

    type: str = su.ProtectedString("auto_transformer")
    pretrained_model_name_or_path: str = su.String(
        description="Local directory written by `save_pretrained`, or a hub name already in the local cache."
    )
    trainable: bool = _AUTO_FIELDS["trainable"]
    reduce_output: str | None = _AUTO_FIELDS["reduce_output"]
    max_sequence_length: int | None = _AUTO_FIELDS["max_sequence_length"]
    saved_weights_in_checkpoint: bool = _AUTO_FIELDS["saved_weights_in_checkpoint"]
    pretrained_kwargs: dict | None = _AUTO_FIELDS["pretrained_kwargs"]


def _architecture_field(key: str, default: Any, description: str) -> Any:
    if isinstance(default, float):
        if "drop" in key:
            return su.FloatRange(default, description=description)
        return su.NonNegativeFloat(default, description=description)
    if isinstance(default, int):
        return su.PositiveInteger(default, description=description)
    if isinstance(default, str):
        return su.String(default, description=description)
    return su.PositiveInteger(default, allow_none=True, description=description)


def _named_encoder_config(name: str, spec: HFArchitecture) -> type[su.BaseConfig]:
    fields: list[tuple[str, Any, Any]] = [
        ("type", str, su.ProtectedString(name)),
        (
            "pretrained_model_name_or_path",
            str,
            su.String(
                spec.default_checkpoint,
                description="Local directory written by `save_pretrained`, or a hub name already in the local "
                "cache; also used by the hf_tokenizer of the feature.",
            ),
        ),
        (
            "use_pretrained",
            bool,
            su.Boolean(
                True,
                description="Load the pretrained weights; false builds the architecture below, randomly "
                "initialised (the tokenizer still comes from pretrained_model_name_or_path).",
            ),
        ),
    ]
    fields += [(key, Any, value) for key, value in _common_fields(spec.reduce_output).items()]
    fields += [(key, Any, _architecture_field(key, default, text)) for key, default, text in spec.architecture]
    class_name = "".join(part.title() for part in name.split("_")) + "EncoderConfig"
    doc = f"{spec.description} Hugging Face `{spec.model_class}`, default checkpoint `{spec.default_checkpoint}`."
    cls = su.make_config_class(class_name, fields, namespace={"__doc__": doc, "__module__": __name__})
    return encoder_config_registry.register(name, [TEXT])(cls)


HF_ENCODER_CONFIGS: dict[str, type[su.BaseConfig]] = {
    name: _named_encoder_config(name, spec) for name, spec in HF_TEXT_ENCODERS.items()
}
HF_ENCODER_NAMES: tuple[str, ...] = ("auto_transformer", *HF_TEXT_ENCODERS)


def uses_hf_encoder(feature) -> bool:
    """Whether an input feature section uses one of the pretrained Hugging Face text encoders."""
    encoder = getattr(feature, "encoder", None)
    return encoder is not None and encoder.type in HF_ENCODER_NAMES


@register_config_renderer
def render_hf_tokenizers(config) -> None:
    """A text input with a pretrained Hugging Face encoder is tokenized by that checkpoint's own tokenizer
    (``hf_tokenizer``): the encoder only understands the ids of its vocabulary."""
    for feature in config.input_features:
        preprocessing = feature.preprocessing
        if uses_hf_encoder(feature) and hasattr(preprocessing, "pretrained_model_name_or_path"):
            preprocessing.tokenizer = "hf_tokenizer"
            preprocessing.pretrained_model_name_or_path = feature.encoder.pretrained_model_name_or_path


@register_config_check
def check_hf_tokenizers(config) -> list[str]:
    errors = []
    for key in ("input_features", "output_features"):
        for i, feature in enumerate(getattr(config, key)):
            preprocessing = feature.preprocessing
            if getattr(preprocessing, "cache_encoder_embeddings", False) and uses_hf_encoder(feature):
                problem = embedding_cache_problem(feature.encoder)
                if problem:
                    errors.append(f"{key}[{i}].preprocessing.cache_encoder_embeddings: {problem}.")
            if getattr(preprocessing, "tokenizer", None) != "hf_tokenizer" or uses_hf_encoder(feature):
                continue
            if not getattr(preprocessing, "pretrained_model_name_or_path", None):
                errors.append(
                    f"{key}[{i}].preprocessing.pretrained_model_name_or_path: required by tokenizer "
                    "'hf_tokenizer'; set it to a local directory holding a Hugging Face tokenizer."
                )
    return errors


def embedding_cache_problem(encoder_config) -> str | None:
    """Why the outputs of this encoder cannot be precomputed, or None when they can."""
    if encoder_config.trainable:
        return "the encoder is trainable; set encoder.trainable: false to cache its embeddings"
    if encoder_config.reduce_output == "attention":
        return "reduce_output 'attention' has trainable weights; choose another reduce_output"
    if not getattr(encoder_config, "use_pretrained", True):
        return "use_pretrained is false: a randomly initialised encoder gives different embeddings in each run"
    return None
