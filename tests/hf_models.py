"""Tiny randomly initialised Hugging Face models saved to a local directory, for offline tests."""

from __future__ import annotations

import os

WORDS = (
    "the a movie film was is very really good great excellent wonderful bad terrible awful boring plot actors "
    "and but it this story fun dull"
).split()
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

# Architecture keys of each named encoder, shrunk so that building any of them takes a fraction of a second.
TINY_ARCHITECTURE = {
    "hidden_size": 16,
    "num_hidden_layers": 1,
    "num_attention_heads": 2,
    "intermediate_size": 32,
    "embedding_size": 16,
    "max_position_embeddings": 64,
    "dim": 16,
    "n_layers": 1,
    "n_heads": 2,
    "hidden_dim": 32,
    "n_embd": 16,
    "n_layer": 1,
    "n_head": 2,
    "n_positions": 64,
    "n_inner": 32,
    "d_model": 16,
    "d_kv": 8,
    "d_ff": 32,
    "num_layers": 1,
    "num_heads": 2,
    "d_inner": 32,
    "attention_window": 4,
}


def save_tiny_bert(path: str, hidden_size: int = 32, seed: int = 0) -> str:
    """Write a 2-layer BERT (``hidden_size`` wide) and its WordPiece tokenizer over ``WORDS`` to ``path``."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    os.makedirs(path, exist_ok=True)
    vocab = {token: i for i, token in enumerate(SPECIAL_TOKENS + list(WORDS))}
    tokenizer = BertTokenizerFast(vocab=vocab)
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=hidden_size,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=2 * hidden_size,
        max_position_embeddings=64,
    )
    BertModel(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


#: Environment variable naming the file the custom code of ``save_tiny_custom_code_model`` appends to on import.
REMOTE_CODE_MARKER_ENV = "LUDWIG_TEST_REMOTE_CODE_MARKER"

_MARK_ON_IMPORT = f'''import os

_marker = os.environ.get("{REMOTE_CODE_MARKER_ENV}")
if _marker:
    with open(_marker, "a") as _f:
        _f.write(__name__ + "\\n")
'''


def save_tiny_custom_code_model(path: str) -> str:
    """Write a tiny BERT whose config and model classes are the folder's own Python code (``auto_map``).

    Loading it runs ``configuration_custom.py`` and ``modeling_custom.py`` only with ``trust_remote_code=True``;
    each module, when imported, appends its name to the file named by ``$LUDWIG_TEST_REMOTE_CODE_MARKER``.
    The tokenizer is a plain BERT tokenizer, which needs no code.
    """
    import json

    save_tiny_bert(path, hidden_size=16)
    config_path = os.path.join(path, "config.json")
    with open(config_path) as f:
        config = json.load(f)
    config["model_type"] = "ludwig_test_custom"
    config["architectures"] = ["CustomModel"]
    config["auto_map"] = {
        "AutoConfig": "configuration_custom.CustomConfig",
        "AutoModel": "modeling_custom.CustomModel",
    }
    with open(config_path, "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(path, "configuration_custom.py"), "w") as f:
        f.write(
            _MARK_ON_IMPORT
            + "\nfrom transformers import BertConfig\n\n\nclass CustomConfig(BertConfig):\n"
            + '    model_type = "ludwig_test_custom"\n'
        )
    with open(os.path.join(path, "modeling_custom.py"), "w") as f:
        f.write(
            _MARK_ON_IMPORT
            + "\nfrom transformers import BertModel\n\nfrom .configuration_custom import CustomConfig\n\n\n"
            + "class CustomModel(BertModel):\n    config_class = CustomConfig\n"
        )
    return path
