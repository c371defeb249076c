"""``python -m relex``: the ``relex`` command line."""

from relex.cli import main

main()
