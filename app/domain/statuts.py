"""The status machine of a candidate file (domain.md §4.1, guide §19), as data run by app/domain/machine.py.

CANDIDATURE says, for each event, from which statuses it may happen, the status it leads to (or the rule that
decides it), the named right it needs in the access matrix, its wording and its notices. The page's buttons,
the API's actions and the services' refusals all come from it (app/services/workflow.py runs the events).
"""

from app.domain import access
from app.domain.machine import Event, Machine, Notice, PersonMail, register

ATTENTE_EVALUATION_PREALABLE = "attente_evaluation_prealable"
ATTENTE_EVALUATION_FINALE = "attente_evaluation_finale"
A_ENVOYER_CERTIFICATION = "a_envoyer_certification"
ATTENTE_JURY = "attente_jury"
ATTENTE_CERTIFICATION = "attente_certification"
ATTENTE_COMPLEMENT = "attente_complement"
CANDIDATURE_COMPLETEE = "candidature_completee"
CERTIFIEE = "certifiee"
NON_CERTIFIEE = "non_certifiee"
ABANDONNEE = "abandonnee"

LABELS = {
    ATTENTE_EVALUATION_PREALABLE: "En attente d'évaluation préalable",
    ATTENTE_EVALUATION_FINALE: "En attente d'évaluation finale",
    A_ENVOYER_CERTIFICATION: "À envoyer en certification",
    ATTENTE_JURY: "En attente de jury",
    ATTENTE_CERTIFICATION: "En attente de certification",
    ATTENTE_COMPLEMENT: "En attente de complément",
    CANDIDATURE_COMPLETEE: "Candidature complétée",
    CERTIFIEE: "Certifiée",
    NON_CERTIFIEE: "Non certifiée",
    ABANDONNEE: "Candidature abandonnée",
}
STATUTS = tuple(LABELS)

# Before the sending to certification: the OF works on the file.
AVANT_JURY = (ATTENTE_EVALUATION_PREALABLE, ATTENTE_EVALUATION_FINALE, A_ENVOYER_CERTIFICATION)
# From the sending on: what a certifier sees; the file is read-only for OF profiles.
CHEZ_CERTIFICATEUR = (
    ATTENTE_JURY,
    ATTENTE_CERTIFICATION,
    ATTENTE_COMPLEMENT,
    CANDIDATURE_COMPLETEE,
    CERTIFIEE,
    NON_CERTIFIEE,
)
TERMINES = (CERTIFIEE, NON_CERTIFIEE)


def _after_reopening(candidature, context) -> str:
    """Reopening before the sending: back to the evaluation the file was waiting for."""
    return ATTENTE_EVALUATION_FINALE if context.get("finale") else ATTENTE_EVALUATION_PREALABLE


def _after_finalising(candidature, context) -> str:
    """Every sub-domain acquired (cumulated) → ready to send; else a final evaluation is needed."""
    return target_of_evaluation(bool(context.get("tous_acquis")))


def _back_from_abandon(candidature, context) -> str:
    return context.get("statut_avant_abandon") or ATTENTE_EVALUATION_PREALABLE


def _decided(candidature, context) -> str:
    return DECISIONS[context["decision"]]


def _new_certifier(candidature, context) -> str | None:
    """A file waiting for its session goes back to « En attente de jury » for the new certifier."""
    return ATTENTE_JURY if candidature.statut == ATTENTE_CERTIFICATION else None


