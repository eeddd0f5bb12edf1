"""specs layer of nd-lsp."""
