"""Vocabularies and padded id matrices for token sequences (sequence and text features).

Column-wise: the token lists of a column are flattened once into one array, counted and mapped to ids with
pandas/numpy; the only per-row Python work is the tokenizer itself (in ``ludwig.utils.tokenizers``).

Vocabulary order (as Ludwig's): ``<EOS>`` 0, ``<SOS>`` 1, padding symbol 2, unknown symbol 3, then tokens by
decreasing frequency, ties broken by the token. A preprocessed row is ``<SOS>``, the token ids, ``<EOS>``, then
padding up to the width; rows longer than the width are cut at the width.
"""

from __future__ import annotations

import inspect
import itertools
import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ludwig.constants import PADDING_SYMBOL, START_SYMBOL, STOP_SYMBOL, UNKNOWN_SYMBOL
from ludwig.utils.tokenizers import (
    EnglishFilterTokenizer,
    EnglishRemoveStopwordsTokenizer,
    EnglishTokenizer,
    SpacePunctuationTokenizer,
    SpaceTokenizer,
    Tokenizer,
    get_tokenizer,
    lowercase_strings,
    tokenize_column,
    tokenizer_registry,
)

# Index of each special symbol in a vocabulary built here.
STOP_IDX, START_IDX, PAD_IDX, UNK_IDX = 0, 1, 2, 3


def special_symbols(padding_symbol: str = PADDING_SYMBOL, unknown_symbol: str = UNKNOWN_SYMBOL) -> list[str]:
    """The special symbols in vocabulary order: stop, start, padding, unknown."""
    return [STOP_SYMBOL, START_SYMBOL, padding_symbol, unknown_symbol]


@dataclass
class Vocabulary:
    """A vocabulary with the statistics that go into ``training_set_metadata``.

    ``max_sequence_length`` is the longest row in tokens plus the start and stop symbols (ids-producing
    tokenizers: the longest id list); ``sequence_length_99ptile`` is the 99th percentile of the same lengths.
    """

    idx2str: list[str]
    str2freq: dict[str, int]
    max_sequence_length: int
    sequence_length_99ptile: float
    pad_idx: int
    padding_symbol: str
    unknown_symbol: str
    str2idf: dict[str, float] | None = None
    str2idx: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.str2idx = {token: i for i, token in enumerate(self.idx2str)}

    @property
    def unknown_idx(self) -> int:
        return self.str2idx[self.unknown_symbol]


