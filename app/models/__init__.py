"""SQLAlchemy models, one module per aggregate. Importing this package registers them all."""
from app.models.structures import Reseau, Organisme, Etablissement, Certificateur  # noqa: F401
from app.models.users import Utilisateur, JetonUtilisateur  # noqa: F401
from app.models.habilitations import DemandeHabilitation  # noqa: F401
from app.models.audit import AuditLog  # noqa: F401
from app.models.notifications import Notification, MailSortant  # noqa: F401
from app.models.referentiels import Referentiel, Domaine, SousDomaine, ValeurListe  # noqa: F401
from app.models.candidatures import Candidature  # noqa: F401
from app.models.documents import Document  # noqa: F401
from app.models.formations import Formation  # noqa: F401
from app.models.evaluations import Evaluation, ResultatEvaluation  # noqa: F401
from app.models.juries import (SessionJury, DecisionJury, Echange, Certificat, EnvoiCertificat,  # noqa: F401
                                 DemandeRattachement)
from app.models.habilitations import RappelHabilitation  # noqa: F401,E402
from app.models.actualites import Actualite  # noqa: F401,E402
from app.models.redevances import BaremeRedevance  # noqa: F401,E402
from app.models.exports import FichierExport  # noqa: F401,E402
