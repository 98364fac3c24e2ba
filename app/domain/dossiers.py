"""The habilitation dossier (habilitation.md §1–3, règlement seed 001 §III, application form seed 002): its states,
its events and the rules of its deadlines. One more machine of the engine (app/domain/machine.py), run by
app/services/workflow.py; what each event does beyond its state is in app/services/dossiers.py."""

from app.domain.machine import Event, Machine, Notice, register

BROUILLON = "brouillon"
DEPOSEE = "deposee"
EN_INSTRUCTION = "en_instruction"
COMPLEMENT_DEMANDE = "complement_demande"
AUDITION_CONVOQUEE = "audition_convoquee"
AVIS_RENDU = "avis_rendu"
ACCORDEE = "accordee"
REFUSEE = "refusee"
CLASSEE_SANS_SUITE = "classee_sans_suite"
RECOURS_DEPOSE = "recours_depose"
RECOURS_INSTRUIT = "recours_instruit"

LABELS = {
    BROUILLON: "Brouillon",
    DEPOSEE: "Déposé",
    EN_INSTRUCTION: "En instruction",
    COMPLEMENT_DEMANDE: "Complément demandé",
    AUDITION_CONVOQUEE: "Audition convoquée",
    AVIS_RENDU: "Avis rendu",
    ACCORDEE: "Habilitation accordée",
    REFUSEE: "Habilitation refusée",
    CLASSEE_SANS_SUITE: "Classé sans suite",
    RECOURS_DEPOSE: "Recours déposé",
    RECOURS_INSTRUIT: "Recours instruit",
}

# Once accorded, the habilitation's own status (habilitation.md §4): the machine of app/domain/habilitations.py.
STATUTS_HABILITATION = {
    "active": "Active",
    "suspendue": "Suspendue",
    "retiree": "Retirée",
    "renoncee": "Renoncée",
    "expiree": "Expirée",
}

# Deadlines of the règlement, in jours ouvrés.
DELAI_CONVOCATION = 8  # a hearing is convened at least 8 jours ouvrés ahead
DELAI_AVIS = 5  # the opinion is given at least 5 jours ouvrés before the meeting
DELAI_RECOURS = 30  # a recourse within 30 jours ouvrés of the refusal's notification
DELAI_ACCUSE_RECOURS = 10  # the recourse is acknowledged within 10 jours ouvrés
DELAI_EXAMEN_RECOURS = 25  # and examined within 25 jours ouvrés
DELAI_NOTIFICATION_PRESUMEE = 2  # a notice never acknowledged counts as received 2 jours ouvrés after its sending
DELAI_REPONSE_COMPLEMENT = 15  # the applicant is reminded to answer a request for corrections after 15 jours ouvrés
DELAI_PRISE_EN_INSTRUCTION = 10  # a deposited dossier is taken in instruction within 10 jours ouvrés (reminders)
# A deposit is scheduled on the first meeting leaving the time to instruct it.
DELAI_PROGRAMMATION = DELAI_CONVOCATION + DELAI_AVIS

EN_COURS = frozenset(
    {DEPOSEE, EN_INSTRUCTION, COMPLEMENT_DEMANDE, AUDITION_CONVOQUEE, AVIS_RENDU, RECOURS_DEPOSE, RECOURS_INSTRUIT}
)
CHEZ_L_INSTANCE = frozenset({DEPOSEE, EN_INSTRUCTION, AUDITION_CONVOQUEE, AVIS_RENDU, RECOURS_DEPOSE, RECOURS_INSTRUIT})
MODIFIABLES = frozenset({BROUILLON, COMPLEMENT_DEMANDE})  # the applicant edits the file
AVANT_DECISION = frozenset({BROUILLON, DEPOSEE, EN_INSTRUCTION, COMPLEMENT_DEMANDE, AUDITION_CONVOQUEE, AVIS_RENDU})
FINAUX = frozenset({ACCORDEE, REFUSEE, CLASSEE_SANS_SUITE})

TYPES_CANDIDATURE = {
    "individuelle": "Candidature individuelle",
    "groupement": "Groupement",
    "reseau": "Réseau / mandataire",
}
MODALITES = (
    "QCM",
    "Mise en situation reconstituée",
    "Etude de cas",
    "Entretien",
    "Observation en situation de travail",
)
MODES_SEQUENCE = {
    "presentiel": "Présentiel",
    "distanciel_synchrone": "Distanciel synchrone",
    "distanciel_asynchrone": "Distanciel asynchrone / automatisé",
}
NATURES_PIECE = {"cv": "CV d'intervenant", "mandat": "Lettre de mandat", "reference": "Référence", "annexe": "Annexe"}
LABELS_QUALITE = {"qualiopi": "Qualiopi", "autre": "Autre label", "aucun": "Aucun"}
COUVERTURES = {"nationale": "Nationale", "regionale": "Régionale"}

_ORGANISATION = "organisation"  # audiences of the notices (app/services/dossiers.py binds them)
_INSTANCE = "instance"
RUBRIQUE = "Dossier d'habilitation"


def _notice(recipients: str, title: str, text: str) -> tuple[Notice, ...]:
    return (Notice(recipients, RUBRIQUE, title, text),)


