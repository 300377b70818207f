"""TorchScript preprocessing of text and sequence inputs: tokens, vocabulary lookup and padding.

:func:`build_sequence` (registered for ``text`` and ``sequence``) makes the scripted twin of Python
preprocessing for a feature. With a tokenizer of :mod:`.tokenizers`, :class:`ChunkwiseTokens` or
:class:`WholeValueTokens` apply it as ``tokenize_sequences`` does (whitespace chunks, the unknown symbol,
lowercasing as in :mod:`.lowercasing`) and :class:`SequencePreprocessor` turns the tokens into the padded id
matrix of ``build_sequence_matrix``. A BERT WordPiece tokenizer (:mod:`.wordpiece`) makes the ids itself, which
:class:`TokenIdSequencePreprocessor` pads.
"""

# No ``from __future__ import annotations``: TorchScript reads the annotations of scripted code as real types.

from typing import Any

import torch
from torch import nn

from ludwig.encoders.text_encoders import EMBEDDINGS_CACHED
from ludwig.model_export.torchscript.base import Unscriptable, fill_string, preprocessor_registry
from ludwig.model_export.torchscript.lowercasing import OptionalLowercase
from ludwig.model_export.torchscript.tokenizers import (
    SCRIPTABLE_TOKENIZERS,
    WORDPIECE_TOKENIZERS,
    ChunkTokenizer,
    ScriptedTokenizer,
    scripted_form,
    unscriptable_tokenizer,
)
from ludwig.model_export.torchscript.wordpiece import build_wordpiece
from ludwig.utils.strings_utils import (
    START_SYMBOL,
    STOP_SYMBOL,
    UNK_IDX,
    WHITESPACE_SEPARABLE_TOKENIZERS,
    tokenizer_from_preprocessing,
)


class ValueTokens(nn.Module):
    """Base of :class:`ChunkwiseTokens` and :class:`WholeValueTokens`: ``forward(text) -> tokens`` of one value
    and ``batch(values)`` of each value, made with ``tokenizer``, lowercased (``str.lower``) when ``lowercase``,
    and with the unknown symbol kept as the unknown token."""

    def __init__(self, tokenizer: ScriptedTokenizer, lowercase: bool, unknown_symbol: str):
        super().__init__()
        self.tokenizer = tokenizer
        self.lowercase = OptionalLowercase(lowercase)
        self.unknown_symbol = unknown_symbol


class ChunkwiseTokens(ValueTokens):
    """One value's tokens as ``tokenize_sequences`` makes them with a whitespace-separable tokenizer: each
    whitespace chunk is the unknown token when it is exactly the unknown symbol, else (lowercased when
    ``lowercase``) tokenized on its own."""

    def __init__(self, tokenizer: ChunkTokenizer, lowercase: bool, unknown_symbol: str):
        super().__init__(tokenizer, lowercase, unknown_symbol)

    def forward(self, text: str) -> list[str]:
        if text.find(self.unknown_symbol) < 0:
            # No chunk is the unknown symbol; lowercasing never crosses whitespace (the final-sigma rule stops at
            # it, no character lowers to or from it), so the whole text is lowered at once.
            return self.tokenizer(self.lowercase(text))
        tokens: list[str] = []
        for chunk in self.tokenizer.split(text):
            tokens.extend(self._chunk_tokens(chunk))
        return tokens

    def _chunk_tokens(self, chunk: str) -> list[str]:
        if chunk == self.unknown_symbol:
            return [chunk]
        return self.tokenizer.chunk_tokens(self.lowercase(chunk))

    @torch.jit.export
    def batch(self, values: list[str]) -> list[list[str]]:
        """The tokens of each value; in a batch, each distinct chunk is tokenized once."""
        if len(values) == 1:
            return [self.forward(values[0])]
        known: dict[str, list[str]] = {}
        rows: list[list[str]] = []
        for text in values:
            tokens: list[str] = []
            for chunk in self.tokenizer.split(text):
                chunk_tokens = known.get(chunk)
                if chunk_tokens is None:
                    chunk_tokens = self._chunk_tokens(chunk)
                    known[chunk] = chunk_tokens
                tokens.extend(chunk_tokens)
            rows.append(tokens)
        return rows


class WholeValueTokens(ValueTokens):
    """One value's tokens as ``tokenize_sequences`` makes them with any other tokenizer: the unknown token when
    the stripped value is the unknown symbol, else the tokens of the value (lowercased as ``lowercase`` does,
    if given)."""

    def forward(self, text: str) -> list[str]:
        if self.tokenizer.strip(text) == self.unknown_symbol:
            return [self.unknown_symbol]
        return self.tokenizer(self.lowercase(text))

    @torch.jit.export
    def batch(self, values: list[str]) -> list[list[str]]:
        """The tokens of each value; repeated values are tokenized once."""
        known: dict[str, list[str]] = {}
        rows: list[list[str]] = []
        for text in values:
            tokens = known.get(text)
            if tokens is None:
                tokens = self.forward(text)
                known[text] = tokens
            rows.append(tokens)
        return rows


