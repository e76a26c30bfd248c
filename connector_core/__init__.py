"""lerconnect: campus records in, standard verifiable Learning and Employment Records out.

This module is the public face a plugin imports from, together with the toolkits it names:
`connector_core.read` (values out of raw records, each bad one a RecordError naming its field),
`connector_core.sandbox` (the synthetic campus and serving helpers), `connector_core.testing` (the
plugin test kit) and `connector_core.transport` (REST and SOAP clients, paginators, source bases).
Everything else is internal.

The names are listed once, in `__init__.pyi` (which type checkers read), and each is imported on
first use (PEP 562), so a command that needs none of them, such as `lerconnect --help`, starts quickly.
"""

import lazy_loader

__version__ = "0.1.0"

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
__all__ += ["__version__"]
