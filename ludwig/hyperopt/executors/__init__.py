"""Hyperopt executors, registered by ``hyperopt.executor.type``."""
