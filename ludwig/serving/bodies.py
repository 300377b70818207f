"""Reading HTTP request bodies: the size limit, the content type, JSON (with a nesting limit) and form bodies.

Each function raises ``RequestError`` (4xx) for a body the client can fix.
"""

import json
import re
from typing import Any

from ludwig.serving.forms import charset_of, parse_multipart, parse_urlencoded
from ludwig.serving.requests import RequestError, UnreadableNumber

DEFAULT_MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
#: The form media types ``read_record`` reads (besides JSON).
FORM_CONTENT_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
#: The deepest nesting of JSON arrays and objects accepted. A dataset in split orientation holding list values is
#: 4 deep; deeper bodies answer 400 before they are parsed (the parser would otherwise recurse once per level).
MAX_JSON_DEPTH = 64

#: A JSON string literal (escapes included), removed before brackets are counted.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
#: Every byte but the four brackets, deleted by ``bytes.translate``.
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def nesting_beyond(body: bytes, limit: int = MAX_JSON_DEPTH) -> int:
    """How deep the arrays and objects of the UTF-8 JSON text ``body`` nest when that is deeper than ``limit``, else
    0. Counts brackets outside string literals, without parsing (so it is cheap and cannot recurse)."""
    brackets = _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    if brackets.count(b"[") + brackets.count(b"{") <= limit:  # too few openings to nest deeper
        return 0
    import numpy as np

    codes = np.frombuffer(brackets, dtype=np.uint8)
    depth = int(np.cumsum(np.where((codes == ord("[")) | (codes == ord("{")), 1, -1)).max())
    return depth if depth > limit else 0


def _int_or_unreadable(literal: str) -> Any:
    try:
        return int(literal)
    except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
        return UnreadableNumber(literal)


def _too_deep(what: str, depth: int | None) -> RequestError:
    found = f"{depth} deep" if depth else "too deep"
    return RequestError(400, f"{what} nests arrays and objects {found}; the nesting limit is {MAX_JSON_DEPTH} levels.")


def _loads(text: str, what: str, **hooks: Any) -> Any:
    try:
        return json.loads(text, parse_constant=UnreadableNumber, **hooks)
    except json.JSONDecodeError as e:
        raise RequestError(400, f"{what} is not valid JSON: {e}.") from None
    except RecursionError:  # not expected below the nesting limit; kept so that it can never answer 500
        raise _too_deep(what, None) from None


def parse_json(body: bytes, what: str) -> Any:
    """``body`` parsed as JSON; answers 400 naming ``what`` when it is not valid JSON or nests too deep.

    The text may be UTF-8 (with or without a byte order mark), UTF-16 or UTF-32, as ``json.loads`` reads it.
    ``NaN``, ``Infinity`` and integers too long to read become ``UnreadableNumber``, which the checks of input
    values answer with a 422 naming the field.
    """
    encoding = json.detect_encoding(body)
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as e:
        raise RequestError(
            400, f"{what} is not {encoding} text: byte {body[e.start]:#04x} at position {e.start} cannot be decoded."
        ) from None
    utf8 = body if encoding.startswith("utf-8") else text.encode("utf-8", "surrogatepass")
    depth = nesting_beyond(utf8)
    if depth:
        raise _too_deep(what, depth)
    try:
        return _loads(text, what)
    except ValueError:  # an integer of more digits than Python reads by default: keep it as an unreadable number
        return _loads(text, what, parse_int=_int_or_unreadable)


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
    body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    if not body.strip():
        raise RequestError(400, "Request body is empty; send the input features as form fields or JSON.")
    return body


def content_type(request: Any) -> str:
    """The media type of the request body, lower case, without parameters ("" when none is declared)."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _unsupported(kind: str, accepted: str) -> RequestError:
    if not kind:
        return RequestError(415, f"The request declares no content type; send the body as {accepted}.")
    return RequestError(415, f"Unsupported content type {kind!r}; send the body as {accepted}.")


async def read_json(request: Any, max_payload_bytes: int) -> Any:
    """The JSON value of the request body; answers 415 when a content type other than JSON is declared."""
    body = await read_body(request, max_payload_bytes)
    kind = content_type(request)
    if kind not in ("", "application/json"):
        raise _unsupported(kind, "application/json")
    return parse_json(body, "Request body")


def read_form(request: Any, body: bytes) -> dict[str, str]:
    """The fields of a form body (``body``, already read by ``read_body``); 415 for a body that is not a form."""
    header = request.headers.get("content-type", "")
    kind = content_type(request)
    if kind == "application/x-www-form-urlencoded":
        return parse_urlencoded(body, charset_of(header))
    if kind == "multipart/form-data":
        return parse_multipart(body, header)
    raise _unsupported(kind, "multipart/form-data or a urlencoded form")


def read_record(request: Any, body: bytes) -> dict[str, Any]:
    """The fields of a form body, or the object of a JSON body (``body``, already read by ``read_body``)."""
    if content_type(request) == "application/json":
        record = parse_json(body, "Request body")
        if not isinstance(record, dict):
            raise RequestError(400, "Request body must be a JSON object mapping input feature names to values.")
        return record
    if content_type(request) in FORM_CONTENT_TYPES:
        return read_form(request, body)
    raise _unsupported(content_type(request), "multipart/form-data, a urlencoded form or application/json")
