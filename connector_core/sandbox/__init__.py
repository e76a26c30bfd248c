"""The sandbox: one synthetic campus for every system, loopback serving, and the toolkit imitations share.

A plugin's sandbox imports from here: the campus, `serve`, and the parts every imitation of a
campus system needs (credential checks, capped paging, a throttle, SOAP envelopes, faults and a service
that routes operations, a change-notification queue), so each imitation says only what is particular to its system.

The names are listed once, in `__init__.pyi`, and each is imported on first use (PEP 562): the
campus alone does not bring in the HTTP and SOAP servers.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)
