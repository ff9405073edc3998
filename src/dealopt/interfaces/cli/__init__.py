"""The ``dealopt`` command line (see :mod:`dealopt.interfaces.cli.app`)."""

from dealopt.interfaces.cli.app import app, main

__all__ = ["app", "main"]
