"""dockerfix: rewrite Dockerfiles so the build cache works."""

__version__ = "0.1.0.dev0"
