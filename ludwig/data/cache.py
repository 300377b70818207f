"""The preprocessed-data cache: ``<stem>.{training,validation,test}.hdf5`` and ``<stem>.meta.json``.

The cache sits next to the dataset file and is reused only when the file's content and everything that affects
preprocessing (features, their preprocessing sections, global preprocessing, seed, Ludwig version) are
unchanged: both go into the ``checksum`` stored in the meta file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from typing import Any

import numpy as np

from ludwig.data.dataset import Dataset
from ludwig.features.feature_registries import base_type_registry, load_all_features
from ludwig.globals import LUDWIG_VERSION

logger = logging.getLogger(__name__)

SPLITS = ("training", "validation", "test")

#: Key of the meta file holding the warnings preprocessing gave, shown again whenever the cache is used.
WARNINGS_KEY = "preprocessing_warnings"


def file_checksum(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def preprocessing_checksum(config, dataset_checksum: str, random_seed: int) -> str:
    load_all_features()
    features = [
        # proc_column hashes what else determines the column (e.g. a frozen encoder whose outputs are cached)
        {
            "name": f.name,
            "type": f.type,
            "column": f.column,
            "proc_column": f.proc_column,
            "preprocessing": f.preprocessing.to_dict(),
            "metadata_config": base_type_registry[f.type].metadata_config(f),
        }
        for f in config.input_features + config.output_features
    ]
    key = {
        "ludwig_version": LUDWIG_VERSION,
        "dataset": dataset_checksum,
        "global_preprocessing": config.preprocessing.to_dict(),
        "features": features,
        "random_seed": random_seed,
    }
    return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()


class DatasetCache:
    """Cache files derived from one dataset path."""

    def __init__(self, dataset_path: str, checksum: str):
        stem = dataset_path
        for ext in (".gz", ".bz2", ".zip"):
            if stem.endswith(ext):
                stem = stem[: -len(ext)]
        self.stem = os.path.splitext(stem)[0]
        self.checksum = checksum

    @property
    def meta_path(self) -> str:
        return f"{self.stem}.meta.json"

    def split_path(self, split: str) -> str:
        return f"{self.stem}.{split}.hdf5"

    def load(self) -> tuple[dict[str, Dataset | None], dict[str, Any]] | None:
        """The cached splits and metadata, or None when absent or stale."""
        if not os.path.exists(self.meta_path):
            return None
        try:
            with open(self.meta_path) as f:
                metadata = json.load(f)
        except (OSError, json.JSONDecodeError):
            return None
        if metadata.get("checksum") != self.checksum:
            logger.info("Preprocessed cache %s is stale; preprocessing again.", self.meta_path)
            return None
        splits = {}
        for split in SPLITS:
            path = self.split_path(split)
            splits[split] = read_hdf5(path) if os.path.exists(path) else None
        logger.info("Using preprocessed data cached in %s.", self.meta_path)
        for message in metadata.pop(WARNINGS_KEY, []):
            logger.warning("%s", message)
        return splits, metadata

    def save(
        self, splits: dict[str, Dataset | None], metadata: dict[str, Any], warnings: list[str] | None = None
    ) -> None:
        """Write the splits and the metadata; ``warnings`` (messages) are shown again each time the cache is used."""
        try:
            for split, dataset in splits.items():
                path = self.split_path(split)
                if dataset is not None:
                    write_hdf5(path, dataset)
                    metadata[f"data_{split}_hdf5_fp"] = path
                elif os.path.exists(path):
                    os.remove(path)
            with open(self.meta_path, "w") as f:
                json.dump(
                    {**metadata, "checksum": self.checksum, WARNINGS_KEY: list(warnings or [])},
                    f,
                    indent=2,
                    default=str,
                )
        except OSError as e:
            logger.warning("Could not write the preprocessed cache next to the dataset (%s); continuing without.", e)


def write_hdf5(path: str, dataset: Dataset) -> None:
    import h5py

    with h5py.File(path, "w") as f:
        for name, values in dataset.columns.items():
            f.create_dataset(name, data=values)


def read_hdf5(path: str) -> Dataset:
    import h5py

    with h5py.File(path, "r") as f:
        return Dataset({name: np.asarray(f[name]) for name in f.keys()})
