"""frontends layer of nd-lsp."""
