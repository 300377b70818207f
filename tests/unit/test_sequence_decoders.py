"""The generator and tagger decoders on hand-made tensors."""

from __future__ import annotations

import itertools

import pytest
import torch

from ludwig.decoders.sequence_decoders import (
    GENERATED,
    SequenceGeneratorDecoder,
    SequenceTaggerDecoder,
    fit_width,
)
from ludwig.schema.decoders.sequence_decoders import SequenceGeneratorDecoderConfig, SequenceTaggerDecoderConfig

EOS, SOS, PAD = 0, 1, 2
METADATA = {
    "idx2str": ["<EOS>", "<SOS>", "<PAD>", "<UNK>", "a", "b"],
    "str2idx": {"<EOS>": 0, "<SOS>": 1, "<PAD>": 2, "<UNK>": 3, "a": 4, "b": 5},
    "vocab_size": 6,
    "max_sequence_length": 5,
    "pad_idx": PAD,
}


def generator(**params) -> SequenceGeneratorDecoder:
    torch.manual_seed(0)
    return SequenceGeneratorDecoder(SequenceGeneratorDecoderConfig.from_dict(params), 8, METADATA).eval()


@pytest.mark.parametrize("cell_type", ["rnn", "lstm", "gru"])
def test_generator_shapes_in_training_and_prediction(cell_type):
    decoder = generator(cell_type=cell_type, num_layers=2)
    hidden = torch.randn(3, 8)
    targets = torch.tensor([[SOS, 4, 5, EOS, PAD]] * 3)
    assert decoder(hidden, targets)["logits"].shape == (3, 5, 6)
    assert decoder(hidden)["logits"].shape == (3, 5, 6)


def test_teacher_forcing_is_causal():
    decoder = generator()
    hidden = torch.randn(2, 8)
    targets = torch.tensor([[SOS, 4, 5, EOS, PAD], [SOS, 5, EOS, PAD, PAD]])
    logits = decoder(hidden, targets)["logits"]
    changed = targets.clone()
    changed[:, 2] = 4
    other = decoder(hidden, changed)["logits"]
    # Position t only sees targets before t.
    assert torch.allclose(logits[:, :3], other[:, :3])
    assert not torch.allclose(logits[:, 3:], other[:, 3:])


def test_greedy_feeds_back_its_own_predictions_and_pads_after_stop():
    decoder = generator()
    # A bias towards <EOS> at the second step's input ("a" embedded) makes rows stop early.
    hidden = torch.randn(4, 8)
    greedy = decoder(hidden)["logits"]
    predictions = greedy.argmax(-1)
    forced = decoder(hidden, predictions)["logits"]
    for row in range(4):
        tokens = predictions[row].tolist()
        stop = tokens.index(EOS) if EOS in tokens else len(tokens) - 1
        # Up to the stop symbol, greedy decoding is teacher forcing on its own output.
        assert torch.allclose(greedy[row, : stop + 1], forced[row, : stop + 1], atol=1e-5)
        assert all(t == PAD for t in tokens[stop + 1 :])


def test_greedy_stops_every_row_at_the_stop_symbol():
    decoder = generator()
    with torch.no_grad():
        decoder.output.projection.bias.zero_()
        decoder.output.projection.bias[EOS] = 100.0  # always stop at once
    predictions = decoder(torch.randn(3, 8))["logits"].argmax(-1)
    assert predictions.tolist() == [[EOS, PAD, PAD, PAD, PAD]] * 3


def _sequence_log_probs(decoder, hidden, sequences: torch.Tensor) -> torch.Tensor:
    """Log probability of each row of ``sequences`` up to and including its first stop symbol."""
    logits = decoder(hidden.expand(len(sequences), -1), sequences)["logits"]
    log_probs = torch.log_softmax(logits, dim=-1).gather(-1, sequences.unsqueeze(-1)).squeeze(-1)
    after_stop = (sequences == EOS).cumsum(dim=1) - (sequences == EOS).long() > 0
    return log_probs.masked_fill(after_stop, 0.0).sum(dim=1)


def test_beam_search_finds_the_most_likely_sequence_when_the_beam_covers_all():
    metadata = {**METADATA, "max_sequence_length": 3}
    torch.manual_seed(3)
    config = SequenceGeneratorDecoderConfig.from_dict({"beam_width": 6**3, "beam_length_penalty": 0.0})
    decoder = SequenceGeneratorDecoder(config, 8, metadata).eval()
    hidden = torch.randn(2, 8)
    every_sequence = torch.tensor(list(itertools.product(range(6), repeat=3)))
    with torch.no_grad():
        result = decoder(hidden)
        for row in range(2):
            best = _sequence_log_probs(decoder, hidden[row : row + 1], every_sequence).max()
            found = _sequence_log_probs(decoder, hidden[row : row + 1], result[GENERATED][row : row + 1])
            assert found.item() == pytest.approx(best.item(), abs=1e-4)
    assert result["logits"].shape == (2, 3, 6)
    assert result[GENERATED].shape == (2, 3)


def test_beam_search_pads_after_the_stop_symbol():
    decoder = generator(beam_width=3)
    generated = decoder(torch.randn(5, 8))[GENERATED]
    for tokens in generated.tolist():
        if EOS in tokens:
            assert all(t == PAD for t in tokens[tokens.index(EOS) + 1 :])


def test_generator_rejects_a_sequence_shaped_input():
    with pytest.raises(ValueError, match="reduce_input"):
        generator()(torch.randn(2, 4, 8))


def test_tagger_classifies_every_step_at_the_target_width():
    torch.manual_seed(0)
    tagger = SequenceTaggerDecoder(SequenceTaggerDecoderConfig.from_dict({}), 8, METADATA)
    assert tagger(torch.randn(2, 5, 8))["logits"].shape == (2, 5, 6)
    # A longer input is truncated; a shorter one is extended with steps predicting padding.
    assert tagger(torch.randn(2, 7, 8))["logits"].shape == (2, 5, 6)
    short = tagger(torch.randn(2, 3, 8))["logits"]
    assert short.shape == (2, 5, 6)
    assert (short[:, 3:].argmax(-1) == PAD).all()
    attention = SequenceTaggerDecoder(
        SequenceTaggerDecoderConfig.from_dict(
            {"use_attention": True, "attention_embedding_size": 16, "attention_num_heads": 4}
        ),
        8,
        METADATA,
    )
    assert attention(torch.randn(2, 5, 8))["logits"].shape == (2, 5, 6)


def test_tagger_needs_a_sequence_shaped_input():
    tagger = SequenceTaggerDecoder(SequenceTaggerDecoderConfig.from_dict({}), 8, METADATA)
    with pytest.raises(ValueError, match="non-reduced sequence input"):
        tagger(torch.randn(2, 8))
    with pytest.raises(ValueError, match="divisible"):
        SequenceTaggerDecoder(
            SequenceTaggerDecoderConfig.from_dict(
                {"use_attention": True, "attention_embedding_size": 10, "attention_num_heads": 4}
            ),
            8,
            METADATA,
        )


def test_fit_width():
    logits = torch.randn(2, 3, 6)
    assert torch.equal(fit_width(logits, 3, PAD), logits)
    assert torch.equal(fit_width(logits, 2, PAD), logits[:, :2])
    extended = fit_width(logits, 4, PAD)
    assert torch.equal(extended[:, :3], logits)
    assert (extended[:, 3].argmax(-1) == PAD).all()
