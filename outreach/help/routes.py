"""The resident's help pages under ``/<lang_code>/help/``: ask, get a receipt, check back, answer, delete.

No JavaScript needed. The receipt travels only in POST bodies and in the one page that shows it; the
follow-up session (server-side, needed for CSRF anyway) holds the request's random id, never the
receipt, and ends after 30 idle minutes or when the person leaves (``Clear-Site-Data``). It keeps no
time to the second: only the minute its idle time runs out, and the stored session itself expires then
(``accounts.sessions.visitor_deadline``: a session without staff state never gets the staff lifetime).
"""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, session, url_for

from .. import ratelimit
from ..accounts import clock
from ..accounts.forms import choice
from ..accounts.sessions import visitor_deadline
from ..directory import services as directory_services
from ..domain import NotAllowed, NotFound
from ..i18n.setup import current_locale, site_locales
from . import crypto, services
from .forms import STATUS_LABELS, AnswerForm, ConfirmForm, HelpRequestForm, ReceiptForm

bp = Blueprint("help", __name__, url_prefix="/<lang_code>/help")
FOLLOW_UP = "help_follow_up"
IDLE_MINUTES = 30


def _minute() -> int:
    return int(clock.now().timestamp()) // 60


def _follow_up(request_id: str) -> dict:
    """The follow-up state: the request's id and the minute (a count of minutes, no seconds) from which
    it has been idle too long."""
    return {"rid": request_id, "until": int(visitor_deadline(IDLE_MINUTES).timestamp()) // 60}


def _follow_up_id() -> str | None:
    state = session.get(FOLLOW_UP)
    if not state or not isinstance(state.get("until"), int) or _minute() >= state["until"]:
        session.pop(FOLLOW_UP, None)
        return None
    session[FOLLOW_UP] = _follow_up(state["rid"])
    return state["rid"]


def _unavailable():
    return render_template("help/unavailable.html"), 503


def _too_many():
    return render_template("help/too_many.html"), 429


@bp.errorhandler(ratelimit.LimiterUnavailable)
def limiter_down(_error):
    return _unavailable()


@bp.get("/")
def start():
    return render_template("help/start.html", retention_days=services.retention_days())


def _request_form() -> HelpRequestForm:
    form = HelpRequestForm()
    form.categories.choices = [choice(term.code, term.text("name", current_locale().code).as_label())
                               for term in directory_services.category_tree()]
    form.language.choices = [choice(loc.code, loc.native_name) for loc in site_locales()]
    if form.language.data is None:
        form.language.data = current_locale().code
    return form


@bp.route("/ask", methods=["GET", "POST"])
def ask():
    ratelimit.allowed("help-submit", current_app.config["HELP_SUBMIT_LIMIT"])  # fail closed when storage is down
    form = _request_form()
    if form.validate_on_submit():
        if form.website.data:  # the honeypot: a bot. Look the same as success, store nothing.
            return render_template("help/receipt.html", receipt=_decoy_receipt())
        if not ratelimit.hit("help-submit", current_app.config["HELP_SUBMIT_LIMIT"]):
            return _too_many()
        method = form.contact_method.data
        contact = {"phone": form.phone.data, "email": form.email.data}.get(method) or ""
        try:
            _request, receipt = services.submit(services.Submission(
                categories=list(form.categories.data or []), area=form.area.data or "", language=form.language.data,
                message=(form.message.data or "").strip(), contact_method=method, contact=contact.strip()))
        except services.NoReceiver:
            return _unavailable()
        return render_template("help/receipt.html", receipt=receipt)
    return render_template("help/ask.html", form=form, retention_days=services.retention_days())


def _decoy_receipt() -> str:
    """What a bot that filled the honeypot sees: a receipt that opens nothing."""
    return crypto.group(crypto.new_receipt())


@bp.route("/check", methods=["GET", "POST"])
def check():
    limit = current_app.config["HELP_RECEIPT_LIMIT"]
    ratelimit.allowed("help-receipt", limit)  # fail closed when the storage is down
    form = ReceiptForm()
    not_found = False
    if form.validate_on_submit():
        if not ratelimit.allowed("help-receipt", limit):
            return _too_many()
        try:
            opened = services.check(form.receipt.data)
        except NotFound:
            ratelimit.hit("help-receipt", limit)  # only wrong receipts count
            not_found = True
        else:
            session[FOLLOW_UP] = _follow_up(opened.request.id)
            return _status_page(opened)
    return render_template("help/check.html", form=form, not_found=not_found)


def _status_page(opened, answer_form=None, refused=False):
    return render_template("help/status.html", opened=opened, status_labels=STATUS_LABELS,
                           answer_form=answer_form or AnswerForm(formdata=None), confirm_form=ConfirmForm(),
                           days_left=services.days_left(opened.request), refused=refused)


@bp.post("/check/answer")
def answer():
    form = AnswerForm()
    request_id = _follow_up_id()
    if request_id is None:
        return render_template("help/session_ended.html"), 400
    if not form.validate_on_submit():
        return render_template("help/answer_problem.html", form=form), 400
    try:
        services.answer(request_id, form.text.data.strip())
    except services.ReceiptInMessage:
        form.text.errors = [_receipt_refused()]
        return render_template("help/answer_problem.html", form=form), 400
    except (NotFound, NotAllowed):
        return render_template("help/session_ended.html"), 400
    return render_template("help/done.html", kind="answered", confirm_form=ConfirmForm())


def _receipt_refused() -> str:
    from flask_babel import gettext as _

    return _("Your answer contains your receipt. Remove it and send again: keep your receipt to yourself.")


@bp.post("/check/delete")
def delete():
    form = ConfirmForm()
    request_id = _follow_up_id()
    if request_id is None or not form.validate_on_submit():
        return render_template("help/session_ended.html"), 400
    try:
        services.delete_by_resident(request_id)
    except NotFound:
        pass
    session.pop(FOLLOW_UP, None)
    return render_template("help/done.html", kind="deleted", confirm_form=ConfirmForm())


@bp.post("/leave")
def leave():
    form = ConfirmForm()
    if not form.validate_on_submit():
        return render_template("help/session_ended.html"), 400
    session.clear()
    response = redirect(url_for("directory.home"))
    response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response
