"""Bad arguments of the batch functions: :class:`dealopt.errors.OptionError`, naming the argument as the function
spells it (the CLI maps it to its flag, ``out`` → ``-o``, with :meth:`~dealopt.errors.OptionError.shown_as`)."""

from __future__ import annotations

from dealopt.errors import OptionError

__all__ = ["OptionError"]
