"""Personal data (donnees-personnelles.md): the national settings Certif Pro edits — the notice shown at collection
and the retention periods — with their defaults and bounds (pure data; app/services/donnees_personnelles.py reads
and writes them)."""

from dataclasses import dataclass

NOTICE = (
    "Les informations recueillies sont enregistrées dans la plateforme CléA par Certif Pro, responsable du "
    "traitement, pour gérer le parcours de certification CléA ou CléA numérique du candidat (inscription, "
    "évaluations, formations, décision du jury, délivrance et envoi du certificat) et établir des statistiques "
    "anonymes. Base légale : mission d'intérêt public confiée au certificateur (article 6-1-e du RGPD). "
    "Destinataires : l'organisme évaluateur et l'établissement qui accompagnent le candidat, leur réseau, le "
    "certificateur et le jury, Certif Pro et, pour l'envoi du certificat, son prestataire d'impression. "
    "Conservation : un dossier non certifié ou abandonné est anonymisé 5 ans après sa dernière modification ; "
    "pour un dossier certifié, les documents sont supprimés après 5 ans et la preuve du certificat est conservée. "
    "Le candidat peut accéder à ses données, les faire rectifier, en demander l'effacement, la limitation ou la "
    "portabilité et s'opposer à leur traitement en écrivant au délégué à la protection des données de Certif Pro "
    "(dpo@certifpro.fr) ; il peut aussi adresser une réclamation à la CNIL (www.cnil.fr). "
    "L'organisme évaluateur, sous-traitant de Certif Pro, informe le candidat de cette notice, ne collecte que ces "
    "données et cesse d'accéder aux dossiers à la fin de son habilitation ; les dossiers restent alors conservés "
    "par Certif Pro."
)


@dataclass(frozen=True)
class Reglage:
    """One setting: its French label, its default (as stored), integer or text, its bounds (value or length)."""

    libelle: str
    defaut: str
    entier: bool = True
    minimum: int = 1
    maximum: int = 100
    aide: str = ""


PARAMETRES: dict[str, Reglage] = {
    "notice_information": Reglage(
        "Notice d'information sur les données personnelles",
        NOTICE,
        entier=False,
        minimum=50,
        maximum=10000,
        aide="Affichée sur le formulaire de candidature, dans l'API (_info) et sur la fiche candidat.",
    ),
    "conservation_non_certifie_ans": Reglage(
        "Dossiers non certifiés ou abandonnés : anonymisés après (années sans modification)", "5", maximum=30
    ),
    "conservation_documents_certifie_ans": Reglage(
        "Dossiers certifiés : documents supprimés après (années depuis la décision)", "5", maximum=50
    ),
    "conservation_journal_jours": Reglage(
        "Journal des consultations : conservé pendant (jours)", "365", minimum=30, maximum=3650
    ),
}
