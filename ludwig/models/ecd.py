"""The encoder-combiner-decoder model."""

from __future__ import annotations

import re
from typing import Any

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from ludwig.combiners.registry import combiner_registry
from ludwig.features.feature_registries import input_type_registry, load_all_features, output_type_registry
from ludwig.modules.loss_balancing import LossBalancer, create_loss_balancer
from ludwig.modules.modality_dropout import ModalityDropout
from ludwig.utils.registry import import_submodules

COMBINER_OUTPUTS = "__combiner__"
"""Key of ``forward``'s outputs holding what the combiner adds to the training loss (never a feature name)."""
COMBINER_LOSS = "regularization_loss"
"""Key a combiner returns, while training, for a term of the loss (TabNet's sparsity penalty)."""


def module_keys(names: list[str]) -> dict[str, str]:
    """Unique ``nn.ModuleDict`` keys (no dots) for feature names; ``a.b`` and ``a_b`` get different keys."""
    keys: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        key = base = re.sub(r"[^0-9A-Za-z_]", "_", name)
        suffix = 1
        while key in used:
            key, suffix = f"{base}_{suffix}", suffix + 1
        keys[name] = key
        used.add(key)
    return keys


def tie_order(input_features: list) -> list:
    """Input features ordered so a feature comes after the feature whose encoder it is ``tied`` to."""
    by_name = {f.name: f for f in input_features}
    ordered, placed = [], set()

    def place(feature, chain=()):
        if feature.name in placed:
            return
        if feature.name in chain:
            raise ValueError(f"input_features: tied encoders form a cycle through {feature.name!r}.")
        if feature.tied:
            place(by_name[feature.tied], (*chain, feature.name))
        placed.add(feature.name)
        ordered.append(feature)

    for feature in input_features:
        place(feature)
    return ordered


def _load_components() -> None:
    load_all_features()
    for package in ("ludwig.encoders", "ludwig.combiners", "ludwig.decoders"):
        import_submodules(package)


def dependency_order(output_features: list) -> list:
    """Output features sorted so each comes after the features it depends on."""
    by_name = {f.name: f for f in output_features}
    ordered, visiting, done = [], set(), set()

    def visit(feature):
        if feature.name in done:
            return
        if feature.name in visiting:
            raise ValueError(f"output_features: dependency cycle through {feature.name!r}.")
        visiting.add(feature.name)
        for dependency in feature.dependencies:
            visit(by_name[dependency])
        visiting.discard(feature.name)
        done.add(feature.name)
        ordered.append(feature)

    for feature in output_features:
        visit(feature)
    return ordered


