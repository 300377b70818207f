"""The ``ludwig`` MLflow flavor (``ludwig export_mlflow``): a Ludwig model folder saved, logged and loaded as an
MLflow model.

A saved MLflow model folder holds:

* ``MLmodel``: the ``python_function`` flavor, loaded by this module's ``_load_pyfunc``, so that
  ``mlflow.pyfunc.load_model(path).predict(df)`` answers ``LudwigModel.predict(df)``'s predictions (one row per
  input row, in order, with its index); and the ``ludwig`` flavor (``ludwig_version``, ``data``), which
  ``load_model`` reads to give the ``LudwigModel`` back;
* ``data/<model folder name>/``: a copy of the Ludwig model folder (weights, hyperparameters, training set metadata);
* ``requirements.txt``, ``python_env.yaml``, ``conda.yaml``: ludwig, its runtime dependencies and MLflow, pinned to
  the versions installed when the model was saved (nothing is resolved or downloaded while saving).

mlflow is imported inside the functions, so this module imports without it.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import sys
from types import ModuleType
from typing import Any

from ludwig.globals import LUDWIG_VERSION, MODEL_HYPERPARAMETERS_FILE_NAME

logger = logging.getLogger(__name__)

FLAVOR_NAME = "ludwig"
#: Folder of the MLflow model holding the copy of the Ludwig model folder (where pyfunc puts its ``data_path``).
DATA_FOLDER = "data"


def require_mlflow() -> ModuleType:
    """The ``mlflow`` module; a ValueError saying how to install it when it is missing."""
    try:
        import mlflow
        import mlflow.pyfunc  # noqa: F401
    except ImportError as e:
        raise ValueError(
            f"Exporting to MLflow needs MLflow, which is not installed ({e}): pip install mlflow "
            "(or the lighter mlflow-skinny, which is enough; pip install 'ludwig[export]' installs it)."
        ) from None
    return mlflow


def _installed_version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution).split("+")[0]  # no local label (+cpu): pip can't fetch it
    except importlib.metadata.PackageNotFoundError:
        return None


def pip_requirements() -> list[str]:
    """``name==version`` of ludwig, of each of its runtime dependencies and of MLflow, as installed now.

    The optional dependencies (extras) are left out; a dependency that is not installed keeps its declared range.
    """
    from packaging.requirements import Requirement

    pins = [f"ludwig=={LUDWIG_VERSION}"]
    try:
        declared = importlib.metadata.requires("ludwig") or []
    except importlib.metadata.PackageNotFoundError:  # run from a source tree that was never pip-installed
        logger.warning("ludwig is not installed as a package: the MLflow model's requirements name ludwig only.")
        declared = []
    for line in declared:
        requirement = Requirement(line)
        if requirement.marker is not None and "extra" in str(requirement.marker):
            continue
        version = _installed_version(requirement.name)
        extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
        pins.append(f"{requirement.name}{extras}=={version}" if version else str(requirement))
    mlflow_distribution = "mlflow" if _installed_version("mlflow") else "mlflow-skinny"
    pins.append(f"{mlflow_distribution}=={_installed_version(mlflow_distribution)}")
    return pins


def _check_model_folder(model_dir: str) -> None:
    if not os.path.isfile(os.path.join(model_dir, MODEL_HYPERPARAMETERS_FILE_NAME)):
        raise FileNotFoundError(
            f"{model_dir} is not a Ludwig model folder: {MODEL_HYPERPARAMETERS_FILE_NAME} is missing."
        )


def save_model(model_dir: str, path: str, mlflow_model: Any = None) -> None:
    """Write the Ludwig model folder ``model_dir`` as an MLflow model in ``path`` (absent, or an empty folder).

    ``mlflow_model`` (an ``mlflow.models.Model``) is the MLmodel to fill; it is given when ``Model.log`` calls this
    function as the flavor's ``save_model``.
    """
    mlflow = require_mlflow()
    from mlflow.models import Model

    _check_model_folder(model_dir)
    if os.path.exists(path) and (not os.path.isdir(path) or os.listdir(path)):
        raise ValueError(
            f"The MLflow model output path {path} already exists and is not an empty folder; "
            "choose another output path or remove it."
        )
    mlflow_model = mlflow_model if mlflow_model is not None else Model()
    data = os.path.join(DATA_FOLDER, os.path.basename(os.path.normpath(model_dir)))
    mlflow_model.add_flavor(FLAVOR_NAME, ludwig_version=LUDWIG_VERSION, data=data)
    mlflow.pyfunc.save_model(
        path,
        loader_module=__name__,
        data_path=os.path.abspath(model_dir),
        mlflow_model=mlflow_model,
        pip_requirements=pip_requirements(),
    )


def log_model(model_dir: str, registered_model_name: str | None = None, name: str = "model") -> Any:
    """Log the Ludwig model folder as an MLflow model to the tracking server of ``mlflow.get_tracking_uri()``
    (``MLFLOW_TRACKING_URI``), registered under ``registered_model_name`` when given; returns MLflow's ModelInfo."""
    require_mlflow()
    from mlflow.models import Model

    _check_model_folder(model_dir)
    return Model.log(
        artifact_path=None,
        name=name,
        flavor=sys.modules[__name__],
        registered_model_name=registered_model_name,
        model_dir=model_dir,
    )


def load_model(model_uri: str, trust_remote_code: bool = False) -> Any:
    """The ``LudwigModel`` of an MLflow model saved by ``save_model`` (a local path, ``runs:/``, ``models:/`` ...).

    ``trust_remote_code`` is the opt-in of ``LudwigModel.load`` to code the model's config points at.
    """
    mlflow = require_mlflow()
    from mlflow.models import Model

    from ludwig.api import LudwigModel
    from ludwig.utils.fs_utils import join_inside

    local_path = model_uri if os.path.isdir(model_uri) else mlflow.artifacts.download_artifacts(model_uri)
    flavor = Model.load(local_path).flavors.get(FLAVOR_NAME)
    if flavor is None:
        raise ValueError(f"The MLflow model {model_uri} has no {FLAVOR_NAME!r} flavor: it was not saved by Ludwig.")
    model_dir = join_inside(local_path, flavor["data"], f"flavors.{FLAVOR_NAME}.data of {model_uri}'s MLmodel")
    return LudwigModel.load(model_dir, trust_remote_code=trust_remote_code)


class _LudwigPyfunc:
    """What ``mlflow.pyfunc.load_model`` wraps: predicts raw rows with the Ludwig model."""

    def __init__(self, model: Any):
        self.model = model

    def predict(self, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        """The predictions DataFrame of ``model_input`` (a DataFrame, or records/columns pandas can read)."""
        import pandas as pd

        frame = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        predictions, _ = self.model.predict(frame)
        return predictions


def _load_pyfunc(data_path: str) -> _LudwigPyfunc:
    """The pyfunc loader MLflow calls with the model's ``data`` folder (named in MLmodel)."""
    from ludwig.api import LudwigModel

    return _LudwigPyfunc(LudwigModel.load(data_path))
