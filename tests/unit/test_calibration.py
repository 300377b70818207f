import torch
import torch.nn.functional as F

from ludwig.models.calibration import MAX_TEMPERATURE, MIN_TEMPERATURE, fit_temperature


def binary_nll(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits, targets.float())


def test_overconfident_logits_get_a_temperature_above_one():
    torch.manual_seed(0)
    targets = torch.randint(0, 3, (2000,))
    logits = torch.randn(2000, 3)
    logits[torch.arange(2000), targets] += 1.0
    temperature = fit_temperature(logits * 5.0, targets, F.cross_entropy)
    assert 3.0 < temperature < 8.0


def test_binary_temperature_recovers_the_scale():
    torch.manual_seed(0)
    true_logits = torch.randn(5000) * 2
    targets = torch.bernoulli(torch.sigmoid(true_logits))
    assert abs(fit_temperature(true_logits * 3.0, targets, binary_nll) - 3.0) < 0.5


def test_perfectly_separated_data_stays_within_bounds():
    targets = torch.tensor([0, 1] * 50)
    logits = torch.where(targets.bool(), 4.0, -4.0)
    temperature = fit_temperature(logits, targets, binary_nll)
    assert MIN_TEMPERATURE <= temperature <= MAX_TEMPERATURE
