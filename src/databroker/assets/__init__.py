"""Import-path shims for databroker 1.x configs and scripts.

Only :mod:`databroker.assets.handlers` and :mod:`databroker.assets.path_only_handlers` exist;
the 1.x asset registries themselves were removed (use a catalog's handler registry).
"""
