"""Trust (issue 11), authentication and accounts, through the pages and the API as a user would:
1. a mailed link keeps its code out of every URL the server sees (hence out of the access log) and out of the
   outbox once sent;
2. API writes need the bearer token; logout revokes the tokens of its login; a password change or reset ends
   every other session and every token; « Déconnexion » ends a copied session cookie;
3. only failed logins count, per account and per address, web form and API together;
4. a new email address is the account's only once its owner confirmed it; the old address is told."""

import datetime
import logging
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, update

from app.domain import access
from app.extensions import db
from app.models import Candidature, EchecConnexion, MailSortant, Utilisateur
from tests.conftest import DEMO_PASSWORD, demo, login, page_text
from tests.test_users import (
    BAD_LOGIN,
    GOOD_PASSWORD,
    LINK_GONE,
    OTHER_PASSWORD,
    PASSWORD_PAGE,
    invited_user,
    link_in,
    mails,
    new_email,
    open_link,
    outbox,
    set_password_with,
    try_login,
    user_by_email,
)

REVOKED = "Jeton d'authentification révoqué."
COOKIE_ALONE = "le cookie de session seul ne suffit pas"
ACCOUNT_LOCKED = re.compile(
    r"Trop de tentatives de connexion échouées pour ce compte\. Réessayez à \d\d:\d\d \(dans 1[45] minutes\)\."
)
ADDRESS_LOCKED = re.compile(
    r"Trop de tentatives de connexion échouées depuis votre adresse\. Réessayez à \d\d:\d\d \(dans \d+ minutes?\)\."
)


def api_login(client, username, password=DEMO_PASSWORD, **environ):
    return client.post(
        "/api/v1/security/login",
        json={"username": username, "password": password, "provider": "db", "refresh": True},
        environ_base=environ,
    )


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


# --- 1. Links: the code after « # », never in a URL the server sees; scrubbed from the outbox -------------
def test_a_reset_link_keeps_its_code_out_of_urls_logs_and_the_outbox(app, api_as, caplog, monkeypatch):
    _pk, address = invited_user(app, api_as, access.UTILISATEUR_ORGANISME, creator="org.admin")
    caplog.set_level(logging.DEBUG)
    for name in ("app", "app.services.notifications"):
        monkeypatch.setattr(logging.getLogger(name), "disabled", False)
    # The tests' own SMTP server (aiosmtpd) writes every line it receives at DEBUG: not the platform's logs.
    caplog.set_level(logging.INFO, logger="mail.log")
    # Without a mail server (development), the mail goes to the log: without its link.
    app.test_client().post("/compte/mot-de-passe-oublie", data={"login": address})
    from app import tasks

    tasks.run_pending()  # the background sends it (app/tasks)
    (row,) = [m for m in outbox(app, address) if "Réinitialisation" in m["sujet"]]
    assert row["statut"] == MailSortant.ENVOYE
    assert "[lien retiré après envoi]" in row["corps"] and "/compte/lien#" not in row["corps"]
    assert "[lien retiré après envoi]" in caplog.text and "/compte/lien#" not in caplog.text

    with mails(app) as sink:
        app.test_client().post("/compte/mot-de-passe-oublie", data={"login": address})
    ((_subject, body),) = sink.to(address, "Réinitialisation")
    link = re.search(r"http://clea\.test/\S+", body).group(0)
    parts = urlsplit(link)
    code = link_in(body)
    # What a browser sends to the server (path and query) holds no code: only the fragment does.
    assert parts.path == "/compte/lien" and parts.query == "" and parts.fragment == code
    assert code not in (parts.path + parts.query)
    sent = [m for m in outbox(app, address) if "Réinitialisation" in m["sujet"]][-1]
    assert code not in sent["corps"] and "[lien retiré après envoi]" in sent["corps"]

    client = app.test_client()
    page = open_link(client, code)
    assert page.status_code == 200 and "Choisir votre mot de passe" in page_text(page)
    assert page.request.path == PASSWORD_PAGE and code not in page.request.url
    response = client.post(PASSWORD_PAGE, data={"password": OTHER_PASSWORD, "confirmation": OTHER_PASSWORD})
    assert response.status_code == 302
    assert try_login(app, address, OTHER_PASSWORD)[0]
    assert code not in caplog.text


