"""The NumPy recurrent engine: cells, read-out, losses, optimizers, gradient check.

Nothing here imports a UI or another framework.
"""
