"""TorchScript preprocessing of text and sequence inputs: tokenizers, vocabulary lookup and padding.

Each scripted tokenizer returns exactly the tokens of its Python twin in :mod:`ludwig.utils.tokenizers` for any
Unicode text (character classes and lowercasing come from :mod:`.unicode_text`). :func:`build_tokenizer` makes
one by registry name; :class:`SequencePreprocessor` applies one as ``tokenize_sequences`` does (whitespace
chunks, the unknown symbol, lowercasing) and turns the tokens into the padded id matrix of
``build_sequence_matrix``.
"""

# No ``from __future__ import annotations``: TorchScript reads the annotations of scripted code as real types.

import json
from collections.abc import Callable
from typing import Any, Final, Optional

import pandas as pd
import torch
from torch import nn

from ludwig.encoders.text_encoders import EMBEDDINGS_CACHED
from ludwig.model_export.torchscript.base import Unscriptable, fill_string, preprocessor_registry
from ludwig.model_export.torchscript.unicode_text import (
    CharacterClasses,
    Lowercase,
    LowerStrings,
    PropertyTable,
    case_insensitive_letters,
    char_size,
    char_start_before,
    code_point,
    property_of,
    property_table,
    python_lower,
    ranges_of,
    scalar_characters,
)
from ludwig.utils import tokenizers as python_tokenizers
from ludwig.utils.strings_utils import (
    START_SYMBOL,
    STOP_SYMBOL,
    UNK_IDX,
    WHITESPACE_SEPARABLE_TOKENIZERS,
    tokenize_sequences,
    tokenizer_from_preprocessing,
)


class ScriptedTokenizer(CharacterClasses):
    """Base of the scripted tokenizers: ``forward(text: str) -> List[str]``, with the character classes and
    Python's ``split``/``strip`` of :class:`CharacterClasses` at hand."""


class ChunkTokenizer(ScriptedTokenizer):
    """A tokenizer whose tokens never span whitespace: the tokens of a text are those of its whitespace-separated
    chunks (``chunk_tokens``), which is how ``tokenize_sequences`` applies it."""

    def forward(self, text: str) -> list[str]:
        tokens: list[str] = []
        for chunk in self.split(text):
            tokens.extend(self.chunk_tokens(chunk))
        return tokens

    def chunk_tokens(self, chunk: str) -> list[str]:
        raise NotImplementedError("a ChunkTokenizer defines chunk_tokens")


class ScriptedSpaceTokenizer(ChunkTokenizer):
    """``space``: the whitespace-separated chunks (regex ``\\S+``)."""

    def forward(self, text: str) -> list[str]:
        return self.split(text)

    def chunk_tokens(self, chunk: str) -> list[str]:
        return [chunk]


class ScriptedSpacePunctuationTokenizer(ChunkTokenizer):
    """``space_punct``: runs of word characters and single other non-space characters (``\\w+|[^\\w\\s]``)."""

    def chunk_tokens(self, chunk: str) -> list[str]:
        if chunk.isalnum():  # ASCII letters and digits: one word
            return [chunk]
        offsets, classes = self.scan(chunk)
        tokens: list[str] = []
        n = len(classes)
        k = 0
        while k < n:
            end = k + 1
            if (classes[k] & self.WORD) != 0:
                while end < n and (classes[end] & self.WORD) != 0:
                    end += 1
            if (classes[k] & self.SPACE) == 0:
                tokens.append(chunk[offsets[k] : offsets[end]])
            k = end
        return tokens


class ScriptedEnglishTokenizer(ChunkTokenizer):
    """``english_tokenize``: numbers with inner ``.``/``,``, words with inner ``'``/``’``/``-`` and single
    punctuation marks (``\\d+(?:[.,]\\d+)+|\\w+(?:['\\u2019-]\\w+)*|[^\\w\\s]``)."""

    def _extend(self, classes: list[int], k: int, bit: int) -> int:
        """The end of the run of characters with ``bit`` that starts at ``k``."""
        while k < len(classes) and (classes[k] & bit) != 0:
            k += 1
        return k

    def _joined(self, classes: list[int], k: int, joint: int, part: int) -> bool:
        """Whether a ``joint`` character at ``k`` is followed by a ``part`` character."""
        return k + 1 < len(classes) and (classes[k] & joint) != 0 and (classes[k + 1] & part) != 0

    def spans(self, classes: list[int]) -> list[int]:
        """The tokens as character index pairs ``[start0, end0, start1, end1, ...]``."""
        spans: list[int] = []
        n = len(classes)
        k = 0
        while k < n:
            end = k + 1
            digits_end = self._extend(classes, k, self.DIGIT)
            if digits_end > k and self._joined(classes, digits_end, self.NUMBER_SEPARATOR, self.DIGIT):
                end = digits_end
                while self._joined(classes, end, self.NUMBER_SEPARATOR, self.DIGIT):
                    end = self._extend(classes, end + 1, self.DIGIT)
            elif (classes[k] & self.WORD) != 0:
                end = self._extend(classes, k, self.WORD)
                while self._joined(classes, end, self.JOINER, self.WORD):
                    end = self._extend(classes, end + 1, self.WORD)
            if (classes[k] & self.SPACE) == 0:
                spans.append(k)
                spans.append(end)
            k = end
        return spans

    def english_tokens(self, chunk: str) -> list[str]:
        """The tokens of a chunk."""
        if chunk.isalnum():  # ASCII letters and digits: one word (a number needs a separator)
            return [chunk]
        offsets, classes = self.scan(chunk)
        spans = self.spans(classes)
        return [chunk[offsets[spans[i]] : offsets[spans[i + 1]]] for i in range(0, len(spans), 2)]

    def chunk_tokens(self, chunk: str) -> list[str]:
        return self.english_tokens(chunk)


