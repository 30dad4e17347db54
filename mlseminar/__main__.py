"""Allow `python -m mlseminar`."""

from mlseminar.cli import main

main()
