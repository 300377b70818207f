"""Scripted twins of the Python tokenizers in :mod:`ludwig.utils.tokenizers`, and the names TorchScript runs.

Each scripted tokenizer's ``forward(text: str) -> List[str]`` returns exactly the tokens of its Python twin for
any Unicode text; character classes, ``split`` and ``strip`` come from :mod:`.unicode_text`. A
:class:`ChunkTokenizer` also gives the tokens of one whitespace chunk (``chunk_tokens``), which is how
``tokenize_sequences`` applies the whitespace-separable tokenizers. :func:`build_tokenizer` makes one by
registry name, :func:`scripted_form` from a Python tokenizer; the Hugging Face BERT WordPiece tokenizers of
:data:`WORDPIECE_TOKENIZERS` have their scripted form in :mod:`.wordpiece`.
"""

# No ``from __future__ import annotations``: TorchScript reads the annotations of scripted code as real types.

from collections.abc import Callable
from typing import Any

from torch import nn

from ludwig.model_export.torchscript.base import Unscriptable
from ludwig.model_export.torchscript.unicode_text import CharacterClasses, Lowercase, case_insensitive_letters
from ludwig.utils import tokenizers as python_tokenizers


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

    def _run_end(self, classes: list[int], k: int, bit: int) -> int:
        """The end of the run of characters with ``bit`` that starts at ``k``."""
        while k < len(classes) and (classes[k] & bit) != 0:
            k += 1
        return k


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
            end = self._run_end(classes, k, self.WORD) if (classes[k] & self.WORD) != 0 else k + 1
            if (classes[k] & self.SPACE) == 0:
                tokens.append(chunk[offsets[k] : offsets[end]])
            k = end
        return tokens


class ScriptedEnglishTokenizer(ChunkTokenizer):
    """``english_tokenize``: numbers with inner ``.``/``,``, words with inner ``'``/``’``/``-`` and single
    punctuation marks (``\\d+(?:[.,]\\d+)+|\\w+(?:['\\u2019-]\\w+)*|[^\\w\\s]``)."""

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
            digits_end = self._run_end(classes, k, self.DIGIT)
            if digits_end > k and self._joined(classes, digits_end, self.NUMBER_SEPARATOR, self.DIGIT):
                end = digits_end
                while self._joined(classes, end, self.NUMBER_SEPARATOR, self.DIGIT):
                    end = self._run_end(classes, end + 1, self.DIGIT)
            elif (classes[k] & self.WORD) != 0:
                end = self._run_end(classes, k, self.WORD)
                while self._joined(classes, end, self.JOINER, self.WORD):
                    end = self._run_end(classes, end + 1, self.WORD)
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


def unscriptable_tokenizer(name: str) -> Unscriptable:
    """The error for the tokenizer ``name`` that has no TorchScript form: it lists the names that have one."""
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
        raise unscriptable_tokenizer(name)
    return make(tokenizer)


def build_tokenizer(name: str, **options: Any) -> nn.Module:
    """A module whose ``forward(text: str) -> List[str]`` is ``get_tokenizer(name, **options)(text)`` exactly.

    Raises:
        Unscriptable: naming the tokenizer and the scriptable ones when ``name`` has no TorchScript form.
    """
    if name not in SCRIPTABLE_TOKENIZERS:
        raise unscriptable_tokenizer(name)
    return scripted_form(python_tokenizers.get_tokenizer(name, **options), name)
