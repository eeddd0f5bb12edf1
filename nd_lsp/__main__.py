"""`python -m nd_lsp`: the same as the `nd-lsp` command."""

from nd_lsp.cli import run

run()
