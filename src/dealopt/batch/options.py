"""Bad arguments of the batch functions: one error class naming the argument, as the function spells it.

Library messages never name command-line flags: the CLI maps :attr:`OptionError.argument`
to its flag (``out`` → ``-o``) when it prints the message.
"""

from __future__ import annotations

from dealopt.errors import DealoptError

__all__ = ["OptionError"]


class OptionError(DealoptError):
    """An argument of a batch function is not usable; ``argument`` names it, ``detail`` says why."""

    def __init__(self, argument: str, detail: str) -> None:
        self.argument = argument
        self.detail = detail
        super().__init__(f"{argument}: {detail}")

    def shown_as(self, names: dict[str, str]) -> str:
        """The message with the argument renamed as in ``names`` (e.g. a CLI flag)."""
        return f"{names.get(self.argument, self.argument)}: {self.detail}"
