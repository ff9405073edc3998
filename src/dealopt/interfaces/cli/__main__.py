"""``python -m dealopt.interfaces.cli``: the same as the ``dealopt`` command."""

from dealopt.interfaces.cli.app import main

main()