# --- 2. API authentication -----------------------------------------------------------------------------
def _csrf_of(client) -> str:
    html = client.get("/mon-profil/").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_api_writes_with_the_session_cookie_alone_are_refused(app, as_user, api_as):
    with app.app_context():
        pk = demo(Candidature, numero_dossier="2026000003").id  # A1-1, « À envoyer en certification »
        db.session.remove()
    browser = as_user("etab.user")  # logged in to the pages: a page of the site could use this cookie
    # Reading with the cookie stays possible (Swagger UI of a logged-in user).
    assert browser.get(f"/api/v1/candidature/{pk}").status_code == 200
    for response in (
        browser.post(f"/api/v1/candidature/{pk}/envoyer_certification"),
        browser.post(f"/api/v1/candidature/{pk}/envoyer_certification", headers={"X-CSRFToken": "faux"}),
        browser.post("/api/v1/notification/lire", json={"toutes": True}),
        browser.put(f"/api/v1/candidature/{pk}", json={"nom_usage": "Piraté"}),
    ):
        assert response.status_code == 401, response.get_json()
        assert COOKIE_ALONE in response.get_json()["message"]
    with app.app_context():
        assert db.session.get(Candidature, pk).statut == "a_envoyer_certification"
        db.session.remove()
    # The pages' own CSRF token makes a cookie write acceptable (a page of the platform calling the API).
    accepted = browser.post(
        "/api/v1/notification/lire", json={"toutes": True}, headers={"X-CSRFToken": _csrf_of(browser)}
    )
    assert accepted.status_code == 200, accepted.get_json()
    # With the bearer token, the write goes through.
    sent = api_as("etab.user").post(f"/api/v1/candidature/{pk}/envoyer_certification")
    assert sent.status_code == 200 and sent.get_json()["result"]["statut"] == "attente_jury"


def test_a_bearer_token_is_the_only_identity_of_an_api_request(app, as_user):
    """A cookie sent beside a token does not lend its user to the request."""
    client = as_user("certifpro")  # a national cookie…
    token = api_login(client, "org2.admin").get_json()["access_token"]  # …and the token of network B's user
    listed = client.get("/api/v1/organisme/?q=(page_size:100)", headers=bearer(token)).get_json()
    with app.app_context():
        from app.models import Organisme

        a1 = demo(Organisme, nom="Organisme A1 — Avenir Paris").id
        db.session.remove()
    assert a1 not in listed["ids"]
    assert client.get(f"/api/v1/organisme/{a1}", headers=bearer(token)).status_code == 404
    assert client.get(f"/api/v1/organisme/{a1}").status_code == 200  # the cookie alone: certifpro reads


def test_api_logout_revokes_the_access_and_refresh_tokens_of_that_login(app):
    client = app.test_client()
    first = api_login(client, "org.admin").get_json()
    second = api_login(client, "org.admin").get_json()
    assert client.get("/api/v1/organisme/", headers=bearer(first["access_token"])).status_code == 200

    out = client.post("/api/v1/security/logout", headers=bearer(first["access_token"]))
    assert out.status_code == 200
    assert out.get_json()["message"] == "Vous êtes déconnecté : les jetons de cette connexion sont révoqués."
    for response in (
        client.get("/api/v1/organisme/", headers=bearer(first["access_token"])),
        client.post("/api/v1/security/refresh", headers=bearer(first["refresh_token"])),
        client.post("/api/v1/security/logout", headers=bearer(first["access_token"])),
    ):
        assert response.status_code == 401 and response.get_json()["message"] == REVOKED
    # The other login of the same user is untouched; its refresh gives a token of that login.
    assert client.get("/api/v1/organisme/", headers=bearer(second["access_token"])).status_code == 200
    refreshed = client.post("/api/v1/security/refresh", headers=bearer(second["refresh_token"]))
    assert refreshed.status_code == 200
    new_access = refreshed.get_json()["access_token"]
    assert client.get("/api/v1/organisme/", headers=bearer(new_access)).status_code == 200
    # Logging out with the refresh token ends that login too, the refreshed access token included.
    assert client.post("/api/v1/security/logout", headers=bearer(second["refresh_token"])).status_code == 200
    assert client.get("/api/v1/organisme/", headers=bearer(new_access)).get_json()["message"] == REVOKED
    # Without a token: 401 in French.
    response = client.post("/api/v1/security/logout")
    assert response.status_code == 401 and response.get_json()["message"] == "Authentification requise."