class ScriptedEnglishFilterTokenizer(ScriptedEnglishTokenizer):
    """``english_tokenize_filter``: the English tokens longer than two characters that are neither number-like
    (``^[+-]?(\\d+([.,]\\d+)*|\\d*[.,]\\d+)(st|nd|rd|th|%)?$``, case-insensitive) nor all punctuation."""

    suffix_letters: dict[str, str]

    def __init__(self):
        super().__init__()
        self.suffix_letters = dict(case_insensitive_letters("stndrh"))

    def _number(self, classes: list[int], start: int, end: int) -> bool:
        """Whether characters ``start:end`` are ``\\d+([.,]\\d+)*|\\d*[.,]\\d+``: digits and single separators,
        ending in a digit, starting with a digit unless the separator is the only one."""
        if end <= start or (classes[end - 1] & self.DIGIT) == 0:
            return False
        separators = 0
        for k in range(start, end):
            if (classes[k] & self.DIGIT) == 0:
                if (classes[k] & self.NUMBER_SEPARATOR) == 0 or (k > start and (classes[k - 1] & self.DIGIT) == 0):
                    return False
                separators += 1
        return (classes[start] & self.DIGIT) != 0 or separators == 1

    def _number_like(self, token: str, offsets: list[int], classes: list[int], start: int, end: int) -> bool:
        if start < end and (token[offsets[start]] == "+" or token[offsets[start]] == "-"):
            start += 1  # the optional sign: without it, the number cannot start with "+" or "-"
        if self._number(classes, start, end):
            return True
        if end - start >= 1 and token[offsets[end - 1] : offsets[end]] == "%" and self._number(classes, start, end - 1):
            return True
        if end - start >= 2:
            suffix = self.suffix_letters.get(token[offsets[end - 2] : offsets[end - 1]], "?") + self.suffix_letters.get(
                token[offsets[end - 1] : offsets[end]], "?"
            )
            if (suffix == "st" or suffix == "nd" or suffix == "rd" or suffix == "th") and self._number(
                classes, start, end - 2
            ):
                return True
        return False

    def _punctuation(self, classes: list[int], start: int, end: int) -> bool:
        for k in range(start, end):
            if (classes[k] & (self.WORD | self.SPACE)) != 0:
                return False
        return end > start

    def chunk_tokens(self, chunk: str) -> list[str]:
        offsets, classes = self.scan(chunk)
        spans = self.spans(classes)
        tokens: list[str] = []
        for i in range(0, len(spans), 2):
            start = spans[i]
            end = spans[i + 1]
            if (
                end - start > 2
                and not self._number_like(chunk, offsets, classes, start, end)
                and not self._punctuation(classes, start, end)
            ):
                tokens.append(chunk[offsets[start] : offsets[end]])
        return tokens


class ScriptedEnglishStopwordsTokenizer(ScriptedEnglishTokenizer):
    """``english_tokenize_remove_stopwords``: the English tokens whose lowercase form is not a stop word."""

    stop_words: dict[str, int]

    def __init__(self, stop_words: list[str]):
        super().__init__()
        self.stop_words = {word: 1 for word in stop_words}
        self.lowercase = Lowercase()

    def chunk_tokens(self, chunk: str) -> list[str]:
        tokens: list[str] = []
        for token in self.english_tokens(chunk):
            lowered = token.lower() if token.isprintable() else self.lowercase(token)
            if lowered not in self.stop_words:
                tokens.append(token)
        return tokens


