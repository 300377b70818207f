"""Tokenizers by registry name: the values of a feature's ``preprocessing.tokenizer``.

A tokenizer turns one string into a list of token strings. ``tokenize_column`` applies one to a whole column;
the regex-based tokenizers run through pandas' vectorised string methods rather than a Python loop per row.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ludwig.utils.registry import Registry

if TYPE_CHECKING:
    import pandas as pd  # imported lazily: config validation, which reads the registry, must not load pandas


class Tokenizer:
    """Splits a string into tokens.

    Subclasses implement ``__call__``; a regex-based tokenizer sets ``pattern`` instead (its tokens are the
    matches of the pattern), which lets ``tokenize_column`` use ``Series.str.findall``.
    """

    pattern: re.Pattern | None = None

    def __call__(self, text: str) -> list[str]:
        if self.pattern is None:
            raise TypeError(f"{type(self).__name__} must implement __call__ or set `pattern`.")
        return self.pattern.findall(text)


tokenizer_registry: Registry[Callable[..., Tokenizer]] = Registry("tokenizer")


@tokenizer_registry.register("space")
class SpaceTokenizer(Tokenizer):
    """Whitespace-separated tokens."""

    pattern = re.compile(r"\S+")


@tokenizer_registry.register("space_punct")
class SpacePunctuationTokenizer(Tokenizer):
    """Words and single punctuation marks: ``"Hello, world!"`` -> ``["Hello", ",", "world", "!"]``."""

    pattern = re.compile(r"\w+|[^\w\s]")


@tokenizer_registry.register("characters")
class CharactersTokenizer(Tokenizer):
    """Every character is a token."""

    pattern = re.compile(r".", re.DOTALL)


class _SeparatorTokenizer(Tokenizer):
    """Tokens between a separator, stripped of surrounding whitespace; empty tokens are dropped."""

    separator: str = ""

    def __call__(self, text: str) -> list[str]:
        return [token for token in (part.strip() for part in text.split(self.separator)) if token]


@tokenizer_registry.register("underscore")
class UnderscoreTokenizer(_SeparatorTokenizer):
    """Tokens separated by underscores."""

    separator = "_"


@tokenizer_registry.register("comma")
class CommaTokenizer(_SeparatorTokenizer):
    """Tokens separated by commas."""

    separator = ","


@tokenizer_registry.register("untokenized")
class UntokenizedTokenizer(Tokenizer):
    """The whole string is one token."""

    def __call__(self, text: str) -> list[str]:
        return [text]


@tokenizer_registry.register("stripped")
class StrippedTokenizer(Tokenizer):
    """The whole string, stripped of surrounding whitespace, is one token."""

    def __call__(self, text: str) -> list[str]:
        stripped = text.strip()
        return [stripped] if stripped else []


def get_tokenizer(name: str, **kwargs: Any) -> Tokenizer:
    """The tokenizer registered as ``name``; keyword arguments go to its constructor.

    Raises:
        KeyError: naming the registered tokenizers when ``name`` is unknown.
    """
    return tokenizer_registry[name](**kwargs)


def lowercase_strings(strings: pd.Series) -> pd.Series:
    """Python's ``str.lower`` of every value, whatever backs the strings.

    Not ``Series.str.lower``: on pyarrow-backed strings it lowers character by character (no final-sigma rule,
    ``"İ"`` to ``"i"``), so the vocabulary would depend on whether pyarrow is installed.
    """
    return strings.map(str.lower)


def tokenize_column(column: pd.Series, tokenizer: Tokenizer, lowercase: bool = False) -> pd.Series:
    """Each value of ``column`` (read as a string; missing values as ``""``) as a list of tokens."""
    strings = column.fillna("").astype(str)
    if lowercase:
        strings = lowercase_strings(strings)
    if tokenizer.pattern is not None and type(tokenizer).__call__ is Tokenizer.__call__:
        return strings.str.findall(tokenizer.pattern)
    batch = getattr(tokenizer, "batch", None)
    if batch is not None:  # tokenizers that handle a whole list at once (Hugging Face)
        import pandas as pd

        return pd.Series(batch(strings.tolist()), index=strings.index, dtype=object)
    return strings.map(tokenizer)


# ---------------------------------------------------------------------------------------------------------
# Tokenizers that need options or optional packages. ``ludwig.utils.strings_utils.tokenizer_from_preprocessing``
# passes a tokenizer the preprocessing options named like its constructor arguments (``ngram_size``,
# ``pretrained_model_name_or_path``...). A tokenizer that maps text straight to ids (a Hugging Face tokenizer)
# sets ``produces_ids = True``, returns lists of ints, and provides ``get_vocab()`` (tokens by id),
# ``pad_token``, ``pad_token_id`` and ``unk_token``; its vocabulary and padding id then replace Ludwig's.


@tokenizer_registry.register("ngram")
class NgramTokenizer(Tokenizer):
    """Whitespace tokens followed by their n-grams (joined by a space) for n = 2 .. ``ngram_size``."""

    def __init__(self, ngram_size: int = 2):
        self.ngram_size = int(ngram_size)

    def __call__(self, text: str) -> list[str]:
        words = SpaceTokenizer.pattern.findall(text)
        tokens = list(words)
        for n in range(2, self.ngram_size + 1):
            tokens.extend(" ".join(words[i : i + n]) for i in range(len(words) - n + 1))
        return tokens


# English words without spaCy: words (with an inner apostrophe or hyphen), numbers and single punctuation marks.
_ENGLISH_WORD = re.compile(r"\d+(?:[.,]\d+)+|\w+(?:['\u2019-]\w+)*|[^\w\s]")
_NUMBER_LIKE = re.compile(r"^[+-]?(\d+([.,]\d+)*|\d*[.,]\d+)(st|nd|rd|th|%)?$", re.IGNORECASE)
_PUNCTUATION = re.compile(r"^[^\w\s]+$")


def _english_stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


@tokenizer_registry.register("english_tokenize")
class EnglishTokenizer(Tokenizer):
    """English words, numbers and punctuation marks (a regex word tokenizer; no spaCy needed)."""

    pattern = _ENGLISH_WORD


@tokenizer_registry.register("english_tokenize_filter")
class EnglishFilterTokenizer(Tokenizer):
    """English words without numbers, punctuation and tokens of one or two characters."""

    def __call__(self, text: str) -> list[str]:
        return [
            t
            for t in _ENGLISH_WORD.findall(text)
            if len(t) > 2 and not _NUMBER_LIKE.match(t) and not _PUNCTUATION.match(t)
        ]


@tokenizer_registry.register("english_tokenize_remove_stopwords")
class EnglishRemoveStopwordsTokenizer(Tokenizer):
    """English words without stop words (scikit-learn's English list, case-insensitive)."""

    def __init__(self):
        self.stop_words = _english_stop_words()

    def __call__(self, text: str) -> list[str]:
        return [t for t in _ENGLISH_WORD.findall(text) if t.lower() not in self.stop_words]


SPACY_MODELS = {
    "english": "en_core_web_sm",
    "italian": "it_core_news_sm",
    "spanish": "es_core_news_sm",
    "german": "de_core_news_sm",
    "french": "fr_core_news_sm",
    "portuguese": "pt_core_news_sm",
    "dutch": "nl_core_news_sm",
    "greek": "el_core_news_sm",
    "norwegian": "nb_core_news_sm",
    "lithuanian": "lt_core_news_sm",
    "danish": "da_core_news_sm",
    "polish": "pl_core_news_sm",
    "romanian": "ro_core_news_sm",
    "japanese": "ja_core_news_sm",
    "chinese": "zh_core_web_sm",
    "multi": "xx_ent_wiki_sm",
}

# Variant suffix -> (lemmatize, filter numbers/punctuation/short tokens, remove stop words).
_SPACY_VARIANTS = {
    "tokenize": (False, False, False),
    "tokenize_filter": (False, True, False),
    "tokenize_remove_stopwords": (False, False, True),
    "lemmatize": (True, False, False),
    "lemmatize_filter": (True, True, False),
    "lemmatize_remove_stopwords": (True, False, True),
}


class SpacyTokenizer(Tokenizer):
    """Tokens (or lemmas) from a spaCy language model, optionally filtered. Needs ``spacy`` and the model."""

    name: str = ""
    model_name: str = ""
    lemmatize = filter_tokens = remove_stopwords = False

    def __init__(self):
        install = f"pip install spacy && python -m spacy download {self.model_name}"
        try:
            import spacy
        except ImportError:
            raise ImportError(f"Tokenizer {self.name!r} needs spaCy, which is not installed: {install}") from None
        try:
            self.nlp = spacy.load(self.model_name, exclude=["parser", "ner"])
        except OSError:
            raise ImportError(
                f"Tokenizer {self.name!r} needs the spaCy model {self.model_name!r}, which is not installed: "
                f"python -m spacy download {self.model_name}"
            ) from None

    def _keep(self, token) -> bool:
        if token.is_space:
            return False
        if self.filter_tokens and (token.like_num or token.is_punct or len(token) <= 2):
            return False
        return not (self.remove_stopwords and token.is_stop)

    def __call__(self, text: str) -> list[str]:
        return [(t.lemma_ if self.lemmatize else t.text) for t in self.nlp(text) if self._keep(t)]


def _register_spacy_tokenizers() -> None:
    for language, model_name in SPACY_MODELS.items():
        for variant, (lemmatize, filter_tokens, remove_stopwords) in _SPACY_VARIANTS.items():
            name = f"{language}_{variant}"
            if name in tokenizer_registry:  # the English word tokenizers above work without spaCy
                continue
            cls = type(
                f"{language.title()}{variant.title().replace('_', '')}Tokenizer",
                (SpacyTokenizer,),
                {
                    "name": name,
                    "model_name": model_name,
                    "lemmatize": lemmatize,
                    "filter_tokens": filter_tokens,
                    "remove_stopwords": remove_stopwords,
                    "__doc__": f"spaCy {language} {variant.replace('_', ' ')} (model {model_name}).",
                },
            )
            tokenizer_registry.register(name)(cls)


_register_spacy_tokenizers()


@tokenizer_registry.register("sentencepiece")
class SentencePieceTokenizer(Tokenizer):
    """SentencePiece pieces from a local ``.model`` file given as ``pretrained_model_name_or_path``.

    Needs the ``sentencepiece`` package.
    """

    def __init__(self, pretrained_model_name_or_path: str | None = None):
        try:
            import sentencepiece
        except ImportError:
            raise ImportError(
                "Tokenizer 'sentencepiece' needs the sentencepiece package, which is not installed: "
                "pip install sentencepiece"
            ) from None
        path = pretrained_model_name_or_path
        if not path or not os.path.isfile(path):
            raise ValueError(
                "Tokenizer 'sentencepiece' needs preprocessing.pretrained_model_name_or_path set to a local "
                f"SentencePiece .model file; found {path!r}."
            )
        self.processor = sentencepiece.SentencePieceProcessor(model_file=path)

    def __call__(self, text: str) -> list[str]:
        return list(self.processor.encode(text, out_type=str))


@tokenizer_registry.register("hf_tokenizer")
class HFTokenizer(Tokenizer):
    """A pretrained Hugging Face tokenizer from ``pretrained_model_name_or_path`` (a local directory, or a hub
    name already in the local cache). It maps text straight to ids of its own vocabulary, special tokens
    ([CLS]/[SEP], <s>/</s>...) included, and pads with its own padding id.
    """

    produces_ids = True

    default_checkpoint: str | None = None  # the named variants (bert, gpt2bpe, clip) have one

    def __init__(self, pretrained_model_name_or_path: str | None = None):
        pretrained_model_name_or_path = pretrained_model_name_or_path or self.default_checkpoint
        if not pretrained_model_name_or_path:
            raise ValueError(
                "Tokenizer 'hf_tokenizer' needs preprocessing.pretrained_model_name_or_path: a local directory "
                "holding a Hugging Face tokenizer (or a hub name in the local cache)."
            )
        from ludwig.utils.hf_utils import cached_pretrained_tokenizer, model_max_length, tokenizer_vocabulary

        self.pretrained_model_name_or_path = pretrained_model_name_or_path
        self.tokenizer = cached_pretrained_tokenizer(pretrained_model_name_or_path)
        self._vocab = tokenizer_vocabulary(self.tokenizer)
        self.pad_token = self.tokenizer.pad_token
        self.pad_token_id = int(self.tokenizer.pad_token_id)
        self.unk_token = self.tokenizer.unk_token if self.tokenizer.unk_token is not None else self.pad_token
        self.model_max_length = model_max_length(self.tokenizer)

    def get_vocab(self) -> list[str]:
        """The tokens ordered by id."""
        return self._vocab

    def __call__(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=True, truncation=False, verbose=False)["input_ids"]

    def batch(self, texts: list[str]) -> list[list[int]]:
        """Ids of many strings in one call (a fast tokenizer runs them in Rust, in parallel)."""
        if not texts:
            return []
        return self.tokenizer(texts, add_special_tokens=True, truncation=False, verbose=False)["input_ids"]


@tokenizer_registry.register("bert")
class BertTokenizer(HFTokenizer):
    """BERT's WordPiece tokenizer (``bert-base-uncased`` unless ``pretrained_model_name_or_path`` names another)."""

    default_checkpoint = "bert-base-uncased"


@tokenizer_registry.register("gpt2bpe")
class GPT2BPETokenizer(HFTokenizer):
    """GPT-2's byte-level BPE tokenizer (``gpt2`` unless ``pretrained_model_name_or_path`` names another)."""

    default_checkpoint = "gpt2"


@tokenizer_registry.register("clip")
class CLIPTokenizer(HFTokenizer):
    """CLIP's BPE tokenizer (``openai/clip-vit-base-patch32`` unless ``pretrained_model_name_or_path`` says)."""

    default_checkpoint = "openai/clip-vit-base-patch32"
