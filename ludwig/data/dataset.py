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


NUM_BUCKETS = 10


class Batcher:
    """Iterates over a dataset in batches of tensors.

    Args:
        dataset: the dataset.
        batch_size: rows per batch; the last batch may be smaller.
        shuffle: draw a new random order each epoch.
        seed: seed of the shuffling generator; epoch ``e`` uses ``seed + e`` so a resumed run replays it.
        bucket_lengths: one length per row (``trainer.bucketing_field``); when given, each batch holds rows of
            similar length. Rows sorted by length are cut into ``NUM_BUCKETS`` buckets of whole batches; with
            ``shuffle``, each epoch breaks ties between equal lengths at random, shuffles the rows within each bucket
            and the order of the batches across buckets. An epoch has as many batches as without bucketing.
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int,
        shuffle: bool = False,
        seed: int = 0,
        device: torch.device | str | None = None,
        bucket_lengths: np.ndarray | None = None,
    ):
        self.dataset = dataset
        self.batch_size = max(1, int(batch_size))
        self.shuffle = shuffle
        self.seed = seed
        self.device = device
        if bucket_lengths is not None and len(bucket_lengths) != len(dataset):
            raise ValueError(f"bucket_lengths has {len(bucket_lengths)} entries for {len(dataset)} rows.")
        self.bucket_lengths = None if bucket_lengths is None else torch.as_tensor(np.asarray(bucket_lengths))

    @property
    def steps_per_epoch(self) -> int:
        return (len(self.dataset) + self.batch_size - 1) // self.batch_size

    def epoch(self, epoch: int = 0, start_step: int = 0) -> Iterator[dict[str, torch.Tensor]]:
        """Batches of one epoch, starting at ``start_step`` (for resuming mid-epoch)."""
        tensors = self.dataset.tensors
        if self.device is not None and str(self.device) != "cpu":
            tensors = {k: v.to(self.device, non_blocking=True) for k, v in tensors.items()}
        if self.bucket_lengths is not None:
            for index in self._bucketed_batches(epoch)[start_step:]:
                if self.device is not None:
                    index = index.to(self.device)
                yield {k: v.index_select(0, index) for k, v in tensors.items()}
            return
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

    def _bucketed_batches(self, epoch: int) -> list[torch.Tensor]:
        """The row indices of each batch of ``epoch``, grouped by length (see the class docstring)."""
        size, batch_size = len(self.dataset), self.batch_size
        generator = torch.Generator().manual_seed(self.seed + epoch)
        order = torch.randperm(size, generator=generator) if self.shuffle else torch.arange(size)
        order = order[torch.argsort(self.bucket_lengths[order], stable=True)]
        num_batches = self.steps_per_epoch
        edges = np.linspace(0, num_batches, min(NUM_BUCKETS, num_batches) + 1).round().astype(int) * batch_size
        batches: list[torch.Tensor] = []
        for start, end in zip(edges[:-1], edges[1:]):
            bucket = order[start:end]
            if self.shuffle:
                bucket = bucket[torch.randperm(len(bucket), generator=generator)]
            batches.extend(bucket.split(batch_size))
        if self.shuffle:
            batches = [batches[i] for i in torch.randperm(len(batches), generator=generator)]
        return batches

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        return self.epoch(0)
