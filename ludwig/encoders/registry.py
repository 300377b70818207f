"""Registry of encoder modules by feature type and name (the names match ``ludwig.schema.encoders``)."""

from ludwig.utils.registry import TypedRegistry

encoder_registry: TypedRegistry = TypedRegistry("encoder")
