"""``python -m cpdcore.cli`` runs the ``cpd`` command."""

from cpdcore.cli import main

main()
