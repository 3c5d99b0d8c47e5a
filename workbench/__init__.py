"""The analyst workbench: summit workspaces reviewed in the browser (``/``) or with ``stance summit``."""