def test_a_password_change_ends_every_other_session_and_every_token(app, api_as):
    _pk, address = invited_user(app, api_as, access.UTILISATEUR_ORGANISME, creator="org.admin")
    here = login(app.test_client(), address, GOOD_PASSWORD)  # where the password is changed
    elsewhere = login(app.test_client(), address, GOOD_PASSWORD)  # another browser
    api = app.test_client()
    tokens = api_login(api, address, GOOD_PASSWORD).get_json()
    assert api.get("/api/v1/organisme/", headers=bearer(tokens["access_token"])).status_code == 200

    response = here.post(
        "/mon-profil/",
        data={"actuel": GOOD_PASSWORD, "nouveau": OTHER_PASSWORD, "confirmation": OTHER_PASSWORD},
        follow_redirects=True,
    )
    assert "Votre mot de passe a été changé. Vos autres sessions et vos jetons d'API sont fermés." in page_text(
        response
    )
    assert here.get("/mon-profil/").status_code == 200  # this session stays open
    gone = elsewhere.get("/mon-profil/")
    assert gone.status_code == 302 and "/login" in gone.headers["Location"]
    for response in (
        api.get("/api/v1/organisme/", headers=bearer(tokens["access_token"])),
        api.post("/api/v1/security/refresh", headers=bearer(tokens["refresh_token"])),
    ):
        assert response.status_code == 401 and response.get_json()["message"] == REVOKED
    fresh = api_login(api, address, OTHER_PASSWORD).get_json()
    assert api.get("/api/v1/organisme/", headers=bearer(fresh["access_token"])).status_code == 200


def test_a_password_reset_ends_every_session_and_every_token(app, api_as):
    _pk, address = invited_user(app, api_as, access.UTILISATEUR_ORGANISME, creator="org.admin")
    web = login(app.test_client(), address, GOOD_PASSWORD)
    api = app.test_client()
    token = api_login(api, address, GOOD_PASSWORD).get_json()["access_token"]
    with mails(app) as sink:
        app.test_client().post("/compte/mot-de-passe-oublie", data={"login": address})
    ((_subject, body),) = sink.to(address, "Réinitialisation")
    assert set_password_with(app.test_client(), link_in(body), OTHER_PASSWORD).status_code == 302
    gone = web.get("/mon-profil/")
    assert gone.status_code == 302 and "/login" in gone.headers["Location"]
    response = api.get("/api/v1/organisme/", headers=bearer(token))
    assert response.status_code == 401 and response.get_json()["message"] == REVOKED
    assert try_login(app, address, OTHER_PASSWORD)[0]


