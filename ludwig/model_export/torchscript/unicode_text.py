"""Unicode-exact string primitives for TorchScript: Python's ``\\w``/``\\d``/whitespace and ``str.lower``.

TorchScript strings are UTF-8 bytes: iterating one yields single bytes, and its ``lower``/``split``/``strip``
know ASCII only (its ``split()`` even breaks inside some multi-byte characters). The modules here decode the
bytes into code points and look up their properties in tables built at export time from Python's own
semantics (the ``re`` module and ``str`` methods of the running interpreter), so scripted tokenizers agree with
Python on any text. ASCII text takes fast paths through the C++ string builtins.

Export-time tables (cached per process):

- :func:`character_classes`: bits :data:`WORD` (regex ``\\w``), :data:`DIGIT` (``\\d``), :data:`SPACE`
  (``str.isspace``, which is also regex ``\\s``), :data:`NUMBER_SEPARATOR` (``.`` ``,``) and :data:`JOINER`
  (``'`` ``-`` U+2019), the punctuation the English word tokenizer treats specially.
- :func:`lowercase_tables`: ``char -> lower(char)`` for the non-ASCII characters a lowercasing changes, and
  the case-ignorable/cased properties that decide Python's final-sigma rule (``"ΣΑΣ".lower() == "σας"``), read
  off that lowercasing itself (Python's ``str.lower``, which preprocessing applies, unless another is given).
- :func:`case_insensitive_letters`: the characters a case-insensitive regex letter matches (``ſ`` for ``s``).

Scripted modules: :class:`CharacterClasses` (``scan``, ``split`` = ``str.split()``, ``strip`` = ``str.strip()``,
``characters``) and :class:`Lowercase`; the tokenizers of :mod:`.tokenizers` build on them.
"""

# No ``from __future__ import annotations``: TorchScript reads the annotations of scripted code as real types.

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import torch
from torch import nn

# Character class bits (CharacterClasses).
WORD = 1
DIGIT = 2
SPACE = 4
NUMBER_SEPARATOR = 8
JOINER = 16
# Casing bits (Lowercase): CASED is set only on cased characters that are not case-ignorable, the only ones
# Python's final-sigma rule ever looks at.
CASE_IGNORABLE = 1
CASED = 2

# Code points below this are looked up directly (ASCII, Latin, Greek, Cyrillic, Hebrew, Arabic...); the others
# by binary search over the ranges of equal properties.
DIRECT_LIMIT = 0x800
#: A vectorised lowercasing, ``strings -> lowered strings``, that :class:`Lowercase` reproduces.
LowerStrings = Callable[[list[str]], list[str]]
_CAPITAL_SIGMA = "\u03a3"
_PROBES_PER_STRING = 2048
_MAX_CODE_POINT = 0x110000


@dataclass(frozen=True)
class PropertyTable:
    """Bits per code point: ``direct[cp]`` below :data:`DIRECT_LIMIT`, else ``values[k]`` of the last
    ``starts[k] <= cp`` (``starts`` is sorted and begins at 0)."""

    direct: list[int]
    starts: list[int]
    values: list[int]

    def lookup(self, code_point: int) -> int:
        """The bits of ``code_point`` (Python-side twin of the scripted lookup, for checks)."""
        return property_of(self.direct, self.starts, self.values, code_point)


@functools.lru_cache(maxsize=1)
def _all_characters() -> str:
    return "".join(map(chr, range(_MAX_CODE_POINT)))


@functools.lru_cache(maxsize=1)
def scalar_characters() -> tuple[str, ...]:
    """Every Unicode scalar value (all code points but the surrogates) as a one-character string."""
    return tuple(char for char in _all_characters() if not 0xD800 <= ord(char) < 0xE000)


