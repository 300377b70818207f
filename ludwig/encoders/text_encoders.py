"""Pretrained Hugging Face text encoders: ``auto_transformer`` and the named ones (``bert``, ``roberta``...).

One implementation serves all of them; the named encoders differ only by the entry of ``HF_TEXT_ENCODERS``
(default checkpoint, ``transformers`` config and model classes, architecture keys).

The input is the ``[batch, time]`` id matrix made by the feature's ``hf_tokenizer`` (the tokenizer of the same
checkpoint), padded with its padding id; the attention mask is ``ids != pad_idx``.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import numpy as np
import torch

from ludwig.constants import TEXT
from ludwig.encoders.base import ENCODER_OUTPUT, Encoder
from ludwig.encoders.registry import encoder_registry
from ludwig.modules.reduction_modules import SequenceReducer
from ludwig.schema.encoders.text_encoders import CLS_POOLED, HF_ENCODER_NAMES, HF_TEXT_ENCODERS, HFArchitecture
from ludwig.utils import hf_utils

logger = logging.getLogger(__name__)

# Metadata keys set when ``preprocessing.cache_encoder_embeddings`` precomputes the encoder's outputs.
EMBEDDINGS_CACHED = "encoder_embeddings_cached"
EMBEDDINGS_OUTPUT_SIZE = "encoder_output_size"


def build_transformer(config, spec: HFArchitecture | None, metadata: dict[str, Any]):
    """The ``transformers`` model an encoder section describes.

    ``use_pretrained`` (named encoders; always for ``auto_transformer``) loads the checkpoint's weights;
    ``saved_weights_in_checkpoint`` reads only the checkpoint's architecture (the weights come from the Ludwig
    model); otherwise the architecture keys of the section build a randomly initialised model, sized to the
    tokenizer's vocabulary.
    """
    path = config.pretrained_model_name_or_path
    kwargs = dict(config.pretrained_kwargs or {})
    model_class = spec.model_class if spec is not None else "AutoModel"
    use_pretrained = getattr(config, "use_pretrained", True)
    if use_pretrained:
        # The checkpoint's own code runs only if the config asks for it (``pretrained_kwargs.trust_remote_code``);
        # a loaded model folder gets here with it only when the person loading opted in (``ludwig.utils.trust``).
        trust_remote_code = bool(kwargs.get("trust_remote_code", False))
        checkpoint_config = hf_utils.load_pretrained_config(path, trust_remote_code=trust_remote_code)
        if spec is not None:
            _check_model_type(config.type, spec, checkpoint_config, path)
        if config.saved_weights_in_checkpoint:
            model = hf_utils.model_from_config(
                hf_utils.load_pretrained_config(path, **kwargs), model_class, trust_remote_code
            )
        else:
            model = hf_utils.load_pretrained_model(path, model_class, **kwargs)
    else:
        import transformers

        architecture = {key: getattr(config, key) for key, _, _ in spec.architecture}
        hf_config = getattr(transformers, spec.config_class)(
            vocab_size=int(metadata["vocab_size"]),
            pad_token_id=int(metadata["pad_idx"]),
            **architecture,
            **kwargs,
        )
        model = hf_utils.model_from_config(hf_config, model_class)
    if getattr(model.config, "is_encoder_decoder", False) and hasattr(model, "get_encoder"):
        model = model.get_encoder()  # e.g. T5 through auto_transformer: only its encoder reads the text
    vocab_size = int(metadata.get("vocab_size") or 0)
    embeddings = model.get_input_embeddings()
    if embeddings is not None and vocab_size > embeddings.num_embeddings:
        model.resize_token_embeddings(vocab_size)  # the tokenizer has tokens added after pretraining
    return model


def _check_model_type(name: str, spec: HFArchitecture, checkpoint_config, path: str) -> None:
    import transformers

    expected = getattr(transformers, spec.config_class).model_type
    found = getattr(checkpoint_config, "model_type", None)
    if found != expected:
        raise ValueError(
            f"encoder.pretrained_model_name_or_path: encoder {name!r} needs a {expected!r} checkpoint, but "
            f"{path!r} holds a {found!r} model; use encoder type 'auto_transformer' for any architecture."
        )


class HFTextEncoder(Encoder):
    """A pretrained Hugging Face transformer over token ids, reduced by ``reduce_output``.

    ``cls_pooled`` is the model's pooler output when it has a pooler (BERT, ALBERT...), else the vector of the
    first real token; the other modes reduce the last hidden states over the real (unpadded) tokens. A frozen encoder
    (``trainable: false``) has no trainable parameters, runs without gradients and stays in eval mode.
    """

    architecture: HFArchitecture | None = None

    def __init__(self, config, input_size: int, metadata: dict):
        super().__init__(config, input_size, metadata)
        self.trainable = bool(config.trainable)
        self.reduce_output = config.reduce_output
        self.embeddings_cached = bool(metadata.get(EMBEDDINGS_CACHED))
        if self.embeddings_cached:
            # Preprocessing already ran this (frozen) encoder: its inputs are the embeddings themselves.
            self.transformer = None
            self.output_size = int(metadata[EMBEDDINGS_OUTPUT_SIZE])
            return
        self.transformer = build_transformer(config, self.architecture, metadata)
        if not self.trainable:
            self.transformer.requires_grad_(False)
            self.transformer.eval()
        self.pad_idx = int(metadata.get("pad_idx", self.transformer.config.pad_token_id or 0))
        self.max_length = self._max_length(config, metadata)
        hidden_size = int(self.transformer.config.hidden_size)
        self.reducer = SequenceReducer(
            None if self.reduce_output == CLS_POOLED else self.reduce_output,
            max_sequence_length=self.max_length,
            encoding_size=hidden_size,
        )
        self.output_size = hidden_size if self.reduce_output == CLS_POOLED else self.reducer.output_size

    def _max_length(self, config, metadata: dict) -> int:
        width = int(metadata.get("max_sequence_length") or config.max_sequence_length or 512)
        length = min(width, config.max_sequence_length or width)
        limit = hf_utils.position_limit(self.transformer.config)
        if limit is not None and length > limit:
            logger.warning(
                "Text encoder %s covers at most %d tokens; longer inputs (up to %d) are truncated.",
                config.pretrained_model_name_or_path,
                limit,
                length,
            )
            length = limit
        return length

    def train(self, mode: bool = True) -> HFTextEncoder:
        super().train(mode)
        if not self.trainable and self.transformer is not None:
            self.transformer.eval()  # no dropout in a frozen encoder: its outputs are deterministic
        return self

    def forward(self, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        if self.embeddings_cached:
            return {ENCODER_OUTPUT: inputs.float()}
        ids = inputs[:, : self.max_length].long()
        mask = ids != self.pad_idx
        if self.trainable:
            outputs = self.transformer(input_ids=ids, attention_mask=mask.long())
        else:
            with torch.no_grad():
                outputs = self.transformer(input_ids=ids, attention_mask=mask.long())
        hidden = outputs.last_hidden_state
        if self.reduce_output == CLS_POOLED:
            pooled = getattr(outputs, "pooler_output", None)
            if pooled is None:  # the first real token ([CLS], <s>...), also under `padding: left`
                first = mask.int().argmax(dim=1)
                pooled = hidden[torch.arange(hidden.shape[0], device=hidden.device), first]
            encoded = pooled
        else:
            if self.reduce_output == "concat" and hidden.shape[1] < self.max_length:
                hidden = torch.nn.functional.pad(hidden, (0, 0, 0, self.max_length - hidden.shape[1]))
                mask = torch.nn.functional.pad(mask, (0, self.max_length - mask.shape[1]))
            encoded = self.reducer(hidden, mask)
        return {ENCODER_OUTPUT: encoded}


# ---------------------------------------------------------------------------------------------------------
# Embeddings precomputed at preprocessing time (``preprocessing.cache_encoder_embeddings``)


def caches_encoder_embeddings(feature_config) -> bool:
    """Whether preprocessing runs this input feature's frozen Hugging Face encoder once and stores its outputs
    as the preprocessed column (the model then skips the encoder: much faster epochs, no encoder weights)."""
    encoder = getattr(feature_config, "encoder", None)
    return (
        bool(getattr(feature_config.preprocessing, "cache_encoder_embeddings", False))
        and encoder is not None
        and encoder.type in HF_ENCODER_NAMES
    )


_FROZEN_ENCODERS: dict[str, HFTextEncoder] = {}


def _frozen_encoder(encoder_config, metadata: dict[str, Any]) -> HFTextEncoder:
    """The encoder of a feature, built once per process for a given config and vocabulary."""
    key = json.dumps(
        [encoder_config.to_dict(), metadata["vocab_size"], metadata["pad_idx"], metadata["max_sequence_length"]],
        sort_keys=True,
        default=str,
    )
    if key not in _FROZEN_ENCODERS:
        _FROZEN_ENCODERS.clear()  # one model in memory at a time
        uncached = {k: v for k, v in metadata.items() if k != EMBEDDINGS_CACHED}
        encoder_cls = encoder_registry.for_type(TEXT)[encoder_config.type]
        encoder = encoder_cls(encoder_config, int(metadata["max_sequence_length"]), uncached)
        _FROZEN_ENCODERS[key] = encoder.eval()
    return _FROZEN_ENCODERS[key]


def embedding_cache_metadata(encoder_config, metadata: dict[str, Any]) -> dict[str, Any]:
    """Metadata entries recording that the encoder's outputs are precomputed, and their size."""
    encoder = _frozen_encoder(encoder_config, metadata)
    return {EMBEDDINGS_CACHED: True, EMBEDDINGS_OUTPUT_SIZE: int(encoder.output_size)}


