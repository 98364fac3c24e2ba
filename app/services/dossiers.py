"""Habilitation dossiers (habilitation.md §1–3, §5; seeds 001 §III and 002): the application file, its campaign and
meeting, its instruction, the instance's decision, the recourse, the messaging thread, the documents and the notices
with acknowledgment. The dossier's states are the machine `DOSSIER` (app/domain/dossiers.py) run by the engine;
this module registers what each event does beyond its state, and the writes that are not events (the draft's
fields, documents, messages, acknowledgments, campaigns and meetings)."""

from __future__ import annotations

import datetime
import hashlib
import secrets

from flask import current_app
from marshmallow import fields
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.domain import access, dossiers as regles, jours_ouvres
from app.domain.dates import parse_date
from app.domain.dossiers import DOSSIER
from app.domain.errors import DomainError, Forbidden, NotFound, ValidationFailed
from app.domain.habilitations import RENOUVELLEMENTS_MAX, date_fin
from app.domain.regions import REGIONS
from app.extensions import db
from app.formatting import date_fr, heure_fr
from app.models import Certificateur, DemandeHabilitation, Etablissement, Organisme, Utilisateur
from app.models.base import utcnow
from app.models.habilitations import AvisDossier, CampagneHabilitation, MessageDossier, PieceDossier, ReunionInstance
from app.models.referentiels import Domaine, Referentiel, SousDomaine
from app.schemas import Day, Flag, Ids, Input, Text, fresh, text_fields
from app.security import perimeter
from app.services import audit, documents, habilitations, notifications, workflow
from app.services.habilitations import certif_pro, deciders, requesters
from app.services.structures import check_active


def today() -> datetime.date:
    return datetime.date.today()


def _dossier_link(dossier) -> str:
    return f"/habilitations/show/{dossier.id}"


def _describe(dossier) -> dict:
    return {
        "numero": dossier.numero,
        "organisme": dossier.organisme.nom if dossier.organisme else "",
        "certification": dossier.certification_label,
        "etablissements": dossier.etablissements_label or dossier.organisme.nom,
        "instance": dossier.instance_label,
    }


def destinataires_instance(dossier) -> list:
    """Who acts for the instance on a dossier: its deciders and its named instructor."""
    return _instance_users(dossier, {})


def _instance_users(dossier, context) -> list:
    users = deciders(dossier)
    if dossier.instructeur is not None and dossier.instructeur not in users:
        users.append(dossier.instructeur)
    return users


workflow.bind(
    DOSSIER,
    workflow.Binding(
        model=DemandeHabilitation,
        describe=_describe,
        link=_dossier_link,
        audiences={"organisation": lambda d, c: requesters(d), "instance": _instance_users},
    ),
)


# --- Input: the cadre de réponse -----------------------------------------------------------------------------
class _Site(Input):
    raison_sociale = Text(max_length=200)
    adresse = Text(max_length=250)
    code_postal = Text(max_length=5, numbers=True)
    ville = Text(max_length=100)
    region = Text(max_length=60)


class _Membre(Input):
    nom = Text(max_length=200)
    siret = Text(max_length=14, numbers=True)
    adresse = Text(max_length=250)
    services = Text(max_length=1000)
    signataire = Text(max_length=200)


class _Intervenant(Input):
    nom = Text(max_length=100)
    prenom = Text(max_length=100)
    role = Text(max_length=100)
    qualification = Text(max_length=500)


class _Modalite(Input):
    sous_domaine = Text(max_length=5)
    modalite = Text(max_length=200)


class _Sequence(Input):
    sous_domaine = Text(max_length=5)
    mode = Text(max_length=30)
    outils = Text(max_length=1000)
    consignes = Text(max_length=2000)
    duree = Text(max_length=50)
    ressources = Text(max_length=1000)
    roles = Text(max_length=1000)


class _ChiffreAffaires(Input):
    annee = fields.Integer(allow_none=True, error_messages={"invalid": "Année invalide."})
    montant = fields.Integer(allow_none=True, error_messages={"invalid": "Montant invalide (en euros)."})


def _liste(schema) -> fields.List:
    return fields.List(
        fields.Nested(schema),
        allow_none=True,
        load_default=None,
        error_messages={"invalid": "Une liste est attendue."},
    )


_COLUMNS = [
    "type_candidature",
    "activite_principale",
    "siren",
    "code_naf",
    "numero_declaration_activite",
    "adresse",
    "code_postal",
    "ville",
    "site_web",
    "contact_nom",
    "contact_email",
    "contact_telephone",
    "facturation_nom",
    "facturation_email",
    "label_qualite",
    "label_autre",
    "autres_habilitations",
    "couverture",
    "motivation",
    "promotion",
    "processus_evaluation",
    "accompagnement",
    "modalites_distance",
    "references",
    "engagement_signataire",
    "engagement_qualite",
    "engagement_lieu",
]
_NUMBERS = {"siren", "code_postal"}

DossierInput = Input.from_dict(
    {
        **text_fields(DemandeHabilitation, [c for c in _COLUMNS if c not in _NUMBERS]),
        **text_fields(DemandeHabilitation, sorted(_NUMBERS), numbers=True),
        "certification": Text(max_length=20),
        "instance": Text(max_length=20),
        "certificateurs": Ids(load_default=None),
        "etablissements": Ids(load_default=None),
        "organisme": fields.Integer(
            allow_none=True, load_default=None, error_messages={"invalid": "Identifiant invalide."}
        ),
        "date_creation": Day(),
        "engagement_date": Day(),
        "effectif": fields.Integer(allow_none=True, error_messages={"invalid": "Un nombre entier est attendu."}),
        "premiere_demande": fields.Boolean(allow_none=True, error_messages={"invalid": "Oui ou non est attendu."}),
        "engagement_lu": Flag(load_default=None),
        "regions": fields.List(Text(max_length=60), allow_none=True, load_default=None),
        "sites": _liste(_Site),
        "membres": _liste(_Membre),
        "intervenants": _liste(_Intervenant),
        "modalites": _liste(_Modalite),
        "sequences": _liste(_Sequence),
        "chiffres_affaires": _liste(_ChiffreAffaires),
        "version": fields.Integer(allow_none=True, load_default=None),
    },
    name="DossierInput",
)()


# --- Reading --------------------------------------------------------------------------------------------------
def sous_domaines(certification: str) -> list[tuple[Domaine, list[SousDomaine]]]:
    """The référentiel of the certification: its domains with their sub-domains, in order (one row of the
    technical proposal per sub-domain)."""
    rows = db.session.execute(
        select(Domaine, SousDomaine)
        .join(Referentiel, Referentiel.id == Domaine.referentiel_id)
        .join(SousDomaine, SousDomaine.domaine_id == Domaine.id)
        .where(Referentiel.certification == certification)
        .order_by(Domaine.ordre, SousDomaine.ordre)
    ).all()
    grouped: dict[int, tuple[Domaine, list[SousDomaine]]] = {}
    for domaine, sous_domaine in rows:
        grouped.setdefault(domaine.id, (domaine, []))[1].append(sous_domaine)
    return list(grouped.values())


SECTIONS = (
    ("type", "Type de candidature"),
    ("identite", "Identité de l'organisme"),
    ("historique", "Historique"),
    ("couverture", "Couverture et établissements"),
    ("motivation", "Motivation"),
    ("technique", "Proposition technique"),
    ("intervenants", "Intervenants et références"),
    ("pieces", "Pièces jointes"),
    ("engagement", "Attestation d'engagement"),
)
SECTION_OF_FIELD = {
    "type_candidature": "type",
    "membres": "type",
    "mandat": "type",
    "activite_principale": "identite",
    "siren": "identite",
    "adresse": "identite",
    "code_postal": "identite",
    "ville": "identite",
    "date_creation": "identite",
    "effectif": "identite",
    "chiffres_affaires": "identite",
    "contact_nom": "identite",
    "contact_email": "identite",
    "contact_telephone": "identite",
    "label_qualite": "identite",
    "premiere_demande": "historique",
    "couverture": "couverture",
    "regions": "couverture",
    "etablissements": "couverture",
    "motivation": "motivation",
    "promotion": "motivation",
    "processus_evaluation": "technique",
    "accompagnement": "technique",
    "modalites": "technique",
    "sequences": "technique",
    "intervenants": "intervenants",
    "cv": "intervenants",
    "references": "intervenants",
    "engagement": "engagement",
}


