"""Uploading a saved Ludwig model to the Hugging Face Hub (``LudwigModel.upload_to_hf_hub``).

The upload has two steps: ``prepare_hf_repo_folder`` writes the repository folder locally (a model card and the
model files), then ``upload_to_hf_hub`` pushes it with ``huggingface_hub``. The first step never touches the
network; the second refuses to start when ``huggingface_hub`` is missing or the Hub is offline
(``HF_HUB_OFFLINE=1``), so the folder can still be pushed by hand later.
"""

from __future__ import annotations

import json
import logging
import os
import shutil

from ludwig.globals import (
    LUDWIG_VERSION,
    MODEL_FILE_NAME,
    MODEL_HYPERPARAMETERS_FILE_NAME,
    MODEL_WEIGHTS_FILE_NAME,
    TRAIN_SET_METADATA_FILE_NAME,
)
from ludwig.utils.hf_utils import hub_offline

logger = logging.getLogger("ludwig")

HF_REPO_FOLDER_NAME = "hf_hub_repo"
"""Name of the repository folder written inside the experiment folder."""

HF_CONFIG_FILE_NAME = "ludwig_config.json"
"""Name under which Ludwig uploads the model's config to the Hub."""

REPO_TYPES = ("model", "dataset", "space")


def find_model_folder(model_path: str) -> str:
    """The ``model`` folder of a saved model, given it or the experiment folder above it.

    Args:
        model_path: the experiment folder (holding ``model/``) or the model folder itself.

    Returns:
        The path of the folder holding the weights and ``model_hyperparameters.json``.

    Raises:
        ValueError: neither ``model_path`` nor ``model_path/model`` holds both.
    """
    for candidate in (os.path.join(model_path, MODEL_FILE_NAME), model_path):
        if os.path.isfile(os.path.join(candidate, MODEL_WEIGHTS_FILE_NAME)) and os.path.isfile(
            os.path.join(candidate, MODEL_HYPERPARAMETERS_FILE_NAME)
        ):
            return candidate
    raise ValueError(
        f"Can't find the model weights ({MODEL_WEIGHTS_FILE_NAME}) and '{MODEL_HYPERPARAMETERS_FILE_NAME}' either "
        f"at '{model_path}' or at '{os.path.join(model_path, MODEL_FILE_NAME)}'."
    )


def validate_repo_id(repo_id: str) -> None:
    """Check that ``repo_id`` is ``namespace/name``.

    Raises:
        ValueError: ``repo_id`` has no namespace, no name or more than one ``/``.
    """
    parts = repo_id.split("/") if isinstance(repo_id, str) else []
    if len(parts) != 2 or not all(part.strip() for part in parts):
        raise ValueError(
            f"repo_id {repo_id!r} must be a namespace (user or organization) and a repository name separated by a "
            "'/', e.g. 'johndoe/titanic'."
        )


def model_card(repo_id: str, config: dict) -> str:
    """The ``README.md`` model card of the repository: Hub metadata, the features and how to load the model.

    Args:
        repo_id: ``namespace/name`` of the repository.
        config: the model's rendered config (``model_hyperparameters.json``).

    Returns:
        The Markdown text.
    """

    def features(section: str) -> str:
        rows = [f"| `{f.get('name')}` | {f.get('type')} |" for f in config.get(section, [])]
        return "\n".join(["| name | type |", "| --- | --- |", *rows])

    return (
        "---\n"
        "library_name: ludwig\n"
        "tags:\n"
        "- ludwig\n"
        f"- {config.get('model_type', 'ecd')}\n"
        "---\n\n"
        f"# {repo_id.split('/')[-1]}\n\n"
        f"A [Ludwig](https://ludwig.ai/latest/) {config.get('model_type', 'ecd').upper()} model "
        f"(trained with Ludwig {LUDWIG_VERSION}).\n\n"
        "## Input features\n\n"
        f"{features('input_features')}\n\n"
        "## Output features\n\n"
        f"{features('output_features')}\n\n"
        "## Usage\n\n"
        "```python\n"
        "from huggingface_hub import snapshot_download\n"
        "from ludwig.api import LudwigModel\n\n"
        f'model = LudwigModel.load(snapshot_download("{repo_id}"))\n'
        "predictions, _ = model.predict(dataset)\n"
        "```\n\n"
        f"`{HF_CONFIG_FILE_NAME}` is the model's config; `{MODEL_WEIGHTS_FILE_NAME}` holds the weights.\n"
    )


