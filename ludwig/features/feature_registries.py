"""Feature classes by type: data mixins, input modules, output modules."""

from ludwig.utils.registry import Registry, import_submodules

base_type_registry: Registry = Registry("feature type")
input_type_registry: Registry = Registry("input feature type")
output_type_registry: Registry = Registry("output feature type")


def register_feature(feature_type: str, mixin, input_cls=None, output_cls=None) -> None:
    base_type_registry.register(feature_type)(mixin)
    if input_cls is not None:
        input_type_registry.register(feature_type)(input_cls)
    if output_cls is not None:
        output_type_registry.register(feature_type)(output_cls)


def load_all_features() -> None:
    """Import every feature module so the registries are filled."""
    import_submodules("ludwig.features")