# --- The candidate informed (issue 18): mails to the address of the file, worded for the candidate ----------------
# Formatted with the event's context: the file's words (numero_dossier, etablissement, certification) and the
# effect's (nom_certificateur, date_jury, commentaire, numero_certificat, url_verification…). Queued by the engine
# (workflow.send_person_mail) when the file holds an email, kept with the file (« Mails au candidat »).
MAIL_ENVOI_EN_CERTIFICATION = PersonMail(
    "Votre dossier {certification} est envoyé en certification",
    "Bonjour,\n\nVotre organisme évaluateur, {etablissement}, a envoyé votre dossier n°{numero_dossier} en "
    "certification {certification}. Le certificateur, {nom_certificateur}, l'examinera lors d'un prochain jury : "
    "vous recevrez un mail dès sa décision.",
)
MAILS_DECISION = (
    PersonMail(
        "Félicitations : vous obtenez la certification {certification}",
        "Bonjour,\n\nLe jury du {date_jury} vous délivre la certification {certification} (dossier "
        "n°{numero_dossier}). Félicitations !\n\nVotre certificat porte le n°{numero_certificat}. Toute personne à "
        "qui vous le présentez, un employeur par exemple, peut vérifier son authenticité à l'adresse suivante, aussi "
        "donnée par le QR code imprimé sur le certificat :\n{url_verification}\n\nSi vous avez demandé un "
        "certificat au format papier, vous recevrez un mail lors de son envoi par courrier.",
        when={"decision": "certifiee"},
    ),
    PersonMail(
        "Décision du jury sur votre dossier {certification}",
        "Bonjour,\n\nLe jury du {date_jury} ne vous a pas délivré la certification {certification} (dossier "
        "n°{numero_dossier}). Votre organisme évaluateur, {etablissement}, peut vous expliquer cette décision et les "
        "suites possibles.",
        when={"decision": "non_certifiee"},
    ),
    PersonMail(
        "Votre dossier {certification} : le jury demande des compléments",
        "Bonjour,\n\nLe jury du {date_jury} a examiné votre dossier n°{numero_dossier} et demande des compléments "
        "à votre organisme évaluateur, {etablissement}. Voici le message du jury à votre organisme :\n\n"
        "« {commentaire} »\n\nVotre organisme va compléter votre dossier et le renvoyer au jury ; il vous "
        "contactera s'il a besoin de vous. Vous recevrez un mail dès la nouvelle décision du jury.",
        when={"decision": "complement"},
    ),
)
# Not an event of the machine: « Historique des envois », a certificate posted (app/services/juries.py).
CERTIFICAT_ENVOYE = PersonMail(
    "Votre certificat {certification} vous est envoyé par courrier",
    "Bonjour,\n\nVotre certificat {certification} n°{numero_certificat} (dossier n°{numero_dossier}) vous a été "
    "envoyé par courrier le {date_envoi}{par_canal}, à l'adresse postale de votre dossier. S'il ne vous parvient pas, "
    "prévenez votre organisme évaluateur.",
)

DECISIONS = {"certifiee": CERTIFIEE, "non_certifiee": NON_CERTIFIEE, "complement": ATTENTE_COMPLEMENT}
EVALUATION_EN_COURS = frozenset({ATTENTE_EVALUATION_PREALABLE, ATTENTE_EVALUATION_FINALE})
A_AFFECTER = frozenset({ATTENTE_JURY, CANDIDATURE_COMPLETEE})
CHEZ_CERTIFICATEUR_AVANT_DECISION = frozenset(
    {ATTENTE_JURY, ATTENTE_CERTIFICATION, ATTENTE_COMPLEMENT, CANDIDATURE_COMPLETEE}
)

