"""Runs that travel: copying a run's documents and its external files somewhere else.

Intake-free: everything here works on any object with the small :class:`SourceRun`
interface (``uid``, ``documents(fill=, strict_order=)``, ``get_file_list(resource)``) and on
plain callables for writing documents and copying files, so the v1 ``export`` and
``Registry.copy_files``, and later bundles and job catalogs, share one implementation.
"""
