"""Registry of combiner modules by name (the names match ``ludwig.schema.combiners``)."""

from ludwig.utils.registry import Registry

combiner_registry: Registry = Registry("combiner")
