import torch

from ludwig.trainers.batch_size_tuner import batch_size_limit, candidate_batch_sizes

CPU = torch.device("cpu")
GPU = torch.device("cuda")


def test_cpu_limit_is_128_and_keeps_32_steps_per_epoch():
    assert batch_size_limit(100_000, CPU, 2**40) == 128
    assert batch_size_limit(8_192, CPU, 2**40) == 128
    assert batch_size_limit(2_048, CPU, 2**40) == 64
    assert batch_size_limit(623, CPU, 2**40) == 19  # Titanic's training split: auto picks 16
    assert batch_size_limit(623, CPU, 8) == 8
    assert batch_size_limit(40, CPU, 2**40) == 8  # a fifth of the data still wins on tiny tables
    assert batch_size_limit(5, CPU, 2**40) == 2


def test_gpu_limit_has_no_128_cap():
    assert batch_size_limit(100_000, GPU, 2**40) == 20_000


def test_candidates_are_powers_of_two_up_to_the_limit():
    assert candidate_batch_sizes(124) == [2, 4, 8, 16, 32, 64]
    assert candidate_batch_sizes(128) == [2, 4, 8, 16, 32, 64, 128]
    assert candidate_batch_sizes(1) == [1]