class ScriptedCharactersTokenizer(ScriptedTokenizer):
    """``characters``: every character (code point) is a token."""

    def forward(self, text: str) -> list[str]:
        return self.characters(text)


class ScriptedSeparatorTokenizer(ScriptedTokenizer):
    """``comma``/``underscore``: the parts between separators, stripped, empty ones dropped."""

    def __init__(self, separator: str):
        super().__init__()
        self.separator = separator

    def forward(self, text: str) -> list[str]:
        tokens: list[str] = []
        for part in text.split(self.separator):
            token = self.strip(part)
            if token != "":
                tokens.append(token)
        return tokens


class ScriptedUntokenizedTokenizer(ScriptedTokenizer):
    """``untokenized``: the whole string is the one token."""

    def forward(self, text: str) -> list[str]:
        return [text]


class ScriptedStrippedTokenizer(ScriptedTokenizer):
    """``stripped``: the stripped string is the one token (none when it is empty)."""

    def forward(self, text: str) -> list[str]:
        stripped = self.strip(text)
        return [stripped] if stripped != "" else []


class ScriptedNgramTokenizer(ScriptedTokenizer):
    """``ngram``: the whitespace-separated words, then their n-grams joined by a space, n = 2 .. ``ngram_size``."""

    def __init__(self, ngram_size: int):
        super().__init__()
        self.ngram_size = ngram_size

    def forward(self, text: str) -> list[str]:
        words = self.split(text)
        tokens = list(words)
        for n in range(2, self.ngram_size + 1):
            for i in range(len(words) - n + 1):
                tokens.append(" ".join(words[i : i + n]))
        return tokens


# The scripted form of each Python tokenizer class, made from the Python tokenizer (its options and word lists).
_SCRIPTED_FORMS: dict[type, Callable[[Any], nn.Module]] = {
    python_tokenizers.SpaceTokenizer: lambda t: ScriptedSpaceTokenizer(),
    python_tokenizers.SpacePunctuationTokenizer: lambda t: ScriptedSpacePunctuationTokenizer(),
    python_tokenizers.CharactersTokenizer: lambda t: ScriptedCharactersTokenizer(),
    python_tokenizers.UnderscoreTokenizer: lambda t: ScriptedSeparatorTokenizer(t.separator),
    python_tokenizers.CommaTokenizer: lambda t: ScriptedSeparatorTokenizer(t.separator),
    python_tokenizers.UntokenizedTokenizer: lambda t: ScriptedUntokenizedTokenizer(),
    python_tokenizers.StrippedTokenizer: lambda t: ScriptedStrippedTokenizer(),
    python_tokenizers.NgramTokenizer: lambda t: ScriptedNgramTokenizer(t.ngram_size),
    python_tokenizers.EnglishTokenizer: lambda t: ScriptedEnglishTokenizer(),
    python_tokenizers.EnglishFilterTokenizer: lambda t: ScriptedEnglishFilterTokenizer(),
    python_tokenizers.EnglishRemoveStopwordsTokenizer: lambda t: ScriptedEnglishStopwordsTokenizer(
        sorted(t.stop_words)
    ),
}

#: The tokenizer names (``preprocessing.tokenizer``) that TorchScript can run; the others need model_only=True.
SCRIPTABLE_TOKENIZERS: tuple[str, ...] = tuple(
    name for name, cls in python_tokenizers.tokenizer_registry.items() if cls in _SCRIPTED_FORMS
)


#: Tokenizer names that TorchScript runs when their Hugging Face tokenizer is a BERT WordPiece one.
WORDPIECE_TOKENIZERS: tuple[str, ...] = tuple(
    name
    for name, cls in python_tokenizers.tokenizer_registry.items()
    if isinstance(cls, type) and issubclass(cls, python_tokenizers.HFTokenizer)
)


def _unscriptable_tokenizer(name: str) -> Unscriptable:
    return Unscriptable(
        f"tokenizer {name!r} has no TorchScript form; the tokenizers TorchScript can run are "
        f"{list(SCRIPTABLE_TOKENIZERS)} (and {list(WORDPIECE_TOKENIZERS)} with a BERT WordPiece tokenizer)"
    )


def scripted_form(tokenizer: python_tokenizers.Tokenizer, name: str) -> nn.Module:
    """The scripted twin of the Python ``tokenizer`` (registered as ``name``, for the error message).

    Raises:
        Unscriptable: when the tokenizer's class has no TorchScript form.
    """
    make = _SCRIPTED_FORMS.get(type(tokenizer))
    if make is None:
        raise _unscriptable_tokenizer(name)
    return make(tokenizer)