def manquants(dossier: DemandeHabilitation) -> dict[str, list[str]]:
    """Everything the deposit still needs, field → French messages, all at once (empty: complete)."""
    missing: dict[str, list[str]] = {}

    def need(field: str, message: str) -> None:
        missing.setdefault(field, []).append(message)

    if dossier.type_candidature not in regles.TYPES_CANDIDATURE:
        need("type_candidature", "Choisissez le type de candidature.")
    natures = [p.nature for p in dossier.pieces]
    if dossier.type_candidature == "groupement" and not [m for m in dossier.membres or [] if m.get("nom")]:
        need("membres", "Un groupement indique ses organismes membres (nom, SIRET, adresse, services, signataire).")
    for index, membre in enumerate(dossier.membres or [], start=1):
        if membre.get("nom") and not membre.get("siret"):
            need("membres", f"Membre {index} : le SIRET ou le SIREN est obligatoire.")
    if dossier.type_candidature == "reseau" and "mandat" not in natures:
        need("mandat", "Une candidature en réseau joint la lettre de mandat de la tête de réseau.")
    for field, label in (
        ("activite_principale", "l'activité principale"),
        ("siren", "le SIREN"),
        ("adresse", "l'adresse"),
        ("code_postal", "le code postal"),
        ("ville", "la ville"),
        ("date_creation", "la date de création"),
        ("contact_nom", "le nom du contact principal"),
        ("contact_email", "l'email du contact principal"),
        ("contact_telephone", "le téléphone du contact principal"),
        ("label_qualite", "le label qualité (Qualiopi, autre ou aucun)"),
        ("motivation", "la motivation de la demande"),
        ("promotion", "la façon dont la certification sera promue"),
        ("processus_evaluation", "la description du processus d'évaluation"),
        ("accompagnement", "l'accompagnement des candidats"),
        ("references", "les références de l'organisme"),
    ):
        if getattr(dossier, field) in (None, ""):
            need(field, f"Indiquez {label}.")
    if dossier.effectif is None:
        need("effectif", "Indiquez l'effectif.")
    years = [c for c in dossier.chiffres_affaires or [] if c.get("annee") and c.get("montant") is not None]
    if len(years) < 3:
        need("chiffres_affaires", "Indiquez le chiffre d'affaires des 3 dernières années.")
    if dossier.premiere_demande is None:
        need("premiere_demande", "Indiquez s'il s'agit d'une première demande.")
    if dossier.couverture not in regles.COUVERTURES:
        need("couverture", "Indiquez si la couverture est nationale ou régionale.")
    elif dossier.couverture == "regionale" and not dossier.regions:
        need("regions", "Une couverture régionale indique ses régions.")
    if not dossier.etablissements and not dossier.sites:
        need("etablissements", "Indiquez au moins un établissement ou un site.")
    referentiel = sous_domaines(dossier.certification)
    given = {m.get("sous_domaine") for m in dossier.modalites or [] if m.get("modalite")}
    absent = [sd.code for _, sds in referentiel for sd in sds if sd.code not in given]
    if absent:
        need("modalites", f"Indiquez la modalité d'évaluation des sous-domaines {', '.join(absent)}.")
    sequenced = {s.get("sous_domaine") for s in dossier.sequences or [] if s.get("mode") and s.get("consignes")}
    for domaine, sds in referentiel:
        if not sequenced & {sd.code for sd in sds}:
            need(
                "sequences",
                f"Détaillez la séquence d'évaluation d'au moins un sous-domaine du domaine {domaine.code}.",
            )
    people = [i for i in dossier.intervenants or [] if i.get("nom")]
    if not people:
        need("intervenants", "Indiquez au moins un intervenant (évaluateur ou formateur).")
    for index, person in enumerate(people, start=1):
        if not person.get("role") or not person.get("qualification"):
            need("intervenants", f"Intervenant {index} : le rôle et la qualification sont obligatoires.")
    if natures.count("cv") < len(people):
        need("cv", f"Joignez le CV de chaque intervenant ({natures.count('cv')} CV pour {len(people)} intervenants).")
    if not dossier.engagement_lu:
        need("engagement", "Cochez « Lu et approuvé » de l'attestation d'engagement.")
    for field, label in (
        ("engagement_signataire", "le nom du signataire"),
        ("engagement_qualite", "la qualité du signataire"),
        ("engagement_lieu", "le lieu de signature"),
        ("engagement_date", "la date de signature"),
    ):
        if not getattr(dossier, field):
            need("engagement", f"Attestation d'engagement : indiquez {label}.")
    return missing


def manquants_par_section(dossier) -> list[tuple[str, str, list[str]]]:
    """(section key, section label, messages) for the page: what is missing, section by section."""
    missing = manquants(dossier)
    by_section: dict[str, list[str]] = {}
    for field, messages in missing.items():
        by_section.setdefault(SECTION_OF_FIELD.get(field, "identite"), []).extend(messages)
    return [(key, label, by_section.get(key, [])) for key, label in SECTIONS]


def campagne_ouverte(dossier, jour=None) -> CampagneHabilitation | None:
    jour = jour or today()
    ids = [c.id for c in dossier.certificateurs]
    return (
        db.session.execute(
            select(CampagneHabilitation)
            .where(
                CampagneHabilitation.certificateur_id.in_(ids),
                CampagneHabilitation.certification == dossier.certification,
                CampagneHabilitation.debut <= jour,
                CampagneHabilitation.fin >= jour,
            )
            .order_by(CampagneHabilitation.fin)
        )
        .scalars()
        .first()
    )


def prochaine_campagne(dossier, jour=None) -> CampagneHabilitation | None:
    jour = jour or today()
    ids = [c.id for c in dossier.certificateurs]
    return (
        db.session.execute(
            select(CampagneHabilitation)
            .where(
                CampagneHabilitation.certificateur_id.in_(ids),
                CampagneHabilitation.certification == dossier.certification,
                CampagneHabilitation.debut > jour,
            )
            .order_by(CampagneHabilitation.debut)
        )
        .scalars()
        .first()
    )


def _premiere_reunion(certificateur_id: int, apres: datetime.date) -> ReunionInstance | None:
    return (
        db.session.execute(
            select(ReunionInstance)
            .where(ReunionInstance.certificateur_id == certificateur_id, ReunionInstance.date >= apres)
            .order_by(ReunionInstance.date)
        )
        .scalars()
        .first()
    )


def instance_id(dossier) -> int:
    """The instance that decides: Certif Pro, or the (first) branch addressed."""
    return dossier.certificateurs[0].id if dossier.certificateurs else certif_pro().id


def notifie_le(avis: AvisDossier) -> datetime.date:
    """The day a notice counts as received: its acknowledgment, or its sending + 2 jours ouvrés."""
    if avis.accuse_le is not None:
        return avis.accuse_le.date()
    return jours_ouvres.ajouter(avis.envoye_le.date(), regles.DELAI_NOTIFICATION_PRESUMEE)


