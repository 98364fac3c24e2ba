"""« Mes utilisateurs », invitation and « Mot de passe oublié ? » links, « Mon profil », deactivation
(domain.md §8, roles.md, quality.md « Security »), through the pages and the API, with mails received by a
real local SMTP server."""

import datetime
import email
import email.policy
import itertools
import re
import socket
from contextlib import contextmanager

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from app.domain import access
from app.extensions import db, mail
from app.models import Etablissement, JetonUtilisateur, MailSortant, Organisme, Reseau, Utilisateur
from app.models.base import utcnow
from tests.conftest import DEMO_PASSWORD, api_token, demo, login, page_text

GOOD_PASSWORD = "Nouveau-mot-2026"
OTHER_PASSWORD = "Encore-un-autre-99"
POLICY = (
    "Le mot de passe doit comporter au moins 12 caractères et au moins 3 types de caractères parmi : "
    "minuscules, majuscules, chiffres, caractères spéciaux."
)
LINK_GONE = "Ce lien n'est plus valable"
BAD_LOGIN = "Identifiant ou mot de passe incorrect, ou compte désactivé."
HIGHER_ROLE = "Vous ne pouvez attribuer qu'un rôle égal ou inférieur au vôtre."
FORGOT_ANSWER = (
    "Si cet identifiant correspond à un compte actif, un email contenant un lien pour choisir un "
    "nouveau mot de passe vient d'être envoyé."
)
NOT_JSON = "Le corps de la requête doit être un objet JSON."
NOT_TEXT = "Valeur invalide : du texte est attendu."
NOT_ID = "Valeur invalide : l'identifiant (nombre entier) est attendu."
NOT_BOOLEAN = "Une valeur booléenne (true/false) est attendue."
# A mailed link carries its code after « # » (never sent to a server, so in no log); the page posts it.
LINK_RE = re.compile(r"http://clea\.test/compte/lien#([A-Za-z0-9_\-]+)")
PASSWORD_PAGE = "/compte/mot-de-passe"
_serial = itertools.count(1)


def new_email(prefix="invite"):
    return f"{prefix}{next(_serial)}@test.clea.example"


# --- A real SMTP server (aiosmtpd) on a free local port ----------------------------------------------------
class Sink:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            (list(envelope.rcpt_tos), email.message_from_bytes(envelope.content, policy=email.policy.default))
        )
        return "250 Message accepted for delivery"

    def to(self, address, subject=""):
        """(subject, body) of each mail received for `address` (whose subject holds `subject`), once the background
        tasks the requests queued (sending the outbox: app/tasks) have run."""
        from app import tasks

        tasks.run_pending()
        return [
            (m["Subject"], m.get_body(("plain",)).get_content())
            for rcpt, m in self.messages
            if address in rcpt and subject in m["Subject"]
        ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


MAIL_KEYS = ("MAIL_SERVER", "MAIL_PORT", "MAIL_SUPPRESS_SEND")


@contextmanager
def mail_server(app, port):
    """Point the application (config and Flask-Mail's state, read once by Mail.init_app) at 127.0.0.1:port."""
    saved = {k: app.config[k] for k in MAIL_KEYS if k in app.config}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_SUPPRESS_SEND=False)
    mail.init_app(app)
    try:
        yield
    finally:
        for key in MAIL_KEYS:
            app.config.pop(key, None)
        app.config.update(saved)
        mail.init_app(app)


@contextmanager
def smtp_server(port):
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@contextmanager
def mails(app):
    """While it lasts, the application sends to a running SMTP server: `sink.to(address)` lists what it got. The
    mails the block's requests queued are sent (the background tasks run) before it ends."""
    from app import tasks

    port = free_port()
    with smtp_server(port) as sink, mail_server(app, port):
        try:
            yield sink
        finally:
            tasks.run_pending()


@pytest.fixture
def smtp(app):
    """A running SMTP server the application sends to; `smtp.to(address)` lists what it received."""
    with mails(app) as sink:
        yield sink


# --- Helpers -------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ref(app, demo_data):
    with app.app_context():
        ids = {
            "A": demo(Reseau, nom="Réseau A — Formation Avenir").id,
            "B": demo(Reseau, nom="Réseau B — Compétences Sud").id,
            "A1": demo(Organisme, nom="Organisme A1 — Avenir Paris").id,
            "A2": demo(Organisme, nom="Organisme A2 — Avenir Ouest").id,
            "B1": demo(Organisme, nom="Organisme B1 — Compétences Méditerranée").id,
            "A1-1": demo(Etablissement, nom="Avenir Paris République").id,
            "A1-2": demo(Etablissement, nom="Avenir Paris Lille").id,
            "B1-1": demo(Etablissement, nom="Compétences Méditerranée Marseille").id,
        }
        for user in db.session.execute(select(Utilisateur)).scalars():
            ids[user.username] = user.id
        db.session.remove()
    return ids


def user_by_email(app, address):
    with app.app_context():
        user = db.session.execute(select(Utilisateur).where(Utilisateur.email == address)).scalar_one_or_none()
        result = (
            None
            if user is None
            else {
                "id": user.id,
                "username": user.username,
                "profil": user.profil,
                "active": user.active,
                "organisme_id": user.organisme_id,
                "etablissement_id": user.etablissement_id,
                "reseau_id": user.reseau_id,
                "first_name": user.first_name,
            }
        )
        db.session.remove()
        return result


def outbox(app, address):
    """Rows of the mail outbox for `address`, oldest first."""
    with app.app_context():
        rows = (
            db.session.execute(select(MailSortant).where(MailSortant.destinataire == address).order_by(MailSortant.id))
            .scalars()
            .all()
        )
        result = [
            {
                "id": r.id,
                "sujet": r.sujet,
                "corps": r.corps,
                "statut": r.statut,
                "tentatives": r.tentatives,
                "erreur": r.derniere_erreur,
            }
            for r in rows
        ]
        db.session.remove()
        return result


def link_in(body) -> str:
    """The code of the link a mail carries."""
    match = LINK_RE.search(body)
    assert match, body
    return match.group(1)


def open_link(client, code):
    """What the browser does with a mailed link: it opens /compte/lien, whose script posts the code found after
    « # ». Returns the page reached (the password form, or « Lien expiré »)."""
    page = client.get("/compte/lien")
    assert page.status_code == 200 and "lien.js" in page.get_data(as_text=True)
    response = client.post("/compte/lien", data={"jeton": code})
    if response.status_code == 302:
        return client.get(response.headers["Location"], follow_redirects=True)
    return response


