"""`python -m nd_lsp.server`: run the language server (same flags as `nd-lsp serve`)."""

import sys

from nd_lsp.server import main

sys.exit(main(sys.argv[1:]))
