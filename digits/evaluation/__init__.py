"""Evaluation: the trained model scored on the test set, the collected holdout and out-of-distribution digits."""