DOSSIER = register(
    Machine(
        name="dossier_habilitation",
        noun="un dossier d'habilitation",
        labels=LABELS,
        initial=BROUILLON,
        attribute="etat",
        groups={
            "en_cours": EN_COURS,
            "chez_l_instance": CHEZ_L_INSTANCE,
            "modifiables": MODIFIABLES,
            "avant_decision": AVANT_DECISION,
            "finaux": FINAUX,
            "accordee": frozenset({ACCORDEE}),
            "brouillon": frozenset({BROUILLON}),
        },
        events={
            "deposer": Event(
                frozenset({BROUILLON}),
                "deposer_dossier_habilitation",
                "Déposer le dossier",
                target=DEPOSEE,
                audit="Dépôt du dossier d'habilitation",
                notices=_notice(
                    _INSTANCE,
                    "Nouveau dossier d'habilitation déposé",
                    "{organisme} a déposé le dossier d'habilitation n°{numero} ({certification}).",
                ),
                success="Votre dossier est déposé : le récépissé vous est envoyé par mail.",
            ),
            "instruire": Event(
                frozenset({DEPOSEE}),
                "instruire_habilitation",
                "Prendre en instruction",
                target=EN_INSTRUCTION,
                audit="Prise en instruction du dossier",
                notices=_notice(
                    _ORGANISATION,
                    "Dossier d'habilitation en instruction",
                    "Le dossier d'habilitation n°{numero} est pris en instruction par {qui}.",
                ),
                success="Le dossier est pris en instruction.",
            ),
            "demander_complement": Event(
                frozenset({EN_INSTRUCTION}),
                "instruire_habilitation",
                "Demander un complément",
                target=COMPLEMENT_DEMANDE,
                audit="Demande de complément : {message}",
                notices=_notice(
                    _ORGANISATION,
                    "Complément demandé sur votre dossier d'habilitation",
                    "L'instance demande un complément sur le dossier n°{numero} : {message}",
                ),
                success="La demande de complément est envoyée : le dossier est rouvert pour l'organisme.",
            ),
            "repondre": Event(
                frozenset({COMPLEMENT_DEMANDE}),
                "deposer_dossier_habilitation",
                "Répondre",
                target=EN_INSTRUCTION,
                audit="Réponse à la demande de complément",
                notices=_notice(
                    _INSTANCE,
                    "Réponse à une demande de complément",
                    "{organisme} a répondu à la demande de complément sur le dossier n°{numero} : {message}",
                ),
                success="Votre réponse est envoyée à l'instance.",
            ),
            "convoquer": Event(
                frozenset({EN_INSTRUCTION}),
                "instruire_habilitation",
                "Convoquer à une audition",
                target=AUDITION_CONVOQUEE,
                audit="Convocation à une audition le {quand}, {lieu}",
                notices=_notice(
                    _ORGANISATION,
                    "Convocation à une audition",
                    "L'organisme est convoqué à une audition sur le dossier n°{numero} le {quand}, {lieu}.",
                ),
                success="La convocation est envoyée.",
            ),
            "avis": Event(
                frozenset({EN_INSTRUCTION, AUDITION_CONVOQUEE, RECOURS_DEPOSE}),
                "rendre_avis_habilitation",
                "Rendre un avis",
                rule=lambda dossier, context: RECOURS_INSTRUIT if dossier.etat == RECOURS_DEPOSE else AVIS_RENDU,
                audit="Avis {sens} : {motivation}",
                notices=_notice(
                    _ORGANISATION,
                    "Avis rendu sur votre dossier d'habilitation",
                    "Un avis {sens} a été rendu sur le dossier n°{numero} ; l'instance décidera lors de sa "
                    "réunion du {reunion}.",
                ),
                success="L'avis est rendu : le dossier est inscrit à la réunion de l'instance.",
            ),
            "valider": Event(
                frozenset({AVIS_RENDU, RECOURS_INSTRUIT}),
                "decider_habilitation",
                "Accorder l'habilitation",
                target=ACCORDEE,
                audit="Habilitation accordée du {debut} au {fin}",
                decision=True,
                notices=_notice(
                    _ORGANISATION,
                    "Validation de l'habilitation",
                    "L'habilitation {certification} de {etablissements} est accordée du {debut} au {fin}.",
                ),
                success="L'habilitation est accordée.",
            ),
            "rejeter": Event(
                frozenset({AVIS_RENDU, RECOURS_INSTRUIT}),
                "decider_habilitation",
                "Refuser l'habilitation",
                target=REFUSEE,
                audit="Habilitation refusée. Motif : {motif}",
                decision=True,
                notices=_notice(
                    _ORGANISATION,
                    "Rejet de l'habilitation",
                    "La demande d'habilitation {certification} de {etablissements} est refusée. Motif : {motif}. "
                    "{mention_recours}",
                ),
                success="Le refus est notifié à l'organisme.",
            ),
            "recours": Event(
                frozenset({REFUSEE}),
                "deposer_dossier_habilitation",
                "Déposer un recours",
                target=RECOURS_DEPOSE,
                audit="Recours déposé",
                notices=_notice(
                    _INSTANCE,
                    "Recours sur un refus d'habilitation",
                    "{organisme} a déposé un recours sur le refus du dossier n°{numero}.",
                ),
                success="Votre recours est déposé : l'instance en accuse réception sous 10 jours ouvrés.",
            ),
            "accuser_recours": Event(
                frozenset({RECOURS_DEPOSE}),
                "instruire_habilitation",
                "Accuser réception du recours",
                audit="Accusé de réception du recours",
                notices=_notice(
                    _ORGANISATION,
                    "Recours reçu",
                    "L'instance accuse réception de votre recours sur le dossier n°{numero} ; il sera examiné "
                    "au plus tard le {examen}.",
                ),
                success="L'accusé de réception du recours est envoyé.",
            ),
            "classer": Event(
                AVANT_DECISION,
                "classer_dossier_habilitation",
                "Classer sans suite",
                target=CLASSEE_SANS_SUITE,
                audit="Dossier classé sans suite : {motif}",
                notices=_notice(
                    _ORGANISATION,
                    "Dossier d'habilitation classé sans suite",
                    "Le dossier d'habilitation n°{numero} est classé sans suite : {motif}",
                ),
                success="Le dossier est classé sans suite.",
            ),
        },
    )
)