def load_vocabulary(path: str, lowercase: bool = False) -> list[str]:
    """Tokens of a UTF-8 vocabulary file: on each line, the text before the first tab (blank lines skipped).

    Raises:
        FileNotFoundError: when ``path`` does not exist.
        ValueError: when the file holds no token.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"vocab_file {path!r} does not exist.")
    with open(path, encoding="utf-8") as f:
        tokens = [line.rstrip("\r\n").split("\t", 1)[0] for line in f]
    tokens = [t.lower() if lowercase else t for t in tokens if t.strip()]
    if not tokens:
        raise ValueError(f"vocab_file {path!r} holds no token (one token per line expected).")
    return list(dict.fromkeys(tokens))


@dataclass
class TokenizedColumn:
    """The tokens of a column in coded form, flat over the rows.

    ``codes`` holds every row's tokens one row after the other, as indices into ``uniques`` (the distinct token
    strings), and ``lengths`` the number of tokens of each row. With ``uniques`` None the codes are token ids
    (from an ids-producing tokenizer). Strings are hashed once, when coded; counting and id lookup then work on
    the codes.
    """

    codes: np.ndarray
    uniques: np.ndarray | None
    lengths: np.ndarray

    @classmethod
    def from_lists(cls, token_lists: pd.Series | list) -> TokenizedColumn:
        """Code a column of token lists (strings, or ints taken as ids)."""
        lists = token_lists.tolist() if isinstance(token_lists, pd.Series) else list(token_lists)
        lengths = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
        flat = np.empty(int(lengths.sum()), dtype=object)
        flat[:] = list(itertools.chain.from_iterable(lists))
        if len(flat) and isinstance(flat[0], int | np.integer):
            return cls(flat.astype(np.int64), None, lengths)
        return cls.from_flat(flat, lengths)

    @classmethod
    def from_flat(cls, tokens: np.ndarray, lengths: np.ndarray) -> TokenizedColumn:
        codes, uniques = pd.factorize(tokens)
        return cls(codes.astype(np.int64), np.asarray(uniques, dtype=object), lengths)

    def __len__(self) -> int:
        return len(self.lengths)

    @property
    def tokens(self) -> np.ndarray:
        """The flat tokens (strings, or ids when ``uniques`` is None)."""
        return self.codes if self.uniques is None else self.uniques[self.codes]

    def tolist(self) -> list[list[Any]]:
        """One list of tokens per row."""
        return [list(part) for part in np.split(self.tokens, np.cumsum(self.lengths)[:-1])] if len(self) else []

    def token_counts(self) -> pd.Series:
        """Occurrences of each distinct token (merging uniques that are equal strings)."""
        counts = np.bincount(self.codes, minlength=len(self.uniques)) if len(self.codes) else np.zeros(0, np.int64)
        counts = pd.Series(counts[: len(self.uniques)], index=pd.Index(self.uniques, dtype=object))
        return counts.groupby(level=0, sort=False).sum() if not counts.index.is_unique else counts

    def ids(self, idx2str: list[str], unknown_idx: int) -> np.ndarray:
        """The id of every token in ``idx2str`` (``unknown_idx`` when absent); ids pass through."""
        if self.uniques is None:
            return self.codes
        if len(self.uniques) == 0:
            return np.empty(0, dtype=np.int64)
        index = pd.Index(np.asarray(idx2str, dtype=object), dtype=object)
        unique_ids = index.get_indexer(pd.Index(self.uniques, dtype=object))
        unique_ids = np.where(unique_ids < 0, unknown_idx, unique_ids)
        return unique_ids[self.codes]


def as_tokenized(token_lists: pd.Series | TokenizedColumn) -> TokenizedColumn:
    """``token_lists`` coded (a ``TokenizedColumn`` is returned as it is)."""
    return token_lists if isinstance(token_lists, TokenizedColumn) else TokenizedColumn.from_lists(token_lists)


def _token_frequencies(tokens: TokenizedColumn) -> list[tuple[Any, int]]:
    """(token, count) pairs by decreasing count, ties by token."""
    if len(tokens.codes) == 0:
        return []
    counts = tokens.token_counts()
    frame = pd.DataFrame({"token": np.asarray(counts.index, dtype=object).astype(str), "count": counts.to_numpy()})
    frame = frame.sort_values(["count", "token"], ascending=[False, True], kind="mergesort")
    return list(zip(frame["token"].tolist(), frame["count"].tolist()))


def _document_idf(tokens: TokenizedColumn, vocab: list[str]) -> dict[str, float]:
    """Smoothed inverse document frequency ``log((1 + rows) / (1 + rows containing the token)) + 1``."""
    rows = np.repeat(np.arange(len(tokens.lengths)), tokens.lengths)
    pairs = pd.DataFrame({"row": rows, "token": tokens.tokens}).drop_duplicates()
    document_frequency = pairs["token"].value_counts()
    n = len(tokens.lengths)
    return {token: math.log((1 + n) / (1 + int(document_frequency.get(token, 0)))) + 1.0 for token in vocab}


def create_vocabulary(
    token_lists: pd.Series | TokenizedColumn,
    most_common: int | None = None,
    vocab_file: str | None = None,
    padding_symbol: str = PADDING_SYMBOL,
    unknown_symbol: str = UNKNOWN_SYMBOL,
    lowercase: bool = False,
    compute_idf: bool = False,
) -> Vocabulary:
    """Build the vocabulary of a column of tokens.

    Args:
        token_lists: the tokens of the training rows (one list per row, or a ``TokenizedColumn``).
        most_common: keep at most this many regular tokens (the most frequent); None keeps all.
        vocab_file: a file of tokens, one per line, used instead of the tokens of the data (in file order).
        padding_symbol: the padding symbol (index 2).
        unknown_symbol: the symbol of tokens outside the vocabulary (index 3).
        lowercase: lowercase the tokens of ``vocab_file`` (the data is lowercased by the tokenizer step).
        compute_idf: also compute ``str2idf``.
    """
    tokens = as_tokenized(token_lists)
    lengths = tokens.lengths
    specials = special_symbols(padding_symbol, unknown_symbol)
    frequencies = _token_frequencies(tokens)
    if vocab_file is not None:
        regular = load_vocabulary(vocab_file, lowercase)
    else:
        regular = [token for token, _ in frequencies]
    special_set = set(specials)
    regular = [token for token in regular if token not in special_set]
    if most_common is not None and vocab_file is None:
        regular = regular[:most_common]
    idx2str = specials + regular
    counts = dict(frequencies)
    return Vocabulary(
        idx2str=idx2str,
        str2freq={token: int(counts.get(token, 0)) for token in idx2str},
        max_sequence_length=int(lengths.max()) + 2 if len(lengths) else 2,
        sequence_length_99ptile=float(np.percentile(lengths + 2, 99)) if len(lengths) else 2.0,
        pad_idx=PAD_IDX,
        padding_symbol=padding_symbol,
        unknown_symbol=unknown_symbol,
        str2idf=_document_idf(tokens, idx2str) if compute_idf else None,
    )


def vocabulary_from_tokenizer(
    tokenizer: Tokenizer, id_lists: pd.Series | TokenizedColumn, compute_idf: bool = False
) -> Vocabulary:
    """The vocabulary of a tokenizer that produces ids itself (``tokenizer.produces_ids``), such as a Hugging
    Face tokenizer: its own vocabulary, padding and unknown tokens; lengths are those of its id lists."""
    idx2str = [str(token) for token in tokenizer.get_vocab()]
    tokens = as_tokenized(id_lists)
    ids = tokens.codes if tokens.uniques is None else tokens.codes.astype(np.int64)
    counts = np.bincount(ids, minlength=len(idx2str)) if len(ids) else np.zeros(len(idx2str), dtype=np.int64)
    lengths = tokens.lengths
    vocabulary = Vocabulary(
        idx2str=idx2str,
        str2freq={token: int(counts[i]) for i, token in enumerate(idx2str)},
        max_sequence_length=int(lengths.max()) if len(lengths) else 1,
        sequence_length_99ptile=float(np.percentile(lengths, 99)) if len(lengths) else 1.0,
        pad_idx=int(tokenizer.pad_token_id),
        padding_symbol=tokenizer.pad_token,
        unknown_symbol=tokenizer.unk_token,
    )
    if compute_idf:
        named = TokenizedColumn(ids, np.asarray(idx2str, dtype=object), lengths)
        vocabulary.str2idf = _document_idf(named, idx2str)
    return vocabulary


def sequence_width(
    longest: int, max_sequence_length: int, sequence_length: int | None = None, global_max: int | None = None
) -> int:
    """Width of the id matrix: ``sequence_length`` when fixed, else the longest row capped by the limits."""
    if sequence_length is not None:
        return int(sequence_length)
    width = min(int(max_sequence_length), int(longest))
    if global_max is not None:
        width = min(width, int(global_max))
    return max(width, 1)


def build_sequence_matrix(
    token_lists: pd.Series | TokenizedColumn,
    idx2str: list[str],
    width: int,
    padding: str = "right",
    pad_idx: int = PAD_IDX,
    unknown_idx: int = UNK_IDX,
    start_idx: int | None = START_IDX,
    stop_idx: int | None = STOP_IDX,
) -> np.ndarray:
    """The ``int32 [rows, width]`` id matrix of a column of tokens.

    Each row is the start id, the token ids (tokens outside ``idx2str`` become ``unknown_idx``), the stop id,
    then ``pad_idx`` up to ``width`` (before the content when ``padding="left"``). Rows longer than ``width``
    keep their first ``width`` ids. ``start_idx``/``stop_idx`` None add no start/stop id; ids from an
    ids-producing tokenizer pass through.
    """
    if padding not in ("right", "left"):
        raise ValueError(f"padding {padding!r} is not allowed; expected 'right' or 'left'.")
    tokens = as_tokenized(token_lists)
    ids, lengths = tokens.ids(idx2str, unknown_idx), tokens.lengths
    n = len(lengths)
    lead = 0 if start_idx is None else 1
    kept = np.minimum(lengths + lead + (0 if stop_idx is None else 1), width)
    offsets = width - kept if padding == "left" else np.zeros(n, dtype=np.int64)
    matrix = np.full((n, width), pad_idx, dtype=np.int32)
    rows = np.repeat(np.arange(n), lengths)
    positions = np.arange(len(ids)) - np.repeat(np.cumsum(lengths) - lengths, lengths) + lead
    inside = positions < width
    rows = rows[inside]
    matrix[rows, positions[inside] + offsets[rows]] = ids[inside]
    all_rows = np.arange(n)
    if start_idx is not None and width > 0:
        matrix[all_rows, offsets] = start_idx
    if stop_idx is not None:
        stop_position = lengths + lead
        fits = stop_position < width
        matrix[all_rows[fits], stop_position[fits] + offsets[fits]] = stop_idx
    return matrix


def tokenizer_from_preprocessing(preprocessing) -> Tokenizer:
    """The tokenizer named by ``preprocessing.tokenizer``, given the preprocessing options it takes
    (``ngram_size``, ``pretrained_model_name_or_path``, ``vocab_file``...) by constructor argument name."""
    name = preprocessing.tokenizer
    tokenizer_cls = tokenizer_registry[name]
    try:
        parameters = inspect.signature(tokenizer_cls).parameters
    except (TypeError, ValueError):
        parameters = {}
    kwargs = {
        key: getattr(preprocessing, key)
        for key in parameters
        if key not in ("self", "args", "kwargs") and hasattr(preprocessing, key)
    }
    return get_tokenizer(name, **kwargs)


# Tokenizers whose tokens never span whitespace: a string's tokens are those of its whitespace-separated chunks.
WHITESPACE_SEPARABLE_TOKENIZERS = (
    SpaceTokenizer,
    SpacePunctuationTokenizer,
    EnglishTokenizer,
    EnglishFilterTokenizer,
    EnglishRemoveStopwordsTokenizer,
)

# Joins the rows into one string for a single whitespace split: no whitespace in it, and no NUL (numpy strips
# trailing NULs from strings it compares).
_ROW_SEPARATOR = "\x01\x02ludwig-row\x02\x01"


def split_on_whitespace(strings: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The whitespace-separated chunks of all strings (one flat object array) and the count of each string.

    One ``str.split`` over the joined strings instead of one call per row; a string that contains the row
    separator itself falls back to splitting row by row.
    """
    if not strings:
        return np.empty(0, dtype=object), np.zeros(0, dtype=np.int64)
    parts = np.asarray(f" {_ROW_SEPARATOR} ".join(strings).split(), dtype=object)
    boundaries = np.flatnonzero(parts == _ROW_SEPARATOR)
    if len(boundaries) != len(strings) - 1:
        tokens = TokenizedColumn.from_lists([s.split() for s in strings])
        return tokens.tokens, tokens.lengths
    ends = np.append(boundaries, len(parts))
    starts = np.insert(boundaries + 1, 0, 0)
    counts = (ends - starts).astype(np.int64)
    chunks = np.delete(parts, boundaries) if len(boundaries) else parts
    return chunks, counts


