"""TorchScript form of the Hugging Face BERT WordPiece tokenizers (``hf_tokenizer``/``bert`` with a WordPiece
checkpoint): text -> ids, special tokens included.

The per-character behaviour of the tokenizer's normalizer and pre-tokenizer is read off the Rust tokenizer
itself at export time; the WordPiece search, special tokens and template are taken from its JSON.
:func:`build_wordpiece` checks that a tokenizer is such a one and makes its :class:`ScriptedWordPiece`.
"""

# No ``from __future__ import annotations``: TorchScript reads the annotations of scripted code as real types.

import json
from collections.abc import Callable
from typing import Any, Final, Optional

from torch import nn

from ludwig.model_export.torchscript.base import Unscriptable
from ludwig.model_export.torchscript.tokenizers import SCRIPTABLE_TOKENIZERS
from ludwig.model_export.torchscript.unicode_text import (
    PropertyTable,
    char_size,
    char_start_before,
    code_point,
    property_of,
    property_table,
    ranges_of,
    scalar_characters,
)

_WORD_SEPARATOR = 1  # pre-tokenizer: whitespace, dropped
_WORD_PUNCTUATION = 2  # pre-tokenizer: a token of its own
_PROBES_PER_CALL = 2048


def _per_character(function: Callable[[str], str]) -> dict[str, str]:
    """``char -> function(char)`` for every character it changes, probed thousands at a time (joined by ``|``,
    which a per-character normalizer keeps as it is; a batch that does not split back is probed char by char)."""
    characters = [char for char in scalar_characters() if char != "|"]
    changed: dict[str, str] = {}
    for i in range(0, len(characters), _PROBES_PER_CALL):
        batch = characters[i : i + _PROBES_PER_CALL]
        results = function("|".join(batch)).split("|")
        if len(results) != len(batch):
            results = [function(char) for char in batch]
        changed.update((char, result) for char, result in zip(batch, results) if result != char)
    if function("|") != "|":
        changed["|"] = function("|")
    return changed


_PROBED: dict[str, Any] = {}


def _probed(key: str, probe: Callable[[], Any]) -> Any:
    """``probe()``, computed once per process for each ``key`` (the JSON of the probed component)."""
    if key not in _PROBED:
        _PROBED[key] = probe()
    return _PROBED[key]


def _word_classes(pre_tokenize: Callable[[str], list[tuple[str, tuple[int, int]]]]) -> PropertyTable:
    """The pre-tokenizer's class of every character: a word separator (covered by no piece), a punctuation
    mark (a piece of its own between letters) or a word character (joined to the letters around it)."""
    separators: list[int] = []
    punctuation: list[int] = []
    characters = list(scalar_characters())
    for i in range(0, len(characters), _PROBES_PER_CALL):
        batch = characters[i : i + _PROBES_PER_CALL]
        pieces = pre_tokenize("x" + "x".join(batch) + "x")  # character k at offset 2k + 1
        covered = [0] * (2 * len(batch) + 1)
        for _, (start, end) in pieces:
            for position in range(start, end):
                covered[position] = end - start
        for k, char in enumerate(batch):
            if covered[2 * k + 1] == 0:
                separators.append(ord(char))
            elif covered[2 * k + 1] == 1:
                punctuation.append(ord(char))
    return property_table([(_WORD_SEPARATOR, ranges_of(separators)), (_WORD_PUNCTUATION, ranges_of(punctuation))])


def _template_ids(post_processor: Optional[dict[str, Any]]) -> tuple[list[int], list[int]]:
    """The ids the post-processor puts before and after a single sequence's ids."""
    if post_processor is None:
        return [], []
    if post_processor["type"] == "BertProcessing":
        return [int(post_processor["cls"][1])], [int(post_processor["sep"][1])]
    if post_processor["type"] != "TemplateProcessing":
        raise ValueError(f"post-processor {post_processor['type']}")
    before: list[int] = []
    after: list[int] = []
    seen_sequence = False
    for piece in post_processor["single"]:
        if "Sequence" in piece:
            seen_sequence = True
            continue
        ids = [int(i) for i in post_processor["special_tokens"][piece["SpecialToken"]["id"]]["ids"]]
        (after if seen_sequence else before).extend(ids)
    return before, after


