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
