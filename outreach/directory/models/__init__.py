"""Directory models, shaped on Open Referral HSDS 3.0.

Tables and columns carry HSDS names wherever HSDS has the concept, so an HSDS export is a mapping.
Where we differ, the column says so:

* ``schedule.timezone_name`` is an IANA zone; HSDS's ``timezone`` (a UTC offset) is derived on export,
  because an offset cannot tell winter from summer time and "open now" must be right in both.
* ``location.is_address_confidential`` mirrors the ``confidential-address`` attribute so queries and
  templates can never forget it.
* Text in other locales lives in ``translated_text`` (see :mod:`outreach.i18n.models`).
"""
from .base import (
    CONTENT_NAMESPACE,
    LOCATION_TYPES,
    PHONE_TYPES,
    SERVICE_STATUSES,
    WEEKDAYS,
    LocalText,
    Translatable,
    id_for_slug,
    new_id,
)
from .location import Accessibility, Address, Location, ServiceAtLocation
from .organization import Organization
from .service import (
    CostOption,
    Language,
    Phone,
    RequiredDocument,
    Schedule,
    Service,
    ServiceArea,
)
from .taxonomy import Attribute, Taxonomy, TaxonomyTerm

__all__ = [
    "CONTENT_NAMESPACE", "LOCATION_TYPES", "PHONE_TYPES", "SERVICE_STATUSES", "WEEKDAYS",
    "Accessibility", "Address", "Attribute", "CostOption", "Language", "LocalText", "Location",
    "Organization", "Phone", "RequiredDocument", "Schedule", "Service", "ServiceArea",
    "ServiceAtLocation", "Taxonomy", "TaxonomyTerm", "Translatable", "id_for_slug", "new_id",
]