def prepare_hf_repo_folder(repo_id: str, model_path: str, repo_folder: str | None = None) -> str:
    """Write the folder to push: ``README.md``, the weights, the config (twice) and the training set metadata.

    The folder is also a model folder ``LudwigModel.load`` reads. An existing folder is replaced.

    Args:
        repo_id: ``namespace/name`` of the repository (for the model card).
        model_path: the experiment folder (holding ``model/``) or the model folder itself.
        repo_folder: where to write; by default ``hf_hub_repo`` next to the model folder.

    Returns:
        The path of the repository folder.

    Raises:
        ValueError: a bad ``repo_id``, or ``model_path`` holds no saved model.
    """
    validate_repo_id(repo_id)
    model_dir = find_model_folder(model_path)
    if repo_folder is None:
        repo_folder = os.path.join(os.path.dirname(os.path.abspath(model_dir)), HF_REPO_FOLDER_NAME)
    if os.path.isdir(repo_folder):
        shutil.rmtree(repo_folder)
    os.makedirs(repo_folder)
    with open(os.path.join(model_dir, MODEL_HYPERPARAMETERS_FILE_NAME)) as f:
        config = json.load(f)
    for name in (MODEL_WEIGHTS_FILE_NAME, MODEL_HYPERPARAMETERS_FILE_NAME, TRAIN_SET_METADATA_FILE_NAME):
        source = os.path.join(model_dir, name)
        if os.path.isfile(source):
            shutil.copyfile(source, os.path.join(repo_folder, name))
    config_path = os.path.join(model_dir, MODEL_HYPERPARAMETERS_FILE_NAME)
    shutil.copyfile(config_path, os.path.join(repo_folder, HF_CONFIG_FILE_NAME))
    with open(os.path.join(repo_folder, "README.md"), "w", encoding="utf-8") as f:
        f.write(model_card(repo_id, config))
    return repo_folder


def upload_to_hf_hub(
    repo_id: str,
    model_path: str,
    repo_type: str = "model",
    private: bool = False,
    commit_message: str = "Upload trained [Ludwig](https://ludwig.ai/latest/) model weights",
    commit_description: str | None = None,
) -> bool:
    """Write the repository folder (``prepare_hf_repo_folder``) and push it to the Hugging Face Hub.

    Args:
        repo_id: ``namespace/name`` of the repository (created when missing).
        model_path: the experiment folder (holding ``model/``) or the model folder itself.
        repo_type: ``"model"``, ``"dataset"`` or ``"space"`` (None means ``"model"``).
        private: whether a newly created repository is private.
        commit_message: title of the commit.
        commit_description: description of the commit.

    Returns:
        True when the push succeeded.

    Raises:
        ValueError: a bad ``repo_id`` or ``repo_type``, or ``model_path`` holds no saved model.
        RuntimeError: ``huggingface_hub`` is not installed or the Hub is offline; nothing was sent.
    """
    repo_type = repo_type or "model"
    if repo_type not in REPO_TYPES:
        raise ValueError(f"repo_type {repo_type!r} is not allowed; expected one of {list(REPO_TYPES)}.")
    repo_folder = prepare_hf_repo_folder(repo_id, model_path)
    manual = (
        f"The repository folder is ready at {repo_folder}; push it with "
        f"`huggingface-cli upload {repo_id} {repo_folder}`."
    )
    try:
        from huggingface_hub import HfApi
    except ImportError as error:
        raise RuntimeError(
            f"upload_to_hf_hub needs the huggingface_hub package (pip install huggingface_hub). {manual}"
        ) from error
    if hub_offline():
        raise RuntimeError(
            "upload_to_hf_hub cannot push: the Hugging Face Hub is offline (HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE "
            f"is set). {manual}"
        )
    api = HfApi()
    api.create_repo(repo_id=repo_id, repo_type=repo_type, private=private, exist_ok=True)
    commit = api.upload_folder(
        folder_path=repo_folder,
        repo_id=repo_id,
        repo_type=repo_type,
        commit_message=commit_message,
        commit_description=commit_description,
    )
    logger.info("Uploaded %s to the Hugging Face Hub repository %s (%s)", repo_folder, repo_id, commit)
    return bool(commit)
