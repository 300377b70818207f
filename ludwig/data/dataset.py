"""In-memory datasets of preprocessed columns and the batcher that slices them."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch


def _writable(array: np.ndarray) -> np.ndarray:
    """A contiguous, writable view (or copy) that torch can share memory with."""
    array = np.ascontiguousarray(array)
    return array if array.flags.writeable else array.copy()


class Dataset:
    """Preprocessed columns (``proc_column`` -> array), all with the same number of rows.

    Tensors are made once, sharing memory with the numpy arrays; batches are index slices of them.
    """

    def __init__(self, columns: dict[str, np.ndarray]):
        sizes = {len(v) for v in columns.values()}
        if len(sizes) > 1:
            raise ValueError(f"Columns have different lengths: { {k: len(v) for k, v in columns.items()} }.")
        self.columns = columns
        self.size = sizes.pop() if sizes else 0
        self._tensors: dict[str, torch.Tensor] | None = None

    def __len__(self) -> int:
        return self.size

    @property
    def tensors(self) -> dict[str, torch.Tensor]:
        if self._tensors is None:
            self._tensors = {k: torch.from_numpy(_writable(v)) for k, v in self.columns.items()}
        return self._tensors

    @staticmethod
    def concat(datasets: list[Dataset]) -> Dataset:
        """The rows of ``datasets`` one after the other."""
        names = datasets[0].columns.keys()
        return Dataset({name: np.concatenate([d.columns[name] for d in datasets]) for name in names})

    def subset(self, indices: np.ndarray) -> Dataset:
        return Dataset({k: v[indices] for k, v in self.columns.items()})


class Batcher:
    """Iterates over a dataset in batches of tensors.

    Args:
        dataset: the dataset.
        batch_size: rows per batch; the last batch may be smaller.
        shuffle: draw a new random order each epoch.
        seed: seed of the shuffling generator; epoch ``e`` uses ``seed + e`` so a resumed run replays it.
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int,
        shuffle: bool = False,
        seed: int = 0,
        device: torch.device | str | None = None,
    ):
        self.dataset = dataset
        self.batch_size = max(1, int(batch_size))
        self.shuffle = shuffle
        self.seed = seed
        self.device = device

    @property
    def steps_per_epoch(self) -> int:
        return (len(self.dataset) + self.batch_size - 1) // self.batch_size

    def epoch(self, epoch: int = 0, start_step: int = 0) -> Iterator[dict[str, torch.Tensor]]:
        """Batches of one epoch, starting at ``start_step`` (for resuming mid-epoch)."""
        tensors = self.dataset.tensors
        if self.device is not None and str(self.device) != "cpu":
            tensors = {k: v.to(self.device, non_blocking=True) for k, v in tensors.items()}
        size = len(self.dataset)
        order = None
        if self.shuffle:
            generator = torch.Generator().manual_seed(self.seed + epoch)
            order = torch.randperm(size, generator=generator)
            if self.device is not None:
                order = order.to(self.device)
        for start in range(start_step * self.batch_size, size, self.batch_size):
            if order is None:
                yield {k: v[start : start + self.batch_size] for k, v in tensors.items()}
            else:
                index = order[start : start + self.batch_size]
                yield {k: v.index_select(0, index) for k, v in tensors.items()}

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        return self.epoch(0)
