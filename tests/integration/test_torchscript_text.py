"""TorchScript text and sequence preprocessing: every scriptable tokenizer, lowercasing, ``split`` and ``strip``
give exactly what Python gives on any Unicode text, and a scripted pipeline with text/sequence inputs makes the
tensors of Python preprocessing and the predictions of ``model.predict``."""

from __future__ import annotations

import importlib.util
import random
import re

import numpy as np
import pandas as pd
import pytest
import torch

from ludwig.model_export.torchscript.base import Unscriptable
from ludwig.model_export.torchscript.lowercasing import build_lowercase
from ludwig.model_export.torchscript.tokenizers import SCRIPTABLE_TOKENIZERS, build_tokenizer
from ludwig.model_export.torchscript.unicode_text import CharacterClasses, character_classes
from ludwig.models.ecd import module_keys
from ludwig.utils.tokenizers import UntokenizedTokenizer, get_tokenizer, tokenize_column

from .torchscript_utils import (
    assert_scripted_inputs_match,
    assert_scripted_outputs_match,
    raw_strings,
    train,
    word_level_tokenizer,
)

TRICKY = [
    "",
    " ",
    "Hello, world!",
    "ÉCOLE Élève ÀÖ",
    "ΣΑΣ ΌΣΟΣ. Σ aΣ AΣ' A'Σ aΣb Σ\u0345",
    "İstanbul Straße ǅemal Kelvin\u212a",
    "中文字符 日本語のテキスト 한국어",
    "emoji 😀👍🏽 and 🇫🇷!",
    "“quoted” — dash… ‘single’ «guillemets» ¿qué? ¡sí!",
    "non\u00a0breaking\u2003em\u3000ideographic\u2009thin\u200bzero-width\u2028line\u0085next",
    "tabs\tand\nnew\r\nlines\x0b\x0c\x1c\x1d\x1e\x1f end",
    "  leading and trailing \u00a0\t",
    "3.14 1,000 1,000.5 .5 5. 1.2.3 ١٢٣.٤٥ ²³ 21st 2ND 3rd% 4th +5 -3.2 50% 1ſt",
    "don't rock-n-roll l’amour -x x- 'quoted' o'neil's well--done",
    "snake_case __dunder__ a_b__c ,, d , e,f",
    "The quick brown fox IS NOT the one WHO was there",
    "a\u0301e\u0308 combining marks \u0300alone",
    "<UNK> <unk> [UNK] <PAD>",
    "Ⅻ ⅻ ① ½ x² ẞ ﬁ ǈ ǋ",
]

# Characters that the tokenizers treat specially, mixed with random code points in the generated strings.
POOL = list("aZ09_ .,'-+%\t\n") + [
    "\u2019",
    "\u00a0",
    "\u3000",
    "É",
    "Σ",
    "σ",
    "İ",
    "ß",
    "中",
    "😀",
    "“",
    "—",
    "…",
    "١",
    "²",
]


