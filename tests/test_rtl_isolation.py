"""Latin-script text inside right-to-left pages keeps its own order: street addresses, the searched
place and the printed address of an external link are isolated from the Arabic or Persian around them."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from outreach.directory.models import id_for_slug

STATIC = Path(__file__).resolve().parent.parent / "outreach" / "static" / "css"


@pytest.mark.parametrize("locale", ["ar", "fa", "en"])
def test_each_address_line_is_isolated(demo_site_app, locale):
    service_id = id_for_slug("service", "riverside-harm-reduction-syringe-services")
    page = demo_site_app.test_client().get(f"/{locale}/services/{service_id}").get_data(as_text=True)
    address = re.search(r'<address translate="no">(.*?)</address>', page, re.S).group(1)
    lines = [line.strip() for line in address.split("<br>")]
    assert lines == ['<bdi class="address__line">815 N Bellwether Way</bdi>',
                     '<bdi class="address__line">Portland, OR 97217</bdi>'], address
    # Nothing of the address is left outside an isolate.
    assert re.sub(r"<bdi[^>]*>.*?</bdi>", "", address, flags=re.S).strip() == "<br>"


def test_a_second_address_line_stays_inside_the_isolate(app):
    from outreach.extensions import db
    from tests import factories

    with app.app_context():
        organization = factories.organization("Organization A")
        service = factories.service(organization, name="Naloxone kits")
        address = service.service_at_locations[0].location.physical_address
        address.address_1, address.address_2 = "200 Main St", "Suite 4"
        db.session.commit()
        service_id = service.id
    page = app.test_client().get(f"/ar/services/{service_id}").get_data(as_text=True)
    assert '<bdi class="address__line">200 Main St, Suite 4</bdi>' in page


def test_printed_link_addresses_are_isolated():
    css = (STATIC / "print.css").read_text(encoding="utf-8")
    rule = re.search(r"a\.external::after\s*{([^}]*)}", css).group(1)
    assert 'content: " (\\2066" attr(href) "\\2069)";' in rule
