"""Python's ``str.lower`` as scripted ``forward(text: str) -> str`` modules.

Python preprocessing lowercases with ``str.lower`` everywhere (``ludwig.utils.tokenizers.lowercase_strings``), and
TorchScript's ``str.lower`` knows ASCII only; :class:`.unicode_text.Lowercase` copies the Unicode mapping,
final-sigma rule included.
"""

# No ``from __future__ import annotations``: TorchScript reads the annotations of scripted code as real types.

from torch import nn

from ludwig.model_export.torchscript.unicode_text import Lowercase


def build_lowercase() -> nn.Module:
    """A module whose ``forward(text: str) -> str`` is Python's ``text.lower()`` exactly."""
    return Lowercase()


class OptionalLowercase(nn.Module):
    """``forward(text: str) -> str``: ``text.lower()`` when ``lowercase``, else ``text`` as it is."""

    def __init__(self, lowercase: bool):
        super().__init__()
        self.lowercase = Lowercase() if lowercase else None

    def forward(self, text: str) -> str:
        if self.lowercase is not None:
            return self.lowercase(text)
        return text