def build_tokenizer(name: str, **options: Any) -> nn.Module:
    """A module whose ``forward(text: str) -> List[str]`` is ``get_tokenizer(name, **options)(text)`` exactly.

    Raises:
        Unscriptable: naming the tokenizer and the scriptable ones when ``name`` has no TorchScript form.
    """
    if name not in SCRIPTABLE_TOKENIZERS:
        raise _unscriptable_tokenizer(name)
    return scripted_form(python_tokenizers.get_tokenizer(name, **options), name)


def build_lowercase(lower_strings: LowerStrings = python_lower) -> nn.Module:
    """A module whose ``forward(text: str) -> str`` lowercases exactly as ``lower_strings`` does: Python's
    ``text.lower()`` by default; pass :func:`column_lowercase` for what ``tokenize_column(..., lowercase=True)``
    does (pandas string methods, which differ from ``str.lower`` on pyarrow-backed strings)."""
    return Lowercase(lower_strings)


def column_lowercase(strings: list[str]) -> list[str]:
    """``strings`` lowercased as ``tokenize_column`` lowercases values (pandas string methods: on pyarrow-backed
    strings, per character and without Python's final-sigma rule)."""
    rows = python_tokenizers.tokenize_column(
        pd.Series(strings, dtype=object), python_tokenizers.UntokenizedTokenizer(), lowercase=True
    )
    return [row[0] for row in rows]


def space_chunk_lowercase(strings: list[str]) -> list[str]:
    """``strings`` lowercased as ``tokenize_sequences`` lowercases the chunks of the ``space`` tokenizer; a
    string that is not a single whitespace chunk comes back as it is."""
    no_unknown = "\x00"  # no probe equals it, so every chunk is lowercased
    rows = tokenize_sequences(
        pd.Series(strings, dtype=object), python_tokenizers.SpaceTokenizer(), lowercase=True, unknown_symbol=no_unknown
    ).tolist()
    return [row[0] if len(row) == 1 else string for string, row in zip(strings, rows)]


def preprocessing_lowercase(tokenizer: python_tokenizers.Tokenizer) -> LowerStrings:
    """The lowercasing ``tokenize_sequences`` applies with ``tokenizer``: it lowers the ``space`` tokenizer's
    chunks by themselves, and every other tokenizer's input through ``tokenize_column``."""
    return space_chunk_lowercase if type(tokenizer) is python_tokenizers.SpaceTokenizer else column_lowercase


class ChunkwiseTokens(nn.Module):
    """One value's tokens as ``tokenize_sequences`` makes them with a whitespace-separable tokenizer: each
    whitespace chunk is the unknown token when it is exactly the unknown symbol, else (lowercased as
    ``lowercase`` does, if given) tokenized on its own."""

    def __init__(self, tokenizer: ChunkTokenizer, lowercase: Optional[LowerStrings], unknown_symbol: str):
        super().__init__()
        self.tokenizer = tokenizer
        self.lowercase = Lowercase(lowercase) if lowercase is not None else None
        self.unknown_symbol = unknown_symbol

    def forward(self, text: str) -> list[str]:
        if text.find(self.unknown_symbol) < 0:
            # No chunk is the unknown symbol; lowercasing never crosses whitespace (the final-sigma rule stops at
            # it, no character lowers to or from it), so the whole text is lowered at once.
            if self.lowercase is not None:
                text = self.lowercase(text)
            return self.tokenizer(text)
        tokens: list[str] = []
        for chunk in self.tokenizer.split(text):
            tokens.extend(self._chunk_tokens(chunk))
        return tokens

    def _chunk_tokens(self, chunk: str) -> list[str]:
        if chunk == self.unknown_symbol:
            return [chunk]
        if self.lowercase is not None:
            chunk = self.lowercase(chunk)
        return self.tokenizer.chunk_tokens(chunk)

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


class WholeValueTokens(nn.Module):
    """One value's tokens as ``tokenize_sequences`` makes them with any other tokenizer: the unknown token when
    the stripped value is the unknown symbol, else the tokens of the value (lowercased as ``lowercase`` does,
    if given)."""

    def __init__(self, tokenizer: ScriptedTokenizer, lowercase: Optional[LowerStrings], unknown_symbol: str):
        super().__init__()
        self.tokenizer = tokenizer
        self.lowercase = Lowercase(lowercase) if lowercase is not None else None
        self.unknown_symbol = unknown_symbol

    def forward(self, text: str) -> list[str]:
        if self.tokenizer.strip(text) == self.unknown_symbol:
            return [self.unknown_symbol]
        if self.lowercase is not None:
            text = self.lowercase(text)
        return self.tokenizer(text)

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