def echeances(dossier, jour=None) -> list[dict]:
    """The deadlines running on the dossier: {libelle, date, jours (jours ouvrés left, negative: overdue), qui}."""
    jour = jour or today()
    rows: list[tuple[str, datetime.date, str]] = []
    etat = dossier.etat
    if etat == regles.BROUILLON and dossier.campagne_id is None:
        campagne = campagne_ouverte(dossier, jour) or prochaine_campagne(dossier, jour)
        if campagne is not None:
            rows.append((f"Fin de la campagne de dépôt « {campagne.libelle} »", campagne.fin, "organisme"))
    if etat == regles.DEPOSEE and dossier.date_depot:
        rows.append(
            (
                "Prise en instruction",
                jours_ouvres.ajouter(dossier.date_depot, regles.DELAI_PRISE_EN_INSTRUCTION),
                "instance",
            )
        )
    if etat == regles.COMPLEMENT_DEMANDE and dossier.complement_le:
        rows.append(
            (
                "Réponse à la demande de complément",
                jours_ouvres.ajouter(dossier.complement_le, regles.DELAI_REPONSE_COMPLEMENT),
                "organisme",
            )
        )
    if etat == regles.AUDITION_CONVOQUEE and dossier.audition_le:
        rows.append(("Audition", dossier.audition_le.date(), "organisme"))
    if etat in (regles.EN_INSTRUCTION, regles.AUDITION_CONVOQUEE) and dossier.reunion is not None:
        rows.append(
            ("Avis de l'instructeur", jours_ouvres.ajouter(dossier.reunion.date, -regles.DELAI_AVIS), "instance")
        )
    if etat in (regles.AVIS_RENDU, regles.RECOURS_INSTRUIT) and dossier.reunion is not None:
        rows.append(("Décision de l'instance (réunion)", dossier.reunion.date, "instance"))
    if etat == regles.REFUSEE and dossier.notifie_le and dossier.recours_le is None:
        rows.append(("Recours possible", jours_ouvres.ajouter(dossier.notifie_le, regles.DELAI_RECOURS), "organisme"))
    if etat == regles.ACCORDEE and dossier.statut_habilitation in ("active", "suspendue") and dossier.date_fin:
        if dossier.renonciation_effet:
            rows.append(("Effet de la renonciation", dossier.renonciation_effet, "organisme"))
        rows.append(("Fin de l'habilitation", dossier.date_fin, "organisme"))
    if etat == regles.RECOURS_DEPOSE and dossier.recours_le:
        if dossier.recours_accuse_le is None:
            rows.append(
                (
                    "Accusé de réception du recours",
                    jours_ouvres.ajouter(dossier.recours_le, regles.DELAI_ACCUSE_RECOURS),
                    "instance",
                )
            )
        rows.append(
            ("Examen du recours", jours_ouvres.ajouter(dossier.recours_le, regles.DELAI_EXAMEN_RECOURS), "instance")
        )
    return [
        {"libelle": libelle, "date": date, "jours": jours_ouvres.entre(jour, date), "qui": qui}
        for libelle, date, qui in rows
    ]


def en_retard(dossier, jour=None) -> bool:
    return any(e["jours"] < 0 for e in echeances(dossier, jour))


def historique_de(organisme_id: int) -> list[dict]:
    """The organisation's habilitations known to the platform (the form's history, prefilled)."""
    rows = db.session.execute(
        select(DemandeHabilitation)
        .where(DemandeHabilitation.organisme_id == organisme_id, DemandeHabilitation.etat == regles.ACCORDEE)
        .order_by(DemandeHabilitation.date_debut)
    ).scalars()
    return [
        {
            "certification": d.certification_label,
            "debut": d.date_debut.isoformat() if d.date_debut else None,
            "fin": d.date_fin.isoformat() if d.date_fin else None,
        }
        for d in rows
    ]


def _prefill(dossier: DemandeHabilitation, organisme: Organisme) -> None:
    dossier.siren = organisme.siren
    dossier.code_naf = organisme.code_naf
    dossier.numero_declaration_activite = organisme.numero_declaration_activite
    dossier.adresse = organisme.adresse
    dossier.code_postal = organisme.code_postal
    dossier.ville = organisme.ville
    dossier.contact_nom = f"{organisme.contact_prenom} {organisme.contact_nom}".strip()
    dossier.contact_email = organisme.contact_email
    dossier.facturation_email = organisme.email_facturation
    dossier.label_qualite = "qualiopi" if organisme.qualiopi else None
    dossier.historique = historique_de(organisme.id)
    dossier.premiere_demande = not dossier.historique


# --- Writing the draft ----------------------------------------------------------------------------------------
def _require(user, right: str, message: str | None = None) -> None:
    if not access.may(user, right):
        raise Forbidden(message or "Vous n'avez pas les droits nécessaires pour cette action.")


def _check_values(values: dict) -> dict:
    if not isinstance(values, dict):
        raise ValidationFailed({"_schema": "Un objet JSON est attendu."})
    loaded = fresh(DossierInput).load(values)
    present = {key: loaded[key] for key in values if key in loaded}
    errors: dict[str, str] = {}
    if present.get("type_candidature") not in (None, *regles.TYPES_CANDIDATURE):
        errors["type_candidature"] = "Type inconnu : individuelle, groupement ou reseau."
    if present.get("label_qualite") not in (None, *regles.LABELS_QUALITE):
        errors["label_qualite"] = "Label inconnu : qualiopi, autre ou aucun."
    if present.get("couverture") not in (None, *regles.COUVERTURES):
        errors["couverture"] = "Couverture inconnue : nationale ou regionale."
    unknown = [r for r in present.get("regions") or [] if r not in REGIONS]
    if unknown:
        errors["regions"] = f"Région inconnue : {unknown[0]}."
    for sequence in present.get("sequences") or []:
        if sequence.get("mode") not in (None, *regles.MODES_SEQUENCE):
            errors["sequences"] = "Mode inconnu : presentiel, distanciel_synchrone ou distanciel_asynchrone."
    if present.get("effectif") is not None and present["effectif"] < 0:
        errors["effectif"] = "L'effectif ne peut pas être négatif."
    if present.get("certification") not in (None, *DemandeHabilitation.CERTIFICATIONS):
        errors["certification"] = "Certification inconnue."
    if errors:
        raise ValidationFailed(errors)
    return present


def _etablissements(user, ids, organisme_id: int | None) -> list[Etablissement]:
    found = []
    for pk in dict.fromkeys(ids or []):
        try:
            etab = perimeter.get_visible(Etablissement, pk, user)
        except NotFound:
            raise ValidationFailed(
                {"etablissements": "Cet établissement n'existe pas ou n'est pas dans votre périmètre."}
            ) from None
        check_active(etab)
        found.append(etab)
    if organisme_id is not None and any(e.organisme_id != organisme_id for e in found):
        raise ValidationFailed(
            {"etablissements": "Les établissements d'un dossier appartiennent tous à l'organisme candidat."}
        )
    return found


def _instance(values: dict) -> list[Certificateur] | None:
    if values.get("certificateurs"):
        branches = []
        for pk in dict.fromkeys(values["certificateurs"]):
            cert = db.session.get(Certificateur, pk)
            if cert is None or cert.type != Certificateur.BRANCHE or not cert.actif:
                raise ValidationFailed({"certificateurs": "Cette branche n'existe pas."})
            branches.append(cert)
        return branches
    if values.get("instance") not in (None, "certif_pro", "branche"):
        raise ValidationFailed({"instance": "L'instance est « certif_pro » ou une branche (certificateurs)."})
    if values.get("instance") == "branche":
        raise ValidationFailed({"certificateurs": "Choisissez au moins une branche (CPNE)."})
    if values.get("instance") == "certif_pro" or "instance" in values:
        return [certif_pro()]
    return None


def _set(dossier: DemandeHabilitation, values: dict) -> None:
    for key, value in values.items():
        if key in ("certificateurs", "etablissements", "organisme", "instance", "version"):
            continue
        if key == "engagement_lu":
            value = bool(value)
        setattr(dossier, key, value)