class ECD(nn.Module):
    """Input features (encoders) -> combiner -> output features (decoders).

    Args:
        config: the validated ``ModelConfig``.
        training_set_metadata: metadata of every feature, keyed by feature name.
    """

    def __init__(self, config, training_set_metadata: dict[str, Any]):
        super().__init__()
        _load_components()
        self.config = config
        self._keys = module_keys([f.name for f in config.input_features + config.output_features])
        built = {}
        for feature in tie_order(config.input_features):
            tied = built[feature.tied].encoder_obj if feature.tied else None
            feature_cls = input_type_registry[feature.type]
            built[feature.name] = feature_cls(feature, training_set_metadata[feature.name], encoder=tied)
        # Keep the config's order: it is the concatenation order of the combiner.
        self.input_features = nn.ModuleDict({self._keys[f.name]: built[f.name] for f in config.input_features})
        input_sizes = {f.name: f.output_size for f in self.input_features.values()}
        trainer = config.trainer
        # Only built when on, so the state dict of a model without it is unchanged.
        self.modality_dropout = (
            ModalityDropout(input_sizes, trainer.modality_dropout) if trainer.modality_dropout > 0 else None
        )
        combiner_cls = combiner_registry[config.combiner.type]
        # Combiners aligning sequences (sequence_concat, sequence) also read which inputs keep their steps.
        extra = {"input_features": built} if getattr(combiner_cls, "needs_input_features", False) else {}
        self.combiner = combiner_cls(config.combiner, input_sizes, **extra)
        self.gradient_checkpointing = bool(config.trainer.enable_gradient_checkpointing)
        self.output_features = nn.ModuleDict()
        for feature in dependency_order(config.output_features):
            input_size = self.combiner.output_size + sum(
                self.output_features[self._keys[d]].hidden_size for d in feature.dependencies
            )
            feature_cls = output_type_registry[feature.type]
            self.output_features[self._keys[feature.name]] = feature_cls(
                feature, training_set_metadata[feature.name], input_size
            )
        self.loss_balancer: LossBalancer = create_loss_balancer([f.name for f in config.output_features], trainer)

    def forward(self, inputs: dict[str, torch.Tensor]) -> dict[str, dict[str, torch.Tensor]]:
        """Map a batch (``proc_column`` -> tensor) to each output feature's ``logits`` and ``last_hidden``."""
        encoder_outputs = {
            feature.name: feature(inputs[feature.proc_column]) for feature in self.input_features.values()
        }
        if self.modality_dropout is not None:
            encoder_outputs = self.modality_dropout(encoder_outputs)
        if self.gradient_checkpointing and self.training:
            combiner_outputs = checkpoint(self.combiner, encoder_outputs, use_reentrant=False)
        else:
            combiner_outputs = self.combiner(encoder_outputs)
        combined = combiner_outputs["combiner_output"]
        outputs: dict[str, dict[str, torch.Tensor]] = {}
        for feature in self.output_features.values():
            hidden = combined
            if feature.config.dependencies:
                hidden = feature.with_dependencies(
                    combined, [outputs[d]["last_hidden"] for d in feature.config.dependencies]
                )
            if feature.uses_targets and self.training:
                # Teacher forcing: sequence generators read the targets while training.
                outputs[feature.name] = feature(hidden, inputs.get(feature.proc_column))
            else:
                outputs[feature.name] = feature(hidden)
        if self.training and COMBINER_LOSS in combiner_outputs:
            outputs[COMBINER_OUTPUTS] = {COMBINER_LOSS: combiner_outputs[COMBINER_LOSS]}
        return outputs

    def predictions(self, outputs: dict[str, dict[str, torch.Tensor]]) -> dict[str, dict[str, torch.Tensor]]:
        """Predictions (and probabilities) of every output feature from ``forward``'s outputs."""
        return {
            feature.name: feature.output_predictions(outputs[feature.name]) for feature in self.output_features.values()
        }

    def train_loss(
        self,
        inputs: dict[str, torch.Tensor],
        outputs: dict[str, dict[str, torch.Tensor]],
    ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The output features' losses combined by ``trainer.loss_balancing`` (by default their weighted sum), plus
        the combiner's own term if it returned one while training; and each feature's loss."""
        losses = {
            feature.name: feature.loss(outputs[feature.name]["logits"], inputs[feature.proc_column])
            for feature in self.output_features.values()
        }
        weights = {name: self.output_features[self._keys[name]].loss_weight for name in losses}
        total = self.loss_balancer(losses, weights)
        if COMBINER_OUTPUTS in outputs:
            total = total + outputs[COMBINER_OUTPUTS][COMBINER_LOSS]
        return total, losses

    def regularization_loss(self, regularization_type: str | None, regularization_lambda: float) -> torch.Tensor:
        """L1/L2 penalty over the trainable weights."""
        if not regularization_type or regularization_lambda == 0:
            return torch.zeros(())
        params = [p for p in self.parameters() if p.requires_grad]
        l1 = sum(p.abs().sum() for p in params) if regularization_type in ("l1", "l1_l2") else 0.0
        l2 = sum(p.pow(2).sum() for p in params) if regularization_type in ("l2", "l1_l2") else 0.0
        return regularization_lambda * (l1 + l2)

    def output_feature(self, name: str):
        return self.output_features[self._keys[name]]

    def input_feature(self, name: str):
        return self.input_features[self._keys[name]]
