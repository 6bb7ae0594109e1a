"""The read-only HSDS 3.0 API under /api/.

Every response is validated with ``jsonschema`` against the official HSDS 3.0 schemas copied into
``outreach/interop/hsds/schema/`` (compiled schemas) and ``outreach/interop/hsds/openapi.json`` (the official API
description, whose response schemas — Page object included — are used as they are). Each file is
registered in a local ``referencing`` registry under its online address, so nothing touches the network.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from jsonschema import Draft202012Validator

from outreach.api.openapi import OFFICIAL_OPENAPI, SCHEMA_BASE
from outreach.directory.models import Service
from outreach.extensions import db
from outreach.geo.models import PostalCentroid
from tests import factories
from tests.hsds_validation import (
    HSDS_SCHEMAS,
    OFFICIAL,
    pointer,
    registry,
    resource,
    validator,
    assert_valid,
    response_schema,
)

OURS = "https://outreach.test/ours/openapi.json"
LIST_ENDPOINTS = ("/services", "/organizations", "/service_at_locations", "/taxonomies", "/taxonomy_terms")
DETAIL_SCHEMAS = {  # compiled schema each detail endpoint answers with
    "/services": "compiled/service.json",
    "/organizations": "compiled/organization.json",
    "/service_at_locations": "compiled/service_at_location.json",
    "/taxonomies": "taxonomy.json",
    "/taxonomy_terms": "taxonomy_term.json",
}
SECRETS = ("7 Hidden Way", "45.5301", "-122.6602")  # the confidential location's street and coordinates


def assert_valid_list(body: dict, endpoint: str) -> None:
    assert_valid(body, response_schema(endpoint))
    for key in ("total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty", "contents"):
        assert key in body


def assert_valid_detail(body: dict, endpoint: str) -> None:
    assert_valid(body, SCHEMA_BASE + DETAIL_SCHEMAS[endpoint])
    if endpoint != "/service_at_locations":  # the official file names compiled/service.json there (see openapi.py)
        assert_valid(body, response_schema(endpoint + "/{id}"))


def get_json(client, url: str, status: int = 200):
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype == "application/json", url
    return response.get_json()


def ndjson(client, url: str) -> list[dict]:
    response = client.get(url)
    assert response.status_code == 200, (url, response.get_data(as_text=True)[:300])
    assert response.mimetype == "application/x-ndjson"
    return [json.loads(line) for line in response.get_data(as_text=True).splitlines()]


def ids(body: dict) -> list[str]:
    return [item["id"] for item in body["contents"]]


# -- the schemas themselves --------------------------------------------------------------------------


def test_schema_copies_match_what_the_openapi_file_refers_to():
    official = json.loads(OFFICIAL_OPENAPI.read_text())
    text = json.dumps(official)
    for path in DETAIL_SCHEMAS.values():
        assert (HSDS_SCHEMAS / path).is_file()
    for name in ("service_list", "organization_list", "service_at_location_list"):
        assert SCHEMA_BASE + f"compiled/{name}.json" in text
        assert (HSDS_SCHEMAS / "compiled" / f"{name}.json").is_file()
    assert official["components"]["schemas"]["Page"]["properties"]["total_items"]["type"] == "integer"


def test_the_validator_rejects_what_hsds_rejects():
    """The validation is real: a missing required field, a null or a wrong enum fails it."""
    errors = list(validator(SCHEMA_BASE + "compiled/service.json").iter_errors({"id": "x", "name": None, "status": "open"}))
    assert len(errors) >= 3
    assert list(validator(response_schema("/services")).iter_errors({"contents": [{"id": "not-a-uuid"}]}))


# -- the demo content --------------------------------------------------------------------------------


def test_index_describes_the_api(demo_client):
    body = get_json(demo_client, "/api/")
    assert_valid(body, OFFICIAL + pointer("paths", "/", "get", "responses", "200", "content", "application/json", "schema"))
    assert body["version"] == "3.0"
    assert body["openapi_url"].endswith("/api/openapi.json")
    assert body["profile"].startswith("https://")


def test_every_list_and_detail_validates_and_no_page_fails(demo_client):
    """A crawl of every page of every list (small pages) and every record's detail."""
    seen: dict[str, set[str]] = {}
    for endpoint in LIST_ENDPOINTS:
        first = get_json(demo_client, f"/api{endpoint}?per_page=7")
        assert first["total_items"] > 0, endpoint
        assert first["total_pages"] == -(-first["total_items"] // 7)
        found: list[str] = []
        for page in range(1, first["total_pages"] + 2):  # one past the end as well
            body = get_json(demo_client, f"/api{endpoint}?per_page=7&page={page}")
            assert_valid_list(body, endpoint)
            assert body["page_number"] == page and body["size"] == len(body["contents"])
            found += ids(body)
        assert len(found) == len(set(found)) == first["total_items"], endpoint
        seen[endpoint] = set(found)
        for record_id in found:
            assert_valid_detail(get_json(demo_client, f"/api{endpoint}/{record_id}"), endpoint)
        for lang in ("es", "ar"):
            assert_valid_list(get_json(demo_client, f"/api{endpoint}?lang={lang}&per_page=200"), endpoint)
    for flag in ("full=true", "full_service=true"):
        body = get_json(demo_client, f"/api/organizations?{flag}&per_page=200")
        assert_valid_list(body, "/organizations")
        for item in body["contents"]:
            assert_valid(item, SCHEMA_BASE + "compiled/organization.json")
    for endpoint in ("/services", "/service_at_locations"):
        body = get_json(demo_client, f"/api{endpoint}?full=true&per_page=200")
        for item in body["contents"]:
            assert_valid(item, SCHEMA_BASE + DETAIL_SCHEMAS[endpoint])


def test_only_listed_services_are_in_the_api(demo_app, demo_client):
    with demo_app.app_context():
        statuses = dict(db.session.execute(db.select(Service.id, Service.status)).all())
    body = get_json(demo_client, "/api/services?per_page=200")
    assert body["total_items"] == sum(1 for s in statuses.values() if s in ("active", "temporarily closed"))
    assert {item["status"] for item in body["contents"]} <= {"active", "temporarily closed"}
    hidden = [i for i, s in statuses.items() if s not in ("active", "temporarily closed")]
    for service_id in hidden:
        get_json(demo_client, f"/api/services/{service_id}", 404)


def test_services_nest_everything_hsds_describes(demo_client):
    listing = get_json(demo_client, "/api/services?per_page=200")["contents"]
    body = get_json(demo_client, f"/api/services/{listing[0]['id']}")
    for key in ("organization", "phones", "schedules", "service_at_locations", "languages", "attributes"):
        assert key in body
    assert body["organization"]["id"] == listing[0]["organization"]["id"]
    scheduled = [s for item in listing for s in get_json(demo_client, f"/api/services/{item['id']}")["schedules"]]
    assert scheduled, "the demo content has opening hours"
    assert all(isinstance(s["timezone"], (int, float)) and -12 <= s["timezone"] <= 14 for s in scheduled)
    assert all(len(s["opens_at"]) == 5 for s in scheduled)


def test_confidential_addresses_never_leave(demo_app, demo_client):
    """The demo's recovery homes keep their addresses private: nowhere in any answer of the API."""
    from outreach.directory.models import Location

    with demo_app.app_context():
        private = db.session.scalars(db.select(Location).where(Location.is_address_confidential.is_(True))).all()
        secrets = set()
        for location in private:
            secrets.add(f'"latitude":{location.latitude},"longitude":{location.longitude}')
            for address in location.addresses:
                secrets.add(address.address_1)  # (its ZIP and city may be shared by public places)
        private_ids = {location.id for location in private}
    assert private and secrets
    texts = []
    for endpoint in LIST_ENDPOINTS:
        for extra in ("", "&full=true", "&full_service=true", "&format=ndjson", "&full=true&format=ndjson", "&lang=es&full=true"):
            texts.append(demo_client.get(f"/api{endpoint}?per_page=200{extra}").get_data(as_text=True))
    for item in get_json(demo_client, "/api/service_at_locations?per_page=200")["contents"]:
        texts.append(demo_client.get(f"/api/service_at_locations/{item['id']}").get_data(as_text=True))
        texts.append(demo_client.get(f"/api/services/{item['service_id']}").get_data(as_text=True))
    for item in get_json(demo_client, "/api/organizations?per_page=200")["contents"]:
        texts.append(demo_client.get(f"/api/organizations/{item['id']}?full_service=true").get_data(as_text=True))
    everything = "\n".join(texts)
    assert any(location_id in everything for location_id in private_ids)  # the places are listed …
    for secret in secrets:
        assert secret not in everything  # … without their address or coordinates
    for text in texts:
        for line in text.splitlines():
            for node in _objects(json.loads(line)):
                if node.get("id") in private_ids and "location_type" in node:
                    assert not node.get("addresses")
                    assert not {"latitude", "longitude", "transportation"} & set(node), node


def _objects(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from _objects(value)


def test_lang_returns_that_locale_with_fallback(demo_client):
    english = get_json(demo_client, "/api/services?per_page=200")["contents"]
    spanish = get_json(demo_client, "/api/services?per_page=200&lang=es")["contents"]
    assert [s["id"] for s in english] == [s["id"] for s in spanish]
    by_id = {s["id"]: s for s in spanish}
    assert any(by_id[s["id"]]["name"] != s["name"] for s in english)
    assert "Vivienda de recuperación para hombres" in {s["name"] for s in spanish}
    response = demo_client.get("/api/services?lang=es")
    assert response.headers["Content-Language"] == "es"
    term = get_json(demo_client, "/api/taxonomy_terms?per_page=200&lang=es")["contents"]
    assert any(t.get("language") == "es" for t in term)


def test_ndjson_streams_every_result(demo_client):
    body = get_json(demo_client, "/api/services?per_page=3")
    lines = ndjson(demo_client, "/api/services?format=ndjson&per_page=3")
    assert len(lines) == body["total_items"] > 3
    for line in lines:
        assert_valid(line, response_schema("/services") + "/properties/contents/items")
    assert [line["id"] for line in lines[:3]] == ids(body)
    full = ndjson(demo_client, "/api/services?format=ndjson&full=true&lang=es")
    for line in full:
        assert_valid(line, SCHEMA_BASE + "compiled/service.json")
    sal = ndjson(demo_client, "/api/service_at_locations?format=ndjson")
    assert len(sal) == get_json(demo_client, "/api/service_at_locations")["total_items"]


def test_proximity_and_postcode_on_the_demo(demo_client):
    everything = get_json(demo_client, "/api/service_at_locations?per_page=200")
    near = get_json(demo_client, "/api/service_at_locations?postcode=97205&proximity=5000&per_page=200")
    assert_valid_list(near, "/service_at_locations")
    assert 0 < near["total_items"] < everything["total_items"]
    wider = get_json(demo_client, "/api/service_at_locations?postcode=97205&proximity=50000&per_page=200")
    assert set(ids(near)) <= set(ids(wider))
    assert near["total_items"] <= wider["total_items"]


# -- factories: filters, pagination, errors ----------------------------------------------------------


@pytest.fixture
def listings(app):
    with app.app_context():
        db.session.add_all([
            PostalCentroid(postal_code="97205", latitude=45.5208, longitude=-122.6889),
            PostalCentroid(postal_code="97030", latitude=45.5079, longitude=-122.4226),
            PostalCentroid(postal_code="98101", latitude=47.6114, longitude=-122.3305),
        ])
        db.session.commit()
        detox = factories.term("detox-api", name="Detox", es="Desintoxicación")
        counseling = factories.term("counseling-api", name="Counseling")
        north, south = factories.organization("North Clinic"), factories.organization("South Clinic")
        made = {
            "a": factories.service(north, name="Alpha detox", categories=[detox], es_name="Alfa desintoxicación",
                                   schedules=[("MO,TU", "09:00", "17:00")]),
            "b": factories.service(north, name="Bravo counseling", categories=[counseling]),
            "c": factories.service(south, name="Charlie detox", categories=[detox], confidential=True),
            "d": factories.service(south, name="Delta counseling", categories=[counseling], with_location=False),
            "gone": factories.service(south, name="Echo closed", categories=[detox], status="defunct"),
        }
        old = datetime(2024, 1, 1, tzinfo=timezone.utc)
        for key in ("b", "c"):
            db.session.execute(db.update(Service).where(Service.id == made[key].id).values(last_modified=old))
        db.session.commit()
        ids_ = {key: item.id for key, item in made.items()}
        ids_ |= {"north": north.id, "south": south.id, "detox": detox.id, "counseling": counseling.id,
                 "taxonomy": detox.taxonomy_id}
        ids_["sal_c"] = made["c"].service_at_locations[0].id
        hidden = made["c"].service_at_locations[0].location
        hidden.latitude, hidden.longitude = 45.5301, -122.6602
        hidden.transportation = "Bus 12 to the corner of Hidden Way"
        hidden.addresses[0].address_1 = "7 Hidden Way"
        db.session.commit()
        ids_["sal_a"] = made["a"].service_at_locations[0].id
    return ids_


def _names(client, url: str) -> list[str]:
    body = get_json(client, url)
    assert_valid_list(body, url.split("?")[0][len("/api"):])
    return [item["name"] for item in body["contents"]]


@pytest.mark.db
def test_filters_each_and_together(client, listings):
    t = listings
    assert _names(client, "/api/services") == ["Alpha detox", "Bravo counseling", "Charlie detox", "Delta counseling"]
    assert _names(client, f"/api/services?taxonomy_term_id={t['detox']}") == ["Alpha detox", "Charlie detox"]
    assert _names(client, f"/api/services?organization_id={t['north']}") == ["Alpha detox", "Bravo counseling"]
    assert _names(client, f"/api/services?taxonomy_id={t['taxonomy']}") == ["Alpha detox", "Bravo counseling", "Charlie detox", "Delta counseling"]
    assert _names(client, "/api/services?search=detox") == ["Alpha detox", "Charlie detox"]
    assert _names(client, "/api/services?search=south") == ["Charlie detox", "Delta counseling"]  # organization's name
    assert _names(client, "/api/services?search=alfa") == ["Alpha detox"]  # Spanish text
    assert _names(client, "/api/services?search=100%25") == []  # LIKE wildcards are literal
    assert _names(client, "/api/services?modified_after=2025-01-01") == ["Alpha detox", "Delta counseling"]
    assert _names(client, "/api/services?modified_after=2023-12-31T19:00:00-05:00") == ["Alpha detox", "Bravo counseling", "Charlie detox", "Delta counseling"]
    # AND: each pair, and all of them
    assert _names(client, f"/api/services?taxonomy_term_id={t['detox']}&organization_id={t['south']}") == ["Charlie detox"]
    assert _names(client, f"/api/services?taxonomy_term_id={t['detox']}&modified_after=2025-01-01") == ["Alpha detox"]
    assert _names(client, f"/api/services?search=counseling&organization_id={t['north']}") == ["Bravo counseling"]
    assert _names(client, f"/api/services?search=detox&organization_id={t['north']}&taxonomy_term_id={t['counseling']}") == []
    assert _names(client, f"/api/services?search=alpha%20detox&organization_id={t['north']}&taxonomy_term_id={t['detox']}"
                  "&modified_after=2025-01-01") == ["Alpha detox"]
    sal = get_json(client, f"/api/service_at_locations?taxonomy_term_id={t['detox']}&organization_id={t['south']}")
    assert [item["service"]["name"] for item in sal["contents"]] == ["Charlie detox"]


@pytest.mark.db
def test_unlisted_services_are_absent_everywhere(client, listings):
    get_json(client, f"/api/services/{listings['gone']}", 404)
    body = get_json(client, f"/api/organizations/{listings['south']}")
    assert_valid_detail(body, "/organizations")
    assert [s["name"] for s in body["services"]] == ["Charlie detox", "Delta counseling"]
    sal = get_json(client, "/api/service_at_locations?per_page=200")
    assert "Echo closed" not in json.dumps(sal)


@pytest.mark.db
def test_pagination_math(client, listings):
    first = get_json(client, "/api/services?per_page=3")
    assert (first["total_items"], first["total_pages"], first["page_number"], first["size"]) == (4, 2, 1, 3)
    assert (first["first_page"], first["last_page"], first["empty"]) == (True, False, False)
    second = get_json(client, "/api/services?per_page=3&page=2")
    assert (second["size"], second["first_page"], second["last_page"], second["empty"]) == (1, False, True, False)
    assert set(ids(first)).isdisjoint(ids(second))
    beyond = get_json(client, "/api/services?per_page=3&page=3")
    assert (beyond["size"], beyond["contents"], beyond["last_page"], beyond["empty"]) == (0, [], True, True)
    nothing = get_json(client, "/api/services?search=nothing-matches-this")
    assert_valid_list(nothing, "/services")
    assert (nothing["total_items"], nothing["total_pages"], nothing["size"], nothing["empty"]) == (0, 0, 0, True)
    assert (nothing["first_page"], nothing["last_page"]) == (True, True)
    assert get_json(client, "/api/services?per_page=200")["size"] == 4
    assert get_json(client, "/api/services")["size"] == 4


@pytest.mark.db
def test_postcode_and_proximity(client, listings):
    t = listings

    def sal_services(url):
        body = get_json(client, url)
        assert_valid_list(body, "/service_at_locations")
        return [item["service"]["name"] for item in body["contents"]]

    # Alpha, Bravo and Charlie are in 97205; Charlie's address is confidential, so the postcode alone never finds it.
    assert sal_services("/api/service_at_locations?postcode=97205") == ["Alpha detox", "Bravo counseling"]
    assert sal_services("/api/service_at_locations?postcode=97205-1234") == ["Alpha detox", "Bravo counseling"]
    assert sal_services("/api/service_at_locations?postcode=98101") == []
    # Within 3 km of 97205's centre: all three (Charlie measured from its ZIP's centre, never its address).
    assert sorted(sal_services("/api/service_at_locations?postcode=97205&proximity=3000")) == [
        "Alpha detox", "Bravo counseling", "Charlie detox"]
    # 97030 (Gresham) is ~20 km away: nothing within 5 km, all three within 30 km.
    assert sal_services("/api/service_at_locations?postcode=97030&proximity=5000") == []
    assert len(sal_services("/api/service_at_locations?postcode=97030&proximity=30000")) == 3
    # With the other filters: AND.
    assert sal_services(f"/api/service_at_locations?postcode=97205&proximity=3000&organization_id={t['south']}") == ["Charlie detox"]
    assert sal_services(f"/api/service_at_locations?postcode=97205&organization_id={t['north']}&search=alpha") == ["Alpha detox"]
    get_json(client, "/api/service_at_locations?postcode=00000&proximity=3000", 400)  # no known centre


@pytest.mark.db
def test_confidential_location_never_exposes_its_place(client, listings):
    urls = [
        f"/api/services/{listings['c']}",
        f"/api/service_at_locations/{listings['sal_c']}",
        f"/api/organizations/{listings['south']}?full_service=true",
        "/api/organizations?full=true",
        "/api/services?full=true",
        "/api/services?full=true&format=ndjson",
        f"/api/service_at_locations?organization_id={listings['south']}",
        f"/api/service_at_locations?organization_id={listings['south']}&full=true&format=ndjson",
        "/api/service_at_locations?postcode=97205&proximity=3000&full=true",
    ]
    for url in urls:
        text = client.get(url).get_data(as_text=True)
        assert "Charlie detox" in text, url
        for secret in SECRETS + ("Hidden Way",):
            assert secret not in text, (url, secret)
    body = get_json(client, f"/api/service_at_locations/{listings['sal_c']}")
    assert_valid_detail(body, "/service_at_locations")
    location = body["location"]
    assert location["addresses"] == []
    assert "latitude" not in location and "longitude" not in location and "transportation" not in location
    assert "97205" not in json.dumps(body)
    public = get_json(client, f"/api/service_at_locations/{listings['sal_a']}")["location"]
    assert public["addresses"][0]["address_1"] == "100 Example St" and public["latitude"] == 45.52


@pytest.mark.db
def test_lang_es_on_factories(client, listings):
    body = get_json(client, f"/api/services/{listings['a']}?lang=es")
    assert_valid_detail(body, "/services")
    assert body["name"] == "Alfa desintoxicación"
    assert body["description"] == "A service."  # no translation: the source text
    assert body["attributes"][0]["taxonomy_term"]["name"] == "Desintoxicación"
    assert get_json(client, f"/api/services/{listings['a']}")["name"] == "Alpha detox"
    assert get_json(client, f"/api/services/{listings['b']}?lang=es")["name"] == "Bravo counseling"


@pytest.mark.db
def test_taxonomy_endpoints(client, listings):
    taxonomies = get_json(client, "/api/taxonomies")
    assert_valid_list(taxonomies, "/taxonomies")
    assert ids(taxonomies) == [listings["taxonomy"]]
    assert_valid_detail(get_json(client, f"/api/taxonomies/{listings['taxonomy']}"), "/taxonomies")
    terms = get_json(client, f"/api/taxonomy_terms?taxonomy_id={listings['taxonomy']}&top_only=true")
    assert_valid_list(terms, "/taxonomy_terms")
    assert set(ids(terms)) == {listings["detox"], listings["counseling"]}
    assert ids(get_json(client, "/api/taxonomy_terms?search=detox")) == [listings["detox"]]
    assert_valid_detail(get_json(client, f"/api/taxonomy_terms/{listings['detox']}?lang=es"), "/taxonomy_terms")


@pytest.mark.db
@pytest.mark.parametrize("query, parameter", [
    ("page=0", "page"),
    ("page=-1", "page"),
    ("page=abc", "page"),
    ("page=999999999999999999999", "page"),
    ("per_page=10000", "per_page"),
    ("per_page=0", "per_page"),
    ("per_page=1.5", "per_page"),
    ("modified_after=garbage", "modified_after"),
    ("modified_after=2025-13-45", "modified_after"),
    ("lang=xx", "lang"),
    ("format=xml", "format"),
    ("postcode=97205&proximity=garbage", "proximity"),
    ("postcode=97205&proximity=-5", "proximity"),
    ("postcode=97205&proximity=nan", "proximity"),
    ("postcode=97205&proximity=inf", "proximity"),
    ("proximity=1000", "proximity"),
    ("postcode=hello", "postcode"),
    ("search=" + "x" * 500, "search"),
    ("full=maybe", "full"),
])
def test_bad_parameters_are_400_json(client, listings, query, parameter):
    for endpoint in ("/api/services", "/api/service_at_locations", f"/api/services/{listings['a']}"):
        if parameter in ("postcode", "proximity") and endpoint != "/api/service_at_locations":
            continue
        body = get_json(client, f"{endpoint}?{query}", 400)
        assert body["error"]["status"] == 400
        assert body["error"]["parameter"] == parameter
        assert body["error"]["message"]


@pytest.mark.db
def test_unknown_ids_and_paths_are_404_json(client, listings):
    for endpoint in LIST_ENDPOINTS:
        body = get_json(client, f"/api{endpoint}/00000000-0000-0000-0000-000000000000", 404)
        assert body["error"]["status"] == 404
        get_json(client, f"/api{endpoint}/not%20an%20id", 404)
    get_json(client, "/api/nothing-here", 404)
    get_json(client, "/api/services/x/y", 404)
    response = client.post("/api/services")
    assert response.status_code == 405 and response.mimetype == "application/json"
    assert "GET" in response.headers["Allow"]
    assert client.get("/en/no-such-page").mimetype == "text/html"  # the site itself still answers in HTML


@pytest.mark.db
def test_server_errors_are_json_too(app, client, monkeypatch):
    from outreach.api import services

    def broken(query):
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "service_ids", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/api/services")
    assert response.status_code == 500 and response.mimetype == "application/json"
    assert "boom" not in response.get_data(as_text=True)


@pytest.mark.db
def test_headers_cors_and_no_cookies(client, listings):
    for url in ("/api/", "/api/services", "/api/services?format=ndjson", "/api/nothing", "/api/services?page=0",
                "/api/openapi.json"):
        response = client.get(url)
        assert response.headers["Access-Control-Allow-Origin"] == "*", url
        assert "Set-Cookie" not in response.headers, url
        assert response.headers["Content-Security-Policy"], url
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
    preflight = client.options("/api/services", headers={"Origin": "https://example.org"})
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.db
def test_our_openapi_extends_the_official_one(client):
    ours = get_json(client, "/api/openapi.json")
    official = json.loads(OFFICIAL_OPENAPI.read_text())
    assert ours["openapi"] == official["openapi"]
    assert set(official["paths"]) <= set(ours["paths"])
    assert ours["servers"][0]["url"].endswith("/api")
    params = ours["components"]["parameters"]
    assert {"lang", "format", "page", "per_page", "postcode", "proximity"} <= set(params)
    assert params["format"]["schema"]["enum"] == ["json", "ndjson"]
    assert params["per_page"]["schema"]["maximum"] == 200
    for path in ("/services", "/organizations", "/service_at_locations", "/taxonomies", "/taxonomy_terms"):
        operation = ours["paths"][path]["get"]
        assert {"$ref": "#/components/parameters/lang"} in operation["parameters"]
        assert "application/x-ndjson" in operation["responses"]["200"]["content"]
        assert "400" in operation["responses"]
    # Its own answers validate against it (the service at location detail included).
    ours_registry = registry().with_resource(OURS, resource(ours))
    listing = get_json(client, "/api/service_at_locations")
    for path, body in (("/service_at_locations", listing),):
        errors = list(Draft202012Validator({"$ref": response_schema(path, OURS)}, registry=ours_registry).iter_errors(body))
        assert not errors
    error = get_json(client, "/api/services?page=0", 400)
    ref = OURS + pointer("components", "schemas", "Error")
    assert not list(Draft202012Validator({"$ref": ref}, registry=ours_registry).iter_errors(error))
    # Every schema it refers to exists in our local copies (nothing would need the network).
    refs = {value for value in _walk(ours) if value.startswith("https://")}
    for ref in refs:
        assert (HSDS_SCHEMAS / ref.removeprefix(SCHEMA_BASE)).is_file(), ref


def _walk(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_modified_after_accepts_iso_forms():
    from outreach.api.services import parse_datetime

    assert parse_datetime("2025-01-31") == datetime(2025, 1, 31, tzinfo=timezone.utc)
    assert parse_datetime("2025-01-31T08:00:00Z") == datetime(2025, 1, 31, 8, tzinfo=timezone.utc)
    assert parse_datetime("2025-01-31T08:00:00+02:00") == datetime(2025, 1, 31, 6, tzinfo=timezone.utc)
    assert parse_datetime("2025-01-31T08:00") == datetime(2025, 1, 31, 8, tzinfo=timezone.utc)
    with pytest.raises(ValueError):
        parse_datetime("yesterday")
    assert timedelta(0) == parse_datetime("2025-06-01T00:00:00Z") - parse_datetime("2025-06-01")
