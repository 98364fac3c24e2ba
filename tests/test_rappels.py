"""Habilitation expiry reminders (domain.md §10): « Renouvellement d'habilitation » 90 and 30 days before the end
of each validated habilitation, each sent exactly once, from `flask clea daily`."""

import datetime
import re

import pytest
from sqlalchemy import delete, select

from app.extensions import db
from app.models import DemandeHabilitation, Etablissement, MailSortant, Notification, Utilisateur
from app.models.habilitations import RappelHabilitation
from app.services import rappels
from app.services.rappels import rappels_habilitation
from tests.conftest import demo, page_text

# Far after every demo habilitation's end: only the habilitations of a test are due around that day.
JOUR = datetime.date.today() + datetime.timedelta(days=3650)
RUBRIQUE = "Renouvellement d'habilitation"
OF_A1_1 = {"org.admin", "org.user", "etab.admin", "etab.user", "reseau.admin"}


@pytest.fixture(autouse=True)
def clean(app):
    """Each test starts without notifications, mails nor reminders; the habilitations it crafts (listed here)
    go with the rest of the test's changes when its transaction is rolled back."""
    with app.app_context():
        db.session.execute(delete(Notification))
        db.session.execute(delete(MailSortant))
        db.session.execute(delete(RappelHabilitation))
        db.session.commit()
    return []


def habilitation(
    crafted,
    date_fin,
    etab="A1-1",
    etat=DemandeHabilitation.VALIDEE,
    renouvelle=None,
    type_=DemandeHabilitation.INITIALE,
) -> int:
    """A habilitation of the demo establishment `etab` ending on `date_fin`."""
    etablissement = _etablissement(etab)
    debut = date_fin - datetime.timedelta(days=3 * 365)
    d = DemandeHabilitation(
        organisme_id=etablissement.organisme_id,
        certification="clea",
        type=type_,
        date_demande=debut - datetime.timedelta(days=20),
        etat=etat,
        renouvelle_id=renouvelle,
    )
    if etat == DemandeHabilitation.VALIDEE:
        d.date_debut, d.date_fin = debut, date_fin
    d.etablissements = [etablissement]
    db.session.add(d)
    db.session.commit()
    crafted.append(d.id)
    return d.id


def _etablissement(code):
    names = {
        "A1-1": "Avenir Paris République",
        "A1-2": "Avenir Paris Lille",
        "B1-1": "Compétences Méditerranée Marseille",
    }
    return demo(Etablissement, nom=names[code])


def received(username, demande_id=None) -> list[Notification]:
    user = demo(Utilisateur, username=username)
    query = select(Notification).where(Notification.user_id == user.id, Notification.rubrique == RUBRIQUE)
    if demande_id is not None:
        query = query.where(Notification.lien == f"/habilitations/show/{demande_id}")
    return db.session.execute(query.order_by(Notification.id)).scalars().all()


def recorded(demande_id) -> set[int]:
    return set(
        db.session.execute(
            select(RappelHabilitation.delai_jours).where(RappelHabilitation.demande_id == demande_id)
        ).scalars()
    )


def test_each_reminder_goes_out_once_day_after_day(ctx, clean):
    ends = {n: JOUR + datetime.timedelta(days=n) for n in (100, 90, 45, 30, 10, -1)}
    ids = {n: habilitation(clean, fin) for n, fin in ends.items()}
    # First run: 90 days for the habilitations within 90 days, only 30 days for those seen late, none for
    # the ended one nor the one still 100 days away.
    assert rappels_habilitation(JOUR) == 4
    assert rappels_habilitation(JOUR) == 0  # run twice the same day: nothing more
    assert {n: recorded(pk) for n, pk in ids.items()} == {
        100: set(),
        90: {90},
        45: {90},
        30: {90, 30},
        10: {90, 30},
        -1: set(),
    }
    late = received("org.admin", ids[10])
    assert len(late) == 1 and f"le {ends[10]:%d/%m/%Y}, dans 10 jours" in late[0].contenu
    # Every following day (twice a day): the remaining reminders, each once, at its date.
    sent_on = {}
    for offset in range(1, 101):
        day = JOUR + datetime.timedelta(days=offset)
        count = rappels_habilitation(day) + rappels_habilitation(day)
        if count:
            sent_on[offset] = count
    assert sent_on == {10: 1, 15: 1, 60: 1, 70: 1}  # 100 → 90 days, 45 → 30, 90 → 30, 100 → 30
    assert {n: len(received("org.admin", pk)) for n, pk in ids.items()} == {100: 2, 90: 2, 45: 2, 30: 1, 10: 1, -1: 0}
    assert all(recorded(pk) == {90, 30} for n, pk in ids.items() if n != -1)