def property_table(bits: list[tuple[int, list[tuple[int, int]]]]) -> PropertyTable:
    """The table of the OR of ``bit`` over its ``[start, end)`` code point ranges, for each ``(bit, ranges)``."""
    boundaries = {0}
    for _, ranges in bits:
        for start, end in ranges:
            boundaries.update((start, end))
    starts = sorted(b for b in boundaries if b < _MAX_CODE_POINT)
    values = [0] * len(starts)
    position = {start: k for k, start in enumerate(starts)}
    for bit, ranges in bits:
        for start, end in ranges:
            for k in range(position[start], position[end] if end in position else len(starts)):
                values[k] |= bit
    direct = [0] * DIRECT_LIMIT
    k = 0
    for code_point in range(DIRECT_LIMIT):
        while k + 1 < len(starts) and starts[k + 1] <= code_point:
            k += 1
        direct[code_point] = values[k]
    return PropertyTable(direct, starts, values)


def _regex_runs(pattern: str) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(pattern, _all_characters())]


def ranges_of(code_points: list[int]) -> list[tuple[int, int]]:
    """The ``[start, end)`` ranges of sorted ``code_points``."""
    ranges: list[tuple[int, int]] = []
    for cp in code_points:
        if ranges and ranges[-1][1] == cp:
            ranges[-1] = (ranges[-1][0], cp + 1)
        else:
            ranges.append((cp, cp + 1))
    return ranges


@functools.lru_cache(maxsize=1)
def character_classes() -> PropertyTable:
    """WORD/DIGIT/SPACE/NUMBER_SEPARATOR/JOINER bits of every code point, from this Python's ``re``/``str``.

    Raises:
        RuntimeError: if this Python's regex ``\\s`` and ``str.isspace`` disagree (the scripted ``split`` and
            the regex tokenizers share one whitespace class).
    """
    characters = _all_characters()
    space = ranges_of([cp for cp, char in enumerate(characters) if char.isspace()])
    if _regex_runs(r"\s+") != space:
        raise RuntimeError("regex \\s and str.isspace differ in this Python; the scripted tokenizers assume equal")
    return property_table(
        [
            (WORD, _regex_runs(r"\w+")),
            (DIGIT, _regex_runs(r"\d+")),
            (SPACE, space),
            (NUMBER_SEPARATOR, ranges_of([ord("."), ord(",")])),
            (JOINER, ranges_of(sorted(map(ord, "'-\u2019")))),
        ]
    )


def python_lower(strings: list[str]) -> list[str]:
    """Python's ``str.lower`` of each string."""
    return [string.lower() for string in strings]


def _sigma_probes(lower_strings: LowerStrings, prefix: str, characters: list[str]) -> list[str]:
    """``lower_strings`` of each ``prefix + char + "Σ"``, thousands of probes a call: joined by ``|``, which is
    neither cased nor case-ignorable (it ends the context of the final-sigma rule) and no other character
    lowers to. Whitespace (which a chunk-wise lowering splits on) and ``|`` itself are probed one by one."""
    probes = [prefix + char + _CAPITAL_SIGMA for char in characters]
    alone = [i for i, char in enumerate(characters) if char.isspace() or char == "|"]
    batched = sorted(set(range(len(characters))) - set(alone))
    batches = [batched[i : i + _PROBES_PER_STRING] for i in range(0, len(batched), _PROBES_PER_STRING)]
    lowered: list[str] = [""] * len(characters)
    for batch, joined in zip(batches, lower_strings(["|".join(probes[i] for i in batch) for batch in batches])):
        parts = joined.split("|")
        if len(parts) != len(batch):
            parts = lower_strings([probes[i] for i in batch])
        for i, part in zip(batch, parts):
            lowered[i] = part
    for i, part in zip(alone, lower_strings([probes[i] for i in alone])):
        lowered[i] = part
    return lowered


