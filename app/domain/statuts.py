"""The status machine of a candidate file (domain.md §4.1, guide §19), as data run by app/domain/machine.py.

CANDIDATURE says, for each event, from which statuses it may happen, the status it leads to (or the rule that
decides it), the named right it needs in the access matrix, its wording and its notices. The page's buttons,
the API's actions and the services' refusals all come from it (app/services/workflow.py runs the events).
"""

from app.domain import access
from app.domain.machine import Event, Machine, Notice, register

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
