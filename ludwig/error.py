"""Exceptions raised to users. Every message names what was wrong, the value found and what is allowed."""

from __future__ import annotations


class LudwigError(Exception):
    """Base class of every error Ludwig raises on purpose."""


class ConfigValidationError(LudwigError, ValueError):
    """The config is invalid. ``errors`` lists every problem found, one string each."""

    def __init__(self, message: str | None = None, errors: list[str] | None = None):
        self.errors = list(errors or ([message] if message else []))
        if message is None:
            count = len(self.errors)
            header = f"Invalid config: {count} problem{'s' if count != 1 else ''} found:"
            message = "\n".join([header] + [f"  - {e}" for e in self.errors])
        super().__init__(message)


class InputDataError(LudwigError, ValueError):
    """A column of the data cannot be used as the feature type the config asks for."""

    def __init__(self, column_name: str, feature_type: str, message: str):
        self.column_name = column_name
        self.feature_type = feature_type
        self.message = message
        super().__init__(f'Column "{column_name}" as {feature_type} feature: {message}')


class DatasetError(LudwigError, ValueError):
    """The dataset as a whole cannot be used: duplicated column names, or no training rows left to learn from."""


class UntrustedCodeError(LudwigError):
    """Loading would run code from a folder (a model folder, or what its config points at) without an opt-in.

    ``settings`` describes each ``trust_remote_code`` setting found (feature, path, checkpoint), if any.
    """

    def __init__(self, message: str, settings: list[str] | None = None):
        self.settings = list(settings or [])
        super().__init__(message)


class UnsafePathError(LudwigError, ValueError):
    """A user-given name that becomes part of a path would leave the folder it is written in.

    ``argument`` is what the name was given as (``experiment_name``, ...), ``value`` the name, ``problem`` what is
    wrong with it.
    """

    def __init__(self, message: str, argument: str, value: str, problem: str):
        self.argument = argument
        self.value = value
        self.problem = problem
        super().__init__(message)
