"""Loading pretrained Hugging Face models and tokenizers from a local directory (or the local Hub cache).

``transformers`` is imported inside the functions only: importing this module stays cheap.

Nothing here downloads when the Hub is offline (``HF_HUB_OFFLINE=1``, or ``TRANSFORMERS_OFFLINE=1``): a hub
name then works only if it is already in the local cache, and a clear error says to pass a local directory.

Nothing here runs a checkpoint's own Python code unless the caller passes ``trust_remote_code=True``: every loader
passes ``trust_remote_code=False`` otherwise, so a checkpoint with custom code fails with an error instead of
running it (or of ``transformers`` asking on the terminal).
"""

from __future__ import annotations

import os
from typing import Any

# Tokenizers without a model maximum report this sentinel (or larger) as ``model_max_length``.
_UNBOUNDED_LENGTH = 1_000_000


def hub_offline() -> bool:
    """Whether the Hugging Face Hub must not be contacted (``HF_HUB_OFFLINE`` / ``TRANSFORMERS_OFFLINE``)."""
    for variable in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(variable, "").strip().lower() in ("1", "true", "yes", "on"):
            return True
    return False


def _looks_like_path(name_or_path: str) -> bool:
    """Hub names are ``name`` or ``org/name``; anything else (``./x``, ``/a/b/c``, ``~/m``) is a local path."""
    return name_or_path.startswith((".", "/", "~")) or name_or_path.count("/") > 1 or "\\" in name_or_path


def _load_error(name_or_path: str, what: str, cause: Exception) -> OSError:
    if os.path.exists(os.path.expanduser(name_or_path)):
        return OSError(
            f"pretrained_model_name_or_path: cannot load the {what} from the directory {name_or_path!r}: {cause}. "
            "Pass a directory written by `save_pretrained` (config.json, weights and tokenizer files)."
        )
    if _looks_like_path(name_or_path):
        return OSError(
            f"pretrained_model_name_or_path: the directory {name_or_path!r} does not exist. Pass a local directory "
            "written by `save_pretrained` (config.json, weights and tokenizer files)."
        )
    offline = " The Hugging Face Hub is offline (HF_HUB_OFFLINE is set)." if hub_offline() else ""
    return OSError(
        f"pretrained_model_name_or_path: cannot load the {what} {name_or_path!r}: it is not a local directory "
        f"and not in the Hugging Face cache.{offline} Pass a local directory holding the model "
        f"(written by `save_pretrained`) as pretrained_model_name_or_path. Cause: {cause}"
    )


def _resolve(name_or_path: str) -> str:
    expanded = os.path.expanduser(name_or_path)
    return expanded if os.path.exists(expanded) else name_or_path


def load_pretrained_tokenizer(pretrained_model_name_or_path: str, **kwargs: Any):
    """The Hugging Face tokenizer of ``pretrained_model_name_or_path`` (a local directory or a cached hub name).

    A tokenizer without a padding token (GPT-2 style) pads with its end-of-sequence token.

    Raises:
        OSError: naming ``pretrained_model_name_or_path`` when the tokenizer cannot be found.
    """
    from transformers import AutoTokenizer

    kwargs.setdefault("local_files_only", hub_offline())
    kwargs.setdefault("trust_remote_code", False)
    try:
        tokenizer = AutoTokenizer.from_pretrained(_resolve(pretrained_model_name_or_path), **kwargs)
    except (OSError, ValueError) as e:
        raise _load_error(pretrained_model_name_or_path, "tokenizer", e) from e
    if tokenizer.pad_token is None:
        fallback = tokenizer.eos_token or tokenizer.unk_token
        if fallback is None:
            raise ValueError(
                f"pretrained_model_name_or_path: the tokenizer of {pretrained_model_name_or_path!r} has no padding, "
                "end-of-sequence or unknown token to pad with."
            )
        tokenizer.pad_token = fallback
    return tokenizer


