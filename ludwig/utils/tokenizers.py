"""Tokenizers by registry name: the values of a feature's ``preprocessing.tokenizer``.

A tokenizer turns one string into a list of token strings. ``tokenize_column`` applies one to a whole column;
the regex-based tokenizers run through pandas' vectorised string methods rather than a Python loop per row.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pandas as pd

from ludwig.utils.registry import Registry


class Tokenizer:
    """Splits a string into tokens.

    Subclasses implement ``__call__``; a regex-based tokenizer sets ``pattern`` instead (its tokens are the
    matches of the pattern), which lets ``tokenize_column`` use ``Series.str.findall``.
    """

    pattern: re.Pattern | None = None

    def __call__(self, text: str) -> list[str]:
        if self.pattern is None:
            raise TypeError(f"{type(self).__name__} must implement __call__ or set `pattern`.")
        return self.pattern.findall(text)


tokenizer_registry: Registry[Callable[..., Tokenizer]] = Registry("tokenizer")


@tokenizer_registry.register("space")
class SpaceTokenizer(Tokenizer):
    """Whitespace-separated tokens."""

    pattern = re.compile(r"\S+")


@tokenizer_registry.register("space_punct")
class SpacePunctuationTokenizer(Tokenizer):
    """Words and single punctuation marks: ``"Hello, world!"`` -> ``["Hello", ",", "world", "!"]``."""

    pattern = re.compile(r"\w+|[^\w\s]")


@tokenizer_registry.register("characters")
class CharactersTokenizer(Tokenizer):
    """Every character is a token."""

    pattern = re.compile(r".", re.DOTALL)


class _SeparatorTokenizer(Tokenizer):
    """Tokens between a separator, stripped of surrounding whitespace; empty tokens are dropped."""

    separator: str = ""

    def __call__(self, text: str) -> list[str]:
        return [token for token in (part.strip() for part in text.split(self.separator)) if token]


@tokenizer_registry.register("underscore")
class UnderscoreTokenizer(_SeparatorTokenizer):
    """Tokens separated by underscores."""

    separator = "_"


@tokenizer_registry.register("comma")
class CommaTokenizer(_SeparatorTokenizer):
    """Tokens separated by commas."""

    separator = ","


@tokenizer_registry.register("untokenized")
class UntokenizedTokenizer(Tokenizer):
    """The whole string is one token."""

    def __call__(self, text: str) -> list[str]:
        return [text]


@tokenizer_registry.register("stripped")
class StrippedTokenizer(Tokenizer):
    """The whole string, stripped of surrounding whitespace, is one token."""

    def __call__(self, text: str) -> list[str]:
        stripped = text.strip()
        return [stripped] if stripped else []


def get_tokenizer(name: str, **kwargs: Any) -> Tokenizer:
    """The tokenizer registered as ``name``; keyword arguments go to its constructor.

    Raises:
        KeyError: naming the registered tokenizers when ``name`` is unknown.
    """
    return tokenizer_registry[name](**kwargs)


def tokenize_column(column: pd.Series, tokenizer: Tokenizer, lowercase: bool = False) -> pd.Series:
    """Each value of ``column`` (read as a string; missing values as ``""``) as a list of tokens."""
    strings = column.fillna("").astype(str)
    if lowercase:
        strings = strings.str.lower()
    if tokenizer.pattern is not None and type(tokenizer).__call__ is Tokenizer.__call__:
        return strings.str.findall(tokenizer.pattern)
    return strings.map(tokenizer)
