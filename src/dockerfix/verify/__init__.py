"""`dockerfix verify`: build the original and the rewritten Dockerfile and compare the results."""