def load_pretrained_config(pretrained_model_name_or_path: str, **kwargs: Any):
    """The ``transformers`` config (architecture only, no weights) of a local directory or cached hub name."""
    from transformers import AutoConfig

    kwargs.setdefault("local_files_only", hub_offline())
    kwargs.setdefault("trust_remote_code", False)
    try:
        return AutoConfig.from_pretrained(_resolve(pretrained_model_name_or_path), **kwargs)
    except (OSError, ValueError) as e:
        raise _load_error(pretrained_model_name_or_path, "model config", e) from e


def load_pretrained_model(pretrained_model_name_or_path: str, model_class: str = "AutoModel", **kwargs: Any):
    """The pretrained model (weights included) of a local directory or cached hub name.

    Args:
        pretrained_model_name_or_path: local directory written by ``save_pretrained``, or a hub name.
        model_class: name of the ``transformers`` class to load with (``AutoModel``, ``BertModel``...).
        kwargs: passed to ``from_pretrained`` (the encoder's ``pretrained_kwargs``).

    Raises:
        OSError: naming ``pretrained_model_name_or_path`` when the model cannot be found.
    """
    import transformers

    kwargs.setdefault("local_files_only", hub_offline())
    kwargs.setdefault("trust_remote_code", False)
    cls = getattr(transformers, model_class)
    try:
        return cls.from_pretrained(_resolve(pretrained_model_name_or_path), **kwargs)
    except (OSError, ValueError) as e:
        raise _load_error(pretrained_model_name_or_path, "model", e) from e


def model_from_config(config, model_class: str = "AutoModel", trust_remote_code: bool = False):
    """A randomly initialised model of the architecture ``config`` describes.

    ``trust_remote_code`` lets ``AutoModel`` build a model class defined by the checkpoint's own code.
    """
    import transformers

    if model_class == "AutoModel":
        return transformers.AutoModel.from_config(config, trust_remote_code=trust_remote_code)
    return getattr(transformers, model_class)(config)


# ---------------------------------------------------------------------------------------------------------
# Tokenizer vocabulary


def tokenizer_vocabulary(tokenizer) -> list[str]:
    """The tokenizer's tokens ordered by id (ids without a token, if any, are ``""``)."""
    vocab = tokenizer.get_vocab()
    size = max(len(tokenizer), max(vocab.values(), default=-1) + 1)
    idx2str = [""] * size
    for token, index in vocab.items():
        idx2str[index] = token
    return idx2str


def model_max_length(tokenizer) -> int | None:
    """The longest input the tokenizer's model accepts, or None when it does not say."""
    length = getattr(tokenizer, "model_max_length", None)
    return int(length) if length is not None and length < _UNBOUNDED_LENGTH else None


_TOKENIZER_CACHE: dict[tuple, Any] = {}


def cached_pretrained_tokenizer(pretrained_model_name_or_path: str):
    """``load_pretrained_tokenizer`` loaded once per process for a given name (or directory and its mtime):
    preprocessing, prediction and serving ask for the same tokenizer many times."""
    resolved = _resolve(pretrained_model_name_or_path)
    key = (resolved, os.path.getmtime(resolved) if os.path.exists(resolved) else None, hub_offline())
    if key not in _TOKENIZER_CACHE:
        if len(_TOKENIZER_CACHE) >= 8:
            _TOKENIZER_CACHE.pop(next(iter(_TOKENIZER_CACHE)))
        _TOKENIZER_CACHE[key] = load_pretrained_tokenizer(pretrained_model_name_or_path)
    return _TOKENIZER_CACHE[key]


# RoBERTa-style models number positions from ``pad_token_id + 1``, so they cover fewer tokens than they have
# position embeddings.
_OFFSET_POSITION_MODELS = ("roberta", "xlm-roberta", "camembert", "longformer")


def position_limit(config) -> int | None:
    """The longest sequence a model's position embeddings cover, or None when unbounded (relative positions)."""
    limit = getattr(config, "max_position_embeddings", None)
    if not isinstance(limit, int) or getattr(config, "model_type", None) in ("t5", "mt5", "xlnet"):
        return None
    if getattr(config, "model_type", None) in _OFFSET_POSITION_MODELS:
        limit -= int(getattr(config, "pad_token_id", 1) or 0) + 1
    return limit
