"""Runnable examples of oxignite. They need torch (and scikit-learn for the data).

- ``python -m oxignite.examples.digits``: an MLP on scikit-learn's bundled digits, with
  evaluation, checkpoints, early stopping, TensorBoard logs, resume and distributed runs
  (``--nproc 2`` or ``torchrun --nproc_per_node=2 -m oxignite.examples.digits``).
"""
