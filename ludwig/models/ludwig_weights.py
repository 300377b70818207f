"""Reading the weights of a model folder trained by Ludwig 0.17 into this version's modules.

Ludwig and this version build the same functions from the same config, with a different module layout. The
mapping, name by name (``<f>`` a feature name; ``i``, ``j`` layer indices):

======================================================================  ==============================================
Ludwig                                                                  here
======================================================================  ==============================================
``input_features.module_dict.<f>__ludwig.``                             ``input_features.<f>.``
``output_features.module_dict.<f>__ludwig.``                            ``output_features.<f>.``
``decoder_obj.dense.dense.``                                            ``decoder_obj.projection.``
``fc_stack.stack.{i}.layers.0.``                                        ``fc_stack.layers.{i}.linear.``
``encoder_obj.embed_sequence.``                                         ``encoder_obj.embed.``
``parallel_conv1d.parallel_layers.{i}.layers.0.``                       ``convolutions.layers.{i}.conv.``
``transformer_stack.layers.{i}.``                                       ``transformer_stack.blocks.{i}.``
``fully_connected.{j}.``                                                ``feed_forward.{j}.``
``self_attention.combine_heads.``                                       ``self_attention.projection.``
``self_attention.{query,key,value}_dense``                              ``self_attention.qkv`` (the three concatenated)
``combiner.projectors.{i}`` (one ``Linear`` per input, ``ft_transformer``)  ``combiner.tokenizer.groups.{g}`` (inputs
                                                                        stacked by input size, in input order)
======================================================================  ==============================================

Ludwig's sequence encoders compute over the padding steps as over any other (a ``sum`` reduction adds the
padding's activations); this version masks them out. A model reading Ludwig's weights turns that masking off
(:func:`compute_as_ludwig`), so it computes Ludwig's function. Saved again here, it masks once more.

Parameters only this version has (an output feature's ``temperature``, 1 until calibrated) keep the value the
model was built with. Any other key left over on either side is an error naming it: a model that loaded half of
its weights would predict nonsense without saying so.
"""

from __future__ import annotations

import re
from collections import defaultdict

import torch
from torch import nn

_FEATURE_PREFIX = re.compile(r"^(input|output)_features\.module_dict\.(.+?)__ludwig\.")

_RENAMES: tuple[tuple[re.Pattern, str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"\.decoder_obj\.dense\.dense\.", ".decoder_obj.projection."),
        (r"fc_stack\.stack\.(\d+)\.layers\.0\.", r"fc_stack.layers.\1.linear."),
        (r"\.encoder_obj\.embed_sequence\.", ".encoder_obj.embed."),
        (r"parallel_conv1d\.parallel_layers\.(\d+)\.layers\.0\.", r"convolutions.layers.\1.conv."),
        (r"transformer_stack\.layers\.(\d+)\.", r"transformer_stack.blocks.\1."),
        (r"\.fully_connected\.(\d+)\.", r".feed_forward.\1."),
        (r"\.self_attention\.combine_heads\.", ".self_attention.projection."),
    )
)

_ATTENTION_PART = re.compile(r"^(.*\.self_attention)\.(query|key|value)_dense\.(weight|bias)$")
_PROJECTOR = re.compile(r"^combiner\.projectors\.(\d+)\.(weight|bias)$")

# Parameters this version adds to Ludwig's modules; they keep the values the model was built with.
_OWN_PARAMETERS = re.compile(r"^output_features\.[^.]+\.temperature$")


def is_ludwig_state_dict(state: dict[str, torch.Tensor]) -> bool:
    """Whether a state dict was saved by Ludwig (its feature modules live under ``module_dict.<name>__ludwig``)."""
    return any(_FEATURE_PREFIX.match(key) for key in state)


def _rename(key: str) -> str:
    key = _FEATURE_PREFIX.sub(lambda m: f"{m.group(1)}_features.{m.group(2)}.", key)
    for pattern, replacement in _RENAMES:
        key = pattern.sub(replacement, key)
    return key


def _fuse_attention(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    parts: dict[tuple[str, str], dict[str, torch.Tensor]] = defaultdict(dict)
    fused = {}
    for key, tensor in state.items():
        match = _ATTENTION_PART.match(key)
        if match:
            parts[(match.group(1), match.group(3))][match.group(2)] = tensor
        else:
            fused[key] = tensor
    for (prefix, kind), tensors in parts.items():
        missing = {"query", "key", "value"} - tensors.keys()
        if missing:
            raise ValueError(f"Ludwig weights: {prefix} has no {sorted(missing)}_dense.{kind}.")
        fused[f"{prefix}.qkv.{kind}"] = torch.cat([tensors["query"], tensors["key"], tensors["value"]])
    return fused


def _stack_projectors(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    projectors: dict[int, dict[str, torch.Tensor]] = defaultdict(dict)
    stacked = {}
    for key, tensor in state.items():
        match = _PROJECTOR.match(key)
        if match:
            projectors[int(match.group(1))][match.group(2)] = tensor
        else:
            stacked[key] = tensor
    groups: dict[int, list[dict[str, torch.Tensor]]] = {}
    for index in sorted(projectors):
        projector = projectors[index]
        groups.setdefault(projector["weight"].shape[1], []).append(projector)
    for g, members in enumerate(groups.values()):
        stacked[f"combiner.tokenizer.groups.{g}.weight"] = torch.stack([p["weight"].T for p in members])
        stacked[f"combiner.tokenizer.groups.{g}.bias"] = torch.stack([p["bias"] for p in members])
    return stacked


def convert_ludwig_state_dict(state: dict[str, torch.Tensor], model: nn.Module) -> dict[str, torch.Tensor]:
    """Ludwig's state dict laid out as ``model``'s, ready for ``model.load_state_dict``.

    Raises:
        ValueError: a Ludwig weight has no place in ``model``, a weight of ``model`` has none in Ludwig's, or the
            shapes differ; the message names the keys.
    """
    converted = _stack_projectors(_fuse_attention({_rename(key): tensor for key, tensor in state.items()}))
    expected = model.state_dict()
    unplaced = sorted(set(converted) - set(expected))
    missing = sorted(k for k in set(expected) - set(converted) if not _OWN_PARAMETERS.match(k))
    mismatched = sorted(
        f"{k}: Ludwig {tuple(converted[k].shape)}, here {tuple(expected[k].shape)}"
        for k in set(converted) & set(expected)
        if converted[k].shape != expected[k].shape
    )
    problems = [
        *(f"Ludwig's weight {k!r} has no counterpart here" for k in unplaced),
        *(f"no Ludwig weight for {k!r}" for k in missing),
        *(f"shape differs for {m}" for m in mismatched),
    ]
    if problems:
        listed = "\n  - ".join(problems)
        raise ValueError(f"These Ludwig 0.17 weights do not fit the model built from their config:\n  - {listed}")
    for key in set(expected) - set(converted):
        converted[key] = expected[key]
    return converted


def compute_as_ludwig(model: nn.Module) -> None:
    """Make ``model``'s sequence encoders compute over padding steps, as the Ludwig that trained it did."""
    from ludwig.encoders.sequence_encoders import SequenceEncoder

    for module in model.modules():
        if isinstance(module, SequenceEncoder):
            module.masks_padding = False
