"""The `tabtransformer` combiner (Huang et al., "TabTransformer: Tabular Data Modeling Using Contextual
Embeddings", 2020): self-attention over the category-like inputs, then a fully connected stack over the reduced
tokens concatenated with the layer-normalised number and binary inputs.

Parameters map one to one onto Ludwig 0.17's: ``tokenizer`` holds Ludwig's ``projectors`` (one per category-like
input, stacked by input size as :mod:`ludwig.modules.feature_tokens` describes), ``transformer_stack``,
``layer_norm`` and ``fc_stack`` are its modules of those names (the stack's weights as
:mod:`ludwig.combiners.transformer_combiners` maps them). ``feature_name_embedding`` is
``embed_i_f_name_layer.embeddings.weight`` restricted to the rows Ludwig reads: Ludwig's table has one row per
input feature but only its first rows, one per category-like input, are ever looked up. Without category-like
inputs neither the tokenizer nor the transformer stack is built (Ludwig builds them and never calls them).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ludwig.combiners.registry import combiner_registry
from ludwig.combiners.transformer_combiners import combiner_fc_stack, transformer_stack_from_config
from ludwig.constants import BINARY, NUMBER
from ludwig.modules.feature_tokens import FeatureTokenizer
from ludwig.modules.reduction_modules import SequenceReducer

#: Input types concatenated next to the transformer's output instead of going through it.
NUMERIC_TYPES = (NUMBER, BINARY)


def _name_embedding_size(embed_input_feature_name: str | int | None, hidden_size: int) -> int:
    """Width of the embedding of a feature's identity: ``hidden_size`` for ``add``, the integer, or 0."""
    if embed_input_feature_name == "add":
        return hidden_size
    return embed_input_feature_name or 0


@combiner_registry.register("tabtransformer")
class TabTransformerCombiner(nn.Module):
    """Category-like inputs (every type but number and binary) become tokens that a transformer stack
    contextualises; the reduced tokens, concatenated with the number and binary encoder outputs (layer-normalised
    together when there is more than one value), go through the FC stack.

    Args:
        config: the ``combiner`` section.
        input_sizes: flattened encoder output size of each input feature, in input feature order.
        input_features: the built input features, read for their types.
    """

    needs_input_features = True

    def __init__(self, config, input_sizes: dict[str, int], input_features: dict[str, Any]):
        super().__init__()
        self.config = config
        self.numeric_features = [n for n in input_sizes if input_features[n].config.type in NUMERIC_TYPES]
        self.category_features = [n for n in input_sizes if n not in self.numeric_features]
        numeric_size = sum(input_sizes[n] for n in self.numeric_features)
        # LayerNorm over a single value always outputs zero, which would cut the gradient to that input.
        self.layer_norm = nn.LayerNorm(numeric_size) if numeric_size > 1 else None
        self.add_name_embedding = config.embed_input_feature_name == "add"
        self.tokenizer = self.transformer_stack = self.reducer = self.feature_name_embedding = None
        token_size = 0
        if self.category_features:
            name_size = _name_embedding_size(config.embed_input_feature_name, config.hidden_size)
            projection_size = config.hidden_size if self.add_name_embedding else config.hidden_size - name_size
            self.tokenizer = FeatureTokenizer({n: input_sizes[n] for n in self.category_features}, projection_size)
            if name_size:
                table = torch.empty(len(self.category_features), name_size)
                self.feature_name_embedding = nn.Parameter(nn.init.uniform_(table, -1.0, 1.0))
            self.transformer_stack = transformer_stack_from_config(config)
            self.reducer = SequenceReducer(config.reduce_output, len(self.category_features), config.hidden_size)
            token_size = self.reducer.output_size
        self.fc_stack = combiner_fc_stack(token_size + numeric_size, config)
        self.output_size = self.fc_stack.output_size

    def _contextual_tokens(self, encoder_outputs: dict[str, dict[str, torch.Tensor]]) -> torch.Tensor:
        """The category-like inputs through the transformer stack and ``reduce_output``."""
        tokens = self.tokenizer(encoder_outputs)
        if self.feature_name_embedding is not None:
            names = self.feature_name_embedding.to(tokens.dtype).expand(tokens.shape[0], -1, -1)
            tokens = tokens + names if self.add_name_embedding else torch.cat([tokens, names], dim=-1)
        return self.reducer(self.transformer_stack(tokens))

    def forward(self, encoder_outputs: dict[str, dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        parts = []
        if self.tokenizer is not None:
            parts.append(self._contextual_tokens(encoder_outputs))
        if self.numeric_features:
            numeric = [encoder_outputs[n]["encoder_output"].flatten(start_dim=1) for n in self.numeric_features]
            numeric = torch.cat(numeric, dim=-1) if len(numeric) > 1 else numeric[0]
            if self.layer_norm is not None:
                numeric = self.layer_norm(numeric)
            if parts and parts[0].dim() == 3:  # reduce_output None: the same values next to every token
                numeric = numeric.unsqueeze(1).expand(-1, parts[0].shape[1], -1)
            parts.append(numeric)
        hidden = torch.cat(parts, dim=-1) if len(parts) > 1 else parts[0]
        return {"combiner_output": self.fc_stack(hidden)}
