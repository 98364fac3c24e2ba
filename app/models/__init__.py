"""SQLAlchemy models, one module per aggregate. Importing this package registers them all."""

from app.models.actualites import Actualite  # noqa: F401
from app.models.audit import AuditLog, RechercheNationale  # noqa: F401
from app.models.candidatures import Candidature, CompteurCandidature  # noqa: F401
from app.models.documents import Document  # noqa: F401
from app.models.donnees import Consultation, Parametre, Traitement  # noqa: F401
from app.models.evaluations import Evaluation, ResultatEvaluation  # noqa: F401
from app.models.exports import FichierExport, ImportCandidats, MorceauExport, PartieExport  # noqa: F401
from app.models.formations import Formation  # noqa: F401
from app.models.habilitations import (
    AuditHabilitation,  # noqa: F401
    AvisDossier,  # noqa: F401
    CampagneHabilitation,  # noqa: F401
    ChangementSituation,  # noqa: F401
    DemandeHabilitation,  # noqa: F401
    MessageDossier,  # noqa: F401
    MiseEnConformite,  # noqa: F401
    PieceDossier,  # noqa: F401
    RappelDossier,  # noqa: F401
    RappelHabilitation,  # noqa: F401
    ReunionInstance,  # noqa: F401
)
from app.models.juries import Certificat, DecisionJury, DemandeRattachement, Echange, EnvoiCertificat, SessionJury  # noqa: F401
from app.models.notifications import MailSortant, Notification  # noqa: F401
from app.models.offres_cpf import OffreCpf, SessionOffreCpf  # noqa: F401
from app.models.redevances import BaremeRedevance  # noqa: F401
from app.models.referentiels import Domaine, Referentiel, SousDomaine, ValeurListe  # noqa: F401
from app.models.structures import Certificateur, Etablissement, Organisme, Reseau  # noqa: F401
from app.models.users import ConnexionRevoquee, EchecConnexion, JetonUtilisateur, Utilisateur  # noqa: F401