def padded_rows(rows: list[list[int]], width: int, pad: int, pad_left: bool) -> torch.Tensor:
    """``int32 [len(rows), width]``: each row cut to ``width`` ids, padded with ``pad`` on the chosen side."""
    if len(rows) == 0:
        return torch.zeros([0, width], dtype=torch.int32)
    padded: list[list[int]] = []
    for ids in rows:
        ids = ids[:width]
        padding = [pad] * (width - len(ids))
        padded.append(padding + ids if pad_left else ids + padding)
    return torch.tensor(padded, dtype=torch.int32)


def _check_padding(padding: str) -> bool:
    """Whether ``padding`` is ``"left"`` (``"right"`` is the other value allowed)."""
    if padding not in ("right", "left"):
        raise ValueError(f"padding {padding!r} is not allowed; expected 'right' or 'left'.")
    return padding == "left"


class SequencePreprocessor(nn.Module):
    """Text/sequence strings -> ``int32 [batch, max_sequence_length]`` ids, as ``build_sequence_matrix`` makes
    them: start id, token ids (unknown tokens -> the unknown symbol's id), stop id, truncated to the width, then
    padded on the configured side. ``tokens`` is a :class:`ChunkwiseTokens` or :class:`WholeValueTokens`."""

    str2idx: dict[str, int]

    def __init__(self, metadata: dict[str, Any], tokens: nn.Module, padding: str):
        super().__init__()
        self.pad_left = _check_padding(padding)
        self.tokens = tokens
        # Ids are positions in idx2str (the first one of a repeated token), as build_sequence_matrix looks them up.
        self.str2idx = {}
        for i, token in enumerate(metadata["idx2str"]):
            self.str2idx.setdefault(str(token), i)
        str2idx = metadata["str2idx"]
        self.unknown = int(str2idx.get(metadata["unknown_symbol"], UNK_IDX))
        self.start = int(str2idx[START_SYMBOL])
        self.stop = int(str2idx[STOP_SYMBOL])
        self.pad = int(metadata["pad_idx"])
        self.width = int(metadata["max_sequence_length"])
        self.fill = fill_string(metadata)

    def forward(self, values: list[str]) -> torch.Tensor:
        texts: list[str] = []
        for value in values:
            texts.append(self.fill if value == "" else value)
        rows: list[list[int]] = []
        for tokens in self.tokens.batch(texts):
            ids: list[int] = [self.start]
            for token in tokens:
                ids.append(self.str2idx.get(token, self.unknown))
            ids.append(self.stop)
            rows.append(ids)
        return padded_rows(rows, self.width, self.pad, self.pad_left)


# ---------------------------------------------------------------------------------------------------------
# Hugging Face BERT WordPiece tokenizers (``hf_tokenizer``/``bert`` with a WordPiece checkpoint): text -> ids.
# The per-character behaviour of the tokenizer's normalizer and pre-tokenizer is read off the Rust tokenizer
# itself at export time; the WordPiece search, special tokens and template are taken from its JSON.

_WORD_SEPARATOR = 1  # pre-tokenizer: whitespace, dropped
_WORD_PUNCTUATION = 2  # pre-tokenizer: a token of its own
_PROBES_PER_CALL = 2048


def _per_character(function: Callable[[str], str]) -> dict[str, str]:
    """``char -> function(char)`` for every character it changes, probed thousands at a time (joined by ``|``,
    which a per-character normalizer keeps as it is; a batch that does not split back is probed char by char)."""
    characters = [char for char in scalar_characters() if char != "|"]
    changed: dict[str, str] = {}
    for i in range(0, len(characters), _PROBES_PER_CALL):
        batch = characters[i : i + _PROBES_PER_CALL]
        results = function("|".join(batch)).split("|")
        if len(results) != len(batch):
            results = [function(char) for char in batch]
        changed.update((char, result) for char, result in zip(batch, results) if result != char)
    if function("|") != "|":
        changed["|"] = function("|")
    return changed


_PROBED: dict[str, Any] = {}


def _probed(key: str, probe: Callable[[], Any]) -> Any:
    """``probe()``, computed once per process for each ``key`` (the JSON of the probed component)."""
    if key not in _PROBED:
        _PROBED[key] = probe()
    return _PROBED[key]