class PaddedIdsPreprocessor(nn.Module):
    """Base of the text/sequence preprocessors: the values (``""`` = missing, read as the training fill value)
    become rows of ids, which ``padded`` turns into ``int32 [batch, max_sequence_length]`` as
    ``build_sequence_matrix`` does: each row truncated to the width, padded with the padding id on the
    configured side (``padding``: ``"right"`` or ``"left"``)."""

    def __init__(self, metadata: dict[str, Any], padding: str):
        super().__init__()
        if padding not in ("right", "left"):
            raise ValueError(f"padding {padding!r} is not allowed; expected 'right' or 'left'.")
        self.pad_left = padding == "left"
        self.pad = int(metadata["pad_idx"])
        self.width = int(metadata["max_sequence_length"])
        self.fill = fill_string(metadata)

    def _filled(self, values: list[str]) -> list[str]:
        """``values`` with each missing one replaced by the training fill value."""
        texts: list[str] = []
        for value in values:
            texts.append(self.fill if value == "" else value)
        return texts

    def _padded(self, rows: list[list[int]]) -> torch.Tensor:
        """``int32 [len(rows), width]``: each row cut to the width, padded with the padding id."""
        if len(rows) == 0:
            return torch.zeros([0, self.width], dtype=torch.int32)
        padded: list[list[int]] = []
        for ids in rows:
            ids = ids[: self.width]
            padding = [self.pad] * (self.width - len(ids))
            padded.append(padding + ids if self.pad_left else ids + padding)
        return torch.tensor(padded, dtype=torch.int32)


class SequencePreprocessor(PaddedIdsPreprocessor):
    """Text/sequence strings -> ``int32 [batch, max_sequence_length]`` ids, as ``build_sequence_matrix`` makes
    them: start id, token ids (unknown tokens -> the unknown symbol's id), stop id, truncated to the width, then
    padded on the configured side. ``tokens`` is a :class:`ChunkwiseTokens` or :class:`WholeValueTokens`."""

    str2idx: dict[str, int]

    def __init__(self, metadata: dict[str, Any], tokens: ValueTokens, padding: str):
        super().__init__(metadata, padding)
        self.tokens = tokens
        # Ids are positions in idx2str (the first one of a repeated token), as build_sequence_matrix looks them up.
        self.str2idx = {}
        for i, token in enumerate(metadata["idx2str"]):
            self.str2idx.setdefault(str(token), i)
        str2idx = metadata["str2idx"]
        self.unknown = int(str2idx.get(metadata["unknown_symbol"], UNK_IDX))
        self.start = int(str2idx[START_SYMBOL])
        self.stop = int(str2idx[STOP_SYMBOL])

    def forward(self, values: list[str]) -> torch.Tensor:
        rows: list[list[int]] = []
        for tokens in self.tokens.batch(self._filled(values)):
            ids: list[int] = [self.start]
            for token in tokens:
                ids.append(self.str2idx.get(token, self.unknown))
            ids.append(self.stop)
            rows.append(ids)
        return self._padded(rows)


class TokenIdSequencePreprocessor(PaddedIdsPreprocessor):
    """Text strings -> ``int32 [batch, max_sequence_length]`` ids of a tokenizer that makes ids itself (a
    Hugging Face tokenizer, its special tokens included), as ``build_sequence_matrix`` passes them through:
    truncated to the width, padded with the tokenizer's padding id on the configured side."""

    def __init__(self, metadata: dict[str, Any], tokenizer: nn.Module, lowercase: bool, padding: str):
        super().__init__(metadata, padding)
        self.tokenizer = tokenizer
        self.lowercase = OptionalLowercase(lowercase)

    def forward(self, values: list[str]) -> torch.Tensor:
        known: dict[str, list[int]] = {}
        rows: list[list[int]] = []
        for text in self._filled(values):
            ids = known.get(text)
            if ids is None:
                ids = self.tokenizer(self.lowercase(text))
                known[text] = ids
            rows.append(ids)
        return self._padded(rows)


@preprocessor_registry.register("text", "sequence")
def build_sequence(feature: Any, metadata: dict[str, Any]) -> nn.Module:
    """The scripted preprocessing of a text/sequence input feature.

    Raises:
        Unscriptable: when its tokenizer has no TorchScript form, or its encoder embeddings are cached.
    """
    preprocessing = feature.preprocessing
    name = preprocessing.tokenizer
    if name not in SCRIPTABLE_TOKENIZERS and name not in WORDPIECE_TOKENIZERS:
        raise unscriptable_tokenizer(name)
    if metadata.get(EMBEDDINGS_CACHED):
        raise Unscriptable("its encoder embeddings are cached (preprocessing.cache_encoder_embeddings)")
    python_tokenizer = tokenizer_from_preprocessing(preprocessing)  # the options Python preprocessing uses
    padding = str(preprocessing.padding)
    if getattr(python_tokenizer, "produces_ids", False):
        wordpiece = build_wordpiece(python_tokenizer.tokenizer, name)
        return TokenIdSequencePreprocessor(metadata, wordpiece, bool(preprocessing.lowercase), padding)
    tokenizer = scripted_form(python_tokenizer, name)
    lowercase = bool(preprocessing.lowercase)
    unknown_symbol = str(metadata["unknown_symbol"])
    if type(python_tokenizer) in WHITESPACE_SEPARABLE_TOKENIZERS:
        tokens: ValueTokens = ChunkwiseTokens(tokenizer, lowercase, unknown_symbol)
    else:
        tokens = WholeValueTokens(tokenizer, lowercase, unknown_symbol)
    return SequencePreprocessor(metadata, tokens, padding)
