"""Registry of decoder modules by feature type and name (the names match ``ludwig.schema.decoders``)."""

from ludwig.utils.registry import TypedRegistry

decoder_registry: TypedRegistry = TypedRegistry("decoder")
