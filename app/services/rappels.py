"""Habilitation expiry reminders (domain.md §10): « Renouvellement d'habilitation » 90 and 30 days before the
end of each validated habilitation, run by `flask clea daily`.

Each reminder is one transaction: its `rappel_habilitation` row(s), the notifications and their mails. The
unique key (demande_id, delai_jours) makes it go out once, even when the job runs twice or on two servers
at the same time: the second insert fails, that transaction is rolled back and the reminder skipped.
"""

import datetime

from sqlalchemy import exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from app.domain import dossiers
from app.extensions import db
from app.formatting import date_fr
from app.models import DemandeHabilitation, Utilisateur
from app.models.base import utcnow
from app.models.habilitations import RappelDossier, RappelHabilitation
from app.services import notifications

DELAIS = (90, 30)  # days before date_fin, longest first
RUBRIQUE = "Renouvellement d'habilitation"


def rappels_habilitation(jour: datetime.date | None = None) -> int:
    """Sends the reminders due on `jour` (today by default); returns how many were sent."""
    jour = jour or datetime.date.today()
    sent = 0
    for demande_id in _a_traiter(jour):
        demande = db.session.get(DemandeHabilitation, demande_id)
        if demande is None:
            continue
        delai = _delai_du(demande, jour)
        if delai is None:
            continue
        # Seen late (already within 30 days): only the 30-day reminder, and the 90-day one is marked done so
        # that it never goes out afterwards.
        faits = set(
            db.session.execute(
                select(RappelHabilitation.delai_jours).where(RappelHabilitation.demande_id == demande.id)
            ).scalars()
        )
        a_marquer = [d for d in DELAIS if d >= delai and d not in faits]
        if delai in faits:
            continue
        try:
            now = utcnow()
            for d in a_marquer:
                db.session.add(RappelHabilitation(demande_id=demande.id, delai_jours=d, envoye_le=now))
            db.session.flush()  # another run got there first: IntegrityError here, before any notification
            _notifier(demande, jour)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            continue
        sent += 1
    return sent


def _a_traiter(jour: datetime.date) -> list[int]:
    """Validated habilitations ending within 90 days whose due reminder is not recorded yet, without a renewal
    request (pending or validated)."""
    renouvellement = aliased(DemandeHabilitation)

    def rappel(delai):
        return exists().where(
            RappelHabilitation.demande_id == DemandeHabilitation.id, RappelHabilitation.delai_jours == delai
        )

    court = jour + datetime.timedelta(days=min(DELAIS))
    return list(
        db.session.execute(
            select(DemandeHabilitation.id)
            .where(
                DemandeHabilitation.etat == DemandeHabilitation.VALIDEE,
                DemandeHabilitation.date_fin >= jour,
                DemandeHabilitation.date_fin <= jour + datetime.timedelta(days=max(DELAIS)),
                ~rappel(min(DELAIS)),
                or_(DemandeHabilitation.date_fin <= court, ~rappel(max(DELAIS))),
                ~exists().where(
                    renouvellement.renouvelle_id == DemandeHabilitation.id,
                    renouvellement.etat.in_(dossiers.EN_COURS | {dossiers.BROUILLON, dossiers.ACCORDEE}),
                ),
            )
            .order_by(DemandeHabilitation.date_fin, DemandeHabilitation.id)
        ).scalars()
    )


def _delai_du(demande, jour) -> int | None:
    """The reminder due on `jour`: the shortest delay the habilitation is within (None: none due)."""
    reste = (demande.date_fin - jour).days
    dus = [d for d in DELAIS if 0 <= reste <= d]
    return min(dus) if dus else None


def destinataires(demande) -> list:
    """The OF users of its establishments and organisation, and the administrators of the organisation's
    network."""
    users = list(notifications.utilisateurs_des_etablissements(*demande.etablissements))
    if not demande.etablissements:
        users += (
            db.session.execute(
                select(Utilisateur).where(
                    Utilisateur.active.is_(True), Utilisateur.organisme_id == demande.organisme_id
                )
            )
            .scalars()
            .all()
        )
    reseau_id = demande.organisme.reseau_id
    if reseau_id is not None:
        users += notifications.utilisateurs_avec_droit("recevoir_avis_reseau", Utilisateur.reseau_id == reseau_id)
    return users


