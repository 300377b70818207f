"""Render the config schema as Markdown: every section, its keys, defaults, allowed values and descriptions.

Generated from the same dataclass declarations that validate configs, so the reference cannot drift.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ludwig.schema import utils as su


def _default(field: dataclasses.Field) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        value = field.default_factory()
        return None if isinstance(value, su.BaseConfig) else value
    return dataclasses.MISSING


def _type_names(marshmallow_field: su.TypeSelectionField) -> list[str]:
    """The registered types of a section: the default first, then by name (not by import order)."""
    default = marshmallow_field.default_type
    names = sorted(name for name in marshmallow_field.registry if name != default)
    return [default, *names] if default in marshmallow_field.registry else names


def _summary(config_cls: type[su.BaseConfig]) -> str:
    """The first line of the section's docstring (a dataclass without one gets its signature: not shown)."""
    doc = (config_cls.__doc__ or "").strip()
    return "" if doc.startswith(f"{config_cls.__name__}(") else doc.split("\n")[0]


def _allowed(field: dataclasses.Field) -> str:
    marshmallow_field = field.metadata["marshmallow_field"]
    if isinstance(marshmallow_field, su.TypeSelectionField):
        return "`type`: " + ", ".join(f"`{name}`" for name in _type_names(marshmallow_field))
    validator = marshmallow_field.validate
    closure = getattr(validator, "__closure__", None) or ()
    for cell in closure:
        contents = cell.cell_contents
        if isinstance(contents, list) and contents:
            return ", ".join(f"`{v}`" for v in contents)
    return ""


def section_table(config_cls: type[su.BaseConfig]) -> str:
    """A Markdown table of one section's keys."""
    rows = ["| key | default | allowed | description |", "|---|---|---|---|"]
    for field in dataclasses.fields(config_cls):
        default = _default(field)
        if default is dataclasses.MISSING:
            shown = "required"
        else:
            shown = "(section)" if default is None and _is_section(field) else f"`{default!r}`"
        description = field.metadata.get("description", "").replace("|", "\\|")
        rows.append(f"| `{field.name}` | {shown} | {_allowed(field)} | {description} |")
    return "\n".join(rows)


def _is_section(field: dataclasses.Field) -> bool:
    return isinstance(field.metadata["marshmallow_field"], su.NestedConfigField | su.TypeSelectionField)


def _subsections(config_cls: type[su.BaseConfig], path: str) -> list[tuple[str, type[su.BaseConfig]]]:
    found = []
    for field in dataclasses.fields(config_cls):
        marshmallow_field = field.metadata["marshmallow_field"]
        if isinstance(marshmallow_field, su.NestedConfigField):
            found.append((f"{path}.{field.name}", marshmallow_field.config_cls))
        elif isinstance(marshmallow_field, su.TypeSelectionField):
            for name in _type_names(marshmallow_field):
                found.append((f"{path}.{field.name} (type: {name})", marshmallow_field.registry[name]))
    return found


def render_reference(root: type[su.BaseConfig], title: str, root_path: str = "config") -> str:
    """Markdown for ``root`` and every section reachable from it, each rendered once per path."""
    lines = [f"# {title}", "", "Generated from `ludwig/schema` by `scripts/generate_config_docs.py`.", ""]
    queue = [(root_path, root)]
    seen: set[tuple[str, type]] = set()
    while queue:
        path, config_cls = queue.pop(0)
        if (path, config_cls) in seen:
            continue
        seen.add((path, config_cls))
        lines += [
            f"## `{path}`",
            "",
            _summary(config_cls),
            "",
            section_table(config_cls),
            "",
        ]
        queue.extend(_subsections(config_cls, path))
    return "\n".join(lines)


def render_feature_reference() -> str:
    """Markdown for every input and output feature type."""
    from ludwig.schema.features.base import input_feature_config_registry, output_feature_config_registry

    parts = []
    for kind, registry in (
        ("input_features", input_feature_config_registry),
        ("output_features", output_feature_config_registry),
    ):
        for name in sorted(registry):
            parts.append(render_reference(registry[name], f"{kind}: {name}", root_path=f"{kind}[type={name}]"))
    return "\n\n".join(parts)
