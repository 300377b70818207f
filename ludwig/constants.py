"""String constants shared across the package: feature types, split names, config keys."""

# Feature types
BINARY = "binary"
NUMBER = "number"
CATEGORY = "category"
CATEGORY_DISTRIBUTION = "category_distribution"
SET = "set"
BAG = "bag"
SEQUENCE = "sequence"
TEXT = "text"
TIMESERIES = "timeseries"
IMAGE = "image"
AUDIO = "audio"
VECTOR = "vector"
DATE = "date"
H3 = "h3"

# Model types
MODEL_ECD = "ecd"
MODEL_LLM = "llm"

# Splits
TRAINING = "training"
VALIDATION = "validation"
TEST = "test"
FULL = "full"
SPLIT = "split"
COMBINED = "combined"

# Config sections and keys
INPUT_FEATURES = "input_features"
OUTPUT_FEATURES = "output_features"
COMBINER = "combiner"
TRAINER = "trainer"
PREPROCESSING = "preprocessing"
DEFAULTS = "defaults"
HYPEROPT = "hyperopt"
BACKEND = "backend"
MODEL_TYPE = "model_type"
NAME = "name"
TYPE = "type"
COLUMN = "column"
PROC_COLUMN = "proc_column"
ENCODER = "encoder"
DECODER = "decoder"
LOSS = "loss"

# Metric and prediction names
LOSS_METRIC = "loss"
PREDICTIONS = "predictions"
PROBABILITIES = "probabilities"
PROBABILITY = "probability"
LOGITS = "logits"

# Missing-value strategies
FILL_WITH_CONST = "fill_with_const"
FILL_WITH_MODE = "fill_with_mode"
FILL_WITH_MEAN = "fill_with_mean"
FILL_WITH_FALSE = "fill_with_false"
FILL_WITH_TRUE = "fill_with_true"
BFILL = "bfill"
FFILL = "ffill"
DROP_ROW = "drop_row"

# Special symbols
UNKNOWN_SYMBOL = "<UNK>"
PADDING_SYMBOL = "<PAD>"
START_SYMBOL = "<SOS>"
STOP_SYMBOL = "<EOS>"

AUTO = "auto"

# Values of ``data_format`` for data on disk (the API also takes "dataframe", "df" and "dict").
FILE_DATA_FORMATS = (
    "auto", "csv", "tsv", "json", "jsonl", "excel", "parquet", "pickle", "feather", "fwf", "html", "orc", "sas",
    "spss", "stata", "hdf5", "h5",
)  # fmt: skip
