"""The OpenAPI documentation of the servers' request bodies (shown at ``/docs``).

The servers read their bodies themselves (see ``ludwig.serving.bodies``), so the routes declare these schemas
through ``openapi_extra``. Each call builds new dicts: FastAPI merges them into the app's OpenAPI document.
"""

from collections.abc import Sequence
from typing import Any

from ludwig.serving.bodies import FORM_CONTENT_TYPES
from ludwig.serving.requests import NUMBER_INPUT_TYPES


def record_schema(specs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The OpenAPI schema of one record: a property per input feature."""
    properties = {}
    for column, feature_type in specs:
        kind = "number" if feature_type in NUMBER_INPUT_TYPES else "string"
        properties[column] = {"type": kind, "description": f"{feature_type} input feature"}
    return {"type": "object", "properties": properties, "required": [column for column, _ in specs]}


def dataset_schema(specs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The OpenAPI schema of a dataset in pandas ``split`` orientation."""
    return {
        "type": "object",
        "properties": {
            "columns": {"type": "array", "items": {"type": "string"}, "example": [column for column, _ in specs]},
            "data": {"type": "array", "items": {"type": "array", "items": {}}},
            "index": {"type": "array", "items": {}},
        },
        "required": ["columns", "data"],
    }


def dataset_form_schema() -> dict[str, Any]:
    """The OpenAPI schema of a form holding a dataset: its field ``dataset``, JSON in ``split`` orientation."""
    return {
        "type": "object",
        "properties": {"dataset": {"type": "string", "description": "JSON dataset in pandas 'split' orientation"}},
        "required": ["dataset"],
    }


def request_body(content: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The ``openapi_extra`` of a route with a required body; ``content`` maps each media type to its schema."""
    return {
        "requestBody": {"required": True, "content": {kind: {"schema": schema} for kind, schema in content.items()}}
    }


def form_or_json_body(form_schema: dict[str, Any], json_schema: dict[str, Any]) -> dict[str, Any]:
    """The ``openapi_extra`` of a route reading a form (multipart or urlencoded) or a JSON body."""
    return request_body({**{kind: form_schema for kind in FORM_CONTENT_TYPES}, "application/json": json_schema})