def creer(user, values: dict) -> DemandeHabilitation:
    """« Déposer un dossier d'habilitation »: a draft for one organisation, prefilled from it."""
    _require(user, "deposer_dossier_habilitation")  # an organisation or network administrator
    present = _check_values(values or {})
    organisme_id = present.get("organisme")
    etablissements = _etablissements(user, present.get("etablissements"), None)
    if organisme_id is None:
        organisme_id = etablissements[0].organisme_id if etablissements else user.organisme_id
    if organisme_id is None:
        raise ValidationFailed({"organisme": "Choisissez l'organisme candidat."})
    try:
        organisme = perimeter.get_visible(Organisme, organisme_id, user)
    except NotFound:
        raise ValidationFailed({"organisme": "Cet organisme n'existe pas ou n'est pas dans votre périmètre."}) from None
    if not organisme.actif:
        raise DomainError(f"L'organisme « {organisme.nom} » est inactif : aucune activité n'est possible.")
    etablissements = _etablissements(user, present.get("etablissements"), organisme.id)
    dossier = DemandeHabilitation(
        organisme_id=organisme.id,
        certification=present.get("certification") or "clea",
        type=DemandeHabilitation.INITIALE,
        date_demande=today(),
        etat=regles.BROUILLON,
        demandeur_id=user.id,
        type_candidature="individuelle",
    )
    dossier.organisme = organisme
    _prefill(dossier, organisme)
    _set(dossier, present)
    dossier.etablissements = etablissements
    dossier.certificateurs = _instance(present) or [certif_pro()]
    audit.label("Création du dossier d'habilitation")
    db.session.add(dossier)
    db.session.commit()
    return dossier


def _applicant_dossier(user, pk) -> DemandeHabilitation:
    _require(user, "deposer_dossier_habilitation", "Seul l'organisme candidat modifie son dossier.")
    dossier = workflow.locked(DemandeHabilitation, user, pk)
    if dossier.etat not in regles.MODIFIABLES:
        raise DomainError(
            f"Le dossier n'est plus modifiable au statut « {dossier.etat_label} » : utilisez la messagerie."
        )
    return dossier


@workflow.guarded
def modifier(user, pk, values: dict, version: int | None = None) -> DemandeHabilitation:
    """Save the draft (or the dossier reopened by a request for corrections); nothing is required before the
    deposit."""
    from app.services.ecritures import verifier_version

    dossier = _applicant_dossier(user, pk)
    present = _check_values(values or {})
    verifier_version(dossier, present.get("version", version))
    if "etablissements" in present:
        dossier.etablissements = _etablissements(user, present["etablissements"], dossier.organisme_id)
    if dossier.etat == regles.BROUILLON:
        instance = _instance(present)
        if instance is not None:
            dossier.certificateurs = instance
    elif "certification" in present or "certificateurs" in present or "instance" in present:
        raise DomainError("La certification et l'instance d'un dossier déposé ne changent plus.")
    _set(dossier, present)
    audit.label("Modification du dossier d'habilitation")
    db.session.commit()
    return dossier


# --- Documents and messages -----------------------------------------------------------------------------------
def ajouter_piece(user, pk, filename: str, contenu: bytes, nature: str, message_id=None) -> PieceDossier:
    if nature not in regles.NATURES_PIECE:
        raise ValidationFailed({"nature": "Nature inconnue : cv, mandat, reference ou annexe."})
    dossier = workflow.locked(DemandeHabilitation, user, pk)
    applicant = access.may(user, "deposer_dossier_habilitation")
    if not applicant and not access.may(user, "instruire_habilitation"):
        raise Forbidden("Vous n'avez pas les droits pour joindre une pièce à ce dossier.")
    if applicant and dossier.etat not in regles.MODIFIABLES | {regles.REFUSEE} and message_id is None:
        raise DomainError(
            f"Aucune pièce ne s'ajoute au dossier au statut « {dossier.etat_label} » : joignez-la à un message."
        )
    piece = _piece(dossier, user, filename, contenu, nature, message_id)
    audit.label(f"Pièce jointe au dossier d'habilitation : {piece.nom}")
    db.session.add(piece)
    db.session.commit()
    return piece


def _piece(dossier, user, filename: str, contenu: bytes, nature: str, message_id=None) -> PieceDossier:
    """A document checked with the documents' rules (size, type on the content, once per dossier)."""
    nom, mime = documents.verifier(filename, contenu)
    sha = hashlib.sha256(contenu).hexdigest()
    if db.session.execute(
        select(PieceDossier.id).where(PieceDossier.dossier_id == dossier.id, PieceDossier.sha256 == sha)
    ).first():
        raise DomainError(documents.DEJA_DEPOSE)
    return PieceDossier(
        dossier_id=dossier.id,
        nature=nature,
        message_id=message_id,
        nom=nom,
        type_mime=mime,
        taille=len(contenu),
        sha256=sha,
        contenu=contenu,
        depose_par_id=user.id,
    )


def supprimer_piece(user, pk, piece_id) -> None:
    dossier = _applicant_dossier(user, pk)
    piece = db.session.get(PieceDossier, perimeter.parse_pk(piece_id) or 0)
    if piece is None or piece.dossier_id != dossier.id:
        raise NotFound()
    audit.label(f"Pièce retirée du dossier d'habilitation : {piece.nom}")
    db.session.delete(piece)
    db.session.commit()


def piece(user, pk, piece_id) -> PieceDossier:
    dossier = perimeter.get_visible(DemandeHabilitation, pk, user)
    found = db.session.get(PieceDossier, perimeter.parse_pk(piece_id) or 0)
    if found is None or found.dossier_id != dossier.id:
        raise NotFound()
    return found


def _cote(user) -> str:
    return "organisme" if access.may(user, "deposer_dossier_habilitation") else "instance"


def _message(dossier, user, texte: str) -> MessageDossier:
    message = MessageDossier(dossier_id=dossier.id, cote=_cote(user), auteur_id=user.id, texte=texte)
    db.session.add(message)
    return message


def _texte(value, field="message", label="Le message") -> str:
    if isinstance(value, str) and value.strip():
        if len(value) > 5000:
            raise ValidationFailed({field: f"{label} ne doit pas dépasser 5000 caractères."})
        return value.strip()
    if value is not None and not isinstance(value, str):
        raise ValidationFailed({field: "Une chaîne de caractères est attendue."})
    raise ValidationFailed({field: f"{label} est obligatoire."})


def ecrire(user, pk, message, fichier: tuple[str, bytes] | None = None) -> MessageDossier:
    """A message of the thread, from the applicant or the instance, with a document when one is given
    (`fichier`: its name and content, the documents' rules)."""
    texte = _texte(message)
    dossier = workflow.locked(DemandeHabilitation, user, pk)
    if not (access.may(user, "deposer_dossier_habilitation") or access.may(user, "instruire_habilitation")):
        raise Forbidden("Vous n'avez pas les droits pour écrire sur ce dossier.")
    if dossier.etat == regles.BROUILLON:
        raise DomainError("La messagerie s'ouvre au dépôt du dossier.")
    piece = _piece(dossier, user, fichier[0], fichier[1], "annexe") if fichier else None
    row = _message(dossier, user, texte)
    audit.label("Message sur le dossier d'habilitation")
    db.session.flush()
    if piece is not None:
        piece.message_id = row.id
        db.session.add(piece)
        db.session.flush()
    others = _instance_users(dossier, {}) if row.cote == "organisme" else requesters(dossier)
    notifications.notify(
        [u for u in others if u.id != user.id],
        regles.RUBRIQUE,
        f"Nouveau message sur le dossier d'habilitation n°{dossier.numero}",
        texte[:300],
        _dossier_link(dossier),
    )
    db.session.commit()
    notifications.flush_outbox_quietly()
    return row


# --- Notices with acknowledgment ------------------------------------------------------------------------------
def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def envoyer_avis(dossier, nature: str, titre: str, paragraphes: list[str]) -> AvisDossier:
    """A notice: its French PDF kept in the dossier, mailed to the dossier's contact with a single-use
    acknowledgment link (the code after « # », as every mailed link: app/views/users.py `lien`)."""
    from app.exports.avis_dossier import avis_pdf
    from app.services.users import link_for

    token = secrets.token_urlsafe(32)
    destinataire = dossier.contact_email or (dossier.demandeur.email if dossier.demandeur else None)
    avis = AvisDossier(
        dossier_id=dossier.id,
        nature=nature,
        titre=titre,
        pdf=avis_pdf(dossier, titre, paragraphes),
        envoye_le=utcnow(),
        destinataire=destinataire,
        jeton_sha256=_hash(token),
    )
    db.session.add(avis)
    if destinataire:
        link = link_for(token)
        corps = (
            "Bonjour,\n\n"
            + "\n\n".join(paragraphes)
            + f"\n\nCe courrier est joint au dossier n°{dossier.numero} sur la Plateforme CléA "
            f"({current_app.config['PUBLIC_URL'].rstrip('/')}{_dossier_link(dossier)}).\n"
            f"Merci d'en accuser réception en ouvrant ce lien (une seule fois) :\n{link}\n"
            f"Sans accusé de réception, il est réputé reçu {regles.DELAI_NOTIFICATION_PRESUMEE} jours ouvrés "
            "après son envoi.\n\nCertif Pro — Plateforme CléA"
        )
        notifications.queue_mail(
            destinataire, f"[Plateforme CléA] {titre} — dossier n°{dossier.numero}", corps, lien_a_usage_unique=link
        )
    return avis