def set_password_with(client, code, password, confirmation=None):
    """Open the link and send the password form (the answer of the form's POST)."""
    open_link(client, code)
    return client.post(PASSWORD_PAGE, data={"password": password, "confirmation": confirmation or password})


def try_login(app, username, password):
    """(logged in?, text of the page shown after the attempt)."""
    client = app.test_client()
    response = client.post("/login/", data={"username": username, "password": password})
    if response.status_code == 200:  # the form itself refused the input
        return False, page_text(response)
    assert response.status_code == 302, response.status_code
    ok = "/login" not in response.headers["Location"]
    return ok, page_text(client.get(response.headers["Location"], follow_redirects=True))


def role_options(response):
    select_html = re.search(r'<select[^>]*name="role"[^>]*>(.*?)</select>', response.get_data(as_text=True), re.S)
    return [v for v in re.findall(r'<option value="([^"]*)"', select_html.group(1)) if v]


def form(role, address, **extra):
    data = {"role": role, "username": "", "last_name": "Testeur", "first_name": "Alex", "email": address}
    data.update({k: str(v) for k, v in extra.items()})
    return data


def invited_user(app, api_as, role=access.ADMIN_ORGANISME, creator="certifpro", password=GOOD_PASSWORD, **attach):
    """A user created through the API who chose a password with the invitation link: (id, email)."""
    address = new_email("compte")
    body = {"role": role, "first_name": "Camille", "last_name": "Essai", "email": address, **attach}
    with mails(app) as sink:
        response = api_as(creator).post("/api/v1/utilisateur/", json=body)
    assert response.status_code == 201, response.get_json()
    ((_subject, mail_body),) = sink.to(address)
    answer = set_password_with(app.test_client(), link_in(mail_body), password)
    assert answer.status_code == 302, page_text(answer)
    return response.get_json()["id"], address


# --- 1. Role granting: equal or lower, inside one's perimeter -------------------------------------------------
OF = list(access.OF_PROFILES)


@pytest.mark.parametrize(
    "username,offered",
    [
        ("certifpro", list(access.PROFILES)),
        ("reseau.admin", OF),
        (
            "org.admin",
            [
                access.ADMIN_ORGANISME,
                access.UTILISATEUR_ORGANISME,
                access.ADMIN_ETABLISSEMENT,
                access.UTILISATEUR_ETABLISSEMENT,
            ],
        ),
        ("etab.admin", [access.ADMIN_ETABLISSEMENT, access.UTILISATEUR_ETABLISSEMENT]),
    ],
)
def test_the_form_offers_only_equal_or_lower_roles(as_user, username, offered):
    response = as_user(username).get("/utilisateurs/add")
    assert response.status_code == 200
    assert "Créer un utilisateur" in page_text(response)
    assert role_options(response) == offered


@pytest.mark.parametrize(
    "username,role",
    [
        ("org.admin", access.ADMIN_RESEAU),
        ("org.admin", access.SUPERVISEUR_RESEAU),
        ("org.admin", access.CERTIF_PRO),
        ("etab.admin", access.ADMIN_ORGANISME),
        ("etab.admin", access.UTILISATEUR_ORGANISME),
        ("reseau.admin", access.CERTIFICATEUR),
        ("reseau.admin", access.CERTIF_PRO),
    ],
)
def test_a_higher_role_is_refused_ui_and_api(app, as_user, api_as, ref, username, role):
    address = new_email()
    response = as_user(username).post(
        "/utilisateurs/add", data=form(role, address, organisme=ref["A1"], reseau=ref["A"])
    )
    assert response.status_code == 200
    assert HIGHER_ROLE in page_text(response)
    api = api_as(username).post(
        "/api/v1/utilisateur/",
        json={"role": role, "first_name": "Alex", "last_name": "Testeur", "email": address, "organisme": ref["A1"]},
    )
    assert api.status_code == 422
    assert api.get_json()["message"]["role"] == [HIGHER_ROLE]
    assert user_by_email(app, address) is None
    assert outbox(app, address) == []


@pytest.mark.parametrize(
    "username,role,field,target,message",
    [
        (
            "org.admin",
            access.UTILISATEUR_ORGANISME,
            "organisme",
            "B1",
            "L'organisme choisi n'existe pas ou n'est pas dans votre périmètre.",
        ),
        (
            "org.admin",
            access.ADMIN_ORGANISME,
            "organisme",
            "A2",
            "L'organisme choisi n'existe pas ou n'est pas dans votre périmètre.",
        ),
        (
            "org.admin",
            access.UTILISATEUR_ETABLISSEMENT,
            "etablissement",
            "B1-1",
            "L'établissement choisi n'existe pas ou n'est pas dans votre périmètre.",
        ),
        (
            "etab.admin",
            access.UTILISATEUR_ETABLISSEMENT,
            "etablissement",
            "A1-2",
            "L'établissement choisi n'existe pas ou n'est pas dans votre périmètre.",
        ),
        (
            "reseau.admin",
            access.ADMIN_ORGANISME,
            "organisme",
            "B1",
            "L'organisme choisi n'existe pas ou n'est pas dans votre périmètre.",
        ),
        (
            "reseau.admin",
            access.SUPERVISEUR_RESEAU,
            "reseau",
            "B",
            "Le réseau choisi n'existe pas ou n'est pas dans votre périmètre.",
        ),
    ],
)
def test_attaching_a_user_outside_ones_perimeter_is_refused(
    app, as_user, api_as, ref, username, role, field, target, message
):
    address = new_email()
    response = as_user(username).post("/utilisateurs/add", data=form(role, address, **{field: ref[target]}))
    assert response.status_code == 200
    assert message in page_text(response)
    api = api_as(username).post(
        "/api/v1/utilisateur/",
        json={"role": role, "first_name": "Alex", "last_name": "Testeur", "email": address, field: ref[target]},
    )
    assert api.status_code == 422
    assert api.get_json()["message"][field] == [message]
    assert user_by_email(app, address) is None


