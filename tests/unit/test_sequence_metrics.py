"""Sequence losses and metrics on hand-made id matrices: each against a value computed by hand, padding ignored."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from ludwig.constants import SEQUENCE, TEXT
from ludwig.modules.loss_modules import build_loss
from ludwig.modules.metric_modules import (
    BLEU,
    MAXIMIZE,
    MINIMIZE,
    CharErrorRate,
    EditDistance,
    LastAccuracy,
    NextTokenPerplexity,
    Perplexity,
    SequenceAccuracy,
    SequenceSoftmaxCrossEntropyMetric,
    TokenAccuracy,
    WordErrorRate,
    batch_edit_distance,
    content_tokens,
    get_metric_classes,
    get_metric_objective,
)
from ludwig.schema.features.loss import (
    NextTokenSoftmaxCrossEntropyLossConfig,
    SequenceSoftmaxCrossEntropyLossConfig,
)

# Vocabulary ids: 0 <EOS>, 1 <SOS>, 2 <PAD>, then tokens.
EOS, SOS, PAD = 0, 1, 2
IDX2STR = ["<EOS>", "<SOS>", "<PAD>", "<UNK>", "ab", "c", "de", "dx"]
TARGET = torch.tensor([[SOS, 4, 5, 6, EOS, PAD], [SOS, 7, EOS, PAD, PAD, PAD]])
# Row 0: last token wrong. Row 1: right, but garbage after its stop symbol, where the target is padding.
PREDS = torch.tensor([[SOS, 4, 5, 7, EOS, PAD], [SOS, 7, EOS, 6, 6, 6]])


def evaluate(metric, preds, target, split: int | None = None) -> float:
    metric.reset()
    if split is None:
        metric.update(preds, target)
    else:
        metric.update(preds[:split], target[:split])
        metric.update(preds[split:], target[split:])
    return metric.compute()


def test_token_accuracy_ignores_padding():
    # 8 non-padding target positions, 7 predicted right.
    assert evaluate(TokenAccuracy(), PREDS, TARGET) == pytest.approx(7 / 8)
    assert evaluate(TokenAccuracy(), PREDS, TARGET, split=1) == pytest.approx(7 / 8)


def test_sequence_and_last_accuracy():
    assert evaluate(SequenceAccuracy(), PREDS, TARGET) == pytest.approx(0.5)
    # The last token before <EOS>: row 0 wrong (7 for 6), row 1 right.
    assert evaluate(LastAccuracy(), PREDS, TARGET) == pytest.approx(0.5)
    assert evaluate(SequenceAccuracy(), TARGET, TARGET) == 1.0


def test_content_tokens_stop_at_stop_symbol():
    tokens, lengths = content_tokens(PREDS, SOS, EOS, PAD)
    assert lengths.tolist() == [3, 1]
    assert tokens[0, :3].tolist() == [4, 5, 7]
    assert tokens[1, :1].tolist() == [7]


def _reference_levenshtein(a: list[int], b: list[int]) -> int:
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def test_batch_edit_distance_matches_plain_dynamic_programme():
    generator = torch.Generator().manual_seed(0)
    a = torch.randint(0, 3, (40, 7), generator=generator)
    b = torch.randint(0, 3, (40, 6), generator=generator)
    a_lengths = torch.randint(0, 8, (40,), generator=generator)
    b_lengths = torch.randint(0, 7, (40,), generator=generator)
    distances = batch_edit_distance(a, a_lengths, b, b_lengths)
    expected = [_reference_levenshtein(a[i, : a_lengths[i]].tolist(), b[i, : b_lengths[i]].tolist()) for i in range(40)]
    assert distances.tolist() == expected
    kitten = torch.tensor([[ord(c) for c in "kitten"] + [0]])
    sitting = torch.tensor([[ord(c) for c in "sitting"]])
    assert batch_edit_distance(kitten, torch.tensor([6]), sitting, torch.tensor([7])).item() == 3


def test_edit_distance_word_and_char_error_rates():
    # Row 0: one substitution (7 for 6) in 3 target tokens; row 1: identical.
    assert evaluate(EditDistance(), PREDS, TARGET) == pytest.approx(0.5)
    assert evaluate(WordErrorRate(), PREDS, TARGET, split=1) == pytest.approx(1 / 4)
    # Texts: "ab c dx" vs "ab c de" (1 edit, 7 characters) and "dx" vs "dx" (2 characters).
    assert evaluate(CharErrorRate(idx2str=IDX2STR), PREDS, TARGET) == pytest.approx(1 / 9)


def test_perplexity_and_cross_entropy_ignore_padding():
    vocab = len(IDX2STR)
    # The target token gets logit log(3), the 7 others 0: p = 3 / 10 at every real position.
    logits = torch.zeros(2, 6, vocab)
    logits.scatter_(2, TARGET.unsqueeze(-1), math.log(3.0))
    logits[TARGET == PAD] = torch.randn(int((TARGET == PAD).sum()), vocab) * 50  # must not count
    assert evaluate(Perplexity(), logits, TARGET) == pytest.approx(10 / 3)
    assert evaluate(SequenceSoftmaxCrossEntropyMetric(), logits, TARGET, split=1) == pytest.approx(math.log(10 / 3))
    # Shifted by one step, the logits at step t score token t + 1: uniform logits give the vocabulary size.
    assert evaluate(NextTokenPerplexity(), torch.zeros(2, 6, vocab), TARGET) == pytest.approx(vocab)


def test_bleu_by_hand():
    target = torch.tensor([[SOS, 3, 4, 5, 6, 7, EOS]])
    assert evaluate(BLEU(), target, target) == pytest.approx(1.0)
    # One wrong final token: precisions 4/5, 3/4, 2/3, 1/2; same length, no brevity penalty.
    preds = torch.tensor([[SOS, 3, 4, 5, 6, 4, EOS]])
    assert evaluate(BLEU(), preds, target) == pytest.approx((4 / 5 * 3 / 4 * 2 / 3 * 1 / 2) ** 0.25)
    # A 3-token prediction of a 5-token target: clipped precisions 1, brevity penalty exp(1 - 5/3); but no
    # 4-gram at all, so BLEU (unsmoothed) is 0.
    short = torch.tensor([[SOS, 3, 4, 5, EOS, PAD, PAD]])
    assert evaluate(BLEU(), short, target) == 0.0
    # Repeated tokens are clipped to their count in the target.
    four = torch.tensor([[SOS, 3, 4, 5, 6, EOS, PAD]])
    repeated = torch.tensor([[SOS, 3, 4, 5, 6, 3, 4, 5, 6, EOS]])
    brevity = 1.0  # prediction longer than the target
    expected = brevity * (4 / 8 * 3 / 7 * 2 / 6 * 1 / 5) ** 0.25
    assert evaluate(BLEU(), repeated, torch.cat([four, torch.full((1, 3), PAD)], dim=1)) == pytest.approx(expected)


def test_registration_and_objectives():
    for feature_type in (SEQUENCE, TEXT):
        names = set(get_metric_classes(feature_type))
        assert {"token_accuracy", "sequence_accuracy", "perplexity", "next_token_perplexity", "edit_distance"} <= names
    assert {"bleu", "char_error_rate", "word_error_rate"} <= set(get_metric_classes(TEXT))
    assert get_metric_objective("token_accuracy") == MAXIMIZE
    assert get_metric_objective("sequence_accuracy") == MAXIMIZE
    assert get_metric_objective("bleu") == MAXIMIZE
    assert get_metric_objective("perplexity") == MINIMIZE
    assert get_metric_objective("edit_distance") == MINIMIZE
    assert get_metric_objective("sequence_softmax_cross_entropy") == MINIMIZE


def _loss(config_cls, **params):
    config = config_cls.from_dict(params)
    config.pad_idx = PAD
    return build_loss(config)


def test_sequence_cross_entropy_ignores_padding_and_weights_tokens():
    torch.manual_seed(0)
    logits = torch.randn(2, 6, len(IDX2STR))
    flat_logits, flat_target = logits.reshape(-1, len(IDX2STR)), TARGET.reshape(-1)
    expected = F.cross_entropy(flat_logits, flat_target, ignore_index=PAD)
    assert _loss(SequenceSoftmaxCrossEntropyLossConfig)(logits, TARGET).item() == pytest.approx(expected.item())
    weights = [1.0, 0.5, 1.0, 1.0, 2.0, 3.0, 1.0, 0.25]
    weighted = _loss(SequenceSoftmaxCrossEntropyLossConfig, class_weights=weights)(logits, TARGET)
    expected = F.cross_entropy(flat_logits, flat_target, weight=torch.tensor(weights), ignore_index=PAD)
    assert weighted.item() == pytest.approx(expected.item(), rel=1e-5)
    # Changing the logits at padding positions changes nothing.
    noisy = logits.clone()
    noisy[TARGET == PAD] += 100
    assert _loss(SequenceSoftmaxCrossEntropyLossConfig)(noisy, TARGET).item() == pytest.approx(
        F.cross_entropy(flat_logits, flat_target, ignore_index=PAD).item()
    )


def test_sequence_cross_entropy_unique_robust_and_next_token():
    torch.manual_seed(1)
    logits = torch.randn(1, 5, len(IDX2STR))
    target = torch.tensor([[SOS, 4, 4, EOS, PAD]])
    nll = -torch.log_softmax(logits[0], dim=-1)[torch.arange(5), target[0]]
    unique = _loss(SequenceSoftmaxCrossEntropyLossConfig, unique=True)(logits, target)
    assert unique.item() == pytest.approx(((nll[0] + nll[1] + nll[3]) / 3).item(), rel=1e-5)
    plain = _loss(SequenceSoftmaxCrossEntropyLossConfig)(logits, target)
    robust = _loss(SequenceSoftmaxCrossEntropyLossConfig, robust_lambda=1)(logits, target)
    assert robust.item() == pytest.approx(1 / len(IDX2STR))
    assert plain.item() == pytest.approx(nll[:4].mean().item(), rel=1e-5)
    shifted = _loss(NextTokenSoftmaxCrossEntropyLossConfig)(logits, target)
    shifted_nll = -torch.log_softmax(logits[0, :-1], dim=-1)[torch.arange(4), target[0, 1:]]
    assert shifted.item() == pytest.approx(shifted_nll[:3].mean().item(), rel=1e-5)
    penalised = _loss(SequenceSoftmaxCrossEntropyLossConfig, confidence_penalty=0.5)(logits, target)
    assert penalised.item() > plain.item()