@functools.lru_cache(maxsize=4)
def lowercase_tables(lower_strings: LowerStrings = python_lower) -> tuple[dict[str, str], PropertyTable]:
    """``(lower_map, casing)`` of the lowercasing ``lower_strings`` does (default: Python's ``str.lower``).

    ``lower_map`` maps each non-ASCII character to its lowercase form where that differs (the capital sigma
    left out: it depends on context); ``casing`` holds the CASE_IGNORABLE/CASED bits of the final-sigma rule.
    Python lowers ``Σ`` to ``ς`` when a cased character precedes it (skipping case-ignorable ones) and none
    follows it; a lowering without that rule gets no bits and always ``σ``.

    Everything is read off ``lower_strings`` itself, probing all code points: ``"A" + c + "Σ"`` lowers
    to ``"a" + lower(c) + sigma``, whose sigma is final when ``c`` is case-ignorable (the rule reaches the cased
    ``A``) or cased; then ``"0" + c + "Σ"`` tells the two apart. A probe that does not lower to that shape
    (``c`` is whitespace and ``lower_strings`` splits on it) gives ``c`` no mapping and no bits.

    Raises:
        RuntimeError: when ``lower_strings`` lowers ASCII otherwise than ``A-Z -> a-z`` (the scripted fast path).
    """
    characters = list(scalar_characters())
    lower_map: dict[str, str] = {}
    candidates: list[str] = []
    for char, lowered in zip(characters, _sigma_probes(lower_strings, "A", characters)):
        if not (lowered.startswith("a") and lowered[-1:] in ("\u03c3", "\u03c2")):
            continue
        if lowered[-1] == "\u03c2":
            candidates.append(char)
        if char != _CAPITAL_SIGMA and lowered[1:-1] != char:
            lower_map[char] = lowered[1:-1]
    if any(lower_map.get(char, char) != char.lower() for char in characters[:0x80]):
        raise RuntimeError("this lowercasing changes ASCII otherwise than A-Z -> a-z; it cannot be scripted")
    lower_map = {char: lowered for char, lowered in lower_map.items() if ord(char) >= 0x80}
    if any(char.isspace() or any(c.isspace() for c in lowered) for char, lowered in lower_map.items()):
        raise RuntimeError("a character lowers to or from whitespace; the scripted tokenizers assume none does")
    cased = {
        char
        for char, lowered in zip(candidates, _sigma_probes(lower_strings, "0", candidates))
        if lowered[-1:] == "\u03c2"
    }
    if any(char.isspace() for char in candidates):
        raise RuntimeError("whitespace is cased or case-ignorable for this lowercasing; it cannot be scripted")
    ignorable = [ord(char) for char in candidates if char not in cased]
    casing = property_table(
        [(CASE_IGNORABLE, ranges_of(ignorable)), (CASED, ranges_of(sorted(ord(char) for char in cased)))]
    )
    return lower_map, casing


@functools.lru_cache(maxsize=8)
def case_insensitive_letters(letters: str) -> dict[str, str]:
    """``char -> letter`` for every character that the case-insensitive regex of each ASCII letter of
    ``letters`` matches (``S``, ``s`` and ``ſ`` for ``s``)."""
    folds: dict[str, str] = {}
    for letter in letters:
        for match in re.finditer("(?i)" + re.escape(letter), _all_characters()):
            folds[match.group()] = letter
    return folds


# ---------------------------------------------------------------------------------------------------------
# Scripted primitives. Offsets are byte offsets; a character is ``text[offsets[k]:offsets[k + 1]]``.


def char_size(lead: int) -> int:
    """Bytes of the UTF-8 character whose first byte is ``lead``."""
    if lead < 0x80:
        return 1
    if lead < 0xE0:
        return 2
    if lead < 0xF0:
        return 3
    return 4


def code_point(text: str, i: int) -> int:
    """The code point of the UTF-8 character starting at byte ``i`` of ``text``."""
    lead = ord(text[i])
    if lead < 0x80:
        return lead
    if lead < 0xE0:
        return ((lead & 0x1F) << 6) | (ord(text[i + 1]) & 0x3F)
    if lead < 0xF0:
        return ((lead & 0x0F) << 12) | ((ord(text[i + 1]) & 0x3F) << 6) | (ord(text[i + 2]) & 0x3F)
    return (
        ((lead & 0x07) << 18)
        | ((ord(text[i + 1]) & 0x3F) << 12)
        | ((ord(text[i + 2]) & 0x3F) << 6)
        | (ord(text[i + 3]) & 0x3F)
    )


