"""The status machine of a candidate file (domain.md §4.1, guide §19), as data.

TRANSITIONS says, for each event, from which statuses it may happen, the status it leads to (None when a
rule decides, e.g. finalising an evaluation) and the permission it needs in the access matrix. The UI
shows only the buttons `allowed_events()` returns, and the services refuse anything else with
`refusal()`'s French message.
"""
from dataclasses import dataclass
from typing import Optional

from app.domain import access

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
CHEZ_CERTIFICATEUR = (ATTENTE_JURY, ATTENTE_CERTIFICATION, ATTENTE_COMPLEMENT, CANDIDATURE_COMPLETEE,
                      CERTIFIEE, NON_CERTIFIEE)
TERMINES = (CERTIFIEE, NON_CERTIFIEE)


@dataclass(frozen=True)
class Transition:
    sources: tuple
    target: Optional[str]      # None: the service decides (evaluation result, status before abandon)
    permission: str            # "can_<x>" on `tab`
    tab: str
    label: str                 # button / audit wording


TRANSITIONS = {
    "finaliser_evaluation": Transition((ATTENTE_EVALUATION_PREALABLE, ATTENTE_EVALUATION_FINALE), None,
                                       access.EDIT, access.EVALUATIONS, "Finaliser l'évaluation"),
    # Reopening a finalised evaluation (« Modifier l'évaluation »): before the sending the file goes back to
    # the evaluation it was waiting for; after it, the status stays and the correction must keep it valid.
    "rouvrir_evaluation": Transition((ATTENTE_EVALUATION_FINALE, A_ENVOYER_CERTIFICATION), None,
                                     "can_rouvrir_evaluation", access.EVALUATIONS, "Modifier l'évaluation"),
    "rouvrir_evaluation_apres_envoi": Transition((ATTENTE_JURY, ATTENTE_CERTIFICATION, ATTENTE_COMPLEMENT,
                                                  CANDIDATURE_COMPLETEE), None, "can_rouvrir_evaluation_apres_envoi",
                                                 access.EVALUATIONS, "Modifier l'évaluation"),
    "envoyer_certification": Transition((A_ENVOYER_CERTIFICATION,), ATTENTE_JURY, access.EDIT, access.EVALUATIONS,
                                        "Envoyer en certification"),
    "annuler_envoi": Transition((ATTENTE_JURY,), A_ENVOYER_CERTIFICATION, "can_annuler_envoi", access.EVALUATIONS,
                                "Annuler l'envoi"),
    "affecter": Transition((ATTENTE_JURY, CANDIDATURE_COMPLETEE), ATTENTE_CERTIFICATION, access.EDIT,
                           access.CERTIFICATION, "Affecter à un jury"),
    "decider": Transition((ATTENTE_CERTIFICATION,), None, access.EDIT, access.CERTIFICATION,
                          "Enregistrer la décision du jury"),
    "changer_certificateur": Transition((ATTENTE_JURY, ATTENTE_CERTIFICATION, ATTENTE_COMPLEMENT,
                                         CANDIDATURE_COMPLETEE), None, "can_changer_certificateur",
                                        access.CERTIFICATION, "Changer de certificateur"),
    "completer": Transition((ATTENTE_COMPLEMENT,), CANDIDATURE_COMPLETEE, access.EDIT, access.EVALUATIONS,
                            "Candidature complétée"),
    "abandonner": Transition(AVANT_JURY + (ATTENTE_COMPLEMENT,), ABANDONNEE, access.EDIT, access.EVALUATIONS,
                             "Abandonner"),
    "reintegrer": Transition((ABANDONNEE,), None, access.EDIT, access.EVALUATIONS, "Réintégrer"),
    "abandon_automatique": Transition(AVANT_JURY, ABANDONNEE, "systeme", access.EVALUATIONS,
                                      "Abandon automatique (évaluation préalable de plus de 5 ans)"),
}
DECISIONS = {"certifiee": CERTIFIEE, "non_certifiee": NON_CERTIFIEE, "complement": ATTENTE_COMPLEMENT}


def label(statut: str) -> str:
    return LABELS.get(statut, statut)


def can_happen(event: str, statut: str) -> bool:
    return statut in TRANSITIONS[event].sources


def profile_may(event: str, profile: Optional[str]) -> bool:
    transition = TRANSITIONS[event]
    if transition.permission == "systeme":
        return False
    return profile is not None and access.profile_allows(profile, transition.permission, transition.tab)


def allowed_events(statut: str, profile: Optional[str]) -> list[str]:
    """The buttons to show for this file and this user."""
    return [event for event in TRANSITIONS if can_happen(event, statut) and profile_may(event, profile)]


def refusal(event: str, statut: str, profile: Optional[str]) -> Optional[str]:
    """None when the event may happen; otherwise the French reason."""
    transition = TRANSITIONS[event]
    if not profile_may(event, profile):
        return f"Votre profil ne permet pas l'action « {transition.label} »."
    if not can_happen(event, statut):
        return (f"L'action « {transition.label} » n'est pas possible pour une candidature au statut "
                f"« {label(statut)} ».")
    return None


def target_of_evaluation(all_acquired: bool) -> str:
    """Finalising an evaluation: every sub-domain acquired (cumulated) → ready to send; else final evaluation."""
    return A_ENVOYER_CERTIFICATION if all_acquired else ATTENTE_EVALUATION_FINALE


def read_only_for_of(statut: str) -> bool:
    """After the sending, OF profiles may only read the file (but answer a complement request)."""
    return statut in CHEZ_CERTIFICATEUR and statut != ATTENTE_COMPLEMENT
