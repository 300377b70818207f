"""Batches grouped by row length (``trainer.bucketing_field``): the batcher's bucketed epochs and the row lengths."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ludwig.data.dataset import NUM_BUCKETS, Batcher, Dataset
from ludwig.trainers.bucketing import row_lengths

ROWS = 203
BATCH_SIZE = 8


def _lengths(rows: int = ROWS) -> np.ndarray:
    return np.random.default_rng(0).integers(1, 60, rows)


def _batcher(shuffle: bool = True, seed: int = 3, lengths: np.ndarray | None = None) -> Batcher:
    lengths = _lengths() if lengths is None else lengths
    dataset = Dataset({"row": np.arange(len(lengths)), "length": lengths})
    return Batcher(dataset, BATCH_SIZE, shuffle=shuffle, seed=seed, bucket_lengths=lengths)


def _rows(batches: list[dict[str, torch.Tensor]]) -> list[list[int]]:
    return [batch["row"].tolist() for batch in batches]


def _spread(batches: list[dict[str, torch.Tensor]]) -> float:
    """Mean over batches of the longest minus the shortest length in the batch."""
    return float(np.mean([int(b["length"].max() - b["length"].min()) for b in batches]))


def test_every_row_once_per_epoch_in_as_many_batches_as_without_bucketing():
    batcher = _batcher()
    for epoch in range(3):
        batches = list(batcher.epoch(epoch))
        assert len(batches) == batcher.steps_per_epoch == -(-ROWS // BATCH_SIZE)
        assert sorted(np.concatenate(_rows(batches)).tolist()) == list(range(ROWS))
        assert sum(len(b["row"]) < BATCH_SIZE for b in batches) == 1  # buckets hold whole batches


def test_batches_hold_rows_of_similar_length():
    bucketed = list(_batcher().epoch(0))
    lengths = _lengths()
    unbucketed = list(Batcher(Dataset({"length": lengths}), BATCH_SIZE, shuffle=True, seed=3).epoch(0))
    # A bucket spans about a tenth of the sorted lengths; a random batch spans most of the range.
    assert _spread(bucketed) < (lengths.max() - lengths.min()) / NUM_BUCKETS * 1.5
    assert _spread(bucketed) < _spread(unbucketed) / 4


def test_rows_and_batches_are_reshuffled_each_epoch_and_replayed_by_seed():
    batcher = _batcher()
    first, second = _rows(list(batcher.epoch(0))), _rows(list(batcher.epoch(1)))
    assert first != second
    assert [sorted(b) for b in first] != [sorted(b) for b in second]  # not only the batch order changes
    assert _rows(list(_batcher().epoch(1))) == second
    assert _rows(list(_batcher(seed=4).epoch(1))) != second


def test_resuming_mid_epoch_continues_with_the_same_batches():
    batcher = _batcher()
    full = _rows(list(batcher.epoch(2)))
    assert _rows(list(batcher.epoch(2, start_step=5))) == full[5:]


def test_ties_between_equal_lengths_are_broken_at_random():
    # All lengths equal: a stable sort alone would make each bucket the same block of 16 consecutive rows.
    batches = _rows(list(_batcher(lengths=np.full(160, 7)).epoch(0)))
    assert any(max(rows) - min(rows) >= 2 * BATCH_SIZE for rows in batches)


def test_without_shuffling_batches_follow_increasing_length():
    batches = list(_batcher(shuffle=False).epoch(0))
    longest = [int(b["length"].max()) for b in batches]
    shortest = [int(b["length"].min()) for b in batches]
    assert longest == sorted(longest)
    assert all(low >= high for low, high in zip(shortest[1:], longest[:-1]))
    assert _rows(batches) == _rows(list(_batcher(shuffle=False).epoch(1)))


def test_fewer_batches_than_buckets_and_an_empty_dataset():
    small = _batcher(lengths=_lengths(20))
    assert sorted(np.concatenate(_rows(list(small.epoch(0)))).tolist()) == list(range(20))
    empty = Batcher(Dataset({"row": np.zeros(0)}), BATCH_SIZE, shuffle=True, bucket_lengths=np.zeros(0))
    assert list(empty.epoch(0)) == []


def test_bucket_lengths_must_have_one_entry_per_row():
    with pytest.raises(ValueError, match="3 entries for 4 rows"):
        Batcher(Dataset({"row": np.arange(4)}), 2, bucket_lengths=np.ones(3))


def test_row_lengths_count_entries_that_are_not_padding():
    ids = np.array([[1, 4, 5, 0, 2, 2], [1, 4, 0, 2, 2, 2], [1, 4, 5, 6, 7, 0]])
    assert row_lengths(ids, 2).tolist() == [4, 3, 6]
    series = np.array([[0.5, -1.0, 3.0, 0.0], [-2.0, 0.0, 0.0, 0.0]], dtype=np.float32)
    assert row_lengths(series, 0.0).tolist() == [3, 1]
