"""Logins that can be ended, and failed logins that are limited (api.md « Auth », issue 11).

- **One identifier per login** (`sid`): a web session carries it in the Flask session, the access and
  refresh tokens of one API login carry it as a claim. Ending a login (web « Déconnexion »,
  `POST /api/v1/security/logout`) writes it into `connexion_revoquee`, read by every web process; a row
  is purged once the longest-lived credential it stood for would have expired anyway.
- **The user's `session_epoch`**: every session and token also carries the value it was opened with; a password
  change or reset raises it, so every other session and every token of the user is refused at once. The
  session that changed its own password is given the new value (`keep_current_session`).
- **API writes need the bearer token**: a POST/PUT/PATCH/DELETE under /api/v1/ with the session cookie alone
  is refused unless it carries the CSRF token of the pages (header `X-CSRFToken`); a bearer token, when sent,
  is the request's only identity (a cookie beside it is ignored).
- **Failed logins only are counted** (`echec_connexion`, in the database: shared by the web form, the API and
  every process): per account and, more loosely, per address, over a sliding window. A successful login is
  never written and resets nothing. While a limit is reached every attempt is refused, with the time to retry.
"""

from __future__ import annotations

import datetime
import math
import secrets

from flask import current_app, g, jsonify, request, session
from sqlalchemy import delete, exists, false, select

from app.domain.errors import TooManyAttempts
from app.extensions import db
from app.models import ConnexionRevoquee, EchecConnexion, Utilisateur
from app.models.base import utcnow

LOGIN_KEY = "clea_sid"
EPOCH_KEY = "clea_epoch"
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
# The endpoints that check their own credentials: the login, the refresh (refresh token) and the logout.
OWN_CREDENTIALS = {"/api/v1/security/login", "/api/v1/security/refresh", "/api/v1/security/logout"}
COOKIE_ALONE = (
    "Une écriture par l'API demande le jeton d'authentification (en-tête « Authorization: Bearer … », obtenu "
    "par /api/v1/security/login) : le cookie de session seul ne suffit pas."
)


def new_sid() -> str:
    return secrets.token_hex(16)


# --- The revocation list ---------------------------------------------------------------------------------
def revoke(sid: str, user_id: int | None, lifetime: datetime.timedelta) -> None:
    """End the login `sid` (and purge the rows whose credentials have expired by now)."""
    now = utcnow()
    db.session.execute(delete(ConnexionRevoquee).where(ConnexionRevoquee.expires_at < now))
    if db.session.get(ConnexionRevoquee, sid) is None:
        db.session.add(ConnexionRevoquee(sid=sid, user_id=user_id, expires_at=now + lifetime))
    db.session.commit()


def is_revoked(sid: str) -> bool:
    return db.session.get(ConnexionRevoquee, sid) is not None


def _seconds(value, default: int) -> datetime.timedelta:
    if isinstance(value, datetime.timedelta):
        return value
    if value is False or value is None:  # "never expires": keep the row for ten years
        return datetime.timedelta(days=3650)
    try:
        return datetime.timedelta(seconds=int(value))
    except (TypeError, ValueError):
        return datetime.timedelta(seconds=default)


def _token_lifetime() -> datetime.timedelta:
    config = current_app.config
    access = _seconds(config.get("JWT_ACCESS_TOKEN_EXPIRES", 900), 900)
    refresh = _seconds(config.get("JWT_REFRESH_TOKEN_EXPIRES", datetime.timedelta(days=30)), 30 * 86400)
    return max(access, refresh)


# --- Web sessions ----------------------------------------------------------------------------------------
def open_session(sender, user, **extra) -> None:
    """flask-login's `user_logged_in`: the web session gets its login identifier and the user's epoch."""
    session[LOGIN_KEY] = new_sid()
    session[EPOCH_KEY] = user.session_epoch or 0


def session_ended():
    """Whether this web session's login was ended, as a column of the statement that reads its user (one
    round trip per request for both)."""
    sid = session.get(LOGIN_KEY)
    if not sid:
        return false()
    return exists().where(ConnexionRevoquee.sid == sid)


def session_is_current(user) -> bool:
    """The session was opened with the user's current epoch (no password change since)."""
    return session.get(EPOCH_KEY, 0) == (user.session_epoch or 0)


def keep_current_session(user) -> None:
    """After the user changed their own password: this session stays open, every other one is over."""
    session[EPOCH_KEY] = user.session_epoch or 0


def close_session(user) -> None:
    """« Déconnexion »: a copy of this session's cookie is refused from now on."""
    sid = session.pop(LOGIN_KEY, None)
    session.pop(EPOCH_KEY, None)
    if sid:
        revoke(sid, getattr(user, "id", None), current_app.permanent_session_lifetime)