def test_the_attachment_of_the_role_is_required(app, as_user, ref):
    address = new_email()
    response = as_user("reseau.admin").post("/utilisateurs/add", data=form(access.UTILISATEUR_ETABLISSEMENT, address))
    assert response.status_code == 200
    assert "L'établissement est obligatoire pour le rôle « Utilisateur établissement »." in page_text(response)
    assert user_by_email(app, address) is None


def test_an_admin_creates_users_inside_the_perimeter(app, as_user, api_as, ref):
    # Organisation level, no organisation chosen: the creator's own.
    address = new_email()
    response = as_user("org.admin").post(
        "/utilisateurs/add", data=form(access.UTILISATEUR_ORGANISME, address), follow_redirects=True
    )
    assert response.status_code == 200
    text = page_text(response)
    assert "L'utilisateur Alex Testeur est créé : il reçoit un email pour choisir son mot de passe." in text
    created = user_by_email(app, address)
    assert created["profil"] == access.UTILISATEUR_ORGANISME and created["organisme_id"] == ref["A1"]
    assert created["username"] == address  # the login defaults to the email
    # An establishment of the organisation.
    address = new_email()
    response = as_user("org.admin").post(
        "/utilisateurs/add",
        data=form(access.ADMIN_ETABLISSEMENT, address, username="nouvel.admin.a12", etablissement=ref["A1-2"]),
    )
    assert response.status_code == 302
    created = user_by_email(app, address)
    assert created["etablissement_id"] == ref["A1-2"] and created["username"] == "nouvel.admin.a12"
    # Network level, by API: an organisation of the network.
    address = new_email()
    response = api_as("reseau.admin").post(
        "/api/v1/utilisateur/",
        json={
            "role": access.ADMIN_ORGANISME,
            "first_name": "Zoé",
            "last_name": "Api",
            "email": address,
            "organisme": ref["A2"],
        },
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()["result"]
    assert body["role"] == access.ADMIN_ORGANISME and body["organisme"] == ref["A2"] and body["active"] is True
    # The list shows it to the network's administrator.
    assert "Zoé" in page_text(as_user("reseau.admin").get("/utilisateurs/list/?psize_UtilisateurView=100"))


def test_duplicate_login_or_email_is_refused(app, as_user):
    response = as_user("org.admin").post(
        "/utilisateurs/add", data=form(access.UTILISATEUR_ORGANISME, "ORG.USER@demo.clea.example")
    )
    assert response.status_code == 200
    assert "Un utilisateur avec cet email existe déjà." in page_text(response)
    response = as_user("org.admin").post(
        "/utilisateurs/add", data=form(access.UTILISATEUR_ORGANISME, new_email(), username="Org.User")
    )
    assert "Ce login est déjà utilisé." in page_text(response)


def test_network_supervisor_only_reads_users(app, as_user, api_as, ref):
    client = as_user("reseau.superviseur")
    listing = client.get("/utilisateurs/list/")
    assert listing.status_code == 200 and "Sophie" in page_text(listing)
    assert 'href="/utilisateurs/add"' not in listing.get_data(as_text=True)
    assert 'href="/utilisateurs/add"' in as_user("reseau.admin").get("/utilisateurs/list/").get_data(as_text=True)
    assert client.get(f"/utilisateurs/show/{ref['org.user']}").status_code == 200
    assert "Désactiver le compte" not in page_text(client.get(f"/utilisateurs/show/{ref['org.user']}"))
    address = new_email()
    for response in (
        client.get("/utilisateurs/add"),
        client.post("/utilisateurs/add", data=form(access.UTILISATEUR_ORGANISME, address, organisme=ref["A1"])),
        client.get(f"/utilisateurs/edit/{ref['org.user']}"),
        client.post(f"/utilisateurs/{ref['org.user']}/activer", data={"actif": "0"}),
    ):
        assert response.status_code == 403
        assert "Accès refusé" in page_text(response)
    api = api_as("reseau.superviseur")
    assert api.get(f"/api/v1/utilisateur/{ref['org.user']}").status_code == 200
    response = api.post(
        "/api/v1/utilisateur/",
        json={
            "role": access.UTILISATEUR_ORGANISME,
            "first_name": "A",
            "last_name": "B",
            "email": address,
            "organisme": ref["A1"],
        },
    )
    assert response.status_code == 403
    assert response.get_json()["message"] == "Vous n'avez pas les droits nécessaires pour cette action."
    assert api.put(f"/api/v1/utilisateur/{ref['org.user']}", json={"active": False}).status_code == 403
    assert user_by_email(app, address) is None
    assert user_by_email(app, "org.user@demo.clea.example")["active"] is True


@pytest.mark.parametrize("username", ["org.user", "etab.user", "certif.idf"])
def test_profiles_without_the_tab_cannot_reach_users(as_user, api_as, username):
    client = as_user(username)
    for url in ("/utilisateurs/list/", "/utilisateurs/add"):
        response = client.get(url)
        assert response.status_code == 403
        assert "Accès refusé" in page_text(response)
    assert api_as(username).get("/api/v1/utilisateur/").status_code == 403


@pytest.mark.parametrize("username", ["reseau.admin", "org.admin", "etab.admin", "reseau.superviseur"])
@pytest.mark.parametrize("target", ["org2.admin", "etab2.user", "reseau2.admin"])
def test_users_of_network_b_do_not_exist_for_network_a(app, as_user, api_as, ref, username, target):
    pk = ref[target]
    client = as_user(username)
    can_edit = username != "reseau.superviseur"
    responses = [client.get(f"/utilisateurs/show/{pk}")]
    if can_edit:
        responses += [
            client.get(f"/utilisateurs/edit/{pk}"),
            client.post(f"/utilisateurs/edit/{pk}", data=form(access.ADMIN_ORGANISME, new_email())),
            client.post(f"/utilisateurs/{pk}/activer", data={"actif": "0"}),
        ]
    for response in responses:
        assert response.status_code == 404
        assert "Page introuvable" in page_text(response)
    api = api_as(username)
    response = api.get(f"/api/v1/utilisateur/{pk}")
    assert response.status_code == 404 and response.get_json()["message"] == "Élément introuvable."
    response = api.put(f"/api/v1/utilisateur/{pk}", json={"last_name": "Pirate", "active": False})
    assert response.status_code == 404  # perimeter first (issue 11), even for a profile that may not edit
    listed = api.get("/api/v1/utilisateur/?q=(page_size:100)").get_json()["ids"]
    assert pk not in listed and ref[username] in listed
    with app.app_context():
        user = db.session.get(Utilisateur, pk)
        assert user.last_name != "Pirate" and user.active
        db.session.remove()


def test_edit_keeps_to_lower_roles_and_the_perimeter(app, as_user, api_as, ref):
    pk, address = invited_user(app, api_as, access.UTILISATEUR_ORGANISME, creator="org.admin")
    client = as_user("org.admin")
    page = client.get(f"/utilisateurs/edit/{pk}")
    assert page.status_code == 200 and address in page.get_data(as_text=True)
    response = client.post(f"/utilisateurs/edit/{pk}", data=form(access.ADMIN_RESEAU, address, reseau=ref["A"]))
    assert response.status_code == 200 and HIGHER_ROLE in page_text(response)
    response = client.post(
        f"/utilisateurs/edit/{pk}", data=form(access.UTILISATEUR_ORGANISME, address, organisme=ref["B1"])
    )
    assert "L'organisme choisi n'existe pas ou n'est pas dans votre périmètre." in page_text(response)
    response = api_as("org.admin").put(f"/api/v1/utilisateur/{pk}", json={"role": access.SUPERVISEUR_RESEAU})
    assert response.status_code == 422 and response.get_json()["message"]["role"] == [HIGHER_ROLE]
    assert user_by_email(app, address)["profil"] == access.UTILISATEUR_ORGANISME
    # A lower role inside the perimeter is fine.
    response = client.post(
        f"/utilisateurs/edit/{pk}",
        data=form(access.UTILISATEUR_ETABLISSEMENT, address, username=address, etablissement=ref["A1-1"]),
        follow_redirects=True,
    )
    assert "Modifications enregistrées." in page_text(response)
    changed = user_by_email(app, address)
    assert changed["profil"] == access.UTILISATEUR_ETABLISSEMENT and changed["etablissement_id"] == ref["A1-1"]
    assert changed["organisme_id"] is None
    response = api_as("org.admin").put(f"/api/v1/utilisateur/{pk}", json={"first_name": "Dominique"})
    assert response.status_code == 200 and response.get_json()["result"]["first_name"] == "Dominique"


def test_an_establishment_admin_cannot_edit_an_organisation_user(as_user, api_as, ref):
    """org.user is attached to the organisation: outside an establishment's perimeter."""
    assert as_user("etab.admin").get(f"/utilisateurs/edit/{ref['org.user']}").status_code == 404
    assert (
        api_as("etab.admin").put(f"/api/v1/utilisateur/{ref['org.user']}", json={"first_name": "X"}).status_code == 404
    )


# --- 2. Invitation: a single-use, expiring link received by mail ----------------------------------------------
def test_invitation_mail_link_sets_the_password_exactly_once(app, smtp, as_user, ref):
    address = new_email()
    response = as_user("org.admin").post(
        "/utilisateurs/add", data=form(access.UTILISATEUR_ORGANISME, address, username="invite.smtp")
    )
    assert response.status_code == 302
    mails = smtp.to(address)
    assert len(mails) == 1
    subject, body = mails[0]
    assert subject == "[Plateforme CléA] Bienvenue : activez votre compte"
    assert "invite.smtp" in body and "Utilisateur organisme" in body
    assert DEMO_PASSWORD not in body and "mot de passe :" not in body.lower()
    link = link_in(body)
    (row,) = outbox(app, address)
    assert row["statut"] == MailSortant.ENVOYE
    # Once sent, the outbox keeps the mail without its link (issue 11).
    assert link not in row["corps"] and "[lien retiré après envoi]" in row["corps"]

    # Before choosing a password, the account cannot log in (and the login page answers normally).
    ok, text = try_login(app, "invite.smtp", "")
    assert not ok
    ok, text = try_login(app, "invite.smtp", GOOD_PASSWORD)
    assert not ok and BAD_LOGIN in text

    client = app.test_client()
    page = open_link(client, link)
    assert page.status_code == 200
    text = page_text(page)
    assert "Choisir votre mot de passe" in text and "invite.smtp" in text
    for weak in ("court", "seulementdesminuscules", "SansChiffreNiSigne", "x" * 10_000):
        response = client.post(PASSWORD_PAGE, data={"password": weak, "confirmation": weak})
        assert response.status_code == 200
        assert POLICY in page_text(response)
    response = client.post(PASSWORD_PAGE, data={"password": GOOD_PASSWORD, "confirmation": GOOD_PASSWORD + "x"})
    assert "Les deux mots de passe ne sont pas identiques." in page_text(response)
    ok, _ = try_login(app, "invite.smtp", GOOD_PASSWORD)
    assert not ok  # nothing was saved by the refused attempts

    response = client.post(PASSWORD_PAGE, data={"password": GOOD_PASSWORD, "confirmation": GOOD_PASSWORD})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert "Votre mot de passe est enregistré : vous pouvez vous connecter." in page_text(
        client.get(response.headers["Location"])
    )
    ok, _ = try_login(app, "invite.smtp", GOOD_PASSWORD)
    assert ok
    # The same browser cannot send the form again.
    response = client.post(PASSWORD_PAGE, data={"password": OTHER_PASSWORD, "confirmation": OTHER_PASSWORD})
    assert response.status_code == 410 and LINK_GONE in page_text(response)

    # Exactly once: the same link again is gone, for reading and for writing.
    again = app.test_client()
    response = open_link(again, link)
    assert response.status_code == 410
    assert LINK_GONE in page_text(response)
    response = again.post(PASSWORD_PAGE, data={"password": OTHER_PASSWORD, "confirmation": OTHER_PASSWORD})
    assert response.status_code == 410 and LINK_GONE in page_text(response)
    assert not try_login(app, "invite.smtp", OTHER_PASSWORD)[0]
    assert try_login(app, "invite.smtp", GOOD_PASSWORD)[0]


def test_an_expired_invitation_link_is_refused(app, smtp, as_user):
    address = new_email()
    assert (
        as_user("org.admin").post("/utilisateurs/add", data=form(access.UTILISATEUR_ORGANISME, address)).status_code
        == 302
    )
    link = link_in(smtp.to(address)[0][1])
    with app.app_context():
        user_id = user_by_email(app, address)["id"]
        db.session.execute(
            update(JetonUtilisateur)
            .where(JetonUtilisateur.user_id == user_id)
            .values(expires_at=utcnow() - datetime.timedelta(minutes=1))
        )
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    response = open_link(client, link)
    assert response.status_code == 410 and LINK_GONE in page_text(response)
    response = client.post(PASSWORD_PAGE, data={"password": GOOD_PASSWORD, "confirmation": GOOD_PASSWORD})
    assert response.status_code == 410
    assert not try_login(app, address, GOOD_PASSWORD)[0]


@pytest.mark.parametrize("token", ["x", "a" * 43, "z" * 10_000, "\x00", "", "#", "../../etc", "é" * 50])
def test_unknown_links_are_gone_not_errors(client, token):
    response = open_link(client, token)
    if token == "\x00":  # no request may carry a NUL character (app/entrees.py)
        assert response.status_code == 400 and "caractère nul" in page_text(response)
    else:
        assert response.status_code == 410
        assert LINK_GONE in page_text(response)
    # Without a link opened first, the password form is gone too.
    assert client.get(PASSWORD_PAGE).status_code == 410


@pytest.mark.parametrize(
    "token, status", [("x", 410), ("a" * 43, 410), ("z" * 10_000, 410), ("%00", 400), ("..%2F..%2Fetc", 404)]
)  # « / » in the link: no such page; a NUL character: refused in any request (app/entrees.py)
def test_links_of_the_older_form_are_gone(client, token, status):
    """Links with the code in the path (before issue 11) are no longer accepted, whatever the code."""
    response = client.get(f"/compte/mot-de-passe/{token}")
    assert response.status_code == status
    assert {410: LINK_GONE, 404: "Page introuvable", 400: "caractère nul"}[status] in page_text(response)


def test_api_creation_sends_the_invitation_too(app, smtp, api_as, ref):
    address = new_email()
    response = api_as("reseau.admin").post(
        "/api/v1/utilisateur/",
        json={
            "role": access.UTILISATEUR_ETABLISSEMENT,
            "first_name": "Yanis",
            "last_name": "Api",
            "email": address,
            "etablissement": ref["A1-2"],
        },
    )
    assert response.status_code == 201
    ((subject, body),) = smtp.to(address)
    assert "Bienvenue" in subject
    assert open_link(app.test_client(), link_in(body)).status_code == 200


# --- 3. « Mot de passe oublié ? » ------------------------------------------------------------------------------
def test_forgotten_password_link(app, smtp, api_as):
    _pk, address = invited_user(app, api_as, access.UTILISATEUR_ORGANISME, creator="org.admin", password=GOOD_PASSWORD)
    client = app.test_client()
    page = client.get("/compte/mot-de-passe-oublie")
    assert page.status_code == 200 and "Mot de passe oublié" in page_text(page)

    response = client.post("/compte/mot-de-passe-oublie", data={"login": address.upper()}, follow_redirects=True)
    assert response.status_code == 200 and FORGOT_ANSWER in page_text(response)
    ((subject, body),) = smtp.to(address, "Réinitialisation")
    assert subject == "[Plateforme CléA] Réinitialisation de votre mot de passe"
    link = link_in(body)

    # Until the link is used, the old password still works.
    assert try_login(app, address, GOOD_PASSWORD)[0]

    weak = set_password_with(client, link, "abc")
    assert weak.status_code == 200 and POLICY in page_text(weak)
    response = client.post(PASSWORD_PAGE, data={"password": OTHER_PASSWORD, "confirmation": OTHER_PASSWORD})
    assert response.status_code == 302
    assert try_login(app, address, OTHER_PASSWORD)[0]
    ok, text = try_login(app, address, GOOD_PASSWORD)
    assert not ok and BAD_LOGIN in text
    response = open_link(app.test_client(), link)
    assert response.status_code == 410 and LINK_GONE in page_text(response)


def test_forgotten_password_never_tells_whether_a_login_exists(app, smtp, api_as):
    _pk, address = invited_user(app, api_as, access.UTILISATEUR_ORGANISME, creator="org.admin")
    answers = []
    for login_ in (address, "personne.inconnue", "inconnu@nulle-part.example", "é" * 10_000):
        client = app.test_client()
        response = client.post("/compte/mot-de-passe-oublie", data={"login": login_})
        assert response.status_code == 302
        answers.append((response.headers["Location"], page_text(client.get(response.headers["Location"]))))
    assert all(a == answers[0] for a in answers)
    assert FORGOT_ANSWER in answers[0][1]
    assert len(smtp.to(address, "Réinitialisation")) == 1
    assert smtp.to("inconnu@nulle-part.example") == []
    response = app.test_client().post("/compte/mot-de-passe-oublie", data={"login": "  "})
    assert response.status_code == 200
    assert "Saisissez votre identifiant de connexion." in page_text(response)


def test_a_new_link_spends_nothing_until_used_and_older_links_die_with_it(app, api_as):
    _pk, address = invited_user(app, api_as, access.UTILISATEUR_ORGANISME, creator="org.admin")
    client = app.test_client()
    with mails(app) as sink:
        client.post("/compte/mot-de-passe-oublie", data={"login": address})
        client.post("/compte/mot-de-passe-oublie", data={"login": address})
    first, second = [link_in(body) for _subject, body in sink.to(address, "Réinitialisation")]
    assert first != second
    assert set_password_with(client, second, OTHER_PASSWORD).status_code == 302
    assert open_link(client, first).status_code == 410


# --- 4. The outbox: the mail server down never loses the mail ----------------------------------------------------
def test_mail_server_down_then_up(app, as_user):
    port = free_port()  # nothing listens there yet
    address = new_email()
    with mail_server(app, port):
        response = as_user("org.admin").post(
            "/utilisateurs/add", data=form(access.UTILISATEUR_ORGANISME, address), follow_redirects=True
        )
        assert response.status_code == 200
        assert "est créé : il reçoit un email pour choisir son mot de passe." in page_text(response)
        assert user_by_email(app, address) is not None
        # The request did not try the mail server: sending is the background's work.
        (row,) = outbox(app, address)
        assert row["statut"] == MailSortant.A_ENVOYER and row["tentatives"] == 0
        from app import tasks

        assert tasks.run_pending() == 1
        (row,) = outbox(app, address)
        assert row["statut"] == MailSortant.A_ENVOYER and row["tentatives"] == 1 and row["erreur"]

        with smtp_server(port) as sink:
            with app.app_context():  # the retry delay has passed
                db.session.execute(
                    update(MailSortant)
                    .where(MailSortant.id == row["id"])
                    .values(prochain_essai=utcnow() - datetime.timedelta(seconds=1))
                )
                db.session.commit()
                db.session.remove()
            result = app.test_cli_runner().invoke(args=["clea", "mails"])
            assert result.exit_code == 0, result.output
            assert "mail(s) envoyé(s), 0 en échec." in result.output
            ((subject, body),) = sink.to(address)
    assert "Bienvenue" in subject
    (row,) = outbox(app, address)
    assert row["statut"] == MailSortant.ENVOYE and row["tentatives"] == 2
    assert link_in(body) not in row["corps"] and "[lien retiré après envoi]" in row["corps"]
    assert open_link(app.test_client(), link_in(body)).status_code == 200


def test_send_pending_delivers_what_waits(app, as_user):
    port = free_port()
    address = new_email()
    with mail_server(app, port):
        client = app.test_client()
        client.post("/compte/mot-de-passe-oublie", data={"login": "org.user"})  # queued while the server is down
        assert (
            as_user("org.admin").post("/utilisateurs/add", data=form(access.UTILISATEUR_ORGANISME, address)).status_code
            == 302
        )
        assert outbox(app, address)[0]["statut"] == MailSortant.A_ENVOYER
        with smtp_server(port) as sink, app.app_context():
            from app.services.notifications import send_pending

            db.session.execute(
                update(MailSortant)
                .where(MailSortant.statut == MailSortant.A_ENVOYER)
                .values(prochain_essai=utcnow() - datetime.timedelta(seconds=1))
            )
            db.session.commit()
            assert send_pending()["envoyes"] >= 2
            db.session.remove()
            assert len(sink.to(address)) == 1
            assert len(sink.to("org.user@demo.clea.example")) == 1


# --- 5. Deactivation ----------------------------------------------------------------------------------------------
def test_a_deactivated_user_is_locked_out_of_web_and_api(app, as_user, api_as, ref):
    pk, address = invited_user(app, api_as, access.ADMIN_ORGANISME, creator="reseau.admin", organisme=ref["A2"])
    jwt_client = app.test_client()
    token = api_token(jwt_client, address, GOOD_PASSWORD)
    headers = {"Authorization": f"Bearer {token}"}
    assert jwt_client.get("/api/v1/organisme/", headers=headers).status_code == 200
    web = login(app.test_client(), address, GOOD_PASSWORD)
    assert web.get("/utilisateurs/list/").status_code == 200

    admin = as_user("reseau.admin")
    page = page_text(admin.get(f"/utilisateurs/show/{pk}"))
    assert "Désactiver le compte" in page
    response = admin.post(f"/utilisateurs/{pk}/activer", data={"actif": "0"}, follow_redirects=True)
    assert response.status_code == 200
    text = page_text(response)
    assert "Le compte est désactivé : cet utilisateur ne peut plus se connecter." in text
    assert "Réactiver le compte" in text

    ok, text = try_login(app, address, GOOD_PASSWORD)
    assert not ok and BAD_LOGIN in text
    response = jwt_client.get("/api/v1/organisme/", headers=headers)
    assert response.status_code == 401
    assert "Compte désactivé" in response.get_json()["message"]
    response = jwt_client.post(
        "/api/v1/security/login", json={"username": address, "password": GOOD_PASSWORD, "provider": "db"}
    )
    assert response.status_code == 401
    response = web.get("/utilisateurs/list/")  # the open session is over too
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    # No reset link for a deactivated account.
    app.test_client().post("/compte/mot-de-passe-oublie", data={"login": address})
    assert all("Réinitialisation" not in m["sujet"] for m in outbox(app, address))

    # Reactivation (API).
    response = api_as("reseau.admin").put(f"/api/v1/utilisateur/{pk}", json={"active": True})
    assert response.status_code == 200 and response.get_json()["result"]["active"] is True
    assert try_login(app, address, GOOD_PASSWORD)[0]
    response = api_as("reseau.admin").put(f"/api/v1/utilisateur/{pk}", json={"active": False})
    assert response.status_code == 200 and response.get_json()["result"]["active"] is False
    assert not try_login(app, address, GOOD_PASSWORD)[0]


def test_nobody_deactivates_their_own_account(app, as_user, api_as, ref):
    client = as_user("org.admin")
    response = client.post(f"/utilisateurs/{ref['org.admin']}/activer", data={"actif": "0"}, follow_redirects=True)
    assert "Vous ne pouvez pas désactiver votre propre compte." in page_text(response)
    response = api_as("reseau.admin").put(f"/api/v1/utilisateur/{ref['reseau.admin']}", json={"active": False})
    assert response.status_code == 409
    assert response.get_json()["message"] == "Vous ne pouvez pas désactiver votre propre compte."
    assert user_by_email(app, "org.admin@demo.clea.example")["active"] is True
    assert user_by_email(app, "reseau.admin@demo.clea.example")["active"] is True
    assert try_login(app, "org.admin", DEMO_PASSWORD)[0]


# --- 6. Mon profil ---------------------------------------------------------------------------------------------
def test_my_profile_name_and_email(app, api_as):
    pk, address = invited_user(app, api_as, access.UTILISATEUR_ORGANISME, creator="org.admin")
    client = login(app.test_client(), address, GOOD_PASSWORD)
    page = client.get("/mon-profil/")
    assert page.status_code == 200 and "Mon profil" in page_text(page)
    changed = new_email("profil")
    with mails(app) as sink:
        response = client.post(
            "/mon-profil/",
            data={"first_name": "Maëlle", "last_name": "Nouvelle", "email": changed},
            follow_redirects=True,
        )
    text = page_text(response)
    assert "Votre profil a été mis à jour." in text
    # A new address is the account's only once confirmed (issue 11).
    assert f"Votre nouvelle adresse ({changed}) doit être confirmée" in text
    html = response.get_data(as_text=True)
    assert 'value="Maëlle"' in html and f'value="{address}"' in html
    ((_subject, body),) = sink.to(changed)
    confirmed = open_link(client, link_in(body))
    assert f"Votre nouvelle adresse email est confirmée : {changed}." in page_text(confirmed)
    for data, message in (
        ({"first_name": "", "last_name": "X", "email": changed}, "Ce champ est obligatoire."),
        ({"first_name": "A", "last_name": "X", "email": "pas-une-adresse"}, "Adresse email invalide."),
        (
            {"first_name": "A", "last_name": "X", "email": "org.user@demo.clea.example"},
            "Un utilisateur avec cet email existe déjà.",
        ),
        (
            {"first_name": "A" * 10_000, "last_name": "X", "email": changed},
            "Ce champ ne doit pas dépasser 64 caractères.",
        ),
    ):
        response = client.post("/mon-profil/", data=data)
        assert response.status_code == 200 and message in page_text(response)
    user = user_by_email(app, changed)
    assert user["first_name"] == "Maëlle" and user["id"] == pk


def test_my_profile_password_change(app, api_as):
    _pk, address = invited_user(app, api_as, access.UTILISATEUR_ORGANISME, creator="org.admin")
    client = login(app.test_client(), address, GOOD_PASSWORD)
    response = client.post(
        "/mon-profil/", data={"actuel": "mauvais-Mot-2026", "nouveau": OTHER_PASSWORD, "confirmation": OTHER_PASSWORD}
    )
    assert response.status_code == 200 and "Le mot de passe actuel est incorrect." in page_text(response)
    response = client.post(
        "/mon-profil/", data={"actuel": GOOD_PASSWORD, "nouveau": "trop-court", "confirmation": "trop-court"}
    )
    assert response.status_code == 200 and POLICY in page_text(response)
    response = client.post(
        "/mon-profil/", data={"actuel": GOOD_PASSWORD, "nouveau": OTHER_PASSWORD, "confirmation": OTHER_PASSWORD[:-1]}
    )
    assert "Les deux mots de passe ne sont pas identiques." in page_text(response)
    # The password form sent empty: the password form complains, the profile is untouched.
    response = client.post(
        "/mon-profil/", data={"action": "mot_de_passe", "actuel": "", "nouveau": "", "confirmation": ""}
    )
    assert response.status_code == 200
    assert "Le mot de passe actuel est incorrect." in page_text(response)
    assert user_by_email(app, address)["first_name"] == "Camille"
    assert try_login(app, address, GOOD_PASSWORD)[0]

    response = client.post(
        "/mon-profil/",
        data={"actuel": GOOD_PASSWORD, "nouveau": OTHER_PASSWORD, "confirmation": OTHER_PASSWORD},
        follow_redirects=True,
    )
    assert "Votre mot de passe a été changé." in page_text(response)
    assert try_login(app, address, OTHER_PASSWORD)[0]
    ok, text = try_login(app, address, GOOD_PASSWORD)
    assert not ok and BAD_LOGIN in text


def test_my_profile_needs_a_login(client):
    response = client.get("/mon-profil/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert (
        client.post("/mon-profil/", data={"first_name": "X", "last_name": "Y", "email": "x@y.example"}).status_code
        == 302
    )


# --- 7. Bad input: French messages, never a 500 ------------------------------------------------------------
HUGE = "é" * 10_000


def test_huge_strings_in_the_form(app, as_user, ref):
    response = as_user("org.admin").post(
        "/utilisateurs/add",
        data={
            "role": HUGE,
            "username": HUGE,
            "first_name": HUGE,
            "last_name": HUGE,
            "email": HUGE,
            "organisme": HUGE,
            "etablissement": HUGE,
        },
    )
    assert response.status_code == 200
    text = page_text(response)
    assert HIGHER_ROLE in text and "Ce champ ne doit pas dépasser" in text
    response = as_user("org.admin").post(
        "/utilisateurs/add",
        data=form(access.UTILISATEUR_ETABLISSEMENT, new_email(), first_name=HUGE, etablissement="9" * 30),
    )
    assert response.status_code == 200
    text = page_text(response)
    assert "Ce champ ne doit pas dépasser 64 caractères." in text
    assert "L'établissement choisi n'existe pas ou n'est pas dans votre périmètre." in text
    with app.app_context():
        assert db.session.execute(select(Utilisateur).where(Utilisateur.first_name == HUGE)).first() is None
        db.session.remove()


def test_huge_numbers_for_a_certifier_attachment(api_as):
    response = api_as("certifpro").post(
        "/api/v1/utilisateur/",
        json={
            "role": access.CERTIFICATEUR,
            "first_name": "A",
            "last_name": "B",
            "email": new_email(),
            "certificateur": "99999999999999999999999",
        },
    )
    assert response.status_code == 422
    assert response.get_json()["message"]["certificateur"] == [
        "Le certificateur choisi n'existe pas ou n'est pas dans votre périmètre."
    ]


def test_certif_pro_attaches_a_certifier_user(app, api_as, ref):
    from app.models import Certificateur

    with app.app_context():
        cert_id = demo(Certificateur, nom="Transitions Pro Bretagne").id
        db.session.remove()
    address = new_email()
    response = api_as("certifpro").post(
        "/api/v1/utilisateur/",
        json={
            "role": access.MEMBRE_JURY,
            "first_name": "Jules",
            "last_name": "Jury",
            "email": address,
            "certificateur": cert_id,
        },
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["result"]["certificateur"] == cert_id


@pytest.mark.parametrize(
    "body,field,message",
    [
        ({"email": 5}, "email", NOT_TEXT),
        ({"email": "pas-une-adresse"}, "email", "Adresse email invalide."),
        ({"email": HUGE}, "email", "Ce champ ne doit pas dépasser 254 caractères."),
        ({"role": ["x"]}, "role", NOT_TEXT),
        ({"role": True}, "role", NOT_TEXT),
        ({"role": {"name": access.UTILISATEUR_ORGANISME}}, "role", NOT_TEXT),
        ({"role": "Administrateur"}, "role", HIGHER_ROLE),
        ({"first_name": None}, "first_name", "Ce champ est obligatoire."),
        ({"first_name": HUGE}, "first_name", "Ce champ ne doit pas dépasser 64 caractères."),
        ({"first_name": 12.5}, "first_name", NOT_TEXT),
        ({"last_name": "   "}, "last_name", "Ce champ est obligatoire."),
        (
            {"username": "a b"},
            "username",
            "Le login ne peut contenir que des lettres, chiffres et . @ + - _ (3 caractères au moins).",
        ),
        ({"organisme": "abc"}, "organisme", "L'organisme choisi n'existe pas ou n'est pas dans votre périmètre."),
        ({"organisme": 10**30}, "organisme", "L'organisme choisi n'existe pas ou n'est pas dans votre périmètre."),
        ({"organisme": 999999}, "organisme", "L'organisme choisi n'existe pas ou n'est pas dans votre périmètre."),
        ({"organisme": [1]}, "organisme", NOT_ID),
        ({"organisme": True}, "organisme", NOT_ID),
        ({"password": "Clea-demo-2026!"}, "password", "Champ inconnu ou non modifiable."),
        ({"id": 1}, "id", "Champ inconnu ou non modifiable."),
    ],
)
def test_api_create_with_bad_values(app, api_as, ref, body, field, message):
    address = new_email()
    data = {
        "role": access.UTILISATEUR_ORGANISME,
        "first_name": "Alex",
        "last_name": "Testeur",
        "email": address,
        "organisme": ref["A1"],
    }
    data.update(body)
    response = api_as("org.admin").post("/api/v1/utilisateur/", json=data)
    assert response.status_code == 422, response.get_json()
    assert message in response.get_json()["message"][field]
    assert user_by_email(app, address) is None
    # The same values on an existing user change nothing.
    response = api_as("org.admin").put(f"/api/v1/utilisateur/{ref['org.user']}", json={"last_name": "Changé", **body})
    assert response.status_code == 422, response.get_json()
    assert message in response.get_json()["message"][field]
    assert user_by_email(app, "org.user@demo.clea.example")["username"] == "org.user"
    with app.app_context():
        assert db.session.get(Utilisateur, ref["org.user"]).last_name == "Robert"
        db.session.remove()


@pytest.mark.parametrize("raw", ["[1, 2]", '"texte"', "5", "null", "{", "", "x" * 10_000])
def test_api_bodies_that_are_not_objects(api_as, ref, raw):
    api = api_as("org.admin")
    for response in (
        api.post("/api/v1/utilisateur/", data=raw, headers={"Content-Type": "application/json"}),
        api.put(f"/api/v1/utilisateur/{ref['org.user']}", data=raw, headers={"Content-Type": "application/json"}),
    ):
        assert response.status_code == 422, response.status_code
        assert response.get_json()["message"] == {"_schema": [NOT_JSON]}


@pytest.mark.parametrize("pk", ["999999", "abc", "1.5", "-1", "99999999999999999999", "%C3%A9"])
def test_unknown_ids(as_user, api_as, pk):
    api = api_as("certifpro")
    response = api.get(f"/api/v1/utilisateur/{pk}")
    assert response.status_code == 404 and response.get_json()["message"] == "Élément introuvable."
    response = api.put(f"/api/v1/utilisateur/{pk}", json={"first_name": "X"})
    assert response.status_code == 404 and response.get_json()["message"] == "Élément introuvable."
    client = as_user("certifpro")
    for url in (f"/utilisateurs/show/{pk}", f"/utilisateurs/edit/{pk}"):
        response = client.get(url)
        assert response.status_code == 404 and "Page introuvable" in page_text(response)
    response = client.post(f"/utilisateurs/{pk}/activer", data={"actif": "0"})
    assert response.status_code == 404


def test_api_put_is_all_or_nothing(app, api_as, ref):
    """A refused field leaves the whole request without effect."""
    pk, address = invited_user(app, api_as, access.UTILISATEUR_ORGANISME, creator="org.admin")
    for active in (0, "non", None, [False]):
        response = api_as("org.admin").put(
            f"/api/v1/utilisateur/{pk}", json={"first_name": "Partiel", "active": active}
        )
        assert response.status_code == 422
        assert response.get_json()["message"]["active"] == [NOT_BOOLEAN]
    assert user_by_email(app, address)["first_name"] == "Camille"
    assert user_by_email(app, address)["active"] is True
    response = api_as("org.admin").put(
        f"/api/v1/utilisateur/{pk}", json={"first_name": "Partiel", "role": access.ADMIN_RESEAU}
    )
    assert response.status_code == 422
    assert user_by_email(app, address)["first_name"] == "Camille"
    # Self-deactivation refused: the name sent with it is not saved either.
    response = api_as("reseau.admin").put(
        f"/api/v1/utilisateur/{ref['reseau.admin']}", json={"first_name": "Partiel", "active": False}
    )
    assert response.status_code == 409
    assert user_by_email(app, "reseau.admin@demo.clea.example")["first_name"] == "Claire"
    # A new account is always active: "active" is not a field of the creation.
    response = api_as("org.admin").post(
        "/api/v1/utilisateur/",
        json={
            "role": access.UTILISATEUR_ORGANISME,
            "first_name": "A",
            "last_name": "B",
            "email": new_email(),
            "active": False,
        },
    )
    assert response.status_code == 422
    assert response.get_json()["message"]["active"] == ["Champ inconnu ou non modifiable."]


def test_names_are_shown_as_text_not_html(app, as_user):
    address = new_email()
    response = as_user("org.admin").post(
        "/utilisateurs/add",
        data=form(access.UTILISATEUR_ORGANISME, address, first_name="<script>alert(1)</script>"),
        follow_redirects=True,
    )
    html = response.get_data(as_text=True)
    assert "est créé" in page_text(response)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    pk = user_by_email(app, address)["id"]
    html = as_user("org.admin").get(f"/utilisateurs/show/{pk}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_user_changes_are_in_the_user_page_trail(app, as_user):
    from sqlalchemy import select as sa_select

    from app.extensions import db as sa_db
    from app.models import Utilisateur as U

    client = as_user("org.admin")
    client.post(
        "/utilisateurs/add",
        data={
            "role": "Utilisateur organisme",
            "first_name": "Zoé",
            "last_name": "Trace",
            "email": "zoe.trace@example.org",
            "username": "",
        },
    )
    with app.app_context():
        pk = sa_db.session.execute(sa_select(U.id).where(U.email == "zoe.trace@example.org")).scalar_one()
    client.post(f"/utilisateurs/{pk}/activer", data={"actif": "0"})
    trail = page_text(client.get(f"/utilisateurs/show/{pk}"))
    assert "Création" in trail and "Sophie Durand" in trail
    assert "Actif : Oui → Non" in trail
