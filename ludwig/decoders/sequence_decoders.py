"""Decoders of the sequence and text output types: ``generator`` (recurrent) and ``tagger`` (per step).

Both return logits ``[batch, width, vocab_size]`` where ``width`` is the width of the preprocessed target matrix
(``max_sequence_length`` of the feature's metadata), so that every batch has the same shape. Logits at position
``t`` score the target token at position ``t``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ludwig.constants import PADDING_SYMBOL, SEQUENCE, START_SYMBOL, STOP_SYMBOL, TEXT
from ludwig.decoders.registry import decoder_registry
from ludwig.modules.fully_connected import initialize

GENERATED = "generated"
"""Key of the token ids chosen by beam search (they are not always the argmax of each step's logits)."""

# Logit given to the padding symbol after a row has stopped, every other symbol getting 0: predictions there are
# padding with probability ~1.
_PAD_LOGIT = 30.0

_RNN_CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def _may_stop_early() -> bool:
    """Whether decoding may end once every row has stopped: not while tracing or exporting, where the loop must
    run all ``max_sequence_length`` steps so the recorded program fits every input (the extra steps only add
    padding, so the results are the same)."""
    return not (torch.jit.is_tracing() or torch.compiler.is_compiling())


def special_indices(metadata: dict[str, Any]) -> tuple[int, int, int]:
    """The (start, stop, padding) symbol ids of a sequence/text feature's metadata."""
    str2idx = metadata["str2idx"]
    pad = metadata.get("pad_idx", str2idx.get(metadata.get("padding_symbol", PADDING_SYMBOL), 2))
    start = metadata.get("start_idx", str2idx.get(START_SYMBOL, 1))
    stop = metadata.get("stop_idx", str2idx.get(STOP_SYMBOL, 0))
    return int(start), int(stop), int(pad)


def fit_width(logits: torch.Tensor, width: int, pad_idx: int) -> torch.Tensor:
    """Truncate ``logits [B, T, V]`` to ``width`` steps, or extend them with steps that predict padding."""
    steps = logits.shape[1]
    if steps == width:
        return logits
    if steps > width:
        return logits[:, :width]
    extra = logits.new_zeros(logits.shape[0], width - steps, logits.shape[2])
    extra[..., pad_idx] = _PAD_LOGIT
    return torch.cat([logits, extra], dim=1)


class _OutputProjection(nn.Module):
    def __init__(self, config, input_size: int, vocab_size: int):
        super().__init__()
        self.projection = nn.Linear(input_size, vocab_size, bias=config.use_bias)
        initialize(self.projection.weight, config.weights_initializer)
        if config.use_bias:
            initialize(self.projection.bias, config.bias_initializer)

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.projection(hidden)


@decoder_registry.register("generator", [SEQUENCE, TEXT])
class SequenceGeneratorDecoder(nn.Module):
    """A recurrent decoder whose initial state is the (reduced, ``[B, H]``) hidden vector of the output feature.

    The recurrent state size is ``H``: every layer starts from the hidden vector (an LSTM's cell state from
    zeros). Tokens of the target vocabulary are embedded to size ``H``.

    Args:
        config: the ``generator`` decoder section.
        input_size: size ``H`` of the hidden vector.
        metadata: the output feature's metadata (``vocab_size``, ``max_sequence_length``, symbol ids).
    """

    uses_targets = True

    def __init__(self, config, input_size: int, metadata: dict[str, Any]):
        super().__init__()
        self.config = config
        self.vocab_size = int(metadata["vocab_size"])
        self.max_sequence_length = int(metadata["max_sequence_length"])
        self.start_idx, self.stop_idx, self.pad_idx = special_indices(metadata)
        self.cell_type = config.cell_type
        self.num_layers = config.num_layers
        self.embeddings = nn.Embedding(self.vocab_size, input_size)
        self.rnn = _RNN_CELLS[config.cell_type](input_size, input_size, num_layers=config.num_layers, batch_first=True)
        self.output = _OutputProjection(config, input_size, self.vocab_size)

    def initial_state(self, hidden: torch.Tensor):
        state = hidden.unsqueeze(0).expand(self.num_layers, -1, -1).contiguous()
        if self.cell_type == "lstm":
            return state, torch.zeros_like(state)
        return state

    def forward(self, hidden: torch.Tensor, targets: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """Logits ``[B, max_sequence_length, vocab_size]``.

        Args:
            hidden: ``[B, H]`` hidden vector.
            targets: ``[B, T]`` target token ids; when given, teacher forcing is used.

        Returns:
            ``{"logits": ...}``, plus ``"generated"`` token ids under beam search.
        """
        if hidden.dim() != 2:
            raise ValueError(
                f"generator decoder expects a [batch, hidden] input, found shape {tuple(hidden.shape)}; "
                "set reduce_input on the output feature (e.g. sum) to reduce a sequence-shaped combiner output."
            )
        if targets is not None:
            return {"logits": self.teacher_forced(hidden, targets.long())}
        if self.config.beam_width > 1:
            return self.beam_search(hidden, self.config.beam_width)
        return {"logits": self.greedy(hidden)}

    def teacher_forced(self, hidden: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        start = targets.new_full((targets.shape[0], 1), self.start_idx)
        shifted = torch.cat([start, targets[:, : self.max_sequence_length - 1]], dim=1)
        outputs, _ = self.rnn(self.embeddings(shifted), self.initial_state(hidden))
        return fit_width(self.output(outputs), self.max_sequence_length, self.pad_idx)

    def _pad_logits(self, like: torch.Tensor) -> torch.Tensor:
        pad_logits = like.new_zeros(self.vocab_size)
        pad_logits[self.pad_idx] = _PAD_LOGIT
        return pad_logits

    def greedy(self, hidden: torch.Tensor) -> torch.Tensor:
        batch = hidden.shape[0]
        state = self.initial_state(hidden)
        token = torch.full((batch, 1), self.start_idx, dtype=torch.long, device=hidden.device)
        finished = torch.zeros(batch, dtype=torch.bool, device=hidden.device)
        pad_logits = None
        steps = []
        for _ in range(self.max_sequence_length):
            output, state = self.rnn(self.embeddings(token), state)
            logits = self.output(output[:, 0])
            if pad_logits is None:
                pad_logits = self._pad_logits(logits)
            # Rows that already stopped emit padding.
            logits = torch.where(finished.unsqueeze(1), pad_logits, logits)
            steps.append(logits)
            next_token = logits.argmax(dim=-1)
            finished = finished | (next_token == self.stop_idx)
            token = next_token.unsqueeze(1)
            if _may_stop_early() and bool(finished.all()):
                break
        return fit_width(torch.stack(steps, dim=1), self.max_sequence_length, self.pad_idx)

    def beam_search(self, hidden: torch.Tensor, beam_width: int) -> dict[str, torch.Tensor]:
        """The most likely sequence found keeping ``beam_width`` partial sequences per row.

        Scores are summed log probabilities divided by ``length ** beam_length_penalty`` (the length counts the
        stop symbol). A stopped beam only extends with padding, at no cost.
        """
        batch, width, vocab = hidden.shape[0], self.max_sequence_length, self.vocab_size
        device = hidden.device
        rows = batch * beam_width
        state = self.initial_state(hidden.repeat_interleave(beam_width, dim=0))
        token = torch.full((rows, 1), self.start_idx, dtype=torch.long, device=device)
        scores = torch.full((batch, beam_width), float("-inf"), device=device)
        scores[:, 0] = 0.0  # all beams start identical: keep one so the first step does not pick duplicates
        finished = torch.zeros(rows, dtype=torch.bool, device=device)
        lengths = torch.zeros(rows, device=device)
        tokens = torch.full((rows, 0), self.pad_idx, dtype=torch.long, device=device)
        step_logits = hidden.new_zeros(rows, 0, vocab)
        stopped_log_probs = torch.full((vocab,), float("-inf"), device=device)
        stopped_log_probs[self.pad_idx] = 0.0
        pad_logits = None
        offsets = (torch.arange(batch, device=device) * beam_width).unsqueeze(1)
        for _ in range(width):
            output, state = self.rnn(self.embeddings(token), state)
            logits = self.output(output[:, 0])
            if pad_logits is None:
                pad_logits = self._pad_logits(logits)
            logits = torch.where(finished.unsqueeze(1), pad_logits, logits)
            log_probs = torch.log_softmax(logits.float(), dim=-1)
            log_probs = torch.where(finished.unsqueeze(1), stopped_log_probs, log_probs)
            candidates = (scores.reshape(rows, 1) + log_probs).reshape(batch, beam_width * vocab)
            scores, flat = candidates.topk(beam_width, dim=-1)
            parent = (flat // vocab + offsets).reshape(rows)
            next_token = (flat % vocab).reshape(rows)
            state = _select(state, parent)
            finished = finished[parent]
            lengths = lengths[parent] + (~finished).float()
            tokens = torch.cat([tokens[parent], next_token.unsqueeze(1)], dim=1)
            step_logits = torch.cat([step_logits[parent], logits[parent].unsqueeze(1)], dim=1)
            finished = finished | (next_token == self.stop_idx)
            token = next_token.unsqueeze(1)
            if _may_stop_early() and bool(finished.all()):
                break
        normalised = scores / lengths.clamp_min(1).reshape(batch, beam_width) ** self.config.beam_length_penalty
        best = normalised.argmax(dim=-1) + offsets.squeeze(1)
        generated = tokens[best]
        if generated.shape[1] < width:
            padding = generated.new_full((batch, width - generated.shape[1]), self.pad_idx)
            generated = torch.cat([generated, padding], dim=1)
        return {"logits": fit_width(step_logits[best], width, self.pad_idx), GENERATED: generated}


def _select(state, index: torch.Tensor):
    """Reorder the batch axis (1) of a recurrent state (a tensor, or an LSTM's pair)."""
    if isinstance(state, tuple):
        return tuple(s[:, index] for s in state)
    return state[:, index]


class _SelfAttention(nn.Module):
    """Multi-head self attention projecting ``[B, T, input_size]`` to ``[B, T, embedding_size]``."""

    def __init__(self, input_size: int, embedding_size: int, num_heads: int):
        super().__init__()
        if embedding_size % num_heads:
            raise ValueError(
                f"decoder.attention_embedding_size ({embedding_size}) must be divisible by "
                f"decoder.attention_num_heads ({num_heads})."
            )
        self.num_heads = num_heads
        self.qkv = nn.Linear(input_size, 3 * embedding_size)
        self.out = nn.Linear(embedding_size, embedding_size)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        batch, steps, _ = inputs.shape
        q, k, v = self.qkv(inputs).view(batch, steps, 3, self.num_heads, -1).permute(2, 0, 3, 1, 4)
        attended = nn.functional.scaled_dot_product_attention(q, k, v)
        return self.out(attended.transpose(1, 2).reshape(batch, steps, -1))


@decoder_registry.register("tagger", [SEQUENCE, TEXT])
class SequenceTaggerDecoder(nn.Module):
    """Classifies every time step of a ``[B, T, H]`` input into the target vocabulary.

    Args:
        config: the ``tagger`` decoder section.
        input_size: size ``H`` of each step's hidden vector.
        metadata: the output feature's metadata.
    """

    uses_targets = False

    def __init__(self, config, input_size: int, metadata: dict[str, Any]):
        super().__init__()
        self.max_sequence_length = int(metadata["max_sequence_length"])
        _, _, self.pad_idx = special_indices(metadata)
        self.attention = None
        if config.use_attention:
            self.attention = _SelfAttention(input_size, config.attention_embedding_size, config.attention_num_heads)
            input_size = config.attention_embedding_size
        self.output = _OutputProjection(config, input_size, int(metadata["vocab_size"]))

    def forward(self, hidden: torch.Tensor, targets: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        if hidden.dim() != 3:
            raise ValueError(
                "tagger decoder needs non-reduced sequence input: a [batch, time, hidden] combiner output, found "
                f"shape {tuple(hidden.shape)}. Set reduce_input: null on the output feature and reduce_output: "
                "null on a sequence/text input feature."
            )
        if self.attention is not None:
            hidden = self.attention(hidden)
        return {"logits": fit_width(self.output(hidden), self.max_sequence_length, self.pad_idx)}