# --- API tokens ------------------------------------------------------------------------------------------
def token_claims(identity) -> dict:
    """Claims of every token created: the login identifier (a refresh keeps the one of its refresh token,
    the access and refresh tokens of one login share one) and the user's epoch."""
    current = g.get("_jwt_extended_jwt") or {}
    sid = current.get("sid") or g.get("clea_api_sid")
    if not sid:
        sid = g.clea_api_sid = new_sid()
    user = db.session.get(Utilisateur, int(identity))
    return {"sid": sid, "epoch": (user.session_epoch or 0) if user is not None else 0}


def token_is_revoked(_header, payload) -> bool:
    """flask-jwt-extended's blocklist: a token without our claims (older than them), of an older epoch, or of
    an ended login is refused."""
    sid, epoch = payload.get("sid"), payload.get("epoch")
    if not sid or not isinstance(epoch, int):
        return True
    try:
        user = db.session.get(Utilisateur, int(payload.get("sub")))
    except (TypeError, ValueError):
        return True
    if user is not None and (user.session_epoch or 0) != epoch:
        return True
    return is_revoked(sid)


def end_api_login(payload) -> None:
    """`POST /api/v1/security/logout`: the access and refresh tokens of this login are revoked."""
    user_id = payload.get("sub")
    revoke(payload["sid"], int(user_id) if str(user_id).isdigit() else None, _token_lifetime())


def guard_api_request():
    """before_request: a bearer token, when sent to the API, is the request's identity; an API write with the
    session cookie alone needs the pages' CSRF token."""
    from flask_jwt_extended import get_current_user, verify_jwt_in_request
    from flask_login import current_user

    if not request.path.startswith("/api/") or request.path in OWN_CREDENTIALS:
        return None
    if request.headers.get("Authorization", "").lower().startswith("bearer "):
        verify_jwt_in_request()  # refusals answered in French by the loaders of app/web.py
        g._login_user = get_current_user()  # flask-login's current user is the token's, not the cookie's
        return None
    if request.method in WRITES and current_user.is_authenticated:
        from flask_wtf.csrf import ValidationError, validate_csrf

        try:
            validate_csrf(request.headers.get("X-CSRFToken"))
        except ValidationError:
            return jsonify({"message": COOKIE_ALONE}), 401
    return None


def install(app) -> None:
    from flask_login import user_logged_in

    jwt = app.appbuilder.sm.jwt_manager
    jwt.additional_claims_loader(token_claims)
    jwt.token_in_blocklist_loader(token_is_revoked)
    user_logged_in.connect(open_session, app)
    app.before_request(guard_api_request)


# --- Failed logins ---------------------------------------------------------------------------------------
ACCOUNT, ADDRESS = "compte", "adresse"
MESSAGES = {
    ACCOUNT: "Trop de tentatives de connexion échouées pour ce compte.",
    ADDRESS: "Trop de tentatives de connexion échouées depuis votre adresse.",
}


def _limit(kind: str):
    from limits import parse

    setting = "LOGIN_FAILURES_PER_ACCOUNT" if kind == ACCOUNT else "LOGIN_FAILURES_PER_ADDRESS"
    item = parse(current_app.config[setting])
    return item.amount, datetime.timedelta(seconds=item.get_expiry())


def limited() -> bool:
    return bool(current_app.config.get("AUTH_RATE_LIMITED"))


def login_keys(user, login: str) -> dict[str, str]:
    """The counters an attempt belongs to: the account (the user found, whether by login or email; else the
    login typed) and the address it comes from."""
    account = f"id:{user.id}" if user is not None else "login:" + (login or "").strip().lower()[:200]
    return {ACCOUNT: f"{ACCOUNT}:{account}", ADDRESS: f"{ADDRESS}:{request.remote_addr or '?'}"}


def check_not_locked(keys: dict[str, str]) -> None:
    """Raise TooManyAttempts (429) while the account or the address has reached its limit."""
    now = utcnow()
    for kind in (ACCOUNT, ADDRESS):
        amount, window = _limit(kind)
        recent = list(
            db.session.execute(
                select(EchecConnexion.moment)
                .where(EchecConnexion.cle == keys[kind], EchecConnexion.moment > now - window)
                .order_by(EchecConnexion.moment.desc())
                .limit(amount)
            ).scalars()
        )
        if len(recent) >= amount:
            # Locked until the amount-th newest failure leaves the window.
            raise TooManyAttempts(MESSAGES[kind] + " " + _retry(recent[-1] + window, now))


def _retry(until: datetime.datetime, now: datetime.datetime) -> str:
    import flask_babel

    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    local = flask_babel.format_datetime(until.replace(tzinfo=datetime.UTC), "HH:mm")  # Europe/Paris
    return f"Réessayez à {local} (dans {minutes} minute{'s' if minutes > 1 else ''})."


def record_failure(keys: dict[str, str]) -> None:
    now = utcnow()
    longest = max(_limit(ACCOUNT)[1], _limit(ADDRESS)[1])
    db.session.execute(delete(EchecConnexion).where(EchecConnexion.moment < now - longest))
    db.session.add_all(EchecConnexion(cle=key, moment=now) for key in keys.values())
    db.session.commit()
