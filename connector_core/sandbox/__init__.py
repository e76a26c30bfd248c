"""The sandbox campus: synthetic, deterministic data for demos and tests, and loopback serving."""

from connector_core.sandbox.campus import AS_OF, RATINGS, Campus, build_campus
from connector_core.sandbox.serve import serve

__all__ = ["AS_OF", "RATINGS", "Campus", "build_campus", "serve"]
