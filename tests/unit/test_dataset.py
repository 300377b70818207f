"""In-memory datasets and the batcher (``ludwig.data.dataset``)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ludwig.data.dataset import Batcher, Dataset

ROWS = 23


def make_dataset(rows: int = ROWS) -> Dataset:
    index = np.arange(rows)
    return Dataset(
        {
            "index": index.astype(np.int64),
            "double": (2.0 * index).astype(np.float32),
            "vector": np.stack([index, -index], axis=1).astype(np.float32),
            "flag": index % 3 == 0,
        }
    )


def indices(batches) -> list[list[int]]:
    return [batch["index"].tolist() for batch in batches]


def test_dataset_size_and_tensors():
    dataset = make_dataset()
    assert len(dataset) == ROWS
    tensors = dataset.tensors
    assert tensors["index"].dtype == torch.int64
    assert tensors["flag"].dtype == torch.bool
    assert tensors["vector"].shape == (ROWS, 2)
    assert dataset.tensors is tensors  # made once


def test_dataset_of_read_only_arrays():
    array = np.arange(5.0)
    array.flags.writeable = False
    dataset = Dataset({"a": array})
    np.testing.assert_array_equal(dataset.tensors["a"].numpy(), array)


def test_mismatched_column_lengths_raise():
    with pytest.raises(ValueError, match="different lengths") as error:
        Dataset({"a": np.zeros(3), "b": np.zeros(4)})
    assert "'a': 3" in str(error.value) and "'b': 4" in str(error.value)


def test_empty_dataset():
    dataset = Dataset({})
    assert len(dataset) == 0
    assert list(Batcher(dataset, 4).epoch()) == []
    assert list(Batcher(Dataset({"a": np.zeros(0)}), 4, shuffle=True).epoch()) == []


def test_subset_takes_rows_in_the_given_order():
    subset = make_dataset().subset(np.array([5, 1, 1, 22]))
    assert len(subset) == 4
    assert subset.columns["index"].tolist() == [5, 1, 1, 22]
    np.testing.assert_array_equal(subset.columns["vector"], [[5, -5], [1, -1], [1, -1], [22, -22]])
    assert subset.columns["flag"].tolist() == [False, False, False, False]


def test_subset_with_a_boolean_mask():
    subset = make_dataset().subset(np.arange(ROWS) % 2 == 0)
    assert subset.columns["index"].tolist() == list(range(0, ROWS, 2))


def test_concat():
    dataset = make_dataset()
    joined = Dataset.concat([dataset.subset(np.arange(5)), dataset.subset(np.arange(5, ROWS))])
    for name, values in dataset.columns.items():
        np.testing.assert_array_equal(joined.columns[name], values)


def test_unshuffled_batches_are_in_order_with_a_last_partial_batch():
    batcher = Batcher(make_dataset(), batch_size=7)
    assert batcher.steps_per_epoch == 4
    batches = list(batcher.epoch())
    assert [len(b["index"]) for b in batches] == [7, 7, 7, 2]
    assert sum(indices(batches), []) == list(range(ROWS))
    assert indices(batches)[-1] == [21, 22]


def test_batch_size_dividing_the_rows_has_no_empty_batch():
    batcher = Batcher(make_dataset(21), batch_size=7)
    assert batcher.steps_per_epoch == 3
    assert [len(b["index"]) for b in batcher.epoch()] == [7, 7, 7]


def test_batch_larger_than_the_dataset():
    batches = list(Batcher(make_dataset(), batch_size=1000, shuffle=True).epoch())
    assert len(batches) == 1
    assert sorted(batches[0]["index"].tolist()) == list(range(ROWS))


def test_columns_of_a_batch_stay_aligned():
    for batch in Batcher(make_dataset(), batch_size=5, shuffle=True, seed=3).epoch(2):
        index = batch["index"]
        torch.testing.assert_close(batch["double"], 2.0 * index.float())
        torch.testing.assert_close(batch["vector"], torch.stack([index, -index], dim=1).float())
        assert batch["flag"].tolist() == (index % 3 == 0).tolist()


@pytest.mark.parametrize("batch_size", [1, 4, 7, 23, 50])
def test_each_shuffled_epoch_covers_every_row_once(batch_size):
    batcher = Batcher(make_dataset(), batch_size=batch_size, shuffle=True, seed=11)
    for epoch in range(3):
        rows = sum(indices(batcher.epoch(epoch)), [])
        assert len(rows) == ROWS
        assert sorted(rows) == list(range(ROWS))


def test_shuffle_is_deterministic_per_seed_and_epoch():
    first = Batcher(make_dataset(), batch_size=5, shuffle=True, seed=7)
    second = Batcher(make_dataset(), batch_size=5, shuffle=True, seed=7)
    for epoch in (0, 1, 5):
        assert indices(first.epoch(epoch)) == indices(second.epoch(epoch))
    # Replaying an epoch gives the same order again.
    assert indices(first.epoch(1)) == indices(first.epoch(1))


def test_shuffle_differs_across_epochs_and_seeds():
    batcher = Batcher(make_dataset(), batch_size=5, shuffle=True, seed=7)
    orders = [sum(indices(batcher.epoch(epoch)), []) for epoch in range(4)]
    assert len({tuple(order) for order in orders}) == 4
    assert orders[0] != list(range(ROWS))
    other_seed = Batcher(make_dataset(), batch_size=5, shuffle=True, seed=1000)
    assert sum(indices(other_seed.epoch(0)), []) != orders[0]


def test_iterating_the_batcher_is_epoch_zero():
    batcher = Batcher(make_dataset(), batch_size=6, shuffle=True, seed=2)
    assert indices(batcher) == indices(batcher.epoch(0))


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("start_step", [0, 1, 3, 4])
def test_start_step_resumes_mid_epoch_with_the_same_remaining_batches(shuffle, start_step):
    batcher = Batcher(make_dataset(), batch_size=6, shuffle=shuffle, seed=5)
    full = indices(batcher.epoch(2))
    resumed = indices(Batcher(make_dataset(), batch_size=6, shuffle=shuffle, seed=5).epoch(2, start_step=start_step))
    assert resumed == full[start_step:]


def test_start_step_past_the_end_gives_nothing():
    assert list(Batcher(make_dataset(), batch_size=6).epoch(0, start_step=10)) == []


def test_batch_size_below_one_is_one():
    batcher = Batcher(make_dataset(5), batch_size=0)
    assert batcher.batch_size == 1
    assert len(list(batcher.epoch())) == 5


def test_unshuffled_batches_share_memory_with_the_dataset():
    dataset = make_dataset()
    batch = next(Batcher(dataset, batch_size=4).epoch())
    assert batch["double"].data_ptr() == dataset.tensors["double"].data_ptr()
