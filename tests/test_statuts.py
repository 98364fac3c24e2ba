"""The candidate file's status machine (domain.md §4.1) as data: which buttons, which refusals."""

import pytest

from app.domain import access, statuts as s


def test_every_status_has_its_french_label():
    assert s.label("attente_jury") == "En attente de jury"
    assert len(s.STATUTS) == 10


@pytest.mark.parametrize(
    "statut, profile, expected",
    [
        (s.A_ENVOYER_CERTIFICATION, access.UTILISATEUR_ETABLISSEMENT, ["envoyer_certification", "abandonner"]),
        (s.ATTENTE_JURY, access.UTILISATEUR_ETABLISSEMENT, []),
        (s.ATTENTE_JURY, access.ADMIN_RESEAU, ["rouvrir_evaluation_apres_envoi", "annuler_envoi"]),
        (s.ATTENTE_JURY, access.ADMIN_ORGANISME, []),
        (
            s.A_ENVOYER_CERTIFICATION,
            access.ADMIN_ORGANISME,
            ["rouvrir_evaluation", "envoyer_certification", "abandonner"],
        ),
        (s.ATTENTE_JURY, access.CERTIFICATEUR, ["affecter"]),
        (s.ATTENTE_CERTIFICATION, access.MEMBRE_JURY, ["decider"]),
        (s.ATTENTE_COMPLEMENT, access.ADMIN_ORGANISME, ["completer", "abandonner"]),
        (s.ABANDONNEE, access.UTILISATEUR_ORGANISME, ["reintegrer"]),
        (s.CERTIFIEE, access.CERTIF_PRO, []),
        (s.ATTENTE_EVALUATION_PREALABLE, access.SUPERVISEUR_RESEAU, []),
    ],
)
def test_buttons_follow_the_status_and_the_profile(statut, profile, expected):
    assert s.allowed_events(statut, profile) == expected


def test_refusals_say_why_in_french():
    machine = s.CANDIDATURE
    by_right = machine.refusal("annuler_envoi", s.ATTENTE_JURY, access.ADMIN_ORGANISME)
    assert by_right.message == "Votre profil ne permet pas l'action « Annuler l'envoi »." and by_right.by_right
    by_status = machine.refusal("envoyer_certification", s.ATTENTE_JURY, access.ADMIN_ORGANISME)
    assert by_status.message == (
        "L'action « Envoyer en certification » n'est pas possible pour une candidature "
        "au statut « En attente de jury »."
    )
    assert not by_status.by_right
    assert machine.refusal("envoyer_certification", s.A_ENVOYER_CERTIFICATION, access.ADMIN_ORGANISME) is None
    assert not machine.may("abandon_automatique", access.CERTIF_PRO)


def test_evaluation_result_and_read_only_rule():
    assert s.target_of_evaluation(True) == s.A_ENVOYER_CERTIFICATION
    assert s.target_of_evaluation(False) == s.ATTENTE_EVALUATION_FINALE
    assert s.read_only_for_of(s.ATTENTE_JURY) and not s.read_only_for_of(s.ATTENTE_COMPLEMENT)