def _tokens_of_unique_chunks(
    chunks: np.ndarray, chunk_counts: np.ndarray, tokenizer: Tokenizer, lowercase: bool, unknown_symbol: str
) -> TokenizedColumn:
    """Tokenize each distinct chunk once, then gather the token codes of every chunk occurrence, row by row."""
    codes, uniques = pd.factorize(chunks)
    codes = codes.astype(np.int64)
    uniques = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
    is_unknown = (uniques == unknown_symbol).to_numpy()
    if type(tokenizer) is SpaceTokenizer:
        if lowercase:
            uniques = lowercase_strings(uniques).where(~is_unknown, unknown_symbol)
        return TokenizedColumn(codes, uniques.to_numpy(dtype=object), chunk_counts)
    unique_tokens = tokenize_column(uniques, tokenizer, lowercase).to_numpy(dtype=object).copy()
    for i in np.flatnonzero(is_unknown):
        unique_tokens[i] = [unknown_symbol]
    by_chunk = TokenizedColumn.from_lists(list(unique_tokens))
    starts_by_chunk = np.cumsum(by_chunk.lengths) - by_chunk.lengths
    lengths = by_chunk.lengths[codes]
    within = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    token_codes = by_chunk.codes[np.repeat(starts_by_chunk[codes], lengths) + within]
    rows = np.repeat(np.arange(len(chunk_counts)), chunk_counts)
    row_lengths = np.bincount(rows, weights=lengths, minlength=len(chunk_counts)).astype(np.int64)
    uniques_out = by_chunk.uniques if by_chunk.uniques is not None else np.empty(0, dtype=object)
    return TokenizedColumn(token_codes, uniques_out, row_lengths)