def precompute_embeddings(
    encoder_config, metadata: dict[str, Any], ids: np.ndarray, batch_size: int = 128
) -> np.ndarray:
    """The frozen encoder's outputs for an id matrix, as float32 ``[rows, H]`` (``[rows, T, H]`` unreduced)."""
    encoder = _frozen_encoder(encoder_config, metadata)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    encoder.to(device)
    chunks = []
    with torch.inference_mode():
        for start in range(0, len(ids), batch_size):
            batch = torch.from_numpy(np.ascontiguousarray(ids[start : start + batch_size])).to(device)
            chunks.append(encoder(batch)[ENCODER_OUTPUT].float().cpu().numpy())
    encoder.to("cpu")
    if chunks:
        return np.concatenate(chunks)
    reduced = encoder.reduce_output not in (None, "none")
    shape = (0, encoder.output_size) if reduced else (0, encoder.max_length, encoder.output_size)
    return np.zeros(shape, dtype=np.float32)


@encoder_registry.register("auto_transformer", [TEXT])
class AutoTransformerEncoder(HFTextEncoder):
    """Any Hugging Face model loaded with ``AutoModel`` from ``pretrained_model_name_or_path``."""


def _register_named_encoders() -> None:
    for name, spec in HF_TEXT_ENCODERS.items():
        class_name = "".join(part.title() for part in name.split("_")) + "Encoder"
        cls = type(class_name, (HFTextEncoder,), {"architecture": spec, "__doc__": spec.description})
        encoder_registry.register(name, [TEXT])(cls)
        globals()[class_name] = cls


_register_named_encoders()