def accuser_reception(empreinte: str | None, user=None) -> AvisDossier | None:
    """The acknowledgment of a notice, by its mailed link (its hash) — once; None for any other code."""
    if not empreinte:
        return None
    avis = db.session.execute(select(AvisDossier).where(AvisDossier.jeton_sha256 == empreinte)).scalars().first()
    if avis is None:
        return None
    return _accuser(avis, user)


def accuser(user, pk, avis_id) -> AvisDossier:
    """« Accuser réception » from the dossier's page, by the applicant."""
    _require(user, "deposer_dossier_habilitation", "Seul l'organisme candidat accuse réception de ses courriers.")
    dossier = workflow.locked(DemandeHabilitation, user, pk)
    avis = db.session.get(AvisDossier, perimeter.parse_pk(avis_id) or 0)
    if avis is None or avis.dossier_id != dossier.id:
        raise NotFound()
    return _accuser(avis, user)


def _accuser(avis: AvisDossier, user) -> AvisDossier:
    if avis.accuse_le is None:
        avis.accuse_le = utcnow()
        avis.jeton_sha256 = None  # single use
        dossier = avis.dossier
        if avis.nature in ("decision", "refus"):  # the deadlines that run from notification start here
            dossier.notifie_le = avis.accuse_le.date()
        audit.label(f"Accusé de réception : {avis.titre}")
        db.session.commit()
    return avis


def avis_pdf(user, pk, avis_id) -> AvisDossier:
    dossier = perimeter.get_visible(DemandeHabilitation, pk, user)
    avis = db.session.get(AvisDossier, perimeter.parse_pk(avis_id) or 0)
    if avis is None or avis.dossier_id != dossier.id:
        raise NotFound()
    return avis


# --- The events' effects ---------------------------------------------------------------------------------------
def _qui(user) -> str:
    return f"{user.first_name} {user.last_name}".strip() or user.username


@workflow.effect(DOSSIER, "deposer")
def _deposer(dossier, user):
    missing = manquants(dossier)
    if missing:
        raise ValidationFailed(missing)
    for etab in dossier.etablissements:
        check_active(etab)
    campagne = campagne_ouverte(dossier)
    if campagne is None:
        suivante = prochaine_campagne(dossier)
        raise DomainError(
            "Aucune campagne de dépôt n'est ouverte pour cette certification auprès de cette instance. "
            + (
                f"Prochaine campagne : « {suivante.libelle} », du {date_fr(suivante.debut)} au {date_fr(suivante.fin)}."
                if suivante
                else "Aucune campagne n'est encore annoncée."
            )
        )
    dossier.campagne_id = campagne.id
    dossier.date_depot = today()
    reunion = _premiere_reunion(instance_id(dossier), jours_ouvres.ajouter(today(), regles.DELAI_PROGRAMMATION))
    dossier.reunion = reunion
    return {"reunion": date_fr(reunion.date) if reunion else "à planifier"}


@workflow.after(DOSSIER, "deposer")
def _recepisse(dossier, user, context):
    reunion = dossier.reunion
    envoyer_avis(
        dossier,
        "recepisse",
        "Récépissé de dépôt du dossier d'habilitation",
        [
            f"Le dossier d'habilitation n°{dossier.numero} de {dossier.organisme.nom} pour la certification "
            f"{dossier.certification_label} a été déposé le {date_fr(dossier.date_depot)} auprès de "
            f"{dossier.instance_label}, dans la campagne « {dossier.campagne.libelle} ».",
            f"Il sera examiné lors de la réunion de l'instance du {date_fr(reunion.date)}."
            if reunion
            else "La réunion de l'instance qui l'examinera vous sera indiquée dès qu'elle sera planifiée.",
            "Le dossier est désormais en lecture seule ; l'instructeur peut vous demander un complément.",
        ],
    )


@workflow.effect(DOSSIER, "instruire")
def _instruire(dossier, user):
    dossier.instruction_le = today()
    if dossier.instructeur_id is None:
        dossier.instructeur_id = user.id
    return {"qui": _qui(user)}


def _prepare_message(message=None):
    return {"message": _texte(message)}


@workflow.effect(DOSSIER, "demander_complement", prepare=_prepare_message)
def _demander_complement(dossier, user, message):
    dossier.complement_le = today()
    _message(dossier, user, message)
    return {}


@workflow.after(DOSSIER, "demander_complement")
def _avis_complement(dossier, user, context):
    envoyer_avis(
        dossier,
        "complement",
        "Demande de complément",
        [
            f"L'instructeur du dossier d'habilitation n°{dossier.numero} demande le complément suivant :",
            context["message"],
            "Le dossier est rouvert : complétez-le sur la plateforme puis cliquez sur « Répondre ».",
        ],
    )


@workflow.effect(DOSSIER, "repondre", prepare=_prepare_message)
def _repondre(dossier, user, message):
    _message(dossier, user, message)
    return {}


def _prepare_convocation(date=None, lieu=None):
    if isinstance(date, datetime.datetime):
        quand = date
    elif isinstance(date, str):
        try:
            quand = datetime.datetime.fromisoformat(date.strip())
        except ValueError:
            try:
                quand = datetime.datetime.strptime(date.strip(), "%d/%m/%Y %H:%M")
            except ValueError:
                raise ValidationFailed(
                    {"date": "Date et heure invalides : utilisez jj/mm/aaaa hh:mm (ou AAAA-MM-JJTHH:MM)."}
                ) from None
    else:
        raise ValidationFailed({"date": "La date et l'heure de l'audition sont obligatoires."})
    lieu = _texte(lieu, "lieu", "Le lieu de l'audition")
    au_plus_tot = jours_ouvres.ajouter(today(), regles.DELAI_CONVOCATION)
    if quand.date() < au_plus_tot:
        raise ValidationFailed(
            {
                "date": f"La convocation doit laisser au moins {regles.DELAI_CONVOCATION} jours ouvrés : "
                f"audition le {date_fr(au_plus_tot)} au plus tôt."
            }
        )
    return {"date": quand, "lieu": lieu}


@workflow.effect(DOSSIER, "convoquer", prepare=_prepare_convocation)
def _convoquer(dossier, user, date, lieu):
    dossier.audition_le = date
    dossier.audition_lieu = lieu
    return {"quand": f"{date_fr(date)} à {heure_fr(date)}"}


@workflow.after(DOSSIER, "convoquer")
def _convocation(dossier, user, context):
    envoyer_avis(
        dossier,
        "convocation",
        "Convocation à une audition",
        [
            f"Dans le cadre de l'instruction du dossier d'habilitation n°{dossier.numero}, l'organisme "
            f"{dossier.organisme.nom} est convoqué à une audition le {context['quand']}, "
            f"lieu : {dossier.audition_lieu}.",
            "Merci d'accuser réception de cette convocation.",
        ],
    )


def _prepare_avis(favorable=None, motivation=None):
    if not isinstance(favorable, bool):
        if isinstance(favorable, str) and favorable.strip().lower() in ("true", "1", "oui", "favorable"):
            favorable = True
        elif isinstance(favorable, str) and favorable.strip().lower() in ("false", "0", "non", "defavorable"):
            favorable = False
        else:
            raise ValidationFailed({"favorable": "Indiquez si l'avis est favorable ou défavorable."})
    return {"favorable": favorable, "motivation": _texte(motivation, "motivation", "La motivation de l'avis")}


