"""Training: fit() with its batches, augmentation, optimizer and schedule, and a progress line for logs."""
