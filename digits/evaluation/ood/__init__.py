"""Out-of-distribution evaluation: digits the model was not trained on the style of.

`uci`: the UCI optical digits (scikit-learn's copy), read as pictures through `digits.data.imageprep`.
`variants`: a seeded robustness suite on MNIST's test set (after MNIST-C, Mu & Gilmer 2019).
Neither is ever trained on or used to pick an epoch; the `ood` stage only reports them.
"""
