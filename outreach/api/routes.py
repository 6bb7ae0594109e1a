"""``/api/``: the read-only Open Referral HSDS 3.0 API. Views parse, call services, serialize."""
from __future__ import annotations

import json
from typing import Callable, Iterator, Sequence

from flask import Blueprint, Response, current_app, request, stream_with_context, url_for

from ..directory.models import Organization, Service, ServiceAtLocation, Taxonomy, TaxonomyTerm
from ..domain import NotFound
from . import serializers, services
from .errors import is_api_request, json_error
from .openapi import HSDS_PROFILE, HSDS_VERSION, NDJSON, extended
from .services import BadParameter, ListQuery

bp = Blueprint("api", __name__, url_prefix="/api")


# -- plumbing ----------------------------------------------------------------------------------------


def _json(data, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False, separators=(",", ":")), status=status, mimetype="application/json")


def _query() -> ListQuery:
    return services.parse_query(request.args, current_app.config["LOCALES"])


def _text(query: ListQuery) -> serializers.Text:
    return serializers.Text(lang=query.lang)


def _list(ids: Sequence[str], query: ListQuery, render: Callable[[Sequence[str]], list]) -> Response:
    """One Page object, or with ``format=ndjson`` every item, one per line, loaded in batches."""
    if query.is_ndjson:
        def lines() -> Iterator[str]:
            for batch in services.batches(ids):
                for item in render(batch):
                    yield json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n"

        return Response(stream_with_context(lines()), mimetype=NDJSON)
    page = services.page_of(ids, query)
    return _json(page.envelope(render(page.ids)))


@bp.errorhandler(BadParameter)
def _bad_parameter(error: BadParameter):
    return json_error(400, error.message, parameter=error.parameter)


@bp.errorhandler(NotFound)
def _not_found(error: NotFound):
    return json_error(404, "No such record.")


@bp.after_app_request
def _api_headers(response: Response) -> Response:
    if not is_api_request():
        return response
    # Public, read-only data: any site may read it (no credentials are ever involved).
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
    lang = request.args.get("lang")
    if response.status_code == 200 and lang and lang in current_app.config["LOCALES"]:
        response.headers["Content-Language"] = lang
    return response


# -- meta --------------------------------------------------------------------------------------------


@bp.get("/")
def index():
    return _json({
        "version": HSDS_VERSION,
        "profile": HSDS_PROFILE,
        "openapi_url": url_for("api.openapi", _external=True),
    })


@bp.get("/openapi.json")
def openapi():
    return _json(extended(url_for("api.index", _external=True).rstrip("/")))


# -- services ----------------------------------------------------------------------------------------


@bp.get("/services")
def service_list():
    query = _query()
    tx = _text(query)
    render_one = serializers.service if query.full else serializers.service_basic
    return _list(services.service_ids(query), query,
                 lambda ids: [render_one(item, tx) for item in services.load(Service, ids)])


@bp.get("/services/<string:service_id>")
def service_detail(service_id: str):
    query = _query()
    return _json(serializers.service(services.get_service(service_id), _text(query)))


# -- service at location -----------------------------------------------------------------------------


@bp.get("/service_at_locations")
def service_at_location_list():
    query = _query()
    tx = _text(query)
    render_one = serializers.service_at_location if query.full else serializers.service_at_location_basic
    return _list(services.service_at_location_ids(query), query,
                 lambda ids: [render_one(item, tx) for item in services.load(ServiceAtLocation, ids)])


@bp.get("/service_at_locations/<string:sal_id>")
def service_at_location_detail(sal_id: str):
    query = _query()
    return _json(serializers.service_at_location(services.get_service_at_location(sal_id), _text(query)))


# -- organizations -----------------------------------------------------------------------------------


def _organizations(ids: Sequence[str], query: ListQuery, tx: serializers.Text) -> list:
    items = services.load(Organization, ids)
    if not (query.full or query.full_service):
        return [serializers.organization_basic(item, tx) for item in items]
    listed = services.visible_services_of([item.id for item in items])
    return [serializers.organization(item, tx, listed[item.id], full_services=query.full_service) for item in items]


@bp.get("/organizations")
def organization_list():
    query = _query()
    tx = _text(query)
    return _list(services.organization_ids(query), query, lambda ids: _organizations(ids, query, tx))


@bp.get("/organizations/<string:organization_id>")
def organization_detail(organization_id: str):
    query = _query()
    item = services.get_organization(organization_id)
    listed = services.visible_services_of([item.id])[item.id]
    return _json(serializers.organization(item, _text(query), listed, full_services=query.full_service))


# -- taxonomies --------------------------------------------------------------------------------------


@bp.get("/taxonomies")
def taxonomy_list():
    query = _query()
    return _list(services.taxonomy_ids(query), query,
                 lambda ids: [serializers.taxonomy(item) for item in services.load(Taxonomy, ids)])


@bp.get("/taxonomies/<string:taxonomy_id>")
def taxonomy_detail(taxonomy_id: str):
    _query()
    return _json(serializers.taxonomy(services.get_taxonomy(taxonomy_id)))


@bp.get("/taxonomy_terms")
def taxonomy_term_list():
    query = _query()
    tx = _text(query)
    return _list(services.taxonomy_term_ids(query), query,
                 lambda ids: [serializers.taxonomy_term(item, tx) for item in services.load(TaxonomyTerm, ids)])


@bp.get("/taxonomy_terms/<string:term_id>")
def taxonomy_term_detail(term_id: str):
    query = _query()
    return _json(serializers.taxonomy_term(services.get_taxonomy_term(term_id), _text(query)))