@workflow.effect(DOSSIER, "avis", prepare=_prepare_avis)
def _avis(dossier, user, favorable, motivation):
    au_plus_tot = jours_ouvres.ajouter(today(), regles.DELAI_AVIS)
    reunion = dossier.reunion
    if reunion is None or reunion.date < au_plus_tot:
        reunion = _premiere_reunion(instance_id(dossier), au_plus_tot)
        if reunion is None:
            raise DomainError(
                f"L'avis est rendu au moins {regles.DELAI_AVIS} jours ouvrés avant la réunion de l'instance : "
                f"aucune réunion n'est planifiée à partir du {date_fr(au_plus_tot)}. Planifiez-en une."
            )
        dossier.reunion = reunion
    dossier.avis_favorable = favorable
    dossier.avis_motivation = motivation
    dossier.avis_le = today()
    if dossier.etat == regles.RECOURS_DEPOSE and dossier.recours_accuse_le is None:
        dossier.recours_accuse_le = today()
    return {"sens": "favorable" if favorable else "défavorable", "reunion": date_fr(reunion.date)}


@workflow.after(DOSSIER, "avis")
def _avis_notice(dossier, user, context):
    envoyer_avis(
        dossier,
        "avis",
        "Avis de l'instructeur",
        [
            f"L'instructeur a rendu un avis {context['sens']} sur le dossier d'habilitation n°{dossier.numero}.",
            f"Motivation : {dossier.avis_motivation}",
            f"L'instance décidera lors de sa réunion du {context['reunion']}.",
        ],
    )


def _addressed(user, dossier) -> None:
    if not (
        access.may(user, "decider_toute_habilitation")
        or user.certificateur_id in [c.id for c in dossier.certificateurs]
    ):
        raise Forbidden("Seule l'instance sollicitée décide de ce dossier.")


def _at_meeting(dossier) -> None:
    if dossier.reunion is not None and dossier.reunion.date > today():
        raise DomainError(
            f"L'instance décide lors de sa réunion du {date_fr(dossier.reunion.date)} : la décision ne peut pas "
            "être enregistrée avant."
        )


def _prepare_validation(date_debut=None):
    if date_debut in (None, ""):
        return {"date_debut": None}
    if isinstance(date_debut, datetime.date):
        return {"date_debut": date_debut}
    try:
        return {"date_debut": parse_date(date_debut)}
    except (TypeError, ValueError):
        raise ValidationFailed({"date_debut": "Date invalide : utilisez le format jj/mm/aaaa."}) from None


@workflow.effect(DOSSIER, "valider", prepare=_prepare_validation)
def _valider(dossier, user, date_debut=None):
    _addressed(user, dossier)
    _at_meeting(dossier)
    previous = dossier.renouvelle
    continuation = (
        previous.date_fin + datetime.timedelta(days=1)
        if previous is not None and previous.date_fin and previous.date_fin >= today()
        else None
    )
    # 3 years from the notification (today), or following the renewed period without a gap.
    debut = date_debut or continuation or today()
    if debut < today() - datetime.timedelta(days=366) or debut > max(
        today() + datetime.timedelta(days=366), continuation or today()
    ):
        raise ValidationFailed(
            {
                "date_debut": "La date de début est à un an au plus de la date du jour "
                "(ou suit l'habilitation renouvelée)."
            }
        )
    dossier.date_debut = debut
    dossier.date_fin = date_fin(debut)
    dossier.statut_habilitation, dossier.statut_le = habilitations.ACTIVE, today()
    dossier.decide_par_id = user.id
    dossier.decide_le = datetime.datetime.now()
    _flow_back(dossier)
    return {"debut": date_fr(debut), "fin": date_fr(dossier.date_fin)}


def _flow_back(dossier) -> None:
    """On acceptance, the identity given in the dossier becomes the organisation's."""
    organisme = dossier.organisme
    for field in ("code_naf", "numero_declaration_activite", "adresse", "code_postal", "ville", "contact_email"):
        value = getattr(dossier, field)
        if value:
            setattr(organisme, field, value)
    if dossier.label_qualite:
        organisme.qualiopi = dossier.label_qualite == "qualiopi"


@workflow.after(DOSSIER, "valider")
def _decision_notice(dossier, user, context):
    envoyer_avis(
        dossier,
        "decision",
        "Décision d'habilitation",
        [
            f"L'instance ({dossier.instance_label}) a accordé l'habilitation {dossier.certification_label} "
            f"à {dossier.organisme.nom} pour : {dossier.etablissements_label or 'ses sites déclarés'}.",
            f"L'habilitation court du {context['debut']} au {context['fin']} (3 ans), renouvelable une fois.",
        ],
    )
    dossier.notifie_le = today()


def _mention_recours() -> str:
    contact = current_app.config.get("CONTACT_RECOURS", "Certif Pro — support CléA")
    return (
        f"Un recours peut être déposé sur la plateforme dans les {regles.DELAI_RECOURS} jours ouvrés qui suivent "
        f"la notification de cette décision (contact : {contact})."
    )


def _prepare_refus(motif=None):
    return {"motif": _texte(motif, "motif", "Le motif du refus")}


@workflow.effect(DOSSIER, "rejeter", prepare=_prepare_refus)
def _rejeter(dossier, user, motif):
    _addressed(user, dossier)
    _at_meeting(dossier)
    dossier.motif_rejet = motif
    dossier.decide_par_id = user.id
    dossier.decide_le = datetime.datetime.now()
    final = dossier.recours_le is not None
    return {"mention_recours": "Cette décision, prise sur recours, est définitive." if final else _mention_recours()}


@workflow.after(DOSSIER, "rejeter")
def _refus_notice(dossier, user, context):
    envoyer_avis(
        dossier,
        "refus",
        "Décision de refus d'habilitation",
        [
            f"L'instance ({dossier.instance_label}) a refusé l'habilitation {dossier.certification_label} "
            f"demandée par {dossier.organisme.nom} (dossier n°{dossier.numero}).",
            f"Motifs : {dossier.motif_rejet}",
            context["mention_recours"],
            "Un nouveau dossier peut aussi être déposé à tout moment d'une campagne ouverte.",
        ],
    )
    dossier.notifie_le = jours_ouvres.ajouter(today(), regles.DELAI_NOTIFICATION_PRESUMEE)


def _prepare_recours(note=None):
    return {"note": _texte(note, "note", "La note argumentée du recours")}


@workflow.effect(DOSSIER, "recours", prepare=_prepare_recours)
def _recours(dossier, user, note):
    if dossier.recours_le is not None:
        raise DomainError("Un recours a déjà été examiné sur ce dossier : la décision est définitive.")
    notified = dossier.notifie_le or today()
    limite = jours_ouvres.ajouter(notified, regles.DELAI_RECOURS)
    if today() > limite:
        raise DomainError(
            f"Le délai de recours ({regles.DELAI_RECOURS} jours ouvrés après la notification du "
            f"{date_fr(notified)}) a expiré le {date_fr(limite)}. Un nouveau dossier peut être déposé."
        )
    dossier.recours_note = note
    dossier.recours_le = today()
    _message(dossier, user, f"Recours : {note}")
    return {}


@workflow.effect(DOSSIER, "accuser_recours")
def _accuser_recours(dossier, user):
    if dossier.recours_accuse_le is not None:
        raise DomainError("La réception de ce recours a déjà été accusée.")
    dossier.recours_accuse_le = today()
    examen = jours_ouvres.ajouter(dossier.recours_le, regles.DELAI_EXAMEN_RECOURS)
    return {"examen": date_fr(examen)}


@workflow.after(DOSSIER, "accuser_recours")
def _accuse_recours_notice(dossier, user, context):
    envoyer_avis(
        dossier,
        "accuse_recours",
        "Accusé de réception du recours",
        [
            f"Votre recours sur le dossier n°{dossier.numero}, déposé le {date_fr(dossier.recours_le)}, est reçu.",
            f"Il sera examiné au plus tard le {context['examen']} et décidé à la réunion suivante de l'instance.",
        ],
    )