def tokenize_sequences(
    column: pd.Series, tokenizer: Tokenizer, lowercase: bool = False, unknown_symbol: str = UNKNOWN_SYMBOL
) -> TokenizedColumn:
    """The tokens of a column (missing values read as empty strings).

    A value that is exactly the unknown symbol (the default fill of missing values) is the single unknown token,
    whatever the tokenizer would make of its brackets. Whitespace-separable tokenizers (``space``,
    ``space_punct``, the English word tokenizers) split all rows on whitespace in one C call, then tokenize and
    lowercase each distinct chunk once, so the Python work grows with the vocabulary, not with the rows.
    """
    strings = column.fillna("").astype(str)
    if getattr(tokenizer, "produces_ids", False):
        strings = lowercase_strings(strings) if lowercase else strings
        if hasattr(tokenizer, "batch"):  # one call for the whole column (fast tokenizers run in parallel)
            id_lists = list(tokenizer.batch(strings.tolist()))
        else:
            id_lists = [tokenizer(text) for text in strings.tolist()]
        lengths = np.fromiter(map(len, id_lists), dtype=np.int64, count=len(id_lists))
        ids = np.fromiter(itertools.chain.from_iterable(id_lists), dtype=np.int64, count=int(lengths.sum()))
        return TokenizedColumn(ids, None, lengths)
    if type(tokenizer) in WHITESPACE_SEPARABLE_TOKENIZERS:
        chunks, chunk_counts = split_on_whitespace(strings.tolist())
        return _tokens_of_unique_chunks(chunks, chunk_counts, tokenizer, lowercase, unknown_symbol)
    tokens = tokenize_column(column, tokenizer, lowercase)
    is_unknown = (strings.str.strip() == unknown_symbol).to_numpy()
    if is_unknown.any():
        values = tokens.to_numpy(dtype=object).copy()
        for i in np.flatnonzero(is_unknown):
            values[i] = [unknown_symbol]
        tokens = pd.Series(values, index=tokens.index, dtype=object)
    return TokenizedColumn.from_lists(tokens)
