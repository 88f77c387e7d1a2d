"""GitHub Actions workflow files: the model the DFX3xx rules read, their edits, their engine."""