def _word_classes(pre_tokenize: Callable[[str], list[tuple[str, tuple[int, int]]]]) -> PropertyTable:
    """The pre-tokenizer's class of every character: a word separator (covered by no piece), a punctuation
    mark (a piece of its own between letters) or a word character (joined to the letters around it)."""
    separators: list[int] = []
    punctuation: list[int] = []
    characters = list(scalar_characters())
    for i in range(0, len(characters), _PROBES_PER_CALL):
        batch = characters[i : i + _PROBES_PER_CALL]
        pieces = pre_tokenize("x" + "x".join(batch) + "x")  # character k at offset 2k + 1
        covered = [0] * (2 * len(batch) + 1)
        for _, (start, end) in pieces:
            for position in range(start, end):
                covered[position] = end - start
        for k, char in enumerate(batch):
            if covered[2 * k + 1] == 0:
                separators.append(ord(char))
            elif covered[2 * k + 1] == 1:
                punctuation.append(ord(char))
    return property_table([(_WORD_SEPARATOR, ranges_of(separators)), (_WORD_PUNCTUATION, ranges_of(punctuation))])


def _template_ids(post_processor: Optional[dict[str, Any]]) -> tuple[list[int], list[int]]:
    """The ids the post-processor puts before and after a single sequence's ids."""
    if post_processor is None:
        return [], []
    if post_processor["type"] == "BertProcessing":
        return [int(post_processor["cls"][1])], [int(post_processor["sep"][1])]
    if post_processor["type"] != "TemplateProcessing":
        raise ValueError(f"post-processor {post_processor['type']}")
    before: list[int] = []
    after: list[int] = []
    seen_sequence = False
    for piece in post_processor["single"]:
        if "Sequence" in piece:
            seen_sequence = True
            continue
        ids = [int(i) for i in post_processor["special_tokens"][piece["SpecialToken"]["id"]]["ids"]]
        (after if seen_sequence else before).extend(ids)
    return before, after


