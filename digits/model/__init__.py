"""The model: the classifiers (networks), their self-describing checkpoint file and how to get a missing one back."""
