"""The building blocks of every config section.

A config section is a dataclass deriving from :class:`BaseConfig`. Each of its fields is declared with one
of the helpers below (``Integer``, ``FloatRange``, ``StringOptions``, ``Nested``, ``TypeSelection``...), which
records the default, the marshmallow field that validates user input and a description. From that single
declaration we derive validation, defaults, ``render_config``, the JSON schema and the docs.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

from marshmallow import RAISE, Schema, ValidationError, fields

from ludwig.schema.ludwig_rendered_keys import LUDWIG_RENDERED_KEYS, check_rendered_key
from ludwig.utils.registry import Registry, did_you_mean

C = TypeVar("C", bound="BaseConfig")

_MISSING = dataclasses.MISSING


class BaseConfig:
    """Base of all config dataclasses.

    Subclasses are decorated with :func:`config_class`; every field must be declared through :func:`config_field`
    (or one of the helpers built on it) so it carries its marshmallow field. ``__init__``, ``__repr__`` and
    ``__eq__`` are defined once here rather than generated per class: the schema has about 160 sections, and
    generating their methods took most of the time of importing it, which every command pays before it can say
    that a config is wrong.
    """

    _schema_cache: ClassVar[dict[type, Schema]] = {}

    def __init__(self, **values: Any):
        for f in dataclasses.fields(self):
            if f.name in values:
                value = values.pop(f.name)
            elif f.default is not _MISSING:
                value = f.default
            elif f.default_factory is not _MISSING:
                value = f.default_factory()
            else:
                raise TypeError(f"{type(self).__name__}() is missing the required argument {f.name!r}.")
            setattr(self, f.name, value)
        if values:
            raise TypeError(f"{type(self).__name__}() got unexpected arguments {sorted(values)}.")
        post_init = getattr(self, "__post_init__", None)
        if post_init is not None:
            post_init()

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self))
        return f"{type(self).__name__}({shown})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, f.name) == getattr(other, f.name) for f in dataclasses.fields(self))

    __hash__ = None  # mutable, like a dataclass with eq

    @classmethod
    def get_schema(cls) -> Schema:
        """The marshmallow schema validating this section (built once per class)."""
        schema = BaseConfig._schema_cache.get(cls)
        if schema is None:
            declared = {f.name: f.metadata["marshmallow_field"] for f in dataclasses.fields(cls)}
            schema_cls = Schema.from_dict(declared, name=f"{cls.__name__}Schema")
            schema = schema_cls(unknown=RAISE)
            BaseConfig._schema_cache[cls] = schema
        return schema

    @classmethod
    def from_dict(cls: type[C], data: Mapping[str, Any] | None) -> C:
        """Validate ``data`` and build the config, filling every default.

        Raises:
            marshmallow.ValidationError: with messages nested by field name and list index.
        """
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise ValidationError([f"Expected a mapping, found {type(data).__name__} {data!r}."])
        known = [f.name for f in dataclasses.fields(cls)]
        errors: dict[str, Any] = {}
        for key in data:
            if key in known:
                continue
            if key in LUDWIG_RENDERED_KEYS:
                problem = check_rendered_key(key, data[key])
                if problem is not None:
                    errors[key] = [problem]
                continue
            errors[key] = [f"Unknown parameter {key!r}; expected one of {sorted(known)}.{did_you_mean(key, known)}"]
        try:
            loaded = cls.get_schema().load({k: v for k, v in data.items() if k in known})
        except ValidationError as e:
            errors.update(e.messages if isinstance(e.messages, dict) else {"_schema": e.messages})
        if errors:
            raise ValidationError(errors)
        return cls(**loaded)

    def to_dict(self) -> dict[str, Any]:
        """The fully rendered section as plain Python data (``name`` and ``type`` first, for readability)."""
        names = sorted(
            (f.name for f in dataclasses.fields(self)), key=lambda n: _LEADING_KEYS.get(n, len(_LEADING_KEYS))
        )
        return {name: _to_plain(getattr(self, name)) for name in names}

    @classmethod
    def field_descriptions(cls) -> dict[str, str]:
        return {f.name: f.metadata.get("description", "") for f in dataclasses.fields(cls)}

    def copy(self: C) -> C:
        return copy.deepcopy(self)


_LEADING_KEYS = {"name": 0, "type": 1, "column": 2}


def _to_plain(value: Any) -> Any:
    if isinstance(value, BaseConfig):
        return value.to_dict()
    if isinstance(value, list | tuple):
        return [_to_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_plain(v) for k, v in value.items()}
    return value


def config_class(cls: type | None = None, /, **options: Any) -> Any:
    """``@dataclass`` for a :class:`BaseConfig` subclass, using the methods ``BaseConfig`` defines once.

    ``options`` are ``dataclasses.dataclass`` options other than ``init``, ``repr`` and ``eq``.
    """

    def wrap(section: type) -> type:
        if not issubclass(section, BaseConfig):
            raise TypeError(f"@config_class decorates BaseConfig subclasses; {section.__name__} is not one.")
        return dataclasses.dataclass(section, init=False, repr=False, eq=False, **options)

    return wrap if cls is None else wrap(cls)


def make_config_class(name: str, fields: list[tuple[str, Any, Any]], **options: Any) -> type:
    """``dataclasses.make_dataclass`` for a :class:`BaseConfig` subclass (``bases`` defaults to BaseConfig)."""
    options.setdefault("bases", (BaseConfig,))
    return dataclasses.make_dataclass(name, fields, init=False, repr=False, eq=False, **options)


def config_field(
    default: Any = _MISSING,
    marshmallow_field: fields.Field | None = None,
    description: str = "",
    default_factory: Callable[[], Any] | None = None,
) -> Any:
    """Declare a config field: its default, the marshmallow field validating it and a description."""
    if default_factory is not None:
        marshmallow_field.load_default = default_factory
        return dataclasses.field(
            default_factory=default_factory,
            metadata={"marshmallow_field": marshmallow_field, "description": description},
        )
    if default is _MISSING:
        marshmallow_field.required = True
        return dataclasses.field(metadata={"marshmallow_field": marshmallow_field, "description": description})
    if isinstance(default, list | dict):
        return config_field(
            marshmallow_field=marshmallow_field, description=description, default_factory=lambda: copy.deepcopy(default)
        )
    marshmallow_field.load_default = default
    return dataclasses.field(
        default=default, metadata={"marshmallow_field": marshmallow_field, "description": description}
    )


# ---------------------------------------------------------------------------------------------------------
# Scalar fields. Every validation message includes the value found and what is allowed.


#: Bounds of every integer field unless it declares tighter ones: beyond them a value overflows the 64-bit
#: integers torch and numpy hold sizes, counts and h3 cells in, so it can only be a mistake.
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
#: Upper bound of layer and head counts: a deeper stack is a typo that would spend minutes building layers.
MAX_LAYERS = 1024
#: Upper bound of layer widths (units, filters, embedding sizes): a wider layer cannot fit in memory.
MAX_WIDTH = 2**20


def _describe(value: Any) -> str:
    """``value`` as error messages show it: its type, then its repr (``float 1e+308``)."""
    names = {bool: "boolean", str: "string", float: "float", int: "integer", list: "list", dict: "mapping"}
    return f"{names.get(type(value), type(value).__name__)} {value!r}"


def strict_integer(value: Any) -> int:
    """``value`` when it is an ``int`` (not a bool, a float or a string).

    Raises:
        ValidationError: saying what was found.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ValidationError(f"Expected an integer, found {_describe(value)}.")