class ScriptedWordPiece(nn.Module):
    """``forward(text) -> ids``: a Hugging Face BERT WordPiece tokenizer with its special tokens, as
    ``tokenizer(text, add_special_tokens=True)["input_ids"]``. Built by :func:`build_wordpiece`."""

    SEPARATOR: Final[int]
    PUNCTUATION: Final[int]
    vocab: dict[str, int]
    normalized: dict[str, str]

    def __init__(self, hf_tokenizer: Any):
        super().__init__()
        backend = hf_tokenizer.backend_tokenizer
        spec = json.loads(backend.to_str())
        model = spec["model"]
        self.SEPARATOR = _WORD_SEPARATOR
        self.PUNCTUATION = _WORD_PUNCTUATION
        self.vocab = {str(token): int(i) for token, i in model["vocab"].items()}
        self.unknown = self.vocab[model["unk_token"]]
        self.prefix = str(model["continuing_subword_prefix"])
        self.max_chars = int(model["max_input_chars_per_word"])
        self.longest = max(len(token.encode("utf-8")) for token in self.vocab)
        self.special_tokens: list[str] = [str(token["content"]) for token in spec["added_tokens"]]
        self.special_ids: list[int] = [int(token["id"]) for token in spec["added_tokens"]]
        self.before, self.after = _template_ids(spec["post_processor"])
        normalizer = backend.normalizer
        changed: dict[str, str] = {}
        if normalizer is not None:
            changed = _probed(json.dumps(spec["normalizer"]), lambda: _per_character(normalizer.normalize_str))
        self.normalized = {char: result for char, result in changed.items() if ord(char) >= 0x80}
        self.ascii_normalized: list[str] = [changed.get(chr(b), chr(b)) for b in range(0x80)]
        self.ascii_changes: list[bool] = [chr(b) in changed for b in range(0x80)]
        printable = [chr(b) for b in range(0x20, 0x7F)]
        self.printable_lowered = all(self.ascii_normalized[ord(c)] == c.lower() for c in printable)
        self.printable_kept = all(self.ascii_normalized[ord(c)] == c for c in printable)
        pre_tokenizer = backend.pre_tokenizer
        table = _probed(json.dumps(spec["pre_tokenizer"]), lambda: _word_classes(pre_tokenizer.pre_tokenize_str))
        self.direct: list[int] = list(table.direct)
        self.starts: list[int] = list(table.starts)
        self.values: list[int] = list(table.values)
        # Printable ASCII text splits at spaces only, and letters and digits are word characters.
        self.printable_fast = all(
            (table.direct[ord(c)] == _WORD_SEPARATOR) == (c == " ") and (not c.isalnum() or table.direct[ord(c)] == 0)
            for c in printable
        )

    def _split_special(self, text: str) -> tuple[list[str], list[int]]:
        """``text`` cut around its special tokens (leftmost, then longest match): the pieces, and the id of each
        one that is a special token (-1 for the others)."""
        pieces: list[str] = []
        ids: list[int] = []
        position = 0
        n = len(text)
        while position < n:
            best = -1
            best_length = 0
            best_id = -1
            for k in range(len(self.special_tokens)):
                found = text.find(self.special_tokens[k], position)
                length = len(self.special_tokens[k])
                if found >= 0 and (best < 0 or found < best or (found == best and length > best_length)):
                    best = found
                    best_length = length
                    best_id = self.special_ids[k]
            if best < 0:
                pieces.append(text[position:])
                ids.append(-1)
                position = n
            else:
                if best > position:
                    pieces.append(text[position:best])
                    ids.append(-1)
                pieces.append(text[best : best + best_length])
                ids.append(best_id)
                position = best + best_length
        return pieces, ids

    def _normalize(self, text: str) -> str:
        if text.isprintable() and self.printable_lowered:
            return text.lower()
        if text.isprintable() and self.printable_kept:
            return text
        pieces: list[str] = []
        done = 0
        i = 0
        n = len(text)
        while i < n:
            lead = ord(text[i])
            if lead < 0x80:
                if self.ascii_changes[lead]:
                    pieces.append(text[done:i])
                    pieces.append(self.ascii_normalized[lead])
                    done = i + 1
                i += 1
            else:
                size = char_size(lead)
                normalized = self.normalized.get(text[i : i + size])
                if normalized is not None:
                    pieces.append(text[done:i])
                    pieces.append(normalized)
                    done = i + size
                i += size
        if done == 0:
            return text
        pieces.append(text[done:])
        return "".join(pieces)

    def _words_of_chunk(self, chunk: str, words: list[str]) -> None:
        """Append the pre-tokenizer's words of ``chunk`` to ``words``."""
        start = -1
        i = 0
        n = len(chunk)
        while i < n:
            lead = ord(chunk[i])
            size = char_size(lead)
            if lead < 0x80:
                bits = self.direct[lead]
            else:
                bits = property_of(self.direct, self.starts, self.values, code_point(chunk, i))
            if bits != 0:
                if start >= 0:
                    words.append(chunk[start:i])
                    start = -1
                if (bits & self.PUNCTUATION) != 0:
                    words.append(chunk[i : i + size])
            elif start < 0:
                start = i
            i += size
        if start >= 0:
            words.append(chunk[start:])

    def _words(self, text: str) -> list[str]:
        words: list[str] = []
        if self.printable_fast and text.isprintable():
            for chunk in text.split():
                if chunk.isalnum():
                    words.append(chunk)
                else:
                    self._words_of_chunk(chunk, words)
        else:
            self._words_of_chunk(text, words)
        return words

    def _word_ids(self, word: str) -> list[int]:
        """WordPiece: the longest vocabulary pieces from the left (``##`` after the first); the unknown id when
        some part matches none or the word is too long."""
        n = len(word)
        characters = n
        if not word.isprintable():
            characters = 0
            for byte in word:
                if (ord(byte) & 0xC0) != 0x80:
                    characters += 1
        if characters > self.max_chars:
            return [self.unknown]
        whole = self.vocab.get(word)
        if whole is not None:
            return [whole]
        ids: list[int] = []
        start = 0
        while start < n:
            limit = self.longest if start == 0 else self.longest - len(self.prefix)
            end = min(n, start + limit)
            while end < n and (ord(word[end]) & 0xC0) == 0x80:
                end -= 1
            found = -1
            while found < 0 and end > start:
                piece = word[start:end] if start == 0 else self.prefix + word[start:end]
                piece_id = self.vocab.get(piece)
                if piece_id is not None:
                    found = piece_id
                else:
                    end = char_start_before(word, end)
            if found < 0:
                return [self.unknown]
            ids.append(found)
            start = end
        return ids

    def forward(self, text: str) -> list[int]:
        ids: list[int] = list(self.before)
        pieces, special_ids = self._split_special(text)
        for k in range(len(pieces)):
            if special_ids[k] >= 0:
                ids.append(special_ids[k])
            else:
                for word in self._words(self._normalize(pieces[k])):
                    ids.extend(self._word_ids(word))
        ids.extend(self.after)
        return ids


