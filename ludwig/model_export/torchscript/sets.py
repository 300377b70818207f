"""TorchScript preprocessing of set and bag inputs: elements -> multi-hot rows (sets) or counts (bags)."""

# No ``from __future__ import annotations``: TorchScript reads the annotations of scripted code as real types.

from typing import Any

import torch
from torch import nn

from ludwig.constants import UNKNOWN_SYMBOL
from ludwig.model_export.torchscript.base import fill_string, preprocessor_registry
from ludwig.model_export.torchscript.lowercasing import build_lowercase
from ludwig.model_export.torchscript.tokenizers import build_tokenizer


class SetPreprocessor(nn.Module):
    """Strings -> ``[rows, vocab_size]``: bool presence (sets) or float32 counts (bags), as ``element_matrix``.

    A value is lowercased when configured, then split by the feature's tokenizer; elements outside the vocabulary
    count as the unknown element.
    """

    str2idx: dict[str, int]

    def __init__(self, metadata: dict[str, Any], tokenizer: nn.Module, lowercase: bool, counts: bool):
        super().__init__()
        self.tokenizer = tokenizer
        self.lowercase = build_lowercase()
        self.apply_lowercase = lowercase
        self.str2idx = {str(k): int(v) for k, v in metadata["str2idx"].items()}
        self.unknown = int(metadata["str2idx"][UNKNOWN_SYMBOL])
        self.size = int(metadata["vocab_size"])
        self.counts = counts
        self.fill = fill_string(metadata)

    def forward(self, values: list[str]) -> torch.Tensor:
        rows: list[int] = []
        columns: list[int] = []
        for row, value in enumerate(values):
            text = self.fill if value == "" else value
            if self.apply_lowercase:
                text = self.lowercase(text)
            for element in self.tokenizer(text):
                rows.append(row)
                columns.append(self.str2idx.get(element, self.unknown))
        matrix = torch.zeros([len(values), self.size], dtype=torch.float32)
        indices = (torch.tensor(rows, dtype=torch.int64), torch.tensor(columns, dtype=torch.int64))
        matrix.index_put_(indices, torch.ones(len(rows), dtype=torch.float32), accumulate=self.counts)
        return matrix if self.counts else matrix.to(torch.bool)


def _build(feature, metadata: dict[str, Any]) -> nn.Module:
    preprocessing = feature.preprocessing
    tokenizer = build_tokenizer(preprocessing.tokenizer)
    return SetPreprocessor(metadata, tokenizer, bool(preprocessing.lowercase), counts=feature.type == "bag")


preprocessor_registry.register("set", "bag")(_build)
