"""The committed configuration reference is exactly what the schema renders."""

from pathlib import Path

from ludwig.schema.docs import render_feature_reference, render_reference
from ludwig.schema.model_config import ModelConfig

DOCS = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_configuration_reference_is_up_to_date():
    expected = render_reference(ModelConfig, "Configuration reference") + "\n\n" + render_feature_reference() + "\n"
    assert DOCS.read_text() == expected, "Run `python scripts/generate_config_docs.py` and commit docs/."


def test_reference_lists_defaults_and_allowed_values():
    text = render_reference(ModelConfig, "Configuration reference")
    assert "| `epochs` | `100` |" in text
    assert "`type`: `concat`" in text
    assert "## `config.trainer.optimizer (type: adam)`" in text
