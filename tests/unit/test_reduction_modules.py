import pytest
import torch

from ludwig.modules.reduction_modules import SequenceReducer

# Two rows of 4 steps of 1 value: the first padded on the right, the second on the left.
INPUTS = torch.tensor([[1.0, 2.0, 9.0, 9.0], [9.0, 9.0, 3.0, 5.0]]).unsqueeze(-1)
MASK = torch.tensor([[True, True, False, False], [False, False, True, True]])


@pytest.mark.parametrize(
    "mode,expected",
    [("sum", [3.0, 8.0]), ("mean", [1.5, 4.0]), ("avg", [1.5, 4.0]), ("max", [2.0, 5.0]), ("last", [2.0, 5.0])],
)
def test_masked_reductions_ignore_padding_on_either_side(mode, expected):
    assert SequenceReducer(mode, 4, 1)(INPUTS, MASK).flatten().tolist() == expected


def test_without_a_mask_every_step_counts():
    assert SequenceReducer("sum", 4, 1)(INPUTS).flatten().tolist() == [21.0, 26.0]
    assert SequenceReducer("last", 4, 1)(INPUTS).flatten().tolist() == [9.0, 5.0]


def test_concat_flattens_and_reports_its_size():
    reducer = SequenceReducer("concat", 4, 1)
    assert reducer(INPUTS).shape == (2, 4)
    assert reducer.output_size == 4


@pytest.mark.parametrize("mode", [None, "none"])
def test_none_keeps_the_sequence(mode):
    assert SequenceReducer(mode, 4, 1)(INPUTS, MASK).shape == (2, 4, 1)


def test_attention_puts_no_weight_on_padding():
    reducer = SequenceReducer("attention", 4, 1)
    changed = INPUTS.clone()
    changed[0, 2:] = 1000.0
    changed[1, :2] = -1000.0
    assert torch.allclose(reducer(INPUTS, MASK), reducer(changed, MASK))


def test_unknown_mode_is_an_error():
    with pytest.raises(ValueError, match="'median' is not allowed"):
        SequenceReducer("median")
