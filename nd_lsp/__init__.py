"""nd-lsp: a language server and CI checker for Navidrome plugins."""

__version__ = "0.1.0"