def _wordpiece_problem(hf_tokenizer: Any) -> Optional[str]:
    """Why the Hugging Face tokenizer has no scripted form, or None when it is a BERT WordPiece one."""
    backend = getattr(hf_tokenizer, "backend_tokenizer", None)
    if backend is None:
        return "it is a slow (Python) Hugging Face tokenizer"
    spec = json.loads(backend.to_str())
    normalizer = spec.get("normalizer")
    parts = {
        "model": spec["model"]["type"],
        "pre-tokenizer": (spec.get("pre_tokenizer") or {}).get("type"),
        "normalizer": normalizer["type"] if normalizer else "BertNormalizer",
    }
    if parts != {"model": "WordPiece", "pre-tokenizer": "BertPreTokenizer", "normalizer": "BertNormalizer"}:
        return "its Hugging Face tokenizer is not a BERT WordPiece one ({})".format(
            ", ".join(f"{key} {value}" for key, value in parts.items())
        )
    if spec.get("truncation") or spec.get("padding"):
        return "its Hugging Face tokenizer truncates or pads by itself"
    for token in spec["added_tokens"]:
        if token["normalized"] or token["lstrip"] or token["rstrip"] or token["single_word"]:
            return f"its added token {token['content']!r} is normalized, stripped or single-word"
    post_processor = spec.get("post_processor")
    if post_processor is not None and post_processor["type"] not in ("TemplateProcessing", "BertProcessing"):
        return f"its post-processor is {post_processor['type']}"
    return None


def build_wordpiece(hf_tokenizer: Any, name: str = "hf_tokenizer") -> nn.Module:
    """The scripted ``forward(text) -> ids`` of a Hugging Face BERT WordPiece tokenizer (fast tokenizer).

    Raises:
        Unscriptable: when the tokenizer (of the ``name`` tokenizer option) is not a BERT WordPiece one.
    """
    problem = _wordpiece_problem(hf_tokenizer)
    if problem is not None:
        raise Unscriptable(
            f"tokenizer {name!r} has no TorchScript form: {problem}; TorchScript runs BERT WordPiece tokenizers "
            f"and the tokenizers {list(SCRIPTABLE_TOKENIZERS)}"
        )
    return ScriptedWordPiece(hf_tokenizer)
