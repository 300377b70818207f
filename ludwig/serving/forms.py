"""Form bodies (urlencoded and multipart) read into ``{field name: text}``, strictly.

The bytes of the body are already in memory (``ludwig.serving.bodies.read_body`` enforced the size limit), so both
readers work on them directly. Unlike a lenient form parser they never guess: a field whose bytes are not text in
the declared charset (UTF-8 unless the body or the part says otherwise), a file upload, a part without a name or a
body that is not a form at all answers 400, and the message names the field. Repeated fields keep the last value.
"""

import codecs
from typing import Any
from urllib.parse import unquote_to_bytes

from ludwig.serving.requests import RequestError

#: The most fields a form may hold (a record has one per input feature; the rest are ignored anyway).
MAX_FORM_FIELDS = 1000


def charset_of(content_type: str) -> str:
    """The codec named by the ``charset`` parameter of a ``Content-Type`` value (UTF-8 when none); 415 when unknown."""
    for parameter in content_type.split(";")[1:]:
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "charset":
            name = value.strip().strip('"')
            try:
                return codecs.lookup(name).name
            except LookupError:
                raise RequestError(415, f"Unknown charset {name!r} in the content type; send UTF-8.") from None
    return "utf-8"


def _text(raw: bytes, charset: str, what: str) -> str:
    try:
        return raw.decode(charset)
    except UnicodeDecodeError as e:
        raise RequestError(
            400, f"{what} is not {charset} text: byte {raw[e.start]:#04x} at position {e.start} cannot be decoded."
        ) from None


def _count(fields: dict[str, str]) -> None:
    if len(fields) >= MAX_FORM_FIELDS:
        raise RequestError(400, f"The form holds more than {MAX_FORM_FIELDS} fields.")


def parse_urlencoded(body: bytes, charset: str = "utf-8") -> dict[str, str]:
    """The fields of an ``application/x-www-form-urlencoded`` body; ``+`` and ``%XX`` decoded, then ``charset``."""
    fields: dict[str, str] = {}
    for pair in body.split(b"&"):
        if not pair.strip():
            continue
        raw_name, _, raw_value = pair.partition(b"=")
        name = _text(unquote_to_bytes(raw_name.replace(b"+", b" ")), charset, "A form field name")
        fields[name] = _text(unquote_to_bytes(raw_value.replace(b"+", b" ")), charset, f"Form field {name!r}")
        _count(fields)
    return fields


def _multipart_module() -> Any:
    try:
        import python_multipart as multipart
    except ImportError:  # python-multipart before 0.0.13 is imported as `multipart`
        import multipart
    return multipart


class _Parts:
    """The callbacks of ``python_multipart.MultipartParser``, collecting the fields of one body."""

    def __init__(self, parse_options_header: Any, charset: str):
        self.parse_options_header = parse_options_header
        self.charset = charset
        self.fields: dict[str, str] = {}
        self.header_name = self.header_value = b""
        self.headers: dict[bytes, bytes] = {}
        self.data = bytearray()

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
        }

    def on_part_begin(self) -> None:
        self.headers, self.data = {}, bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        self.headers[self.header_name.strip().lower()] = self.header_value.strip()
        self.header_name = self.header_value = b""

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        self.data += data[start:end]

    def on_part_end(self) -> None:
        _, options = self.parse_options_header(self.headers.get(b"content-disposition", b"").decode("latin-1"))
        if b"name" not in options:
            raise RequestError(400, "A part of the multipart form has no field name (Content-Disposition 'name').")
        name = _text(options[b"name"], "utf-8", "A form field name")
        if b"filename" in options:
            raise RequestError(400, f"Field {name!r} is a file upload; file inputs are not supported by this server.")
        declared = self.headers.get(b"content-type", b"").decode("latin-1")
        charset = charset_of(declared) if "charset" in declared.lower() else self.charset
        self.fields[name] = _text(bytes(self.data), charset, f"Form field {name!r}")
        _count(self.fields)


def parse_multipart(body: bytes, content_type: str) -> dict[str, str]:
    """The fields of a ``multipart/form-data`` body whose ``Content-Type`` header is ``content_type``."""
    multipart = _multipart_module()
    _, options = multipart.multipart.parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if not boundary:
        raise RequestError(400, "The multipart content type declares no boundary.")
    parts = _Parts(multipart.multipart.parse_options_header, charset_of(content_type))
    parser = multipart.MultipartParser(boundary, parts.callbacks())
    try:
        parser.write(body)
        parser.finalize()
    except RequestError:
        raise
    except Exception as e:  # the parser's own errors: a body that is not multipart with this boundary
        raise RequestError(400, f"Request body is not a valid multipart form: {e}.") from None
    if not parts.fields:
        raise RequestError(400, "The multipart form holds no field; send one per input feature.")
    return parts.fields
