import torch

from ludwig.trainers.batch_size_tuner import batch_size_limit, candidate_batch_sizes

CPU = torch.device("cpu")
GPU = torch.device("cuda")


def test_cpu_limit_is_128_and_at_most_a_fifth_of_the_data():
    assert batch_size_limit(100_000, CPU, 2**40) == 128
    assert batch_size_limit(623, CPU, 2**40) == 124
    assert batch_size_limit(623, CPU, 16) == 16
    assert batch_size_limit(5, CPU, 2**40) == 2


def test_gpu_limit_has_no_128_cap():
    assert batch_size_limit(100_000, GPU, 2**40) == 20_000


def test_candidates_are_powers_of_two_up_to_the_limit():
    assert candidate_batch_sizes(124) == [2, 4, 8, 16, 32, 64]
    assert candidate_batch_sizes(128) == [2, 4, 8, 16, 32, 64, 128]
    assert candidate_batch_sizes(1) == [1]
