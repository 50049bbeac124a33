"""Data in: MNIST downloaded and split, pictures turned into MNIST-style inputs, the collected digits."""
