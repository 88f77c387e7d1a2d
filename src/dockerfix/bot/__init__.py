"""`dockerfix pr`: a pull request with dockerfix's fixes, opened and kept up to date."""
