"""« Demande de rattachement » (guide §16, domain.md §5): an establishment asks Certif Pro to take over a file
registered elsewhere (the candidate moved, the establishment closed, the candidate's choice).

Asking is the one write allowed on a file outside one's perimeter (api.md): the file must exist, the
destination must be one of the requester's own establishments. Certif Pro accepts (the file moves, with its
audit line in the file's « Parcours ») or refuses (with a comment). One transaction each, notifications
included.
"""

import datetime

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from app.domain import access, statuts
from app.domain.errors import DomainError, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import Candidature, Etablissement, Organisme, Utilisateur
from app.models.juries import DemandeRattachement
from app.schemas import Input, Text, fresh, shape_errors
from app.security import perimeter
from app.services import audit, choix, habilitations, notifications
from app.services.candidatures import valeurs
from app.services.transitions import transition
from app.services.validation import REQUIRED, Errors, blank

RUBRIQUE = "Demande de rattachement"
AUTRE = "Autre"
PRECISION_MAX = 500
COMMENTAIRE_MAX = 500
# Guide §16: a file waiting for its jury, being certified or certified is never moved.
STATUTS_NON_RATTACHABLES = (statuts.ATTENTE_JURY, statuts.ATTENTE_CERTIFICATION, statuts.CERTIFIEE)
DEJA_TRAITEE = "Cette demande de rattachement a déjà été traitée."
DEJA_EN_ATTENTE = "Une demande de rattachement est déjà en attente pour ce dossier."


def motifs() -> list[str]:
    return valeurs("motif_rattachement")


def refus_statut(candidature: Candidature) -> str | None:
    """None when the file may be moved; otherwise the French reason."""
    if candidature.statut in STATUTS_NON_RATTACHABLES:
        return (
            f"Ce dossier est au statut « {statuts.label(candidature.statut)} » : un dossier en attente de jury, "
            "en cours de certification ou certifié ne peut pas être rattaché à un autre établissement."
        )
    return None


def peut_demander(user) -> bool:
    return user is not None and access.profile_allows(user.profil, access.CREATE, access.RATTACHEMENTS)


def peut_decider(user) -> bool:
    return user is not None and access.profile_allows(user.profil, "can_decider_rattachement", access.RATTACHEMENTS)


def _destinations(user) -> list:
    return [
        Etablissement.actif.is_(True),
        Etablissement.organisme.has(Organisme.actif.is_(True)),
        habilitations.habilitee_clause(),
    ]


# The establishments a user may ask a file to be moved to: their perimeter, active and habilitated today (a quick
# picker, app/services/choix.py; the file's own establishment is refused by `demander`).
DESTINATIONS = choix.Source(
    Etablissement, offerts=_destinations, libelle=lambda e: f"{e.nom} — {e.ville}" if e.ville else e.nom
)


def _candidature(candidature_id, lock=False) -> Candidature:
    """The file, wherever it is (no perimeter: see the module's docstring); 404 when it does not exist."""
    if blank(candidature_id):
        raise ValidationFailed({"candidature": "Le dossier de candidature est obligatoire."})
    pk = perimeter.parse_pk(candidature_id)
    if pk is None:
        raise ValidationFailed({"candidature": "Identifiant de dossier de candidature invalide."})
    query = select(Candidature).where(Candidature.id == pk)
    if lock and db.engine.dialect.name == "postgresql":
        query = query.with_for_update()
    candidature = db.session.execute(query).scalar_one_or_none()
    if candidature is None:
        raise NotFound("Ce dossier de candidature n'existe pas.")
    return candidature


# The request page of a file outside the perimeter is reached from a national search result only: the key icon
# carries a signed reference (this file, this user, a few hours), never the bare id, so the page cannot be used
# to read the country's files one id after another.
REFERENCE_HEURES = 4


def _signeur() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="clea-demande-rattachement")


def reference(user, candidature_id: int) -> str:
    """The key icon's link for a file found by `user` (a search result or a duplicate refusal)."""
    return _signeur().dumps([user.id, candidature_id])


def dossier(user, reference_signee) -> Candidature:
    """The file of a reference given to `user`: 404 when it is forged, expired, another user's, or the file is
    gone. Pages outside the perimeter show only its numéro, candidate, establishment and status (roles.md)."""
    try:
        user_id, candidature_id = _signeur().loads(reference_signee, max_age=REFERENCE_HEURES * 3600)
    except (BadSignature, ValueError, TypeError):
        raise NotFound("Ce lien de demande de rattachement n'est plus valable : refaites la recherche.") from None
    if user is None or user_id != user.id:
        raise NotFound("Ce lien de demande de rattachement n'est plus valable : refaites la recherche.")
    try:
        return _candidature(candidature_id)
    except ValidationFailed:
        raise NotFound("Ce dossier de candidature n'existe pas.") from None


