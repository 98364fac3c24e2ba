"""Demo data (api.md "Demo accounts"): idempotent — each record is looked up by its natural key first.

Two unrelated networks (A and B), organisations and establishments in several regions (A1-1 in
Île-de-France), habilitations valid / expired / pending / rejected, the 18 regional Transitions Pro and a
few branch certifiers, and the demo accounts, all with the password `Clea-demo-2026!`.
"""

import datetime

from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import select

from app.domain import access
from app.domain.habilitations import date_fin
from app.domain.identifiers import luhn_valid
from app.domain.regions import REGIONS
from app.extensions import db
from app.models import Certificateur, DemandeHabilitation, Etablissement, Organisme, Reseau, Utilisateur
from app.services.users import hash_password

DEMO_PASSWORD = "Clea-demo-2026!"
BRANCHES = [
    "Commerce de détail et de gros à prédominance alimentaire",
    "Industrie de l'habillement",
    "Equipements thermiques et génie climatique",
]
TP_MODALITES = {"Guyane": "Prestataire par certificateur", "Hauts-de-France": "N/C"}


def luhn_complete(prefix: str) -> str:
    """Append the digit that makes `prefix` Luhn-valid."""
    for digit in "0123456789":
        if luhn_valid(prefix + digit):
            return prefix + digit
    raise ValueError(prefix)


def siren(n: int) -> str:
    return luhn_complete(f"{80000000 + n:08d}")


def siret(siren_: str, n: int) -> str:
    return luhn_complete(f"{siren_}{n:04d}")


