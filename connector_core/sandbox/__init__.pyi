"""What a type checker sees of the lazily imported public face (`__init__.py` imports each on first use)."""

from . import soap_faults
from .auth import basic_credentials, basic_ok, bearer_token, grant_for, unauthorized
from .campus import AS_OF, RATINGS, Campus, Person, Section, build_campus
from .changes import ChangeQueue
from .paging import (
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
from .serve import serve
from .soap import (
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
from .soap_service import SoapService
from .throttle import BucketTuning, LeakyBucket, Throttle, plain_refusal

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