@workflow.effect(DOSSIER, "classer", prepare=_prepare_refus)
def _classer(dossier, user, motif):
    applicant = access.may(user, "deposer_dossier_habilitation")
    if not applicant and dossier.etat == regles.BROUILLON and not access.may(user, "decider_toute_habilitation"):
        raise Forbidden("Seul Certif Pro classe un brouillon abandonné.")
    dossier.motif_classement = motif
    return {}


# --- Campaigns and meetings -----------------------------------------------------------------------------------
CAMPAGNE_INPUT = Input.from_dict(
    {
        "certification": Text(max_length=20),
        "instance": Text(max_length=20),
        "certificateur": fields.Integer(allow_none=True, load_default=None),
        "libelle": Text(max_length=200),
        "debut": Day(),
        "fin": Day(),
    },
    name="CampagneInput",
)()
REUNION_INPUT = Input.from_dict(
    {
        "instance": Text(max_length=20),
        "certificateur": fields.Integer(allow_none=True, load_default=None),
        "date": Day(),
        "lieu": Text(max_length=250),
    },
    name="ReunionInput",
)()


def _instance_of(user, values) -> Certificateur:
    """Certif Pro manages every instance's calendar; a branch only its own."""
    _require(user, "gerer_campagnes", "Seuls Certif Pro et les branches gèrent les campagnes et les réunions.")
    if values.get("certificateur"):
        cert = db.session.get(Certificateur, values["certificateur"])
        if cert is None:
            raise ValidationFailed({"certificateur": "Ce certificateur n'existe pas."})
    elif values.get("instance") in (None, "certif_pro"):
        cert = (
            certif_pro()
            if access.may(user, "decider_toute_habilitation")
            else db.session.get(Certificateur, user.certificateur_id or 0)
        )
    else:
        raise ValidationFailed({"instance": "L'instance est « certif_pro » ou un certificateur (branche)."})
    if cert is None or (not access.may(user, "decider_toute_habilitation") and cert.id != user.certificateur_id):
        raise Forbidden("Une branche gère seulement son propre calendrier.")
    return cert


def creer_campagne(user, values: dict) -> CampagneHabilitation:
    data = fresh(CAMPAGNE_INPUT).load(values or {})
    cert = _instance_of(user, data)
    errors = {}
    if data.get("certification") not in DemandeHabilitation.CERTIFICATIONS:
        errors["certification"] = "Certification inconnue : clea ou clea_numerique."
    for field in ("debut", "fin"):
        if data.get(field) is None:
            errors[field] = "Ce champ est obligatoire."
    if not errors and data["fin"] < data["debut"]:
        errors["fin"] = "La fin de la campagne suit son début."
    if errors:
        raise ValidationFailed(errors)
    overlap = db.session.execute(
        select(CampagneHabilitation.id).where(
            CampagneHabilitation.certificateur_id == cert.id,
            CampagneHabilitation.certification == data["certification"],
            CampagneHabilitation.debut <= data["fin"],
            CampagneHabilitation.fin >= data["debut"],
        )
    ).first()
    if overlap:
        raise ValidationFailed({"debut": "Une campagne de cette instance couvre déjà une partie de ces dates."})
    campagne = CampagneHabilitation(
        certificateur_id=cert.id,
        certification=data["certification"],
        libelle=data.get("libelle") or f"Campagne {data['debut'].year}",
        debut=data["debut"],
        fin=data["fin"],
    )
    audit.label("Ouverture d'une campagne d'habilitation")
    db.session.add(campagne)
    db.session.commit()
    return campagne


def creer_reunion(user, values: dict) -> ReunionInstance:
    data = fresh(REUNION_INPUT).load(values or {})
    cert = _instance_of(user, data)
    if data.get("date") is None:
        raise ValidationFailed({"date": "Ce champ est obligatoire."})
    if data["date"] < today():
        raise ValidationFailed({"date": "Une réunion se planifie à une date à venir."})
    reunion = ReunionInstance(certificateur_id=cert.id, date=data["date"], lieu=data.get("lieu"))
    audit.label("Planification d'une réunion de l'instance")
    db.session.add(reunion)
    db.session.flush()
    # The deposited dossiers waiting for a meeting of this instance are scheduled on it when it leaves the time.
    if reunion.date >= jours_ouvres.ajouter(today(), regles.DELAI_AVIS):
        waiting = db.session.execute(
            select(DemandeHabilitation).where(
                DemandeHabilitation.reunion_id.is_(None), DemandeHabilitation.etat.in_(regles.EN_COURS)
            )
        ).scalars()
        for dossier in waiting:
            if instance_id(dossier) == cert.id:
                dossier.reunion_id = reunion.id
    db.session.commit()
    return reunion


def calendriers(jour=None) -> tuple[list[CampagneHabilitation], list[ReunionInstance]]:
    """The public calendars (directory page): current and coming campaigns, coming meetings."""
    jour = jour or today()
    campagnes = list(
        db.session.execute(
            select(CampagneHabilitation)
            .options(joinedload(CampagneHabilitation.certificateur))
            .where(CampagneHabilitation.fin >= jour)
            .order_by(CampagneHabilitation.debut)
        ).scalars()
    )
    reunions = list(
        db.session.execute(
            select(ReunionInstance)
            .options(joinedload(ReunionInstance.certificateur))
            .where(ReunionInstance.date >= jour)
            .order_by(ReunionInstance.date)
        ).scalars()
    )
    return campagnes, reunions


def nommer_instructeur(user, pk, instructeur_id) -> DemandeHabilitation:
    """Certif Pro names the « Instructeur » of a dossier (a user of Certif Pro or of a certifier)."""
    _require(user, "nommer_instructeur", "Seul Certif Pro nomme l'instructeur d'un dossier.")
    dossier = workflow.locked(DemandeHabilitation, user, pk)
    target = db.session.get(Utilisateur, perimeter.parse_pk(instructeur_id) or 0)
    if target is None or not target.active or not access.may(target, "instruire_habilitation"):
        raise ValidationFailed({"instructeur": "Choisissez un utilisateur actif qui peut instruire un dossier."})
    dossier.instructeur_id = target.id
    audit.label(f"Instructeur nommé : {_qui(target)}")
    db.session.flush()
    notifications.notify(
        [target],
        regles.RUBRIQUE,
        f"Vous êtes nommé instructeur du dossier d'habilitation n°{dossier.numero}",
        f"Dossier de {dossier.organisme.nom} ({dossier.certification_label}).",
        _dossier_link(dossier),
    )
    db.session.commit()
    notifications.flush_outbox_quietly()
    return dossier


def instructeurs_possibles() -> list[Utilisateur]:
    return [
        u
        for u in db.session.execute(
            select(Utilisateur).where(Utilisateur.active.is_(True), Utilisateur.certificateur_id.isnot(None))
        ).scalars()
        if access.may(u, "instruire_habilitation")
    ] + list(notifications.utilisateurs_avec_droit("decider_toute_habilitation"))


# --- Renewal ---------------------------------------------------------------------------------------
def renouveler(user, demande_id) -> DemandeHabilitation:
    """Renewal of an accorded habilitation: allowed once (3 + 3 years); the new dossier is a draft prefilled from
    the renewed one, deposited in a campaign like any other (app/services/dossiers.py)."""
    _require(user, "deposer_dossier_habilitation")
    previous = perimeter.get_visible(DemandeHabilitation, demande_id, user)
    if previous.etat != DemandeHabilitation.VALIDEE:
        raise DomainError("Seule une habilitation accordée peut être renouvelée.")
    if _renewal_depth(previous) >= RENOUVELLEMENTS_MAX:
        raise DomainError(
            "Cette habilitation a déjà été renouvelée une fois : après 6 ans, une nouvelle "
            "demande initiale est nécessaire."
        )
    existing = db.session.execute(
        select(DemandeHabilitation.id).where(
            DemandeHabilitation.renouvelle_id == previous.id,
            DemandeHabilitation.etat.notin_((DemandeHabilitation.REJETEE, "classee_sans_suite")),
        )
    ).first()
    if existing:
        raise DomainError("Un renouvellement de cette habilitation a déjà été demandé.")
    for etab in previous.etablissements:
        check_active(etab)
    return renouvellement(user, previous)