class Loader:
    def __init__(self):
        self.created = 0

    def get_or_create(self, model, lookup: dict, **values):
        found = db.session.execute(select(model).filter_by(**lookup)).scalars().first()
        if found is not None:
            return found
        obj = model(**lookup, **values)
        db.session.add(obj)
        db.session.flush()
        self.created += 1
        return obj

    def certificateurs(self):
        self.certif_pro = self.get_or_create(
            Certificateur, {"nom": "Certif Pro"}, type=Certificateur.CERTIF_PRO, modalite_envoi="N/C"
        )
        self.tp = {}
        for region in REGIONS:
            self.tp[region] = self.get_or_create(
                Certificateur,
                {"nom": f"Transitions Pro {region}"},
                type=Certificateur.TRANSITIONS_PRO,
                region=region,
                modalite_envoi=TP_MODALITES.get(region, "Prestataire par candidat"),
            )
        self.branches = [
            self.get_or_create(
                Certificateur, {"nom": name}, type=Certificateur.BRANCHE, modalite_envoi="Prestataire par certificateur"
            )
            for name in BRANCHES
        ]

    def structures(self):
        self.reseau_a = self.get_or_create(
            Reseau,
            {"nom": "Réseau A — Formation Avenir"},
            responsable_nom="Martin",
            responsable_prenom="Claire",
            responsable_email="claire.martin@reseau-a.example",
            notifier_creation_candidature=True,
        )
        self.reseau_b = self.get_or_create(
            Reseau,
            {"nom": "Réseau B — Compétences Sud"},
            responsable_nom="Roux",
            responsable_prenom="Karim",
            responsable_email="karim.roux@reseau-b.example",
        )
        self.orgs = {}
        specs = [
            ("A1", "Organisme A1 — Avenir Paris", self.reseau_a, "Paris", "75011", 1),
            ("A2", "Organisme A2 — Avenir Ouest", self.reseau_a, "Rennes", "35000", 2),
            ("B1", "Organisme B1 — Compétences Méditerranée", self.reseau_b, "Marseille", "13001", 3),
            ("C1", "Organisme C1 — Indépendant", None, "Lyon", "69003", 4),
        ]
        for code, nom, reseau, ville, cp, n in specs:
            self.orgs[code] = self.get_or_create(
                Organisme,
                {"siren": siren(n)},
                nom=nom,
                reseau=reseau,
                adresse=f"{n} rue de la Formation",
                ville=ville,
                code_postal=cp,
                contact_nom="Durand",
                contact_prenom="Alice",
                contact_email=f"contact.{code.lower()}@of.example",
                email_facturation=f"compta.{code.lower()}@of.example",
                code_naf="85.59A",
                numero_declaration_activite=f"{11000000000 + n}",
                qualiopi=True,
            )
        self.etabs = {}
        especs = [
            ("A1-1", "A1", "Avenir Paris République", "Paris", "75011", "Île-de-France", 1),
            ("A1-2", "A1", "Avenir Paris Lille", "Lille", "59000", "Hauts-de-France", 2),
            ("A2-1", "A2", "Avenir Ouest Rennes", "Rennes", "35000", "Bretagne", 1),
            ("A2-2", "A2", "Avenir Ouest Nantes", "Nantes", "44000", "Pays de la Loire", 2),
            ("B1-1", "B1", "Compétences Méditerranée Marseille", "Marseille", "13001", "Provence-Alpes-Côte d'Azur", 1),
            ("B1-2", "B1", "Compétences Méditerranée Montpellier", "Montpellier", "34000", "Occitanie", 2),
            ("C1-1", "C1", "Indépendant Lyon", "Lyon", "69003", "Auvergne-Rhône-Alpes", 1),
        ]
        for code, org_code, nom, ville, cp, region, n in especs:
            org = self.orgs[org_code]
            self.etabs[code] = self.get_or_create(
                Etablissement,
                {"siret": siret(org.siren, n)},
                organisme=org,
                nom=nom,
                referent_nom="Bernard",
                referent_prenom="Luc",
                referent_email=f"referent.{code.lower()}@of.example",
                public_nom="Accueil",
                public_prenom="CléA",
                public_email=f"clea.{code.lower()}@of.example",
                public_telephone="01 23 45 67 89",
                adresse=f"{n} avenue des Compétences",
                ville=ville,
                code_postal=cp,
                region=region,
                site_web="https://www.of.example",
            )

    def habilitations(self):
        today = datetime.date.today()

        def habilitation(
            etab_codes, etat, debut=None, motif=None, certificateurs=None, demande=None, certification="clea"
        ):
            etabs = [self.etabs[c] for c in etab_codes]
            existing = (
                db.session.execute(
                    select(DemandeHabilitation).where(
                        DemandeHabilitation.organisme_id == etabs[0].organisme_id,
                        DemandeHabilitation.certification == certification,
                        DemandeHabilitation.etablissements.any(id=etabs[0].id),
                    )
                )
                .scalars()
                .first()
            )
            if existing is not None:
                return existing
            d = DemandeHabilitation(
                organisme_id=etabs[0].organisme_id,
                certification=certification,
                type="initiale",
                date_demande=demande or (debut or today) - datetime.timedelta(days=20),
                etat=etat,
                motif_rejet=motif,
            )
            if debut:
                d.date_debut, d.date_fin = debut, date_fin(debut)
                d.statut_habilitation = "active"
                d.decide_le = datetime.datetime.combine(d.date_demande + datetime.timedelta(days=10), datetime.time(10))
            d.etablissements = etabs
            d.certificateurs = certificateurs or [self.certif_pro]
            db.session.add(d)
            self.created += 1
            return d

        v, r, p = DemandeHabilitation.VALIDEE, DemandeHabilitation.REJETEE, DemandeHabilitation.DEPOSEE
        habilitation(["A1-1"], v, debut=today - datetime.timedelta(days=400))
        habilitation(["A1-2"], v, debut=today - datetime.timedelta(days=365 * 3 + 60))  # expired
        rennes = habilitation(["A2-1"], p, demande=today - datetime.timedelta(days=5))
        nantes = habilitation(
            ["A2-2"],
            r,
            motif="Dossier incomplet : CV des évaluateurs manquants.",
            demande=today - datetime.timedelta(days=60),
        )
        habilitation(["B1-1"], v, debut=today - datetime.timedelta(days=30))
        montpellier = habilitation(
            ["B1-2"], p, certificateurs=[self.branches[0]], demande=today - datetime.timedelta(days=3)
        )
        habilitation(["C1-1"], v, debut=today - datetime.timedelta(days=365 * 3 - 40))  # ends within 90 days
        # CléA numérique: a habilitation of its own (habilitation.md §4: the rule is per certification).
        habilitation(["A1-1"], v, debut=today - datetime.timedelta(days=200), certification="clea_numerique")
        habilitation(["B1-1"], v, debut=today - datetime.timedelta(days=100), certification="clea_numerique")
        habilitation(["B1-2"], v, debut=today - datetime.timedelta(days=300), certification="clea_numerique")
        self.dossiers(today, rennes, nantes, montpellier)
        self.vie_des_habilitations(today)

    def vie_des_habilitations(self, today):
        """Issue 15: a suspended habilitation (Montpellier's CléA numérique) and a renunciation pending (Lyon)."""
        from app.domain.habilitations import dans_trois_mois

        def accorded(code, certification):
            return (
                db.session.execute(
                    select(DemandeHabilitation).where(
                        DemandeHabilitation.etablissements.any(id=self.etabs[code].id),
                        DemandeHabilitation.etat == DemandeHabilitation.VALIDEE,
                        DemandeHabilitation.certification == certification,
                    )
                )
                .scalars()
                .first()
            )

        montpellier = accorded("B1-2", "clea_numerique")
        if montpellier is not None and montpellier.statut_habilitation == "active":
            montpellier.statut_habilitation = "suspendue"
            montpellier.statut_le = today - datetime.timedelta(days=4)
            montpellier.statut_motif = "Audit sur pièces défavorable : évaluations à distance sans contrôle d'identité."
        # An audit in progress: the report is rendered, the organisation's observations are awaited.
        from app.models.habilitations import AuditHabilitation

        marseille = accorded("B1-1", "clea")
        if marseille is not None and not db.session.execute(select(AuditHabilitation.id).limit(1)).first():
            db.session.add(
                AuditHabilitation(
                    habilitation_id=marseille.id,
                    type="pieces",
                    date_prevue=today - datetime.timedelta(days=12),
                    auditeur="Anne Lefèvre (Certif Pro)",
                    etat="rapport_rendu",
                    avis="favorable_avec_reserves",
                    anomalies="Grilles d'évaluation non signées par le candidat.",
                    rapport_le=today - datetime.timedelta(days=2),
                )
            )
        lyon = accorded("C1-1", "clea")
        if lyon is not None and lyon.renonciation_recue_le is None:
            lyon.renonciation_recue_le = today - datetime.timedelta(days=10)
            lyon.renonciation_effet = dans_trois_mois(lyon.renonciation_recue_le)
            lyon.statut_motif = "Cessation de l'activité de formation CléA."

    def dossiers(self, today, rennes, nantes, montpellier):
        """Habilitation dossiers (issue 14): open campaigns, planned meetings, and dossiers in several states —
        a draft, deposited ones, one in instruction with a request for corrections, a refusal with a recourse
        running (and the accepted habilitations above)."""
        from app.domain import dossiers as regles, jours_ouvres
        from app.models.habilitations import CampagneHabilitation, MessageDossier, ReunionInstance

        if db.session.execute(select(CampagneHabilitation.id).limit(1)).first():
            return
        year = today.year
        branch = self.branches[0]
        for cert, certification, debut, fin, libelle in (
            (self.certif_pro, "clea", -30, 90, f"Campagne {year}"),
            (self.certif_pro, "clea_numerique", -30, 90, f"Campagne {year}"),
            (self.certif_pro, "clea", 200, 290, f"Campagne {year + 1}"),
            (branch, "clea", -10, 60, f"Campagne {year} de la branche"),
        ):
            db.session.add(
                CampagneHabilitation(
                    certificateur=cert,
                    certification=certification,
                    libelle=libelle,
                    debut=today + datetime.timedelta(days=debut),
                    fin=today + datetime.timedelta(days=fin),
                )
            )
        meeting = ReunionInstance(
            certificateur=self.certif_pro, date=jours_ouvres.ajouter(today, 20), lieu="Certif Pro, Paris"
        )
        later = ReunionInstance(
            certificateur=self.certif_pro, date=jours_ouvres.ajouter(today, 80), lieu="Visioconférence"
        )
        branch_meeting = ReunionInstance(certificateur=branch, date=jours_ouvres.ajouter(today, 25), lieu="CPNE, Paris")
        db.session.add_all([meeting, later, branch_meeting])
        db.session.flush()
        campagnes = {
            (c.certificateur_id, c.certification): c
            for c in db.session.execute(
                select(CampagneHabilitation).where(CampagneHabilitation.debut <= today)
            ).scalars()
        }
        for dossier, reunion in ((rennes, meeting), (montpellier, branch_meeting)):
            remplir_dossier(dossier)
            dossier.date_depot = dossier.date_demande
            dossier.campagne = campagnes[(dossier.certificateurs[0].id, "clea")]
            dossier.reunion = reunion
        # Refused, with a recourse running.
        remplir_dossier(nantes)
        nantes.date_depot = nantes.date_demande
        nantes.campagne = campagnes[(self.certif_pro.id, "clea")]
        nantes.decide_le = datetime.datetime.combine(today - datetime.timedelta(days=12), datetime.time(10))
        nantes.notifie_le = today - datetime.timedelta(days=10)
        nantes.etat = regles.RECOURS_DEPOSE
        nantes.recours_le = today - datetime.timedelta(days=2)
        nantes.recours_note = (
            "Les CV des évaluateurs étaient joints au dossier (pièces 3 et 4) : nous demandons un réexamen."
        )
        nantes.reunion = later
        # A draft of org.admin's organisation, for CléA numérique.
        draft = DemandeHabilitation(
            organisme_id=self.etabs["A1-2"].organisme_id,
            certification="clea_numerique",
            type="initiale",
            date_demande=today - datetime.timedelta(days=2),
            etat=regles.BROUILLON,
            type_candidature="individuelle",
            motivation="Étendre notre offre CléA au numérique.",
        )
        draft.etablissements = [self.etabs["A1-2"]]
        draft.certificateurs = [self.certif_pro]
        # In instruction, with a request for corrections (network B, CléA numérique).
        complement = DemandeHabilitation(
            organisme_id=self.etabs["B1-1"].organisme_id,
            certification="clea_numerique",
            type="initiale",
            date_demande=today - datetime.timedelta(days=15),
            date_depot=today - datetime.timedelta(days=15),
            instruction_le=today - datetime.timedelta(days=8),
            complement_le=today - datetime.timedelta(days=6),
            etat=regles.COMPLEMENT_DEMANDE,
        )
        complement.etablissements = [self.etabs["B1-2"]]
        complement.certificateurs = [self.certif_pro]
        complement.campagne = campagnes[(self.certif_pro.id, "clea_numerique")]
        complement.reunion = meeting
        remplir_dossier(complement)
        db.session.add_all([draft, complement])
        db.session.flush()
        db.session.add(
            MessageDossier(
                dossier_id=complement.id,
                cote="instance",
                texte="Merci de préciser les conditions de l'évaluation à distance du domaine 2.",
            )
        )
        self.created += 6

    def users(self):
        roles = {r.name: r for r in db.session.execute(select(Role)).scalars()}
        specs = [
            ("certifpro", access.CERTIF_PRO, "Anne", "Lefèvre", {}),
            ("certif.idf", access.CERTIFICATEUR, "Paul", "Moreau", {"certificateur": self.tp["Île-de-France"]}),
            ("jury.idf", access.MEMBRE_JURY, "Inès", "Garnier", {"certificateur": self.tp["Île-de-France"]}),
            ("branche.commerce", access.CERTIFICATEUR, "Hugo", "Faure", {"certificateur": self.branches[0]}),
            ("reseau.admin", access.ADMIN_RESEAU, "Claire", "Martin", {"reseau": self.reseau_a}),
            ("reseau.superviseur", access.SUPERVISEUR_RESEAU, "Julien", "Petit", {"reseau": self.reseau_a}),
            ("org.admin", access.ADMIN_ORGANISME, "Sophie", "Durand", {"organisme": self.orgs["A1"]}),
            ("org.user", access.UTILISATEUR_ORGANISME, "Thomas", "Robert", {"organisme": self.orgs["A1"]}),
            ("etab.admin", access.ADMIN_ETABLISSEMENT, "Léa", "Richard", {"etablissement": self.etabs["A1-1"]}),
            ("etab.user", access.UTILISATEUR_ETABLISSEMENT, "Hugo", "Dubois", {"etablissement": self.etabs["A1-1"]}),
            ("reseau2.admin", access.ADMIN_RESEAU, "Karim", "Roux", {"reseau": self.reseau_b}),
            ("org2.admin", access.ADMIN_ORGANISME, "Nadia", "Blanc", {"organisme": self.orgs["B1"]}),
            ("etab2.user", access.UTILISATEUR_ETABLISSEMENT, "Marc", "Girard", {"etablissement": self.etabs["B1-1"]}),
        ]
        password = hash_password(DEMO_PASSWORD)
        for login, profile, first, last, attachment in specs:
            if db.session.execute(select(Utilisateur).where(Utilisateur.username == login)).first():
                continue
            user = Utilisateur(
                username=login,
                first_name=first,
                last_name=last,
                email=f"{login}@demo.clea.example",
                active=True,
                password=password,
                **attachment,
            )
            user.roles = [roles[profile]]
            db.session.add(user)
            self.created += 1

    def candidatures(self):
        """Files in every status, in both networks (api.md)."""
        from app.domain import statuts
        from app.models import Candidature
        from app.services.candidatures import cle_personne, nom_recherche, sans_accents

        today = datetime.date.today()
        people = [
            ("Moreau", "Camille"),
            ("Lambert", "Yanis"),
            ("Fontaine", "Inès"),
            ("Chevalier", "Lucas"),
            ("Robin", "Manon"),
            ("Gauthier", "Nathan"),
            ("Perrin", "Chloé"),
            ("Morel", "Hugo"),
            ("Mercier", "Jade"),
            ("Blanchard", "Théo"),
        ]
        sites = [
            (self.etabs["A1-1"], self.tp["Île-de-France"]),
            (self.etabs["B1-1"], self.tp["Provence-Alpes-Côte d'Azur"]),
        ]
        n = 0
        for s_index, (etab, certificateur) in enumerate(sites):
            for p_index, statut in enumerate(statuts.STATUTS):
                n += 1
                nom, prenom = people[p_index]
                prenom = prenom if s_index == 0 else prenom + "-Marie"
                naissance = datetime.date(1970 + p_index * 3, 1 + s_index * 5, 10 + p_index)
                sent = statut in statuts.CHEZ_CERTIFICATEUR
                self.get_or_create(
                    Candidature,
                    {"numero_dossier": f"{2026000000 + n}"},
                    etablissement_id=etab.id,
                    organisme_id=etab.organisme_id,
                    certification="clea",
                    statut_inscription="Demandeur d'emploi",
                    niveau_formation="Niveau 3 – CAP, BEP (ancien niveau V)",
                    financeur_principal="CPF",
                    civilite="Madame" if p_index % 2 else "Monsieur",
                    nom_naissance=nom,
                    prenom=prenom,
                    date_naissance=naissance,
                    ville_naissance=etab.ville,
                    code_postal_naissance=etab.code_postal,
                    email=f"{sans_accents(prenom).lower()}.{sans_accents(nom).lower()}@exemple.fr".replace(" ", "-"),
                    objectifs_professionnels="Valider mes compétences de base pour accéder à un poste "
                    "qualifié dans la logistique.",
                    statut=statut,
                    cle_personne=cle_personne(nom, prenom, naissance),
                    nom_recherche=nom_recherche(nom, prenom),
                    date_evaluation_prealable=(
                        None if statut == statuts.ATTENTE_EVALUATION_PREALABLE else today - datetime.timedelta(days=90)
                    ),
                    certificateur_id=certificateur.id if sent else None,
                    date_envoi_certification=(
                        datetime.datetime.combine(today - datetime.timedelta(days=20), datetime.time(9))
                        if sent
                        else None
                    ),
                    statut_avant_abandon=(statuts.ATTENTE_EVALUATION_FINALE if statut == statuts.ABANDONNEE else None),
                    motif_abandon="Abandon du candidat" if statut == statuts.ABANDONNEE else None,
                    date_abandon=(
                        datetime.datetime.combine(today - datetime.timedelta(days=5), datetime.time(9))
                        if statut == statuts.ABANDONNEE
                        else None
                    ),
                )

    def evaluations(self):
        """Every file past the évaluation préalable has it, finalised, with its completed matrix: not validated
        (three sub-domains missing) for files waiting for their final evaluation, validated for the others."""
        from app.domain import statuts
        from app.exports.matrice import matrice_xlsx
        from app.models import Candidature
        from app.models.evaluations import FINALISEE, NON_VALIDE, VALIDE, Evaluation, ResultatEvaluation
        from app.services import documents
        from app.services.evaluations import sous_domaines, synthese

        missing = {"2.4", "2.5", "7.4"}
        files = (
            db.session.execute(
                select(Candidature)
                .where(Candidature.numero_dossier.like("2026%"), Candidature.date_evaluation_prealable.isnot(None))
                .order_by(Candidature.id)
            )
            .scalars()
            .all()
        )
        for candidature in files:
            if db.session.execute(select(Evaluation.id).where(Evaluation.candidature_id == candidature.id)).first():
                continue
            waiting = statuts.ATTENTE_EVALUATION_FINALE in (candidature.statut, candidature.statut_avant_abandon)
            evaluation = Evaluation(
                candidature_id=candidature.id,
                evaluateur_nom="Martin",
                evaluateur_prenom="Bernard",
                evaluateur_email="bernard.martin@evaluateur.exemple.fr",
                date_evaluation=candidature.date_evaluation_prealable,
                etat=FINALISEE,
                conclusion=(
                    "Préconisation de formation"
                    if waiting
                    else "Présentation du dossier devant le jury de certification"
                ),
                resultat=NON_VALIDE if waiting else VALIDE,
                finale=False,
                date_finalisation=datetime.datetime.combine(candidature.date_evaluation_prealable, datetime.time(17)),
            )
            evaluation.resultats = [
                ResultatEvaluation(sous_domaine_id=sd.id, acquis=not (waiting and sd.code in missing))
                for sd in sous_domaines(candidature)
            ]
            evaluation.synthese = synthese(evaluation)
            db.session.add(evaluation)
            db.session.flush()
            documents.joindre(
                candidature.id,
                f"matrice-evaluation-{candidature.numero_dossier}.xlsx",
                documents.EXTENSIONS[".xlsx"][1],
                matrice_xlsx(candidature),
                "evaluation",
                evaluation.id,
            )
            self.created += 1

    def jurys(self):
        """Each regional certifier of the demo files has a past and a coming session; files at the jury stage
        carry theirs, with the decision (and the certificate of the certified ones)."""
        from app.domain import statuts
        from app.models import Candidature
        from app.models.juries import DecisionJury, SessionJury
        from app.services.juries import delivrer_certificat

        today = datetime.date.today()
        decided = {
            statuts.CERTIFIEE: DecisionJury.CERTIFIEE,
            statuts.NON_CERTIFIEE: DecisionJury.NON_CERTIFIEE,
            statuts.ATTENTE_COMPLEMENT: DecisionJury.COMPLEMENT,
        }
        for region in ("Île-de-France", "Provence-Alpes-Côte d'Azur"):
            certificateur = self.tp[region]
            past = self.get_or_create(
                SessionJury,
                {"certificateur_id": certificateur.id, "libelle": "Jury - session passée - Certifications CLEA"},
                date=datetime.datetime.combine(today - datetime.timedelta(days=30), datetime.time(9)),
            )
            self.get_or_create(
                SessionJury,
                {"certificateur_id": certificateur.id, "libelle": "Jury - prochaine session - Certifications CLEA"},
                date=datetime.datetime.combine(today + datetime.timedelta(days=30), datetime.time(9)),
            )
            files = (
                db.session.execute(
                    select(Candidature).where(
                        Candidature.certificateur_id == certificateur.id,
                        Candidature.numero_dossier.like("2026%"),
                        Candidature.statut.in_(tuple(decided) + (statuts.ATTENTE_CERTIFICATION,)),
                        Candidature.session_jury_id.is_(None),
                    )
                )
                .scalars()
                .all()
            )
            for candidature in files:
                candidature.session_jury_id = past.id
                if candidature.statut not in decided:
                    continue
                candidature.date_decision = past.date
                db.session.add(
                    DecisionJury(
                        candidature_id=candidature.id,
                        session_jury_id=past.id,
                        decision=decided[candidature.statut],
                        commentaire=(
                            "Joindre l'attestation de la formation suivie."
                            if candidature.statut == statuts.ATTENTE_COMPLEMENT
                            else None
                        ),
                    )
                )
                if candidature.statut == statuts.CERTIFIEE:
                    delivrer_certificat(candidature, past)
                self.created += 1

    def actualites(self):
        """One news item in force and one whose display has ended, written by Certif Pro."""
        from app.models.actualites import Actualite

        today = datetime.date.today()
        auteur = db.session.execute(select(Utilisateur).where(Utilisateur.username == "certifpro")).scalars().first()
        self.get_or_create(
            Actualite,
            {"titre": "Bienvenue sur la nouvelle Plateforme CléA"},
            contenu="La plateforme réunit désormais les demandes d'habilitation, les dossiers de candidature et "
            "les décisions des jurys.\nPensez à vérifier les coordonnées de vos établissements et de "
            "vos référents.",
            date_publication=today - datetime.timedelta(days=7),
            publiee=True,
            auteur_id=auteur.id if auteur else None,
        )
        self.get_or_create(
            Actualite,
            {"titre": "Maintenance de la plateforme"},
            contenu="La plateforme a été indisponible pendant une heure pour une opération de maintenance.",
            date_publication=today - datetime.timedelta(days=60),
            date_fin=today - datetime.timedelta(days=50),
            publiee=True,
            auteur_id=auteur.id if auteur else None,
        )