def char_start_before(text: str, end: int) -> int:
    """The byte offset of the character that ends at byte ``end > 0`` of ``text``."""
    k = end - 1
    while k > 0 and (ord(text[k]) & 0xC0) == 0x80:
        k -= 1
    return k


def property_of(direct: list[int], starts: list[int], values: list[int], cp: int) -> int:
    """The bits of code point ``cp`` in a :class:`PropertyTable`'s lists."""
    if cp < len(direct):
        return direct[cp]
    low = 0
    high = len(starts) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if starts[middle] <= cp:
            low = middle
        else:
            high = middle - 1
    return values[low]


class UnicodeModule(nn.Module):
    """Base of the scripted modules that test property bits: TorchScript reads no module-level constants, so
    the bits are ``Final`` attributes (``self.SPACE``...)."""

    WORD: Final[int]
    DIGIT: Final[int]
    SPACE: Final[int]
    NUMBER_SEPARATOR: Final[int]
    JOINER: Final[int]
    CASE_IGNORABLE: Final[int]
    CASED: Final[int]

    def __init__(self):
        super().__init__()
        self.WORD = WORD
        self.DIGIT = DIGIT
        self.SPACE = SPACE
        self.NUMBER_SEPARATOR = NUMBER_SEPARATOR
        self.JOINER = JOINER
        self.CASE_IGNORABLE = CASE_IGNORABLE
        self.CASED = CASED


class CharacterClasses(UnicodeModule):
    """Character classes of UTF-8 text, and Python's ``str.split()``/``str.strip()`` and characters."""

    def __init__(self):
        super().__init__()
        table = character_classes()
        self.direct: list[int] = list(table.direct)
        self.starts: list[int] = list(table.starts)
        self.values: list[int] = list(table.values)
        self.other_whitespace: list[str] = [char for char in _all_characters() if char.isspace() and char != " "]

    @torch.jit.export
    def scan(self, text: str) -> tuple[list[int], list[int]]:
        """``(offsets, classes)``: the byte offset of each character plus the end, and each one's bits."""
        offsets: list[int] = []
        classes: list[int] = []
        n = len(text)
        i = 0
        while i < n:
            lead = ord(text[i])
            offsets.append(i)
            if lead < 0x80:
                classes.append(self.direct[lead])
                i += 1
            else:
                classes.append(property_of(self.direct, self.starts, self.values, code_point(text, i)))
                i += char_size(lead)
        offsets.append(n)
        return offsets, classes

    @torch.jit.export
    def split(self, text: str) -> list[str]:
        """``text.split()``: the runs of non-whitespace characters."""
        if text.isprintable():  # ASCII 0x20-0x7E only: the space is the one whitespace, as TorchScript knows
            return text.split()
        only_spaces = not self._has_other_whitespace(text)
        chunks: list[str] = []
        for piece in text.split(" "):
            if piece == "":
                continue
            if only_spaces or piece.isprintable():
                chunks.append(piece)
                continue
            offsets, classes = self.scan(piece)
            start = -1
            for k in range(len(classes)):
                if (classes[k] & self.SPACE) != 0:
                    if start >= 0:
                        chunks.append(piece[offsets[start] : offsets[k]])
                        start = -1
                elif start < 0:
                    start = k
            if start >= 0:
                chunks.append(piece[offsets[start] :])
        return chunks

    def _has_other_whitespace(self, text: str) -> bool:
        """Whether ``text`` holds whitespace other than the space (a handful of byte searches)."""
        for whitespace in self.other_whitespace:
            if text.find(whitespace) >= 0:
                return True
        return False

    def _is_space_at(self, text: str, i: int) -> bool:
        cp = code_point(text, i)
        return (property_of(self.direct, self.starts, self.values, cp) & self.SPACE) != 0

    @torch.jit.export
    def strip(self, text: str) -> str:
        """``text.strip()``: without leading and trailing whitespace."""
        n = len(text)
        if n == 0:
            return text
        first = ord(text[0])
        last = ord(text[n - 1])
        if first < 0x80 and last < 0x80 and ((self.direct[first] | self.direct[last]) & self.SPACE) == 0:
            return text
        if not self._is_space_at(text, 0) and not self._is_space_at(text, char_start_before(text, n)):
            return text
        return self._strip_slowly(text)

    def _strip_slowly(self, text: str) -> str:
        # One forward pass for the first and last non-space characters: a backward loop here trips a TorchScript
        # interpreter bug (torch 2.13: "INTERNAL ASSERT FAILED ... expected int").
        start = -1
        end = 0
        n = len(text)
        i = 0
        while i < n:
            size = char_size(ord(text[i]))
            if not self._is_space_at(text, i):
                if start < 0:
                    start = i
                end = i + size
            i += size
        if start < 0:
            return ""
        return text[start:end]

    @torch.jit.export
    def characters(self, text: str) -> list[str]:
        """The characters (code points) of ``text``, each a string."""
        if text.isprintable():
            return list(text)
        characters: list[str] = []
        pieces = text.split(" ")
        for k in range(len(pieces)):
            if k > 0:
                characters.append(" ")
            if pieces[k].isprintable():
                characters.extend(list(pieces[k]))
            else:
                characters.extend(self._characters_slowly(pieces[k]))
        return characters

    def _characters_slowly(self, text: str) -> list[str]:
        characters: list[str] = []
        n = len(text)
        i = 0
        while i < n:
            size = char_size(ord(text[i]))
            characters.append(text[i : i + size])
            i += size
        return characters