def generated_strings(count: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    strings = []
    for _ in range(count):
        characters = []
        for _ in range(rng.randint(0, 14)):
            if rng.random() < 0.2:
                code_point = rng.randrange(0x110000)
                characters.append(chr(code_point) if not 0xD800 <= code_point < 0xE000 else "x")
            else:
                characters.append(rng.choice(POOL))
        strings.append("".join(characters))
    return strings


STRINGS = TRICKY + generated_strings(600)


@pytest.fixture(scope="module")
def classes():
    return torch.jit.script(CharacterClasses())


@pytest.fixture(scope="module")
def lowercase():
    return torch.jit.script(build_lowercase())


def assert_same(scripted, python, strings: list[str], what: str) -> None:
    mismatches = [(s, scripted(s), python(s)) for s in strings if scripted(s) != python(s)]
    assert not mismatches, f"{what}: {len(mismatches)} mismatches, first: {mismatches[:3]}"


# ---------------------------------------------------------------------------------------------------------
# Primitives and tokenizers, scripted, against Python


def test_scripted_lowercase_split_strip_and_characters_match_python(classes, lowercase):
    assert_same(lowercase, str.lower, STRINGS, "lower")
    assert_same(classes.split, str.split, STRINGS, "split")
    assert_same(classes.strip, str.strip, STRINGS, "strip")
    assert_same(classes.characters, list, STRINGS, "characters")


def test_lowercase_applies_the_final_sigma_rule(lowercase):
    for text in ["ΣΑΣ", "ΟΔΟΣ.", "Σ", "aΣ'", "a'Σb", "Σ\u0345"]:
        assert lowercase(text) == text.lower(), text
    assert lowercase("ΟΔΟΣ ΣΑΣ") == "οδος σας"


def test_preprocessing_lowers_as_python_whatever_backs_the_strings(lowercase):
    # pandas' own str.lower on pyarrow-backed strings drops the final-sigma rule; preprocessing must not use it.
    for dtype in (object, "string[python]", "string[pyarrow]" if importlib.util.find_spec("pyarrow") else object):
        column = pd.Series(STRINGS, dtype=dtype)
        lowered = [row[0] for row in tokenize_column(column, UntokenizedTokenizer(), lowercase=True)]
        assert lowered == [s.lower() for s in STRINGS], dtype
    mismatches = [(s, lowercase(s)) for s in STRINGS if lowercase(s) != s.lower()]
    assert not mismatches, mismatches[:3]


def test_character_classes_agree_with_python_regex():
    table = character_classes()
    rng = random.Random(1)
    code_points = list(range(0x1000)) + [rng.randrange(0x110000) for _ in range(20000)]
    for cp in code_points:
        char = chr(cp)
        bits = table.lookup(cp)
        assert bool(bits & 1) == bool(re.match(r"\w", char)), hex(cp)
        assert bool(bits & 2) == bool(re.match(r"\d", char)), hex(cp)
        assert bool(bits & 4) == char.isspace() == bool(re.match(r"\s", char)), hex(cp)


TOKENIZER_CASES = [(name, {}) for name in SCRIPTABLE_TOKENIZERS] + [("ngram", {"ngram_size": 3})]


@pytest.mark.parametrize("name,options", TOKENIZER_CASES, ids=[f"{n}{o or ''}" for n, o in TOKENIZER_CASES])
def test_scripted_tokenizer_matches_python(name, options):
    scripted = torch.jit.script(build_tokenizer(name, **options))
    assert_same(scripted, get_tokenizer(name, **options), STRINGS, name)


def test_scriptable_tokenizers_cover_the_builtin_ones():
    assert {"space", "space_punct", "characters", "ngram", "english_tokenize_remove_stopwords"} <= set(
        SCRIPTABLE_TOKENIZERS
    )


def test_build_tokenizer_names_the_scriptable_ones_for_an_unscriptable_tokenizer():
    with pytest.raises(Unscriptable, match=r"tokenizer 'french_tokenize' has no TorchScript form.*'space_punct'"):
        build_tokenizer("french_tokenize")


try:
    from hypothesis import given, settings
    from hypothesis import strategies as st
except ImportError:  # hypothesis is optional
    given = None

if given is not None:
    PROPERTY_NAMES = ["space_punct", "english_tokenize_filter", "english_tokenize_remove_stopwords", "comma"]

    @pytest.fixture(scope="module")
    def property_modules():
        return {name: torch.jit.script(build_tokenizer(name)) for name in PROPERTY_NAMES}

    text_strategy = st.text(
        alphabet=st.one_of(st.characters(exclude_categories=("Cs",)), st.sampled_from(POOL)), max_size=20
    )

    @settings(max_examples=150, deadline=None)
    @given(text=text_strategy)
    def test_scripted_text_primitives_match_python_on_any_text(classes, lowercase, property_modules, text):
        assert lowercase(text) == text.lower()
        assert classes.split(text) == text.split()
        assert classes.strip(text) == text.strip()
        for name, module in property_modules.items():
            assert module(text) == get_tokenizer(name)(text), name


# ---------------------------------------------------------------------------------------------------------
# Whole pipelines: train a tiny model, script it, compare with Python preprocessing and predict

WORDS = [
    "alpha",
    "Beta",
    "gamma",
    "Éclair",
    "ΣΟΦΙΑ",
    "naïve",
    "東京",
    "don't",
    "rock-n-roll",
    "3.14",
    "1,000",
    "“hi”",
    "the",
]


def text_frame(separator: str, num_rows: int = 80, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    labels = rng.choice(["x", "y", "z"], size=num_rows)
    texts = [separator.join(list(rng.choice(WORDS, size=rng.integers(1, 5))) + [str(label)]) for label in labels]
    return pd.DataFrame({"txt": texts, "label": labels})


def prediction_rows(df: pd.DataFrame, separator: str) -> pd.DataFrame:
    rows = df.iloc[:12].reset_index(drop=True).astype(object)
    rows.loc[0, "txt"] = None  # missing: "" in the raw strings, filled with the training fill value
    rows.loc[1, "txt"] = separator.join(["alpha", "never_seen\u00e9", "Beta", "<UNK>"])  # unseen tokens
    rows.loc[2, "txt"] = separator.join(WORDS * 3)  # longer than max_sequence_length: truncated
    rows.loc[3, "txt"] = separator.join(["ALPHA", "beta", "GaMmA", "ÉCLAIR", "σοφια", "ΣΟΦΊΑΣ"])  # mixed case
    rows.loc[4, "txt"] = separator.join(["中文", "😀", "İstanbul", "Straße", "—", "…"])  # non-ASCII
    rows.loc[5, "txt"] = "\u00a0alpha\u3000" + separator + "\tgamma\n"  # Unicode and ASCII spaces
    rows.loc[6, "txt"] = "  "
    return rows


def sequence_config(feature_type: str, preprocessing: dict) -> dict:
    return {
        "input_features": [
            {
                "name": "txt",
                "type": feature_type,
                "preprocessing": preprocessing,
                "encoder": {"type": "embed", "embedding_size": 8},
            }
        ],
        "output_features": [{"name": "label", "type": "category"}],
        "trainer": {"epochs": 1, "batch_size": 32, "learning_rate": 0.02},
    }


PIPELINE_CASES = {
    "text_default_space_punct": ("text", {}, " "),
    "text_remove_stopwords": ("text", {"tokenizer": "english_tokenize_remove_stopwords"}, " "),
    "text_filter_left": ("text", {"tokenizer": "english_tokenize_filter", "padding": "left"}, " "),
    "sequence_space_lowercase": ("sequence", {"lowercase": True, "max_sequence_length": 6}, " "),
    "sequence_space_left": ("sequence", {"max_sequence_length": 5, "padding": "left"}, " "),
    "sequence_ngram": ("sequence", {"tokenizer": "ngram", "ngram_size": 3, "max_sequence_length": 12}, " "),
    "sequence_characters_left": ("sequence", {"tokenizer": "characters", "padding": "left"}, " "),
    "sequence_comma_lowercase": ("sequence", {"tokenizer": "comma", "lowercase": True}, ", "),
    "text_underscore": ("text", {"tokenizer": "underscore", "max_sequence_length": 6}, "_"),
    "text_stripped": ("text", {"tokenizer": "stripped"}, " "),
    "sequence_untokenized": ("sequence", {"tokenizer": "untokenized"}, " "),
}


@pytest.mark.parametrize("case", list(PIPELINE_CASES))
def test_scripted_pipeline_preprocesses_text_and_sequences_as_python(case, tmp_path):
    check_pipeline(*PIPELINE_CASES[case], tmp_path)


def check_pipeline(feature_type: str, preprocessing: dict, separator: str, tmp_path) -> None:
    """Train, script, and compare the scripted tensors (batch and row by row) and the results of the saved and
    reloaded module with Python preprocessing and ``model.predict`` on tricky rows."""
    df = text_frame(separator)
    model, _ = train(sequence_config(feature_type, preprocessing), df, tmp_path)
    rows = prediction_rows(df, separator)

    module = model.to_torchscript()
    key = module_keys(["txt", "label"])["txt"]
    assert_scripted_inputs_match(module, model, rows)
    scripted = getattr(module.preprocessors, key)
    raw = raw_strings(rows, ["txt"])["txt"]
    batch = scripted(raw)
    assert batch.shape[1] == model.training_set_metadata["txt"]["max_sequence_length"]
    for i, value in enumerate(raw):  # one row alone takes the single-request path
        assert torch.equal(scripted([value])[0], batch[i]), value

    model.save_torchscript(str(tmp_path / "ts"))
    loaded = torch.jit.load(str(tmp_path / "ts" / "inference_module.pt"))
    assert_scripted_outputs_match(loaded(raw_strings(rows, ["txt"])), model.predict(rows)[0], model)


# ---------------------------------------------------------------------------------------------------------
# Hugging Face BERT WordPiece tokenizers (offline: tiny local vocabularies)

SUBWORDS = ["un", "##able", "##s", "##ing", "play", "é", "##é", "cafe", "café", "中", "σοφια", "ς", "##ς", "i", "##̇"]
SUBWORDS += ["x", "##x", "3", "##.", ".", ",", "1", "##1", "!", "—", "…", "“", "a", "##a", "[", "]", "<", ">", "unk"]
WORDPIECE_EXTRAS = [
    "unable plays playing",
    "[MASK] the [CLS][SEP]x[MASK",
    "café CAFÉ Café cafe\u0301",
    "x" * 150,
    "a" * 101 + " " + "a" * 100,
    "ΣΟΦΙΑΣ σοφιας",
    "[UNK]<unk>",
    "\x00\ufffd\x07\u200b",
    "中文 字",
    "b##a",
    "İ i̇",
]


@pytest.fixture
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="module")
def bert_tokenizers(tmp_path_factory) -> dict[str, str]:
    """Directories of the tiny BERT of tests/hf_models.py and of lowercasing/cased WordPiece vocabularies with
    subwords and non-ASCII pieces."""
    from transformers import BertTokenizerFast

    from tests.hf_models import SPECIAL_TOKENS, save_tiny_bert
    from tests.hf_models import WORDS as BERT_WORDS

    folders = {"tiny_bert": save_tiny_bert(str(tmp_path_factory.mktemp("tiny_bert")))}
    vocab = {token: i for i, token in enumerate(SPECIAL_TOKENS + list(BERT_WORDS) + SUBWORDS)}
    for name, lower in (("subwords_uncased", True), ("subwords_cased", False)):
        folders[name] = str(tmp_path_factory.mktemp(name))
        BertTokenizerFast(vocab=vocab, do_lower_case=lower).save_pretrained(folders[name])
    return folders


@pytest.mark.parametrize("which", ["tiny_bert", "subwords_uncased", "subwords_cased"])
def test_scripted_wordpiece_matches_hugging_face_ids(which, bert_tokenizers, offline):
    from ludwig.model_export.torchscript.wordpiece import build_wordpiece
    from ludwig.utils.hf_utils import load_pretrained_tokenizer

    hf_tokenizer = load_pretrained_tokenizer(bert_tokenizers[which])
    scripted = torch.jit.script(build_wordpiece(hf_tokenizer))

    def hugging_face(text: str) -> list[int]:
        return hf_tokenizer(text, add_special_tokens=True, truncation=False, verbose=False)["input_ids"]

    assert_same(scripted, hugging_face, STRINGS + WORDPIECE_EXTRAS, which)


@pytest.mark.parametrize(
    "which,feature_type,preprocessing",
    [
        ("tiny_bert", "text", {}),
        ("subwords_cased", "text", {"lowercase": False, "padding": "left", "max_sequence_length": 9}),
    ],
    ids=["tiny_bert_lowercase", "subwords_cased_left"],
)
def test_scripted_pipeline_runs_bert_wordpiece_as_hugging_face(
    which, feature_type, preprocessing, bert_tokenizers, offline, tmp_path
):
    preprocessing = {
        "tokenizer": "hf_tokenizer",
        "pretrained_model_name_or_path": bert_tokenizers[which],
    } | preprocessing
    check_pipeline(feature_type, preprocessing, " ", tmp_path)


def test_unscriptable_tokenizer_names_the_feature_tokenizer_and_the_alternatives(tmp_path):
    words = sorted({w.lower() for w in WORDS} | set("xyz"))
    folder = word_level_tokenizer(tmp_path / "word_level", words)
    preprocessing = {"tokenizer": "hf_tokenizer", "pretrained_model_name_or_path": folder}
    model, _ = train(sequence_config("text", preprocessing), text_frame(" "), tmp_path)
    with pytest.raises(ValueError) as error:
        model.to_torchscript()
    message = str(error.value)
    assert "'txt' (text)" in message and "'hf_tokenizer'" in message and "not a BERT WordPiece" in message, message
    assert "'space_punct'" in message and "model_only=True" in message, message
    assert model.to_torchscript(model_only=True) is not None