def _notifier(demande, jour) -> None:
    reste = (demande.date_fin - jour).days
    fin = f"le {date_fr(demande.date_fin)}"
    quand = f"aujourd'hui, {fin}" if reste == 0 else f"{fin}, dans {reste} jour{'s' if reste > 1 else ''}"
    etablissements = demande.etablissements_label or demande.organisme.nom
    # The title is also the mail's subject (250 characters at most): many establishments are cut there,
    # the content names them all.
    titre = _court(f"Habilitation {demande.certification_label} à renouveler : {etablissements}", 200)
    from app.services.habilitations import issue_du_terme

    issue = issue_du_terme(demande)
    if issue == "renouvellement":
        suite = (
            "Elle a été utilisée : elle sera renouvelée automatiquement pour 3 ans à cette date, sans démarche "
            "de votre part, si aucune suspension ni aucun retrait n'intervient d'ici là."
        )
    elif issue == "nouveau_dossier":  # a renewal is allowed once (3 + 3 years)
        suite = (
            "Elle a déjà été renouvelée une fois : après 6 ans, un nouveau dossier d'habilitation (« Déposer un "
            "dossier d'habilitation ») est nécessaire pour continuer après cette date."
        )
    else:
        # The label of the button on the habilitation's page.
        suite = (
            "Aucune évaluation n'a encore été faite sous cette habilitation : sans évaluation d'ici là, elle "
            "expirera à cette date. Pour demander son renouvellement, ouvrez la page de l'habilitation et "
            "cliquez sur « Demander le renouvellement »."
        )
    contenu = (
        f"L'habilitation {demande.certification_label} de {etablissements} ({demande.organisme.nom}) "
        f"prend fin {quand}. {suite}"
    )
    notifications.notify(destinataires(demande), RUBRIQUE, titre, contenu, f"/habilitations/show/{demande.id}")


def _court(text: str, longueur: int) -> str:
    return text if len(text) <= longueur else text[: longueur - 1].rstrip() + "…"


# --- Deadlines of the habilitation dossiers (habilitation.md §3: « the daily job reminds the party who must act ») ---
PROCHE = 3  # jours ouvrés before a deadline: « Echéance proche »


def rappels_dossiers(jour: datetime.date | None = None) -> int:
    """For each dossier in progress, each deadline close (≤ 3 jours ouvrés) or passed is notified once to whoever
    must act (the organisation or the instance); returns how many reminders went out."""
    from app.services import dossiers as service
    from app.services.habilitations import requesters

    jour = jour or datetime.date.today()
    sent = 0
    ids = db.session.execute(
        select(DemandeHabilitation.id).where(DemandeHabilitation.etat.in_(dossiers.EN_COURS | {dossiers.BROUILLON}))
    ).scalars()
    for dossier_id in list(ids):
        dossier = db.session.get(DemandeHabilitation, dossier_id)
        if dossier is None:
            continue
        for echeance in service.echeances(dossier, jour):
            palier = "depassee" if echeance["jours"] < 0 else "proche" if echeance["jours"] <= PROCHE else None
            if palier is None:
                continue
            try:
                db.session.add(
                    RappelDossier(
                        dossier_id=dossier.id, echeance=echeance["libelle"][:120], date=echeance["date"], palier=palier
                    )
                )
                db.session.flush()
                users = (
                    requesters(dossier) if echeance["qui"] == "organisme" else service.destinataires_instance(dossier)
                )
                if palier == "depassee":
                    titre = f"Echéance dépassée : {echeance['libelle']}"
                    texte = f"L'échéance « {echeance['libelle']} » du {date_fr(echeance['date'])} est dépassée"
                else:
                    titre = f"Echéance proche : {echeance['libelle']}"
                    texte = (
                        f"L'échéance « {echeance['libelle']} » tombe le {date_fr(echeance['date'])} "
                        f"({echeance['jours']} jour(s) ouvré(s))"
                    )
                notifications.notify(
                    users,
                    dossiers.RUBRIQUE,
                    titre,
                    f"{texte} sur le dossier d'habilitation n°{dossier.numero} ({dossier.organisme.nom}).",
                    f"/habilitations/show/{dossier.id}",
                )
                db.session.commit()
            except IntegrityError:
                db.session.rollback()
                continue
            sent += 1
    notifications.flush_outbox_quietly()
    return sent