class Lowercase(UnicodeModule):
    """``forward(text)``: ``text`` lowercased exactly as ``lower_strings`` does it (default: Python's
    ``str.lower``, full mappings and the final-sigma rule included)."""

    def __init__(self, lower_strings: LowerStrings = python_lower):
        super().__init__()
        lower_map, casing = lowercase_tables(lower_strings)
        self.lower_map: dict[str, str] = dict(lower_map)
        self.direct: list[int] = list(casing.direct)
        self.starts: list[int] = list(casing.starts)
        self.values: list[int] = list(casing.values)

    def _casing_at(self, text: str, i: int) -> int:
        return property_of(self.direct, self.starts, self.values, code_point(text, i))

    def _final_sigma(self, text: str, i: int) -> bool:
        """Whether the capital sigma at byte ``i`` is word-final: a cased character before it and none after,
        case-ignorable characters skipped."""
        casing = self.CASE_IGNORABLE
        j = i
        while j > 0 and (casing & self.CASE_IGNORABLE) != 0:
            j = char_start_before(text, j)
            casing = self._casing_at(text, j)
        if (casing & self.CASE_IGNORABLE) != 0 or (casing & self.CASED) == 0:
            return False
        casing = self.CASE_IGNORABLE
        j = i + 2
        while j < len(text) and (casing & self.CASE_IGNORABLE) != 0:
            casing = self._casing_at(text, j)
            j += char_size(ord(text[j]))
        return (casing & self.CASE_IGNORABLE) != 0 or (casing & self.CASED) == 0

    def forward(self, text: str) -> str:
        if text.isprintable():  # ASCII only
            return text.lower()
        # Piece by piece between spaces: no character lowers to or from a space, and the final-sigma rule stops
        # at one, so the ASCII pieces take the fast path.
        pieces = text.split(" ")
        for k in range(len(pieces)):
            piece = pieces[k]
            pieces[k] = piece.lower() if piece.isprintable() else self._lower_slowly(piece)
        return " ".join(pieces)

    def _lower_slowly(self, text: str) -> str:
        pieces: list[str] = []
        n = len(text)
        done = 0
        i = 0
        while i < n:
            lead = ord(text[i])
            if lead < 0x80:
                i += 1
                continue
            size = char_size(lead)
            char = text[i : i + size]
            if char == "\u03a3":
                lowered = "\u03c2" if self._final_sigma(text, i) else "\u03c3"
            else:
                lowered = self.lower_map.get(char, "")
            if lowered != "":
                pieces.append(text[done:i].lower())
                pieces.append(lowered)
                done = i + size
            i += size
        if done == 0:
            return text.lower()
        pieces.append(text[done:].lower())
        return "".join(pieces)
