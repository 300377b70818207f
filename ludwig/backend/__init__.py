"""Backends: where preprocessing, training and prediction run."""

from ludwig.backend.base import Backend, LocalBackend, initialize_backend

__all__ = ["Backend", "LocalBackend", "initialize_backend"]