def test_logout_ends_a_copied_session_cookie(app):
    browser = login(app.test_client(), "org.admin")
    thief = app.test_client()
    thief.set_cookie("session", browser.get_cookie("session").value)
    assert thief.get("/mon-profil/").status_code == 200
    assert browser.get("/logout/").status_code == 302
    response = thief.get("/mon-profil/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    # Logging in again opens a new session that works.
    assert login(app.test_client(), "org.admin").get("/mon-profil/").status_code == 200


# --- 3. Login limits that fit an office ------------------------------------------------------------------------
@pytest.fixture
def limits(app):
    """The login limits as in production (the suite runs without them: conftest)."""
    keys = ("AUTH_RATE_LIMITED", "LOGIN_FAILURES_PER_ACCOUNT", "LOGIN_FAILURES_PER_ADDRESS")
    saved = {key: app.config[key] for key in keys}
    app.config.update(
        AUTH_RATE_LIMITED=True,
        LOGIN_FAILURES_PER_ACCOUNT="5 per 15 minutes",
        LOGIN_FAILURES_PER_ADDRESS="50 per 15 minutes",
    )
    yield app.config
    app.config.update(saved)


def web_login(app, username, password=DEMO_PASSWORD, **environ):
    """(logged in?, page text after the attempt) through the login form."""
    client = app.test_client()
    response = client.post("/login/", data={"username": username, "password": password}, environ_base=environ)
    assert response.status_code == 302
    ok = "/login" not in response.headers["Location"]
    return ok, page_text(client.get(response.headers["Location"], follow_redirects=True))


def test_successful_logins_never_count(app, limits):
    """Twenty colleagues behind one office address log in (web and API): nobody is refused."""
    for _ in range(20):
        ok, text = web_login(app, "etab.user")
        assert ok, text
        assert api_login(app.test_client(), "etab.admin").status_code == 200


def test_five_failures_lock_the_account_on_the_form_and_the_api(app, limits):
    for attempt in range(5):  # web form and API together
        if attempt % 2:
            response = api_login(app.test_client(), "org.user", "mauvais-mot-de-passe")
            assert response.status_code == 401
        else:
            ok, text = web_login(app, "org.user", "mauvais-mot-de-passe")
            assert not ok and BAD_LOGIN in text
    # The 6th attempt is refused even with the right password, with when to retry.
    ok, text = web_login(app, "org.user")
    assert not ok and ACCOUNT_LOCKED.search(text), text
    response = api_login(app.test_client(), "org.user")
    assert response.status_code == 429 and ACCOUNT_LOCKED.fullmatch(response.get_json()["message"])
    # The account is the same by its email.
    assert api_login(app.test_client(), "org.user@demo.clea.example").status_code == 429
    # Another account from the same address still logs in.
    assert web_login(app, "org.admin")[0]
    assert api_login(app.test_client(), "org.admin").status_code == 200
    # Once the failures are older than the window, the account logs in again.
    with app.app_context():
        db.session.execute(update(EchecConnexion).values(moment=EchecConnexion.moment - datetime.timedelta(minutes=16)))
        db.session.commit()
        db.session.remove()
    assert web_login(app, "org.user")[0]


def test_failures_from_one_address_are_limited_more_loosely(app, limits):
    limits["LOGIN_FAILURES_PER_ADDRESS"] = "8 per 15 minutes"
    office = {"REMOTE_ADDR": "192.0.2.10"}
    for n in range(8):  # different accounts, none reaches its own limit
        assert api_login(app.test_client(), f"inconnu{n}", "x", **office).status_code == 401
    ok, text = web_login(app, "etab.user", **office)
    assert not ok and ADDRESS_LOCKED.search(text), text
    response = api_login(app.test_client(), "etab.user", **office)
    assert response.status_code == 429 and ADDRESS_LOCKED.fullmatch(response.get_json()["message"])
    # From another address the same account logs in.
    assert web_login(app, "etab.user", REMOTE_ADDR="198.51.100.7")[0]


def test_a_success_resets_no_counter(app, limits):
    for _ in range(4):
        assert not web_login(app, "org.user", "mauvais")[0]
    assert web_login(app, "org.user")[0]  # 4 failures: still allowed, and the success is not counted…
    assert not web_login(app, "org.user", "mauvais")[0]
    ok, text = web_login(app, "org.user")  # …nor does it wipe the failures: the 5th locks
    assert not ok and ACCOUNT_LOCKED.search(text)


# --- 4. A new email address, confirmed by its owner --------------------------------------------------------
def _reset_mails(app, address):
    with mails(app) as more:
        app.test_client().post("/compte/mot-de-passe-oublie", data={"login": address})
    return more


def test_an_admin_changes_a_users_email_old_address_told_new_one_confirms(app, as_user, api_as):
    pk, old = invited_user(app, api_as, access.UTILISATEUR_ORGANISME, creator="org.admin")
    new = new_email("nouvelle")
    admin = as_user("org.admin")
    with mails(app) as sink:
        response = admin.post(
            f"/utilisateurs/edit/{pk}",
            data={
                "role": access.UTILISATEUR_ORGANISME,
                "username": old,
                "first_name": "Camille",
                "last_name": "Essai",
                "email": new,
            },
            follow_redirects=True,
        )
    text = page_text(response)
    assert "Modifications enregistrées." in text
    assert f"Cette nouvelle adresse ({new}) doit être confirmée" in text
    ((subject, notice),) = sink.to(old)
    assert subject == "[Plateforme CléA] Changement de l'adresse email de votre compte"
    assert "Sophie Durand" in notice and new not in notice and new[:1] + "…@test.clea.example" in notice
    ((subject, confirmation),) = sink.to(new)
    assert subject == "[Plateforme CléA] Confirmez votre nouvelle adresse email"
    # Until confirmed, the account's address is the old one: a reset link goes there, never to the new one.
    assert user_by_email(app, old)["id"] == pk and user_by_email(app, new) is None
    assert f"Nouvel email (en attente de confirmation) {new}" in page_text(admin.get(f"/utilisateurs/show/{pk}"))
    more = _reset_mails(app, new)  # asked with the new address: unknown login, nothing sent
    assert more.messages == []
    more = _reset_mails(app, old)
    assert len(more.to(old, "Réinitialisation")) == 1 and more.to(new) == []

    confirmed = open_link(app.test_client(), link_in(confirmation))
    assert f"Votre nouvelle adresse email est confirmée : {new}." in page_text(confirmed)
    assert user_by_email(app, new)["id"] == pk and user_by_email(app, old) is None
    more = _reset_mails(app, new)
    assert len(more.to(new, "Réinitialisation")) == 1 and more.to(old) == []
    # The confirmation link is spent.
    assert open_link(app.test_client(), link_in(confirmation)).status_code == 410


def test_an_email_change_through_the_api_waits_for_confirmation(app, api_as):
    pk, old = invited_user(app, api_as, access.UTILISATEUR_ORGANISME, creator="org.admin")
    first, second = new_email("api"), new_email("api")
    api = api_as("org.admin")
    with mails(app) as sink:
        response = api.put(f"/api/v1/utilisateur/{pk}", json={"email": first})
        assert response.status_code == 200, response.get_json()
        result = response.get_json()["result"]
        assert result["email"] == old and result["email_pending"] == first
        # Asked again with another address: the first link no longer confirms anything.
        response = api.put(f"/api/v1/utilisateur/{pk}", json={"email": second})
        assert response.get_json()["result"]["email_pending"] == second
    assert len(sink.to(old, "Changement de l'adresse email")) == 2
    ((_s, first_link),) = sink.to(first)
    ((_s, second_link),) = sink.to(second)
    gone = open_link(app.test_client(), link_in(first_link))
    assert gone.status_code == 410 and LINK_GONE in page_text(gone)
    assert open_link(app.test_client(), link_in(second_link)).status_code == 200
    shown = api.get(f"/api/v1/utilisateur/{pk}").get_json()["result"]
    assert shown["email"] == second and shown["email_pending"] is None


def test_my_profile_email_change_and_an_address_taken_meanwhile(app, api_as):
    pk, old = invited_user(app, api_as, access.UTILISATEUR_ORGANISME, creator="org.admin")
    client = login(app.test_client(), old, GOOD_PASSWORD)
    new = new_email("profil")
    with mails(app) as sink:
        client.post("/mon-profil/", data={"first_name": "Camille", "last_name": "Essai", "email": new})
    page = page_text(client.get("/mon-profil/"))
    assert f"Nouvelle adresse en attente de confirmation : {new}" in page
    ((_subject, notice),) = sink.to(old)
    assert "a été demandé par vous-même." in notice
    # Meanwhile another account gets that address: the confirmation is refused, nothing changes.
    other_pk, _ = invited_user(app, api_as, access.UTILISATEUR_ORGANISME, creator="org.admin")
    with app.app_context():
        db.session.execute(update(Utilisateur).where(Utilisateur.id == other_pk).values(email=new))
        db.session.commit()
        db.session.remove()
    response = open_link(client, link_in(sink.to(new)[0][1]))
    assert "Cette adresse est désormais celle d'un autre compte" in page_text(response)
    assert user_by_email(app, old)["id"] == pk


def test_a_never_activated_account_gets_its_invitation_at_the_confirmed_address(app, as_user):
    typo, right = new_email("faute"), new_email("juste")
    admin = as_user("org.admin")
    with mails(app) as sink:
        admin.post(
            "/utilisateurs/add",
            data={
                "role": access.UTILISATEUR_ORGANISME,
                "username": "",
                "first_name": "Alex",
                "last_name": "Faute",
                "email": typo,
            },
        )
        pk = user_by_email(app, typo)["id"]
        admin.post(
            f"/utilisateurs/edit/{pk}",
            data={
                "role": access.UTILISATEUR_ORGANISME,
                "username": typo,
                "first_name": "Alex",
                "last_name": "Faute",
                "email": right,
            },
        )
        ((_s, confirmation),) = sink.to(right)
        open_link(app.test_client(), link_in(confirmation))
        invitations = sink.to(right, "Bienvenue")
    # The invitation sent to the wrong address is spent; a new one went to the confirmed address.
    (first_invitation,) = sink.to(typo, "Bienvenue")
    assert open_link(app.test_client(), link_in(first_invitation[1])).status_code == 410
    assert len(invitations) == 1
    assert set_password_with(app.test_client(), link_in(invitations[0][1]), GOOD_PASSWORD).status_code == 302
    assert try_login(app, right, GOOD_PASSWORD)[0]
    with app.app_context():
        assert db.session.execute(select(Utilisateur.email).where(Utilisateur.id == pk)).scalar() == right
        db.session.remove()