class ScriptedWordPiece(nn.Module):
    """``forward(text) -> ids``: a Hugging Face BERT WordPiece tokenizer with its special tokens, as
    ``tokenizer(text, add_special_tokens=True)["input_ids"]``. Built by :func:`build_wordpiece`."""

    SEPARATOR: Final[int]
    PUNCTUATION: Final[int]
    vocab: dict[str, int]
    normalized: dict[str, str]

    def __init__(self, hf_tokenizer: Any):
        super().__init__()
        backend = hf_tokenizer.backend_tokenizer
        spec = json.loads(backend.to_str())
        model = spec["model"]
        self.SEPARATOR = _WORD_SEPARATOR
        self.PUNCTUATION = _WORD_PUNCTUATION
        self.vocab = {str(token): int(i) for token, i in model["vocab"].items()}
        self.unknown = self.vocab[model["unk_token"]]
        self.prefix = str(model["continuing_subword_prefix"])
        self.max_chars = int(model["max_input_chars_per_word"])
        self.longest = max(len(token.encode("utf-8")) for token in self.vocab)
        self.special_tokens: list[str] = [str(token["content"]) for token in spec["added_tokens"]]
        self.special_ids: list[int] = [int(token["id"]) for token in spec["added_tokens"]]
        self.before, self.after = _template_ids(spec["post_processor"])
        normalizer = backend.normalizer
        changed: dict[str, str] = {}
        if normalizer is not None:
            changed = _probed(json.dumps(spec["normalizer"]), lambda: _per_character(normalizer.normalize_str))
        self.normalized = {char: result for char, result in changed.items() if ord(char) >= 0x80}
        self.ascii_normalized: list[str] = [changed.get(chr(b), chr(b)) for b in range(0x80)]
        self.ascii_changes: list[bool] = [chr(b) in changed for b in range(0x80)]
        printable = [chr(b) for b in range(0x20, 0x7F)]
        self.printable_lowered = all(self.ascii_normalized[ord(c)] == c.lower() for c in printable)
        self.printable_kept = all(self.ascii_normalized[ord(c)] == c for c in printable)
        pre_tokenizer = backend.pre_tokenizer
        table = _probed(json.dumps(spec["pre_tokenizer"]), lambda: _word_classes(pre_tokenizer.pre_tokenize_str))
        self.direct: list[int] = list(table.direct)
        self.starts: list[int] = list(table.starts)
        self.values: list[int] = list(table.values)
        # Printable ASCII text splits at spaces only, and letters and digits are word characters.
        self.printable_fast = all(
            (table.direct[ord(c)] == _WORD_SEPARATOR) == (c == " ") and (not c.isalnum() or table.direct[ord(c)] == 0)
            for c in printable
        )

    def _split_special(self, text: str) -> tuple[list[str], list[int]]:
        """``text`` cut around its special tokens (leftmost, then longest match): the pieces, and the id of each
        one that is a special token (-1 for the others)."""
        pieces: list[str] = []
        ids: list[int] = []
        position = 0
        n = len(text)
        while position < n:
            best = -1
            best_length = 0
            best_id = -1
            for k in range(len(self.special_tokens)):
                found = text.find(self.special_tokens[k], position)
                length = len(self.special_tokens[k])
                if found >= 0 and (best < 0 or found < best or (found == best and length > best_length)):
                    best = found
                    best_length = length
                    best_id = self.special_ids[k]
            if best < 0:
                pieces.append(text[position:])
                ids.append(-1)
                position = n
            else:
                if best > position:
                    pieces.append(text[position:best])
                    ids.append(-1)
                pieces.append(text[best : best + best_length])
                ids.append(best_id)
                position = best + best_length
        return pieces, ids

    def _normalize(self, text: str) -> str:
        if text.isprintable() and self.printable_lowered:
            return text.lower()
        if text.isprintable() and self.printable_kept:
            return text
        pieces: list[str] = []
        done = 0
        i = 0
        n = len(text)
        while i < n:
            lead = ord(text[i])
            if lead < 0x80:
                if self.ascii_changes[lead]:
                    pieces.append(text[done:i])
                    pieces.append(self.ascii_normalized[lead])
                    done = i + 1
                i += 1
            else:
                size = char_size(lead)
                normalized = self.normalized.get(text[i : i + size])
                if normalized is not None:
                    pieces.append(text[done:i])
                    pieces.append(normalized)
                    done = i + size
                i += size
        if done == 0:
            return text
        pieces.append(text[done:])
        return "".join(pieces)

    def _words_of_chunk(self, chunk: str, words: list[str]) -> None:
        """Append the pre-tokenizer's words of ``chunk`` to ``words``."""
        start = -1
        i = 0
        n = len(chunk)
        while i < n:
            lead = ord(chunk[i])
            size = char_size(lead)
            if lead < 0x80:
                bits = self.direct[lead]
            else:
                bits = property_of(self.direct, self.starts, self.values, code_point(chunk, i))
            if bits != 0:
                if start >= 0:
                    words.append(chunk[start:i])
                    start = -1
                if (bits & self.PUNCTUATION) != 0:
                    words.append(chunk[i : i + size])
            elif start < 0:
                start = i
            i += size
        if start >= 0:
            words.append(chunk[start:])

    def _words(self, text: str) -> list[str]:
        words: list[str] = []
        if self.printable_fast and text.isprintable():
            for chunk in text.split():
                if chunk.isalnum():
                    words.append(chunk)
                else:
                    self._words_of_chunk(chunk, words)
        else:
            self._words_of_chunk(text, words)
        return words

    def _word_ids(self, word: str) -> list[int]:
        """WordPiece: the longest vocabulary pieces from the left (``##`` after the first); the unknown id when
        some part matches none or the word is too long."""
        n = len(word)
        characters = n
        if not word.isprintable():
            characters = 0
            for byte in word:
                if (ord(byte) & 0xC0) != 0x80:
                    characters += 1
        if characters > self.max_chars:
            return [self.unknown]
        whole = self.vocab.get(word)
        if whole is not None:
            return [whole]
        ids: list[int] = []
        start = 0
        while start < n:
            limit = self.longest if start == 0 else self.longest - len(self.prefix)
            end = min(n, start + limit)
            while end < n and (ord(word[end]) & 0xC0) == 0x80:
                end -= 1
            found = -1
            while found < 0 and end > start:
                piece = word[start:end] if start == 0 else self.prefix + word[start:end]
                piece_id = self.vocab.get(piece)
                if piece_id is not None:
                    found = piece_id
                else:
                    end = char_start_before(word, end)
            if found < 0:
                return [self.unknown]
            ids.append(found)
            start = end
        return ids

    def forward(self, text: str) -> list[int]:
        ids: list[int] = list(self.before)
        pieces, special_ids = self._split_special(text)
        for k in range(len(pieces)):
            if special_ids[k] >= 0:
                ids.append(special_ids[k])
            else:
                for word in self._words(self._normalize(pieces[k])):
                    ids.extend(self._word_ids(word))
        ids.extend(self.after)
        return ids


