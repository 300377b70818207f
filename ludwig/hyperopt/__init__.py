"""Hyperparameter optimisation: ``ludwig.hyperopt.run.hyperopt`` and its executors (Ray Tune, Optuna)."""
