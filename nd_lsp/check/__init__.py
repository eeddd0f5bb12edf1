"""check layer of nd-lsp."""
