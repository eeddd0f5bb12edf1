"""rules layer of nd-lsp."""