def test_the_reminder_names_the_habilitation_and_says_how_to_renew(ctx, clean):
    fin = JOUR + datetime.timedelta(days=90)
    pk = habilitation(clean, fin)
    assert rappels_habilitation(JOUR) == 1
    [notification] = received("org.admin", pk)
    assert notification.titre == "Habilitation CléA à renouveler : Avenir Paris République"
    assert notification.contenu == (
        f"L'habilitation CléA de Avenir Paris République (Organisme A1 — Avenir Paris) prend fin le "
        f"{fin:%d/%m/%Y}, dans 90 jours. Aucune évaluation n'a encore été faite sous cette habilitation : sans "
        "évaluation d'ici là, elle expirera à cette date. Pour demander son renouvellement, ouvrez la page de "
        "l'habilitation et cliquez sur « Demander le renouvellement »."
    )
    assert notification.lien == f"/habilitations/show/{pk}"


def test_a_renewal_says_a_new_request_is_needed(ctx, clean):
    first = habilitation(clean, JOUR - datetime.timedelta(days=3 * 365))
    renewal = habilitation(
        clean, JOUR + datetime.timedelta(days=30), renouvelle=first, type_=DemandeHabilitation.RENOUVELLEMENT
    )
    assert rappels_habilitation(JOUR) == 1
    [notification] = received("org.admin", renewal)
    assert "déjà été renouvelée une fois : après 6 ans, un nouveau dossier d'habilitation" in notification.contenu
    assert "« Déposer un dossier d'habilitation »" in notification.contenu


def test_recipients_are_the_establishment_its_organisation_and_its_network_admins(ctx, clean):
    pk = habilitation(clean, JOUR + datetime.timedelta(days=30))
    assert rappels_habilitation(JOUR) == 1
    users = db.session.execute(select(Utilisateur)).scalars().all()
    got = {u.username for u in users if received(u.username, pk)}
    assert got == OF_A1_1
    # Network B, the network's supervisor, Certif Pro and the certifiers do not hear of it.
    for other in ("reseau2.admin", "org2.admin", "etab2.user", "reseau.superviseur", "certifpro", "certif.idf"):
        assert other not in got


def test_another_establishment_of_the_organisation_reaches_its_organisation_only(ctx, clean):
    pk = habilitation(clean, JOUR + datetime.timedelta(days=60), etab="A1-2")
    assert rappels_habilitation(JOUR) == 1
    users = db.session.execute(select(Utilisateur)).scalars().all()
    assert {u.username for u in users if received(u.username, pk)} == {"org.admin", "org.user", "reseau.admin"}


def test_network_b_habilitation_reaches_network_b_only(ctx, clean):
    pk = habilitation(clean, JOUR + datetime.timedelta(days=20), etab="B1-1")
    assert rappels_habilitation(JOUR) == 1
    users = db.session.execute(select(Utilisateur)).scalars().all()
    assert {u.username for u in users if received(u.username, pk)} == {"reseau2.admin", "org2.admin", "etab2.user"}


def test_no_reminder_once_a_renewal_is_asked_unless_it_was_rejected(ctx, clean):
    pending = habilitation(clean, JOUR + datetime.timedelta(days=45))
    habilitation(
        clean, JOUR, etat=DemandeHabilitation.DEPOSEE, renouvelle=pending, type_=DemandeHabilitation.RENOUVELLEMENT
    )
    validated = habilitation(clean, JOUR + datetime.timedelta(days=20))
    habilitation(
        clean,
        JOUR + datetime.timedelta(days=20 + 3 * 365),
        renouvelle=validated,
        type_=DemandeHabilitation.RENOUVELLEMENT,
    )
    rejected = habilitation(clean, JOUR + datetime.timedelta(days=80))
    habilitation(
        clean, JOUR, etat=DemandeHabilitation.REJETEE, renouvelle=rejected, type_=DemandeHabilitation.RENOUVELLEMENT
    )
    assert rappels_habilitation(JOUR) == 1
    assert received("org.admin", pending) == [] and received("org.admin", validated) == []
    assert len(received("org.admin", rejected)) == 1
    assert recorded(pending) == recorded(validated) == set()