def obstacle(candidature: Candidature) -> str | None:
    """Why a request for this file would be refused right now (shown before the form is filled)."""
    return refus_statut(candidature) or (DEJA_EN_ATTENTE if _en_attente(candidature.id) else None)


# The input's shape: the request's and the decision's texts, with their lengths.
NOT_TEXT = "Ce champ doit être un texte."
RATTACHEMENT_INPUT = Input.from_dict(
    {
        "motif": Text(max_length=100, not_text=NOT_TEXT),
        "precision": Text(max_length=PRECISION_MAX, not_text=NOT_TEXT),
        "commentaire": Text(max_length=COMMENTAIRE_MAX, not_text=NOT_TEXT),
    },
    name="RattachementInput",
)()


def _texte(value, field, errors, required=False, message=REQUIRED):
    """One text of the request, through the schema; None when absent or refused (the error is added)."""
    refused = shape_errors(RATTACHEMENT_INPUT, {field: value})
    if refused:
        for text in refused[field]:
            errors.add(field, text)
        return None
    value = fresh(RATTACHEMENT_INPUT).load({field: value})[field]
    if not value:
        if required:
            errors.add(field, message)
        return None
    return value


def _en_attente(candidature_id) -> bool:
    return (
        db.session.execute(
            select(DemandeRattachement.id)
            .where(
                DemandeRattachement.candidature_id == candidature_id,
                DemandeRattachement.etat == DemandeRattachement.EN_ATTENTE,
            )
            .limit(1)
        ).first()
        is not None
    )


def _lien(demande) -> str:
    return f"/rattachements/show/{demande.id}"


def _resume(demande, candidature) -> str:
    return (
        f"Candidat : {candidature.candidat} ({candidature.numero_dossier}). "
        f"Ancien établissement : {demande.etablissement_origine.nom}. "
        f"Nouvel établissement : {demande.etablissement_destination.nom}."
    )


def demander(user, candidature_id, etablissement_destination_id, motif, precision=None) -> DemandeRattachement:
    """« Envoyer la demande »: the file may lie outside the requester's perimeter, the destination may not."""
    if not peut_demander(user):
        raise Forbidden("Votre profil ne permet pas de demander le rattachement d'un dossier.")
    candidature = _candidature(candidature_id, lock=True)
    errors = Errors()
    destination = None
    if blank(etablissement_destination_id):
        errors.add("etablissement_destination", REQUIRED)
    else:
        try:
            destination = perimeter.get_visible(Etablissement, etablissement_destination_id, user)
        except NotFound:
            errors.add("etablissement_destination", "Cet établissement n'existe pas ou n'est pas dans votre périmètre.")
    if destination is not None:
        if not destination.actif or not destination.organisme.actif:
            errors.add(
                "etablissement_destination", "Cet établissement est inactif : il ne peut pas recevoir de dossier."
            )
        elif not habilitations.est_habilitee(destination):
            errors.add("etablissement_destination", "Cet établissement n'a pas d'habilitation valide aujourd'hui.")
        elif destination.id == candidature.etablissement_id:
            errors.add("etablissement_destination", "Le dossier est déjà rattaché à cet établissement.")
    motif = _texte(motif, "motif", errors, required=True, message="Le motif de la demande est obligatoire.")
    if motif is not None and motif not in motifs():
        errors.add("motif", "Motif inconnu.")
    precision = _texte(
        precision, "precision", errors, required=(motif == AUTRE), message="Précisez le motif « Autre »."
    )
    if errors:
        raise ValidationFailed(errors)
    refus = refus_statut(candidature)
    if refus:
        raise DomainError(refus)
    if _en_attente(candidature.id):
        raise DomainError(DEJA_EN_ATTENTE)
    assert destination is not None  # an unknown destination is an error above
    demande = DemandeRattachement(
        candidature_id=candidature.id,
        etablissement_origine_id=candidature.etablissement_id,
        etablissement_destination_id=destination.id,
        motif=motif,
        precision=precision,
        etat=DemandeRattachement.EN_ATTENTE,
        demandeur_id=user.id,
    )
    db.session.add(demande)
    db.session.flush()
    notifications.notify(
        notifications.utilisateurs_avec_droit("decider_rattachement")
        + notifications.utilisateurs_des_etablissements(candidature.etablissement),
        RUBRIQUE,
        "Une demande de rattachement vient d'être créée",
        f"Une demande de rattachement vient d'être créée. {_resume(demande, candidature)} Motif : {motif}"
        + (f" ({precision})" if precision else "")
        + ".",
        _lien(demande),
        personne=candidature.candidat,
    )
    db.session.commit()
    notifications.flush_outbox_quietly()
    return demande