def _renewal_depth(demande) -> int:
    depth = 0
    while demande.renouvelle is not None:
        depth += 1
        demande = demande.renouvelle
    return depth


def renouvellement(user, previous: DemandeHabilitation) -> DemandeHabilitation:
    """The renewal's draft: the renewed dossier's answers, to review and deposit in a campaign."""
    copied = {c.name: getattr(previous, c.name) for c in DemandeHabilitation.__table__.columns if c.name in _COPIED}
    dossier = DemandeHabilitation(
        **copied,
        organisme_id=previous.organisme_id,
        certification=previous.certification,
        type=DemandeHabilitation.RENOUVELLEMENT,
        renouvelle_id=previous.id,
        date_demande=today(),
        etat=regles.BROUILLON,
        demandeur_id=user.id,
    )
    dossier.historique = historique_de(previous.organisme_id)
    dossier.premiere_demande = False
    audit.label("Demande de renouvellement d'habilitation")
    dossier.etablissements = list(previous.etablissements)
    dossier.certificateurs = list(previous.certificateurs)
    db.session.add(dossier)
    db.session.commit()
    return dossier


_COPIED = set(_COLUMNS) | {
    "membres",
    "date_creation",
    "effectif",
    "chiffres_affaires",
    "regions",
    "sites",
    "modalites",
    "sequences",
    "intervenants",
}


def _day(value) -> str | None:
    return value.isoformat() if value is not None else None


def serialiser(dossier: DemandeHabilitation) -> dict:
    """The dossier as the API shows it (api.md « Habilitation dossiers »)."""
    data: dict = {"id": dossier.id, "numero": dossier.numero, "etat": dossier.etat, "etat_label": dossier.etat_label}
    for column in DemandeHabilitation.__table__.columns:
        value = getattr(dossier, column.name)
        if isinstance(value, (datetime.date, datetime.datetime)):
            value = value.isoformat()
        data[column.name] = value
    if dossier.etat != regles.ACCORDEE:
        data["statut_habilitation"] = None  # the habilitation's own status exists once accorded
    data.update(
        {
            "organisme": dossier.organisme_id,
            "instance": "certif_pro"
            if all(c.type == Certificateur.CERTIF_PRO for c in dossier.certificateurs)
            else "branche",
            "certificateurs": [c.id for c in dossier.certificateurs],
            "etablissements": [e.id for e in dossier.etablissements],
            "engagement": {
                "lu_et_approuve": dossier.engagement_lu,
                "signataire": dossier.engagement_signataire,
                "qualite": dossier.engagement_qualite,
                "lieu": dossier.engagement_lieu,
                "date": _day(dossier.engagement_date),
            },
            "campagne": dossier.campagne_id,
            "reunion": {"id": dossier.reunion.id, "date": _day(dossier.reunion.date)} if dossier.reunion else None,
            "echeances": [
                {"libelle": e["libelle"], "date": _day(e["date"]), "jours_ouvres_restants": e["jours"], "qui": e["qui"]}
                for e in echeances(dossier)
            ],
            "manquants": manquants(dossier) if dossier.etat in regles.MODIFIABLES else {},
            "documents": [
                {
                    "id": p.id,
                    "nature": p.nature,
                    "nom": p.nom,
                    "taille": p.taille,
                    "depose_le": p.created_at.isoformat(),
                }
                for p in dossier.pieces
            ],
            "messages": [
                {"id": m.id, "cote": m.cote, "texte": m.texte, "date": m.created_at.isoformat()}
                for m in dossier.messages
            ],
            "courriers": [
                {
                    "id": a.id,
                    "nature": a.nature,
                    "titre": a.titre,
                    "envoye_le": a.envoye_le.isoformat(),
                    "accuse_le": a.accuse_le.isoformat() if a.accuse_le else None,
                }
                for a in dossier.avis_envoyes
            ],
        }
    )
    return data


# The API's body for the engagement, as api.md gives it: {"lu_et_approuve", "signataire", "qualite", "lieu", "date"}.
def valeurs_api(body: dict) -> dict:
    values = dict(body)
    if "aupres" in values:  # the first contract's name of the instance (« aupres »: certif_pro | branche)
        values["instance"] = values.pop("aupres")
    engagement = values.pop("engagement", None)
    if isinstance(engagement, dict):
        for key, field in (
            ("lu_et_approuve", "engagement_lu"),
            ("signataire", "engagement_signataire"),
            ("qualite", "engagement_qualite"),
            ("lieu", "engagement_lieu"),
            ("date", "engagement_date"),
        ):
            if key in engagement:
                values[field] = engagement[key]
    elif engagement is not None:
        raise ValidationFailed(
            {"engagement": "Un objet est attendu : lu_et_approuve, signataire, qualite, lieu, date."}
        )
    for key in ("echeances", "manquants", "documents", "messages", "courriers", "etat", "numero", "id"):
        values.pop(key, None)
    unknown = set(values) - set(DossierInput.fields)
    if unknown:
        raise ValidationFailed(dict.fromkeys(sorted(unknown), "Champ inconnu ou non modifiable."))
    return values


EXPORT_ENTETES = [
    "N° de dossier",
    "Organisme",
    "SIREN",
    "Certification",
    "Instance",
    "Type",
    "Etat",
    "Campagne",
    "Date de dépôt",
    "Réunion",
    "Instructeur",
    "Prochaine échéance",
    "Date de l'échéance",
    "Jours ouvrés restants",
    "Début de l'habilitation",
    "Fin de l'habilitation",
]


def export_lignes(user, etat=None, certification=None, campagne=None, en_retard=False):
    """Certif Pro's (and each instance's) list of dossiers as rows, with the same filters as the list."""
    query = perimeter.restrict(select(DemandeHabilitation), DemandeHabilitation, user).order_by(
        DemandeHabilitation.id.desc()
    )
    if etat:
        query = query.where(DemandeHabilitation.etat == etat)
    if certification:
        query = query.where(DemandeHabilitation.certification == certification)
    if campagne:
        query = query.where(DemandeHabilitation.campagne_id == campagne)
    rows = []
    for dossier in db.session.execute(query).scalars():
        deadlines = echeances(dossier)
        if en_retard and not any(e["jours"] < 0 for e in deadlines):
            continue
        first = min(deadlines, key=lambda e: e["date"]) if deadlines else None  # the nearest, or most overdue
        rows.append(
            [
                dossier.numero,
                dossier.organisme.nom,
                dossier.siren or dossier.organisme.siren,
                dossier.certification_label,
                dossier.instance_label,
                dossier.type_candidature_label,
                dossier.etat_label,
                dossier.campagne.libelle if dossier.campagne else "",
                dossier.date_depot,
                dossier.reunion.date if dossier.reunion else None,
                dossier.instructeur.nom_complet if dossier.instructeur else "",
                first["libelle"] if first else "",
                first["date"] if first else None,
                first["jours"] if first else None,
                dossier.date_debut,
                dossier.date_fin,
            ]
        )
    return EXPORT_ENTETES, rows


def en_retard_liste(user) -> list[dict]:
    """The dossiers of the perimeter with a passed deadline (« Echéance dépassée »), most overdue first."""
    query = perimeter.restrict(select(DemandeHabilitation), DemandeHabilitation, user).where(
        DemandeHabilitation.etat.in_(regles.EN_COURS | {regles.BROUILLON, regles.REFUSEE})
    )
    found = []
    for dossier in db.session.execute(query).scalars():
        for echeance in echeances(dossier):
            if echeance["jours"] < 0:
                found.append({"dossier": dossier, **echeance})
    return sorted(found, key=lambda row: row["jours"])