def finite_number(value: Any) -> float:
    """``value`` as a finite float; numeric strings are read (YAML reads ``1e-3`` as a string).

    Raises:
        ValidationError: for booleans, non-numeric strings, NaN and infinities.
    """
    number = value
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            raise ValidationError(f"Expected a number, found {_describe(value)}.") from None
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(f"Expected a number, found {_describe(value)}.")
    if not math.isfinite(number):
        raise ValidationError(f"Expected a finite number, found {value!r}.")
    return float(number)


class _StrictInteger(fields.Field):
    """An integer: refuses booleans, floats (even ``1e308`` or ``2.0``) and strings."""

    def _deserialize(self, value, attr, data, **kwargs):
        return strict_integer(value)


class _StrictFloat(fields.Field):
    """A finite number: refuses booleans, NaN and infinities (``inf``, ``Infinity``)."""

    def _deserialize(self, value, attr, data, **kwargs):
        return finite_number(value)


class _StrictBoolean(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            return value
        raise ValidationError(f"Expected true or false, found {value!r}.")


class _StrictString(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError(f"Expected a string, found {type(value).__name__} {value!r}.")
        return value


def _range_validator(min: float | None, max: float | None, min_inclusive=True, max_inclusive=True):
    def check(value):
        if value is None:
            return
        low_ok = min is None or (value >= min if min_inclusive else value > min)
        high_ok = max is None or (value <= max if max_inclusive else value < max)
        if not (low_ok and high_ok):
            raise ValidationError(f"Value {value!r} is out of range; expected a value {describe_range()}.")

    def describe_range() -> str:
        # The 64-bit integer bounds every integer field has are left unsaid unless they are the only ones.
        low = None if min == INT_MIN and max != INT_MAX else min
        high = None if max == INT_MAX and min != INT_MIN else max
        if low is None:
            return f"<= {high}" if max_inclusive else f"< {high}"
        if high is None:
            return f">= {low}" if min_inclusive else f"> {low}"
        return f"in {'[' if min_inclusive else '('}{low}, {high}{']' if max_inclusive else ')'}"

    return check


def _options_validator(options: list[Any]):
    def check(value):
        if value is None and None in options:
            return
        if value not in options:
            shown = [o for o in options if o is not None]
            raise ValidationError(
                f"Value {value!r} is not allowed; expected one of {shown}.{did_you_mean(value, map(str, shown))}"
            )

    return check


def Integer(
    default: Any = _MISSING,
    min: int = INT_MIN,
    max: int = INT_MAX,
    allow_none: bool = False,
    description: str = "",
) -> Any:
    """An integer field within ``[min, max]`` (by default the 32-bit range)."""
    return config_field(
        default, _StrictInteger(validate=_range_validator(min, max), allow_none=allow_none), description
    )


def PositiveInteger(
    default: Any = _MISSING, allow_none: bool = False, max: int = INT_MAX, description: str = ""
) -> Any:
    """An integer field ``>= 1``."""
    return Integer(default, min=1, max=max, allow_none=allow_none, description=description)


def NonNegativeInteger(
    default: Any = _MISSING, allow_none: bool = False, max: int = INT_MAX, description: str = ""
) -> Any:
    """An integer field ``>= 0``."""
    return Integer(default, min=0, max=max, allow_none=allow_none, description=description)


def Float(
    default: Any = _MISSING,
    min: float | None = None,
    max: float | None = None,
    allow_none: bool = False,
    min_inclusive: bool = True,
    max_inclusive: bool = True,
    description: str = "",
) -> Any:
    check = _range_validator(min, max, min_inclusive, max_inclusive)
    return config_field(default, _StrictFloat(validate=check, allow_none=allow_none), description)


def NonNegativeFloat(default: Any = _MISSING, allow_none: bool = False, description: str = "") -> Any:
    return Float(default, min=0.0, allow_none=allow_none, description=description)


def FloatRange(
    default: Any = _MISSING, min: float = 0.0, max: float = 1.0, allow_none: bool = False, description: str = ""
) -> Any:
    return Float(default, min=min, max=max, allow_none=allow_none, description=description)


def Boolean(default: Any = _MISSING, allow_none: bool = False, description: str = "") -> Any:
    return config_field(default, _StrictBoolean(allow_none=allow_none), description)


def String(default: Any = _MISSING, allow_none: bool = False, description: str = "") -> Any:
    return config_field(default, _StrictString(allow_none=allow_none), description)


def StringOptions(options: list[Any], default: Any = _MISSING, allow_none: bool = False, description: str = "") -> Any:
    allowed = list(options) + ([None] if allow_none and None not in options else [])
    return config_field(default, fields.Raw(validate=_options_validator(allowed), allow_none=allow_none), description)


def ProtectedString(value: str, description: str = "") -> Any:
    """A field whose only allowed value is ``value`` (the ``type`` of a registered section)."""
    return StringOptions([value], default=value, description=description)


class _IntOrAuto(fields.Field):
    def __init__(self, min: int | None, extra: list[Any], **kwargs):
        super().__init__(**kwargs)
        self._check = _range_validator(min, INT_MAX)
        self._extra = extra

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and value in self._extra:
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            self._check(value)
            return value
        allowed = " or ".join(repr(e) for e in self._extra)
        raise ValidationError(f"Expected an integer or {allowed}, found {_describe(value)}.")


def IntegerOrAuto(
    default: Any = "auto",
    min: int | None = 1,
    allow_none: bool = False,
    extra: tuple[Any, ...] = ("auto",),
    description: str = "",
) -> Any:
    """An integer or one of the ``extra`` strings (usually ``"auto"``)."""
    return config_field(default, _IntOrAuto(min, list(extra), allow_none=allow_none), description)


class _FloatOrAuto(fields.Field):
    def __init__(self, min: float | None, max: float | None, **kwargs):
        super().__init__(**kwargs)
        self._check = _range_validator(min, max)

    def _deserialize(self, value, attr, data, **kwargs):
        if value == "auto":
            return value
        try:
            number = finite_number(value)
        except ValidationError:
            raise ValidationError(f"Expected a finite number or 'auto', found {_describe(value)}.") from None
        self._check(number)
        return number


def FloatOrAuto(
    default: Any = "auto",
    min: float | None = None,
    max: float | None = None,
    allow_none: bool = False,
    description: str = "",
) -> Any:
    return config_field(default, _FloatOrAuto(min, max, allow_none=allow_none), description)


class _ListField(fields.List):
    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, tuple):
            value = list(value)
        if not isinstance(value, list):
            raise ValidationError(f"Expected a list, found {type(value).__name__} {value!r}.")
        return super()._deserialize(value, attr, data, **kwargs)


def List(
    inner: fields.Field | None = None, default: Any = _MISSING, allow_none: bool = False, description: str = ""
) -> Any:
    return config_field(default, _ListField(inner or fields.Raw(allow_none=True), allow_none=allow_none), description)


class _DictField(fields.Dict):
    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, Mapping):
            raise ValidationError(f"Expected a mapping, found {type(value).__name__} {value!r}.")
        return super()._deserialize(value, attr, data, **kwargs)


