"""Core of the MNIST DVC pipeline: everything the stages compute, free of file layout."""
