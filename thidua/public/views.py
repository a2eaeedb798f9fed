"""Public pages (no login): the home, the showcase of recognised good models, a page per model and its
photos. Responses are cacheable by browsers and proxies for a few minutes and answer conditional
requests with 304."""

from __future__ import annotations

from flask import Blueprint, abort, make_response, render_template, request, send_file

from thidua import storage
from thidua.extensions import get_in_or_404
from thidua.permissions import authorize, requires
from thidua.showcase import queries
from thidua.showcase.models import FileKind, GoodModelFile, ModelField, ModelStatus

bp = Blueprint("public", __name__)

PAGE_MAX_AGE = 300  # seconds; a newly featured model or decision shows within five minutes
# A photo's bytes never change under its URL (a new upload is a new row); a day bounds how long a photo
# the secretariat hides stays in caches.
PHOTO_MAX_AGE = 24 * 3600


def _cached(html: str, *, last_modified=None):
    """A public, cacheable response with an ETag (and Last-Modified when known); 304 when the
    request's validators match."""
    response = make_response(html)
    response.cache_control.public = True
    response.cache_control.max_age = PAGE_MAX_AGE
    response.add_etag()
    if last_modified is not None:
        response.last_modified = last_modified
    return response.make_conditional(request)


@bp.get("/public/")
@requires("public.home")
def home():
    return _cached(render_template("public/home.html", cards=queries.featured_cards(),
                                   decisions=queries.recent_decisions()))


@bp.get("/public/models")
@requires("showcase.public")
def showcase():
    filters = queries.Filters.from_args(request.args, with_status=False)
    page = queries.showcase_page(filters, page=request.args.get("page", 1, type=int))
    return _cached(render_template("public/showcase.html", page=page, filters=filters, fields=ModelField,
                                   units=queries.showcase_units()))


@bp.get("/public/models/<int:model_id>")
def model(model_id: int):
    found = queries.public_model(model_id)
    if found is None:  # proposed and archived models do not exist for the public
        abort(404)
    authorize("showcase.public", found)
    photos = queries.public_photos(found.id)
    replications = queries.replications_of(found.id)
    html = render_template("public/model.html", model=found, photos=photos, replications=replications,
                           awards=queries.award_rows(found.id))
    return _cached(html, last_modified=queries.last_modified(found, photos, replications))


@bp.get("/public/models/<int:model_id>/photos/<int:file_id>")
def photo(model_id: int, file_id: int):
    row = get_in_or_404(GoodModelFile, file_id, good_model_id=model_id)
    if row.kind != FileKind.PHOTO or not row.public or row.good_model.status != ModelStatus.RECOGNISED:
        abort(404)
    authorize("showcase.public", row.good_model)
    try:
        path = storage.path_of(row.stored_name)
        return send_file(path, mimetype=row.content_type, conditional=True, etag=row.sha256,
                         last_modified=row.uploaded_at, max_age=PHOTO_MAX_AGE)
    except FileNotFoundError:
        abort(404)
