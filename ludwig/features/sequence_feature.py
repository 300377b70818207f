"""Sequence features: token lists mapped to padded id matrices over a frequency-ordered vocabulary."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch

from ludwig.constants import LOGITS, PREDICTIONS, PROBABILITIES, PROBABILITY, SEQUENCE
from ludwig.error import InputDataError
from ludwig.features.base_feature import BaseFeatureMixin, InputFeature, OutputFeature, loss_with_class_weights
from ludwig.features.category_feature import whole_floats_as_ints
from ludwig.features.feature_registries import register_feature
from ludwig.utils import strings_utils
from ludwig.utils.tokenizers import Tokenizer


def _tokenizer(config) -> Tokenizer:
    preprocessing = config.preprocessing
    try:
        return strings_utils.tokenizer_from_preprocessing(preprocessing)
    except (ValueError, FileNotFoundError, KeyError) as e:
        message = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
        raise InputDataError(config.column, config.type, f"preprocessing.tokenizer: {message}") from None


def _token_lists(config, column: pd.Series, tokenizer: Tokenizer) -> pd.Series:
    preprocessing = config.preprocessing
    return strings_utils.tokenize_sequences(
        column, tokenizer, preprocessing.lowercase, unknown_symbol=preprocessing.unknown_symbol
    )


class SequenceFeatureMixin(BaseFeatureMixin):
    """Sequence data handling; ``TextFeatureMixin`` reuses it with text defaults and extra metadata."""

    type = SEQUENCE

    @staticmethod
    def cast_column(column: pd.Series) -> pd.Series:
        # A column of single numbers read from a CSV with gaps is float: 3.0 is the token "3".
        return whole_floats_as_ints(column)

    @classmethod
    def vocabulary(cls, config, column: pd.Series) -> strings_utils.Vocabulary:
        """The vocabulary of the training rows of ``column``."""
        preprocessing = config.preprocessing
        if preprocessing.padding_symbol == preprocessing.unknown_symbol:
            raise InputDataError(
                config.column,
                config.type,
                "preprocessing.padding_symbol and preprocessing.unknown_symbol must differ; both are "
                f"{preprocessing.padding_symbol!r}.",
            )
        tokenizer = _tokenizer(config)
        tokens = _token_lists(config, column, tokenizer)
        compute_idf = bool(getattr(preprocessing, "compute_idf", False))
        if getattr(tokenizer, "produces_ids", False):
            return strings_utils.vocabulary_from_tokenizer(tokenizer, tokens, compute_idf=compute_idf)
        try:
            return strings_utils.create_vocabulary(
                tokens,
                most_common=preprocessing.most_common,
                vocab_file=preprocessing.vocab_file,
                padding_symbol=preprocessing.padding_symbol,
                unknown_symbol=preprocessing.unknown_symbol,
                lowercase=preprocessing.lowercase,
                compute_idf=compute_idf,
            )
        except (FileNotFoundError, ValueError) as e:
            raise InputDataError(config.column, config.type, f"preprocessing.{e}") from None

    @classmethod
    def metadata_from_vocabulary(cls, config, vocab: strings_utils.Vocabulary) -> dict[str, Any]:
        preprocessing = config.preprocessing
        width = strings_utils.sequence_width(
            vocab.max_sequence_length, preprocessing.max_sequence_length, preprocessing.sequence_length
        )
        return {
            "idx2str": vocab.idx2str,
            "str2idx": vocab.str2idx,
            "str2freq": vocab.str2freq,
            "vocab_size": len(vocab.idx2str),
            "max_sequence_length": width,
            "pad_idx": vocab.pad_idx,
            "padding_symbol": vocab.padding_symbol,
            "unknown_symbol": vocab.unknown_symbol,
        }

    @classmethod
    def get_feature_meta(cls, config, column: pd.Series, is_input_feature: bool) -> dict[str, Any]:
        return cls.metadata_from_vocabulary(config, cls.vocabulary(config, column))

    @staticmethod
    def feature_data(config, column: pd.Series, metadata: dict[str, Any]) -> np.ndarray:
        tokenizer = _tokenizer(config)
        tokens = _token_lists(config, column, tokenizer)
        produces_ids = getattr(tokenizer, "produces_ids", False)
        str2idx = metadata["str2idx"]
        return strings_utils.build_sequence_matrix(
            tokens,
            metadata["idx2str"],
            int(metadata["max_sequence_length"]),
            padding=config.preprocessing.padding,
            pad_idx=int(metadata["pad_idx"]),
            unknown_idx=int(str2idx.get(metadata["unknown_symbol"], strings_utils.UNK_IDX)),
            start_idx=None if produces_ids else str2idx[strings_utils.START_SYMBOL],
            stop_idx=None if produces_ids else str2idx[strings_utils.STOP_SYMBOL],
        )

    @staticmethod
    def decode_tokens(predictions: np.ndarray, metadata: dict[str, Any]) -> tuple[list[list[str]], np.ndarray]:
        """Token strings of each row of an id matrix, up to its first stop symbol, without start/padding
        symbols; also the ``[rows, time]`` mask of the steps kept (the stop step included)."""
        predictions = np.asarray(predictions, dtype=np.int64)
        if predictions.ndim == 1:
            predictions = predictions[:, None]
        vocab = np.asarray(list(metadata["idx2str"]) + [metadata.get("unknown_symbol", "<UNK>")], dtype=object)
        ids = np.where((predictions >= 0) & (predictions < len(vocab) - 1), predictions, len(vocab) - 1)
        str2idx = metadata["str2idx"]
        stop = str2idx.get(strings_utils.STOP_SYMBOL, -1)
        start = str2idx.get(strings_utils.START_SYMBOL, -1)
        pad = int(metadata.get("pad_idx", strings_utils.PAD_IDX))
        rows, steps = ids.shape
        is_stop = ids == stop
        first_stop = np.where(is_stop.any(axis=1), is_stop.argmax(axis=1), steps)
        before_stop = np.arange(steps)[None, :] < first_stop[:, None]
        keep_token = before_stop & (ids != pad) & (ids != start)
        steps_kept = (before_stop | (np.arange(steps)[None, :] == first_stop[:, None])) & (ids != pad) & (ids != start)
        flat = vocab[ids[keep_token]]
        counts = keep_token.sum(axis=1)
        tokens = [list(part) for part in np.split(flat, np.cumsum(counts)[:-1])] if rows else []
        return tokens, steps_kept

    @classmethod
    def format_tokens(cls, tokens: list[list[str]]) -> list[Any]:
        """Prediction cells: the token lists (text joins them with spaces)."""
        return tokens

    @classmethod
    def postprocess_predictions(
        cls, name: str, outputs: dict[str, np.ndarray], metadata: dict[str, Any], threshold: float | None = None
    ) -> dict[str, Any]:
        """``<name>_predictions`` (tokens up to the stop symbol); with probabilities also
        ``<name>_probabilities`` (the predicted token's probability at each kept step) and
        ``<name>_probability`` (the sequence's log-probability: the sum of their logs, as Ludwig reports it).

        ``outputs`` holds ``predictions`` (int ``[rows, time]``) and optionally ``probabilities``
        (``[rows, time]`` per-step probabilities or ``[rows, time, vocab]`` distributions).
        """
        tokens, steps_kept = cls.decode_tokens(outputs[PREDICTIONS], metadata)
        columns: dict[str, Any] = {f"{name}_{PREDICTIONS}": cls.format_tokens(tokens)}
        if outputs.get(PROBABILITIES) is not None:
            probabilities = np.asarray(outputs[PROBABILITIES], dtype=np.float64)
            if probabilities.ndim == 3:
                probabilities = probabilities.max(axis=-1)
            probabilities = probabilities.reshape(steps_kept.shape[0], -1)[:, : steps_kept.shape[1]]
            kept = steps_kept[:, : probabilities.shape[1]]
            flat = probabilities[kept]
            per_row = np.split(flat, np.cumsum(kept.sum(axis=1))[:-1]) if len(kept) else []
            columns[f"{name}_{PROBABILITIES}"] = [part.tolist() for part in per_row]
            log_probabilities = np.where(kept, np.log(np.clip(probabilities, 1e-45, None)), 0.0)
            columns[f"{name}_{PROBABILITY}"] = log_probabilities.sum(axis=1)
        return columns


class SequenceInputFeature(InputFeature):
    """Hands the encoder the token ids as ``int64 [batch, time]``."""

    @staticmethod
    def input_size(metadata: dict[str, Any]) -> int:
        return int(metadata["max_sequence_length"])

    def prepare(self, inputs: torch.Tensor) -> torch.Tensor:
        return inputs.long()


# Output features


class SequenceOutputFeature(OutputFeature):
    """A sequence of tokens per row, from the ``generator`` or the ``tagger`` decoder.

    Logits are ``[batch, max_sequence_length, vocab_size]``; ``predictions`` are the token ids ``[batch, time]``
    and ``probabilities`` the probability of each predicted token ``[batch, time]``. The generator reads the
    targets while training (teacher forcing).
    """

    def __init__(self, config, metadata: dict[str, Any], input_size: int):
        str2idx = metadata["str2idx"]
        # Read by the metrics, which the base class builds.
        self._metric_params = {
            "start_idx": int(str2idx.get(strings_utils.START_SYMBOL, strings_utils.START_IDX)),
            "stop_idx": int(str2idx.get(strings_utils.STOP_SYMBOL, strings_utils.STOP_IDX)),
            "pad_idx": int(metadata["pad_idx"]),
            "idx2str": list(metadata["idx2str"]),
        }
        super().__init__(config, metadata, input_size)
        self.uses_targets = bool(getattr(self.decoder_obj, "uses_targets", False))

    def loss_config(self, config, metadata: dict[str, Any]):
        """Resolve ``class_weights`` given as {token: weight}, and hand the loss the padding id."""
        loss = loss_with_class_weights(config, metadata, "tokens")
        vocab = metadata["idx2str"]
        similarities = getattr(loss, "class_similarities", None)
        if similarities is not None and len(similarities) != len(vocab):
            raise InputDataError(
                config.column,
                config.type,
                f"loss.class_similarities is {len(similarities)}x{len(similarities)} but the vocabulary has "
                f"{len(vocab)} tokens.",
            )
        loss.pad_idx = int(metadata["pad_idx"])
        return loss

    def decode(self, last_hidden: torch.Tensor, targets: torch.Tensor | None) -> dict[str, torch.Tensor]:
        return self.decoder_obj(last_hidden, targets)

    def _metric_instances_spec(self) -> dict[str, Any]:
        spec = {}
        for name, cls in self.metric_classes.items():
            spec[name] = lambda cls=cls: cls(**self._metric_params)
        return spec

    def predictions(self, logits: torch.Tensor) -> dict[str, torch.Tensor]:
        probabilities, predictions = torch.softmax(logits.float(), dim=-1).max(dim=-1)
        return {PREDICTIONS: predictions, PROBABILITIES: probabilities, LOGITS: logits}

    def output_predictions(self, outputs: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        generated = outputs.get("generated")
        if generated is None:
            return self.predictions(outputs[LOGITS])
        # Beam search: the chosen tokens, with their probabilities under each step's distribution.
        logits = outputs[LOGITS]
        probabilities = torch.softmax(logits.float(), dim=-1).gather(-1, generated.unsqueeze(-1)).squeeze(-1)
        return {PREDICTIONS: generated, PROBABILITIES: probabilities, LOGITS: logits}

    def target_tensor(self, targets: torch.Tensor) -> torch.Tensor:
        return targets.long()


register_feature(SEQUENCE, SequenceFeatureMixin, SequenceInputFeature, SequenceOutputFeature)