CANDIDATURE = register(
    Machine(
        name="candidature",
        noun="une candidature",
        labels=LABELS,
        initial=ATTENTE_EVALUATION_PREALABLE,
        groups={
            "avant_jury": frozenset(AVANT_JURY),
            "chez_certificateur": frozenset(CHEZ_CERTIFICATEUR),
            "termines": frozenset(TERMINES),
            "abandonnee": frozenset({ABANDONNEE}),
            "certifiee": frozenset({CERTIFIEE}),
            "evaluation_en_cours": EVALUATION_EN_COURS,
            "a_affecter": A_AFFECTER,
            "attente_certification": frozenset({ATTENTE_CERTIFICATION}),
        },
        events={
            "finaliser_evaluation": Event(
                EVALUATION_EN_COURS,
                "evaluations.modifier",
                "Finaliser l'évaluation",
                rule=_after_finalising,
                audit="Finalisation de l'évaluation du {date}",
            ),
            # Reopening a finalised evaluation (« Modifier l'évaluation »): before the sending the file goes back to
            # the evaluation it was waiting for; after it, the status stays and the correction must keep it valid.
            "rouvrir_evaluation": Event(
                frozenset({ATTENTE_EVALUATION_FINALE, A_ENVOYER_CERTIFICATION}),
                "rouvrir_evaluation",
                "Modifier l'évaluation",
                rule=_after_reopening,
                audit="Réouverture de l'évaluation du {date}",
            ),
            "rouvrir_evaluation_apres_envoi": Event(
                CHEZ_CERTIFICATEUR_AVANT_DECISION,
                "rouvrir_evaluation_apres_envoi",
                "Modifier l'évaluation",
                audit="Réouverture de l'évaluation du {date}",
            ),
            "envoyer_certification": Event(
                frozenset({A_ENVOYER_CERTIFICATION}),
                "evaluations.modifier",
                "Envoyer en certification",
                target=ATTENTE_JURY,
                audit="Envoi en certification",
                path="envoyer",
                api="envoyer_certification",
                notices=(
                    Notice(
                        "certificateur",
                        "Envoi en certification",
                        "Nouveau dossier envoyé en certification",
                        "Le dossier {numero_dossier} ({candidat}) a été envoyé en certification par {etablissement}.",
                    ),
                ),
                mails=(MAIL_ENVOI_EN_CERTIFICATION,),
                success="La candidature est envoyée en certification : elle est désormais en lecture seule.",
            ),
            "annuler_envoi": Event(
                frozenset({ATTENTE_JURY}),
                "annuler_envoi",
                "Annuler l'envoi",
                target=A_ENVOYER_CERTIFICATION,
                audit="Annulation de l'envoi en certification",
                path="annuler-envoi",
                api="annuler_envoi",
                notices=(
                    Notice(
                        "ancien_certificateur",
                        "Envoi en certification",
                        "Envoi en certification annulé",
                        "L'envoi du dossier {numero_dossier} ({candidat}) a été annulé.",
                    ),
                ),
                success="L'envoi en certification est annulé : la candidature est à nouveau à envoyer.",
            ),
            "affecter": Event(
                A_AFFECTER,
                "certification.modifier",
                "Affecter à un jury",
                target=ATTENTE_CERTIFICATION,
                audit="Affectation au jury « {session} »",
                success="Le dossier est affecté au jury.",
            ),
            "decider": Event(
                frozenset({ATTENTE_CERTIFICATION}),
                "certification.modifier",
                "Enregistrer la décision du jury",
                rule=_decided,
                audit="Décision du jury : {decision_label}",
                path="decision",
                decision=True,
                notices=(
                    Notice(
                        "organisme",
                        "Décision du jury",
                        "Décision du jury : {decision_label}",
                        "{texte_decision}",
                        tab="decision",
                    ),
                ),
                mails=MAILS_DECISION,
                success="La décision du jury est enregistrée.",
            ),
            "changer_certificateur": Event(
                CHEZ_CERTIFICATEUR_AVANT_DECISION,
                "changer_certificateur",
                "Changer de certificateur",
                rule=_new_certifier,
                path="certificateur",
                api="changer_certificateur",
                audit="Changement de certificateur : {ancien} → {nouveau} ({commentaire_court})",
                notices=(
                    Notice(
                        "reaffectation",
                        "Changement de certificateur",
                        "Une réaffectation vient d'être créée",
                        "Une réaffectation vient d'être créée : le dossier {numero_dossier} ({candidat}) passe "
                        "de {ancien} à {nouveau}. Motif : {commentaire}",
                        tab="decision",
                    ),
                ),
                success="Une réaffectation vient d'être créée.",
            ),
            "completer": Event(
                frozenset({ATTENTE_COMPLEMENT}),
                "evaluations.modifier",
                "Candidature complétée",
                target=CANDIDATURE_COMPLETEE,
                audit="Candidature complétée et renvoyée au jury",
                notices=(
                    Notice(
                        "certificateur",
                        "Envoi en certification",
                        "Candidature complétée",
                        "L'organisme a complété le dossier {numero_dossier} ({candidat}) : il peut être "
                        "affecté à un nouveau jury.",
                        tab="echanges",
                    ),
                ),
                success="La candidature est complétée et renvoyée au jury.",
            ),
            "abandonner": Event(
                frozenset(AVANT_JURY + (ATTENTE_COMPLEMENT,)),
                "evaluations.modifier",
                "Abandonner",
                target=ABANDONNEE,
                audit="Abandon de la candidature",
                success="La candidature est abandonnée. Vous pourrez la réintégrer.",
            ),
            "reintegrer": Event(
                frozenset({ABANDONNEE}),
                "evaluations.modifier",
                "Réintégrer",
                rule=_back_from_abandon,
                audit="Réintégration de la candidature",
                success="La candidature est réintégrée.",
            ),
            "abandon_automatique": Event(
                frozenset(AVANT_JURY),
                access.SYSTEM,
                "Abandon automatique (évaluation préalable de plus de 5 ans)",
                target=ABANDONNEE,
            ),
        },
    )
)


def label(statut: str) -> str:
    return CANDIDATURE.label(statut)


def allowed_events(statut: str, who) -> list[str]:
    """The buttons to show for this file and this user."""
    return CANDIDATURE.allowed_events(statut, who)


def target_of_evaluation(all_acquired: bool) -> str:
    """Finalising an evaluation: every sub-domain acquired (cumulated) → ready to send; else final evaluation."""
    return A_ENVOYER_CERTIFICATION if all_acquired else ATTENTE_EVALUATION_FINALE


def read_only_for_of(statut: str) -> bool:
    """After the sending, OF profiles may only read the file (but answer a complement request)."""
    return statut in CHEZ_CERTIFICATEUR and statut != ATTENTE_COMPLEMENT
