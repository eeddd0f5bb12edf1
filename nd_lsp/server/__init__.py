"""server layer of nd-lsp."""
