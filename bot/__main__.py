"""Allows `python -m bot`, the same as the `lotse` console script."""

from bot.cli import main

main()
