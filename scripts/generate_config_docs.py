"""Write docs/configuration.md from the config schema (run after changing anything in ludwig/schema)."""

from pathlib import Path

from ludwig.schema.docs import render_feature_reference, render_reference
from ludwig.schema.model_config import ModelConfig

OUTPUT = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


def main() -> None:
    text = render_reference(ModelConfig, "Configuration reference") + "\n\n" + render_feature_reference() + "\n"
    OUTPUT.write_text(text)
    print(f"Wrote {OUTPUT}")


if __name__ == "__main__":
    main()
