"""The lowercasings of Python preprocessing as scripted ``forward(text: str) -> str`` modules.

Python lowercases in ways that differ on non-ASCII text: ``str.lower`` applies the final-sigma rule;
``tokenize_column(..., lowercase=True)`` uses pandas string methods (per character on pyarrow-backed strings);
``tokenize_sequences`` lowers the chunks of the ``space`` tokenizer one by one and the input of the other
tokenizers through ``tokenize_column``. Each is a :data:`.unicode_text.LowerStrings` function
(:func:`.unicode_text.python_lower`, :func:`column_lowercase`, :func:`space_chunk_lowercase`;
:func:`preprocessing_lowercase` picks the one of a tokenizer), and :func:`build_lowercase` makes its exact
scripted twin.
"""

# No ``from __future__ import annotations``: TorchScript reads the annotations of scripted code as real types.

from typing import Optional

import pandas as pd
from torch import nn

from ludwig.model_export.torchscript.unicode_text import Lowercase, LowerStrings, python_lower
from ludwig.utils import tokenizers as python_tokenizers
from ludwig.utils.strings_utils import tokenize_sequences


def build_lowercase(lower_strings: LowerStrings = python_lower) -> nn.Module:
    """A module whose ``forward(text: str) -> str`` lowercases exactly as ``lower_strings`` does: Python's
    ``text.lower()`` by default; pass :func:`column_lowercase` for what ``tokenize_column(..., lowercase=True)``
    does (pandas string methods, which differ from ``str.lower`` on pyarrow-backed strings)."""
    return Lowercase(lower_strings)


class OptionalLowercase(nn.Module):
    """``forward(text: str) -> str``: ``text`` lowercased as ``lower_strings`` does, or as it is when
    ``lower_strings`` is None (the feature's preprocessing does not lowercase)."""

    def __init__(self, lower_strings: Optional[LowerStrings]):
        super().__init__()
        self.lowercase = Lowercase(lower_strings) if lower_strings is not None else None

    def forward(self, text: str) -> str:
        if self.lowercase is not None:
            return self.lowercase(text)
        return text


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