def Dict(default: Any = _MISSING, allow_none: bool = False, description: str = "") -> Any:
    return config_field(default, _DictField(allow_none=allow_none), description)


def Raw(default: Any = None, allow_none: bool = True, description: str = "") -> Any:
    """Any value; used for sections validated elsewhere (``hyperopt``) or free-form parameters."""
    return config_field(default, fields.Raw(allow_none=allow_none), description)


# ---------------------------------------------------------------------------------------------------------
# Nested sections.


class _LayerListField(fields.Field):
    """A list of per-layer overrides (``fc_layers``, ``conv_layers``): each a mapping checked by a layer config.

    The items are kept as written (no defaults filled), since a key a layer leaves out takes the value of the
    enclosing section.
    """

    def __init__(self, layer_cls: type[BaseConfig], **kwargs):
        super().__init__(**kwargs)
        self.layer_cls = layer_cls

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list | tuple):
            raise ValidationError(f"Expected a list of per-layer mappings, found {_describe(value)}.")
        errors: dict[int, Any] = {}
        for i, layer in enumerate(value):
            if not isinstance(layer, Mapping):
                errors[i] = [f"Expected a mapping of layer parameters, found {_describe(layer)}."]
                continue
            try:
                self.layer_cls.from_dict(layer)
            except ValidationError as e:
                errors[i] = e.messages
        if errors:
            raise ValidationError(errors)
        return [dict(layer) for layer in value]


