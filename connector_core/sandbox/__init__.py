"""The sandbox: one synthetic campus for every system, loopback serving, and the toolkit imitations share.

A plugin's sandbox imports from here: the campus, `serve`, and the parts every imitation of a
campus system needs (credential checks, capped paging, a throttle, SOAP envelopes, faults and a service
that routes operations, a change-notification queue), so each imitation says only what is particular to its system.
"""

from connector_core.sandbox import soap_faults
from connector_core.sandbox.auth import basic_credentials, basic_ok, bearer_token, grant_for, unauthorized
from connector_core.sandbox.campus import AS_OF, RATINGS, Campus, Person, Section, build_campus
from connector_core.sandbox.changes import ChangeQueue
from connector_core.sandbox.paging import (
    BadBookmark,
    LinkedPage,
    OffsetPage,
    bookmarked_page,
    capped,
    link_header,
    numbered_page,
    offset_page,
    page_url,
)
from connector_core.sandbox.serve import serve
from connector_core.sandbox.soap import (
    BadEnvelope,
    Envelope,
    UsernameToken,
    envelope,
    fault,
    fault_response,
    parse_xml,
    read_envelope,
    soap_response,
)
from connector_core.sandbox.soap_service import SoapService
from connector_core.sandbox.throttle import BucketTuning, LeakyBucket, Throttle, plain_refusal

__all__ = [
    "AS_OF",
    "RATINGS",
    "BadBookmark",
    "BadEnvelope",
    "BucketTuning",
    "Campus",
    "ChangeQueue",
    "Envelope",
    "LeakyBucket",
    "LinkedPage",
    "OffsetPage",
    "Person",
    "Section",
    "SoapService",
    "Throttle",
    "UsernameToken",
    "basic_credentials",
    "basic_ok",
    "bearer_token",
    "bookmarked_page",
    "build_campus",
    "capped",
    "envelope",
    "fault",
    "fault_response",
    "grant_for",
    "link_header",
    "numbered_page",
    "offset_page",
    "page_url",
    "parse_xml",
    "plain_refusal",
    "read_envelope",
    "serve",
    "soap_faults",
    "soap_response",
    "unauthorized",
]