def load_demo() -> int:
    loader = Loader()
    loader.certificateurs()
    loader.structures()
    loader.habilitations()
    loader.users()
    loader.actualites()
    loader.candidatures()
    loader.evaluations()
    loader.jurys()
    db.session.commit()
    return loader.created


# The smallest PDF the documents' rules accept (its signature).
PDF_MINIMAL = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def remplir_dossier(dossier, cv: bool = True) -> None:
    """Every answer of the cadre de réponse (a complete dossier, ready to deposit): demo data and tests."""
    from app.models.habilitations import PieceDossier
    from app.services import dossiers as service

    organisme = dossier.organisme or db.session.get(Organisme, dossier.organisme_id)
    dossier.organisme = organisme
    service._prefill(dossier, organisme)
    dossier.type_candidature = dossier.type_candidature or "individuelle"
    dossier.activite_principale = "Formation continue pour adultes"
    dossier.date_creation = datetime.date(2005, 3, 1)
    dossier.effectif = 24
    year = datetime.date.today().year
    dossier.chiffres_affaires = [{"annee": year - i, "montant": 800000 + 10000 * i} for i in (1, 2, 3)]
    dossier.contact_telephone = "01 23 45 67 89"
    dossier.label_qualite = "qualiopi"
    dossier.couverture = "regionale"
    dossier.regions = ["Île-de-France"]
    dossier.motivation = "Accompagner les salariés peu qualifiés de nos clients vers la certification CléA."
    dossier.promotion = "Information des entreprises adhérentes, réunions d'information mensuelles, site internet."
    dossier.processus_evaluation = "Positionnement, évaluation préalable, parcours de formation, évaluation finale."
    dossier.accompagnement = "Un référent par candidat, entretien de restitution après chaque évaluation."
    referentiel = service.sous_domaines(dossier.certification)
    dossier.modalites = [
        {"sous_domaine": sd.code, "modalite": "Mise en situation reconstituée"} for _, sds in referentiel for sd in sds
    ]
    dossier.sequences = [
        {
            "sous_domaine": sds[0].code,
            "mode": "presentiel",
            "outils": "Dossier papier",
            "consignes": "Consignes lues au candidat",
            "duree": "45 min",
            "ressources": "Salle équipée",
            "roles": "Evaluateur",
        }
        for _, sds in referentiel
    ]
    dossier.intervenants = [
        {
            "nom": "Bernard",
            "prenom": "Alice",
            "role": "Evaluatrice",
            "qualification": "Formatrice d'adultes (titre FPA)",
        }
    ]
    dossier.references = "Plus de 300 parcours CléA accompagnés depuis 2016."
    dossier.engagement_lu = True
    dossier.engagement_signataire = "Sophie Durand"
    dossier.engagement_qualite = "Directrice"
    dossier.engagement_lieu = organisme.ville
    dossier.engagement_date = datetime.date.today()
    db.session.add(dossier)
    db.session.flush()
    if cv:
        db.session.add(
            PieceDossier(
                dossier_id=dossier.id,
                nature="cv",
                nom="cv-alice-bernard.pdf",
                type_mime="application/pdf",
                taille=len(PDF_MINIMAL) + dossier.id,
                sha256=f"{dossier.id:064d}",
                contenu=PDF_MINIMAL + b" " * dossier.id,
            )
        )
        db.session.flush()