def _a_decider(user, pk) -> DemandeRattachement:
    if not peut_decider(user):
        raise Forbidden("Seul Certif Pro peut accepter ou refuser une demande de rattachement.")
    demande = perimeter.get_visible(DemandeRattachement, pk, user)
    if db.engine.dialect.name == "postgresql":
        db.session.execute(select(DemandeRattachement.id).where(DemandeRattachement.id == demande.id).with_for_update())
        db.session.refresh(demande)
    if demande.etat != DemandeRattachement.EN_ATTENTE:
        raise DomainError(DEJA_TRAITEE)
    return demande


def _decision(demande, user, etat, commentaire):
    demande.etat = etat
    demande.decide_par_id = user.id
    demande.decide_le = datetime.datetime.now()
    demande.commentaire_decision = commentaire


def _prevenir(demande, titre, contenu, origine_voit: bool):
    """Both sides: the requester and the users of the two establishments (and of their organisations). Once the
    file has left the origin, the request is outside the origin's perimeter: their notification has no link."""
    cote_destination = [
        u
        for u in [demande.demandeur] + notifications.utilisateurs_des_etablissements(demande.etablissement_destination)
        if u
    ]
    personne = demande.candidature.candidat
    notifications.notify(cote_destination, RUBRIQUE, titre, contenu, _lien(demande), personne=personne)
    deja = {u.id for u in cote_destination}
    cote_origine = [
        u for u in notifications.utilisateurs_des_etablissements(demande.etablissement_origine) if u.id not in deja
    ]
    notifications.notify(
        cote_origine, RUBRIQUE, titre, contenu, _lien(demande) if origine_voit else None, personne=personne
    )


@transition
def accepter(user, pk, commentaire=None) -> DemandeRattachement:
    """The file moves to the destination establishment (and its organisation)."""
    errors = Errors()
    commentaire = _texte(commentaire, "commentaire", errors)
    demande = _a_decider(user, pk)
    if errors:
        raise ValidationFailed(errors)
    candidature = _candidature(demande.candidature_id, lock=True)
    refus = refus_statut(candidature)  # the file may have been sent to certification since the request
    if refus:
        raise DomainError(refus)
    origine, destination = candidature.etablissement, demande.etablissement_destination
    if not destination.actif or not destination.organisme.actif:
        raise DomainError(f"L'établissement « {destination.nom} » est inactif : il ne peut pas recevoir ce dossier.")
    audit.label(f"Rattachement accepté : {origine.nom} → {destination.nom}")
    candidature.etablissement_id = destination.id
    candidature.organisme_id = destination.organisme_id
    _decision(demande, user, DemandeRattachement.ACCEPTEE, commentaire)
    db.session.flush()
    _prevenir(
        demande,
        "Demande de rattachement acceptée",
        f"La demande de rattachement est acceptée : le dossier est désormais géré par "
        f"{destination.nom}. {_resume(demande, candidature)}"
        + (f" Commentaire : {commentaire}" if commentaire else ""),
        origine_voit=False,
    )
    db.session.commit()
    notifications.flush_outbox_quietly()
    return demande


@transition
def refuser(user, pk, commentaire) -> DemandeRattachement:
    errors = Errors()
    commentaire = _texte(
        commentaire, "commentaire", errors, required=True, message="Le motif du refus est obligatoire."
    )
    demande = _a_decider(user, pk)
    if errors:
        raise ValidationFailed(errors)
    candidature = demande.candidature
    _decision(demande, user, DemandeRattachement.REFUSEE, commentaire)
    db.session.flush()
    _prevenir(
        demande,
        "Demande de rattachement refusée",
        f"La demande de rattachement est refusée. {_resume(demande, candidature)} Motif du refus : {commentaire}",
        origine_voit=True,
    )
    db.session.commit()
    notifications.flush_outbox_quietly()
    return demande


def decideur(demande: DemandeRattachement):
    """Who decided the request (None while it waits)."""
    return db.session.get(Utilisateur, demande.decide_par_id) if demande.decide_par_id else None


def dossier_par_numero(numero: str) -> Candidature | None:
    """A file by its number, nationally (the duplicate message links to it; the caller checks the perimeter)."""
    return db.session.execute(select(Candidature).where(Candidature.numero_dossier == numero)).scalar_one_or_none()