def LayerList(layer_cls: type[BaseConfig], description: str = "") -> Any:
    """An optional list of per-layer mappings whose keys and values ``layer_cls`` validates (default None)."""
    return config_field(None, _LayerListField(layer_cls, allow_none=True), description)


class NestedConfigField(fields.Field):
    """A nested config section of a fixed class."""

    def __init__(self, config_cls: type[BaseConfig], **kwargs):
        super().__init__(**kwargs)
        self.config_cls = config_cls

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, self.config_cls):
            return value
        return self.config_cls.from_dict(value)


def Nested(config_cls: type[BaseConfig], allow_none: bool = False, description: str = "") -> Any:
    return config_field(
        marshmallow_field=NestedConfigField(config_cls, allow_none=allow_none),
        description=description,
        default_factory=lambda: config_cls.from_dict({}),
    )


class TypeSelectionField(fields.Field):
    """A nested section whose class is chosen by its ``type`` key from a registry of config classes."""

    def __init__(self, registry: Registry, default_type: str | None, key: str = "type", **kwargs):
        super().__init__(**kwargs)
        self.registry = registry
        self.default_type = default_type
        self.key = key

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, BaseConfig):
            return value
        if isinstance(value, str):  # shorthand: ``encoder: dense``
            value = {self.key: value}
        if not isinstance(value, Mapping):
            raise ValidationError(f"Expected a mapping with a '{self.key}' key, found {value!r}.")
        type_name = value.get(self.key, self.default_type)
        if type_name is None:
            raise ValidationError({self.key: [f"Missing '{self.key}'; expected one of {sorted(self.registry)}."]})
        if type_name not in self.registry:
            raise ValidationError({self.key: [self.registry.unknown_message(type_name)]})
        return self.registry[type_name].from_dict({**value, self.key: type_name})


def TypeSelection(
    registry: Registry, default_type: str | None, allow_none: bool = False, key: str = "type", description: str = ""
) -> Any:
    def default():
        return None if default_type is None else registry[default_type].from_dict({})

    return config_field(
        marshmallow_field=TypeSelectionField(registry, default_type, key=key, allow_none=allow_none),
        description=description,
        default_factory=default,
    )


# ---------------------------------------------------------------------------------------------------------
# Turning marshmallow's nested messages into "path: message" lines.


def flatten_errors(messages: Any, path: str = "") -> list[str]:
    """Flatten marshmallow's nested error messages into ``path: message`` lines.

    Dict keys become dotted names and list indices become ``[i]``, e.g. ``input_features[2].encoder.type``.
    """
    lines: list[str] = []
    if isinstance(messages, dict):
        for key, sub in messages.items():
            lines.extend(flatten_errors(sub, path if key == "_schema" else _join(path, key)))
    elif isinstance(messages, list):
        for message in messages:
            if isinstance(message, dict | list):
                lines.extend(flatten_errors(message, path))
            else:
                lines.append(f"{path or '<config>'}: {message}")
    else:
        lines.append(f"{path or '<config>'}: {messages}")
    return lines


def _join(path: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)
