"""Result cards: what a list of listings shows, read with plain set-based queries.

A search or browse page shows twenty cards. Loading them as ORM objects (a service, its organization,
translations, phones, languages, attributes, schedules, places: nine queries and a few hundred mapped
objects) cost ~13 ms per page at 50,000 listings; the same rows read as tuples into the small classes
below cost a fraction of that. A card answers what the card templates ask of a service — ``text()``,
``organization``, ``phones``, ``schedules``, ``languages``, ``has_flag()``, ``is_remote_only``,
``terms()`` — with the same results as the model (tests compare the two).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from sqlalchemy import and_, bindparam, literal, or_, select, union_all

from ..extensions import db
from ..i18n.models import TranslatedText
from .hours import WeeklyRule
from .models import Attribute, Language, Organization, Phone, Schedule, Service, ServiceAtLocation
from .models.base import ReadTexts
from .models.service import tel_uri
from .taxonomy import snapshot

CARD_TEXT_FIELDS = ("name", "description")


@dataclass(frozen=True)
class CardPhone:
    number: str
    extension: str | None
    type: str

    @property
    def tel_uri(self) -> str:
        return tel_uri(self.number, self.extension, self.type)


@dataclass(frozen=True)
class CardLanguage:
    code: str


@dataclass(eq=False)
class OrganizationCard(ReadTexts):
    id: str
    name: str
    description: str
    source_locale: str
    translated: dict[tuple[str, str], str] = field(default_factory=dict)
    phones: list[CardPhone] = field(default_factory=list)


@dataclass(eq=False)
class ServiceCard(ReadTexts):
    id: str
    name: str
    description: str
    status: str
    source_locale: str
    organization: OrganizationCard
    translated: dict[tuple[str, str], str] = field(default_factory=dict)
    phones: list[CardPhone] = field(default_factory=list)
    languages: list[CardLanguage] = field(default_factory=list)
    schedules: list[WeeklyRule] = field(default_factory=list)
    term_ids: list[str] = field(default_factory=list)
    has_place: bool = False
    _terms: list | None = field(default=None, repr=False)

    def _linked_terms(self) -> list:
        if self._terms is None:  # a card lives for one request: the taxonomy cannot change under it
            by_id = snapshot().by_id
            self._terms = [term for term_id in self.term_ids if (term := by_id.get(term_id)) is not None]
        return self._terms

    def has_flag(self, code: str) -> bool:
        return any(term.code == code for term in self._linked_terms())

    def terms(self, taxonomy_name: str) -> list:
        return [term for term in self._linked_terms() if term.taxonomy.name == taxonomy_name]

    @property
    def is_remote_only(self) -> bool:
        return self.has_flag("remote-only") or not self.has_place


def _statements() -> dict[str, object]:
    """The card queries, built once: a statement built per call spends more time in SQLAlchemy's
    argument checks and cache keys than SQLite spends answering it. ``ids``/``orgs`` are expanding
    parameters."""
    ids, orgs = bindparam("ids", expanding=True), bindparam("orgs", expanding=True)
    languages = select(literal("language"), Language.service_id, Language.code).where(Language.service_id.in_(ids))
    attributes = select(literal("attribute"), Attribute.link_id, Attribute.taxonomy_term_id).where(
        Attribute.link_entity == "service", Attribute.link_id.in_(ids), Attribute.taxonomy_term_id.is_not(None))
    places = select(literal("place"), ServiceAtLocation.service_id, ServiceAtLocation.location_id).where(
        ServiceAtLocation.service_id.in_(ids))
    return {
        "services": select(Service.id, Service.name, Service.description, Service.status, Service.source_locale,
                           Organization.id, Organization.name, Organization.description, Organization.source_locale)
        .join(Organization, Organization.id == Service.organization_id)
        .where(Service.id.in_(ids), Service.status.in_(bindparam("statuses", expanding=True))),
        "texts": select(TranslatedText.link_entity, TranslatedText.link_id, TranslatedText.field, TranslatedText.locale,
                        TranslatedText.value).where(
            or_(and_(TranslatedText.link_entity == "service", TranslatedText.link_id.in_(ids)),
                and_(TranslatedText.link_entity == "organization", TranslatedText.link_id.in_(orgs))),
            TranslatedText.field.in_(CARD_TEXT_FIELDS), TranslatedText.is_stale.is_(False)),
        "phones": select(Phone.service_id, Phone.organization_id, Phone.number, Phone.extension, Phone.type)
        .where(or_(Phone.service_id.in_(ids), Phone.organization_id.in_(orgs))),
        # Languages, categories and flags, and whether the service has a place: one query of three parts.
        "parts": union_all(languages, attributes, places),
        "schedules": select(Schedule.service_id, Schedule.byday, Schedule.opens_at, Schedule.closes_at,
                            Schedule.timezone_name, Schedule.valid_from, Schedule.valid_to).where(Schedule.service_id.in_(ids)),
    }


_STATEMENTS = _statements()


def cards_by_ids(ids: Sequence[str], statuses: Sequence[str]) -> list[ServiceCard]:
    """Cards for the services ``ids`` whose status is one of ``statuses``, in the order of ``ids``."""
    if not ids:
        return []
    wanted = list(dict.fromkeys(ids))
    cards: dict[str, ServiceCard] = {}
    organizations: dict[str, OrganizationCard] = {}
    execute = db.session.execute
    for row in execute(_STATEMENTS["services"], {"ids": wanted, "statuses": list(statuses)}):
        service_id, name, description, status, source_locale, org_id, *org = row
        organization = organizations.get(org_id)
        if organization is None:
            organizations[org_id] = organization = OrganizationCard(org_id, org[0], org[1] or "", org[2])
        cards[service_id] = ServiceCard(service_id, name, description or "", status, source_locale, organization)
    if not cards:
        return []
    keys = {"ids": list(cards), "orgs": list(organizations)}

    for entity, link_id, text_field, locale, value in execute(_STATEMENTS["texts"], keys):
        record = cards.get(link_id) if entity == "service" else organizations.get(link_id)
        if record is not None:
            record.translated.setdefault((text_field, locale), value)

    for service_id, org_id, number, extension, phone_type in execute(_STATEMENTS["phones"], keys):
        phone = CardPhone(number, extension, phone_type)
        if service_id in cards:
            cards[service_id].phones.append(phone)
        if org_id in organizations:
            organizations[org_id].phones.append(phone)

    for kind, service_id, value in execute(_STATEMENTS["parts"], {"ids": keys["ids"]}):
        card = cards[service_id]
        if kind == "language":
            card.languages.append(CardLanguage(value))
        elif kind == "attribute":
            card.term_ids.append(value)
        else:
            card.has_place = True

    for service_id, *rule in execute(_STATEMENTS["schedules"], {"ids": keys["ids"]}):
        cards[service_id].schedules.append(WeeklyRule(*rule))

    return [cards[i] for i in wanted if i in cards]
