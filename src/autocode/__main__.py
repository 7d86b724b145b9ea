"""`python -m autocode` runs the command line."""

from autocode.cli import main

main()
