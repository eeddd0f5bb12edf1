"""Names of the extism-py SDK that Python plugins are written against (not Navidrome API names).

Kept apart from the Python front-end so that rules can name them without importing its parser.
"""

EXTISM_MODULE = "extism"
EXPORT_DECORATOR = "plugin_fn"
IMPORT_DECORATOR = "import_fn"