def _wordpiece_problem(hf_tokenizer: Any) -> Optional[str]:
    """Why the Hugging Face tokenizer has no scripted form, or None when it is a BERT WordPiece one."""
    backend = getattr(hf_tokenizer, "backend_tokenizer", None)
    if backend is None:
        return "it is a slow (Python) Hugging Face tokenizer"
    spec = json.loads(backend.to_str())
    normalizer = spec.get("normalizer")
    parts = {
        "model": spec["model"]["type"],
        "pre-tokenizer": (spec.get("pre_tokenizer") or {}).get("type"),
        "normalizer": normalizer["type"] if normalizer else "BertNormalizer",
    }
    if parts != {"model": "WordPiece", "pre-tokenizer": "BertPreTokenizer", "normalizer": "BertNormalizer"}:
        return "its Hugging Face tokenizer is not a BERT WordPiece one ({})".format(
            ", ".join(f"{key} {value}" for key, value in parts.items())
        )
    if spec.get("truncation") or spec.get("padding"):
        return "its Hugging Face tokenizer truncates or pads by itself"
    for token in spec["added_tokens"]:
        if token["normalized"] or token["lstrip"] or token["rstrip"] or token["single_word"]:
            return f"its added token {token['content']!r} is normalized, stripped or single-word"
    post_processor = spec.get("post_processor")
    if post_processor is not None and post_processor["type"] not in ("TemplateProcessing", "BertProcessing"):
        return f"its post-processor is {post_processor['type']}"
    return None


def build_wordpiece(hf_tokenizer: Any, name: str = "hf_tokenizer") -> nn.Module:
    """The scripted ``forward(text) -> ids`` of a Hugging Face BERT WordPiece tokenizer (fast tokenizer).

    Raises:
        Unscriptable: when the tokenizer (of the ``name`` tokenizer option) is not a BERT WordPiece one.
    """
    problem = _wordpiece_problem(hf_tokenizer)
    if problem is not None:
        raise Unscriptable(
            f"tokenizer {name!r} has no TorchScript form: {problem}; TorchScript runs BERT WordPiece tokenizers "
            f"and the tokenizers {list(SCRIPTABLE_TOKENIZERS)}"
        )
    return ScriptedWordPiece(hf_tokenizer)


class TokenIdSequencePreprocessor(nn.Module):
    """Text strings -> ``int32 [batch, max_sequence_length]`` ids of a tokenizer that makes ids itself (a
    Hugging Face tokenizer, its special tokens included), as ``build_sequence_matrix`` passes them through:
    truncated to the width, padded with the tokenizer's padding id on the configured side."""

    def __init__(self, metadata: dict[str, Any], tokenizer: nn.Module, lowercase: Optional[LowerStrings], padding: str):
        super().__init__()
        self.pad_left = _check_padding(padding)
        self.tokenizer = tokenizer
        self.lowercase = Lowercase(lowercase) if lowercase is not None else None
        self.pad = int(metadata["pad_idx"])
        self.width = int(metadata["max_sequence_length"])
        self.fill = fill_string(metadata)

    def forward(self, values: list[str]) -> torch.Tensor:
        known: dict[str, list[int]] = {}
        rows: list[list[int]] = []
        for value in values:
            text = self.fill if value == "" else value
            ids = known.get(text)
            if ids is None:
                lowered = self.lowercase(text) if self.lowercase is not None else text
                ids = self.tokenizer(lowered)
                known[text] = ids
            rows.append(ids)
        return padded_rows(rows, self.width, self.pad, self.pad_left)


@preprocessor_registry.register("text", "sequence")
def build_sequence(feature: Any, metadata: dict[str, Any]) -> nn.Module:
    """The scripted preprocessing of a text/sequence input feature.

    Raises:
        Unscriptable: when its tokenizer has no TorchScript form, or its encoder embeddings are cached.
    """
    preprocessing = feature.preprocessing
    name = preprocessing.tokenizer
    if name not in SCRIPTABLE_TOKENIZERS and name not in WORDPIECE_TOKENIZERS:
        raise _unscriptable_tokenizer(name)
    if metadata.get(EMBEDDINGS_CACHED):
        raise Unscriptable("its encoder embeddings are cached (preprocessing.cache_encoder_embeddings)")
    python_tokenizer = tokenizer_from_preprocessing(preprocessing)  # the options Python preprocessing uses
    padding = str(preprocessing.padding)
    if getattr(python_tokenizer, "produces_ids", False):
        # tokenize_sequences lowers the values of an ids-producing tokenizer with the column's string methods.
        lowercase = column_lowercase if preprocessing.lowercase else None
        wordpiece = build_wordpiece(python_tokenizer.tokenizer, name)
        return TokenIdSequencePreprocessor(metadata, wordpiece, lowercase, padding)
    tokenizer = scripted_form(python_tokenizer, name)
    lowercase = preprocessing_lowercase(python_tokenizer) if preprocessing.lowercase else None
    unknown_symbol = str(metadata["unknown_symbol"])
    if type(python_tokenizer) in WHITESPACE_SEPARABLE_TOKENIZERS:
        tokens: nn.Module = ChunkwiseTokens(tokenizer, lowercase, unknown_symbol)
    else:
        tokens = WholeValueTokens(tokenizer, lowercase, unknown_symbol)
    return SequencePreprocessor(metadata, tokens, padding)