@pytest.mark.committing  # the other server's insert goes through a connection of its own
def test_a_reminder_recorded_meanwhile_by_another_server_is_skipped(ctx, clean, monkeypatch):
    """The unique key decides: another run commits the same reminder between our check and our insert; ours
    is rolled back, nobody hears of it twice, and the next reminder is still sent."""
    raced = habilitation(clean, JOUR + datetime.timedelta(days=80))
    other = habilitation(clean, JOUR + datetime.timedelta(days=85))
    real_utcnow = rappels.utcnow
    done = []

    def other_server_first():
        if not done:
            done.append(True)
            with db.engine.begin() as conn:  # another connection: another server's transaction
                conn.execute(
                    RappelHabilitation.__table__.insert().values(
                        demande_id=raced, delai_jours=90, envoye_le=real_utcnow()
                    )
                )
        return real_utcnow()

    monkeypatch.setattr(rappels, "utcnow", other_server_first)
    assert rappels_habilitation(JOUR) == 1
    assert received("org.admin", raced) == [] and len(received("org.admin", other)) == 1
    assert recorded(raced) == recorded(other) == {90}


def test_daily_command_sends_the_reminders_and_their_mails_in_the_same_run(app, clean):
    with app.app_context():
        pk = habilitation(clean, datetime.date.today() + datetime.timedelta(days=30))
        email = demo(Utilisateur, username="org.admin").email
    result = app.test_cli_runner().invoke(args=["clea", "daily"])
    assert result.exit_code == 0, result.output
    found = re.search(r"^(\d+) rappel\(s\) de renouvellement d'habilitation envoyé\(s\)\.$", result.output, re.M)
    assert found and int(found.group(1)) >= 1, result.output
    with app.app_context():
        assert recorded(pk) == {90, 30}
        [mail] = (
            db.session.execute(
                select(MailSortant).where(MailSortant.destinataire == email, MailSortant.sujet.like("%à renouveler%"))
            )
            .scalars()
            .all()
        )
        assert mail.statut == MailSortant.ENVOYE  # queued by the reminder, sent by the same run
        assert mail.sujet == "[Plateforme CléA] Habilitation CléA à renouveler : Avenir Paris République"
        assert f"Pour consulter : http://clea.test/habilitations/show/{pk}" in mail.corps
        assert "dans 30 jours" in mail.corps
    again = app.test_cli_runner().invoke(args=["clea", "daily"])
    assert "0 rappel(s) de renouvellement d'habilitation envoyé(s)." in again.output


def test_each_recipient_gets_a_queued_mail(ctx, clean):
    pk = habilitation(clean, JOUR + datetime.timedelta(days=90))
    assert rappels_habilitation(JOUR) == 1
    mails = db.session.execute(select(MailSortant)).scalars().all()
    expected = {demo(Utilisateur, username=u).email for u in OF_A1_1}
    assert {m.destinataire for m in mails} == expected and len(mails) == len(expected)
    assert all(m.statut == MailSortant.A_ENVOYER and f"/habilitations/show/{pk}" in m.corps for m in mails)


def test_the_reminder_is_on_the_notifications_page_and_api(app, clean, as_user, api_as):
    with app.app_context():
        pk = habilitation(clean, JOUR + datetime.timedelta(days=30))
        assert rappels_habilitation(JOUR) == 1
    page = as_user("etab.user").get("/notifications/", query_string={"rubrique": RUBRIQUE})
    assert page.status_code == 200
    text = page_text(page)
    assert "Habilitation CléA à renouveler : Avenir Paris République" in text and RUBRIQUE in text
    listed = api_as("reseau.admin").get("/api/v1/notification/")
    assert listed.status_code == 200
    mine = [n for n in listed.get_json()["result"] if n["rubrique"] == RUBRIQUE]
    assert len(mine) == 1 and mine[0]["lien"] == f"/habilitations/show/{pk}" and mine[0]["lue"] is False
    # The arrow leads to the habilitation's page, where the organisation's administrator finds the button.
    assert as_user("etab.user").get(f"/habilitations/show/{pk}").status_code == 200
    opened = as_user("org.admin").get(f"/habilitations/show/{pk}")
    assert opened.status_code == 200 and "Demander le renouvellement" in page_text(opened)
    assert api_as("reseau2.admin").get("/api/v1/notification/").get_json()["count"] == 0
