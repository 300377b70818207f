"""Reading HTTP request bodies: the size limit, the content type, JSON and form bodies.

Each function takes a Starlette ``Request`` and raises ``RequestError`` (4xx) for a body the client can fix.
"""

import json
from typing import Any

from ludwig.serving.requests import RequestError

DEFAULT_MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
#: The form media types ``read_record`` reads (besides JSON).
FORM_CONTENT_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


async def read_body(request: Any, max_payload_bytes: int) -> bytes:
    """The request body; answers 413 past ``max_payload_bytes`` (declared or streamed) and 400 when it is empty."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_payload_bytes:
        raise RequestError(413, f"Request body of {declared} bytes exceeds the limit of {max_payload_bytes} bytes.")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_payload_bytes:
            raise RequestError(413, f"Request body exceeds the limit of {max_payload_bytes} bytes.")
        chunks.append(chunk)
    body = b"".join(chunks)
    if not body.strip():
        raise RequestError(400, "Request body is empty; send the input features as form fields or JSON.")
    request._body = body  # lets request.form() parse the bytes already read
    return body


def content_type(request: Any) -> str:
    """The media type of the request body, lower case, without parameters ("" when none is declared)."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def parse_json(body: bytes, what: str) -> Any:
    """``body`` parsed as JSON; answers 400 naming ``what`` when it is not valid JSON."""
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise RequestError(400, f"{what} is not valid JSON: {e}.") from None


async def read_json(request: Any, max_payload_bytes: int) -> Any:
    """The JSON value of the request body; answers 415 when a content type other than JSON is declared."""
    body = await read_body(request, max_payload_bytes)
    kind = content_type(request)
    if kind not in ("", "application/json"):
        raise RequestError(415, f"Unsupported content type {kind!r}; send the body as application/json.")
    return parse_json(body, "Request body")


async def _read_form(request: Any) -> dict[str, Any]:
    from starlette.datastructures import UploadFile

    try:
        form = await request.form()
    except Exception as e:  # malformed multipart or urlencoded bodies
        raise RequestError(400, f"Request body is not a valid form: {e}.") from None
    fields = {}
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            raise RequestError(400, f"Field {key!r} is a file upload; file inputs are not supported by this server.")
        fields[key] = value
    return fields


async def read_record(request: Any, body: bytes) -> dict[str, Any]:
    """The fields of a form body, or the object of a JSON body (``body``, already read by ``read_body``)."""
    kind = content_type(request)
    if kind == "application/json":
        record = parse_json(body, "Request body")
        if not isinstance(record, dict):
            raise RequestError(400, "Request body must be a JSON object mapping input feature names to values.")
        return record
    if kind in FORM_CONTENT_TYPES:
        return await _read_form(request)
    raise RequestError(
        415, f"Unsupported content type {kind!r}; use multipart/form-data, a urlencoded form or application/json."
    )
