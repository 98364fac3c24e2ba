"""`flask --app run clea bench-data --fichiers N`: a national-shaped data set for the benchmark (bench/).

The structures (networks, organisations, establishments, their habilitations and users) are a few thousand rows
built here; everything that scales with the number of files — files, evaluations and their results, trainings,
jury sessions and decisions, certificates, notifications, audit lines — is written by set-based SQL
(`INSERT … SELECT` over a series of numbers), so a million files take minutes on PostgreSQL. SQLite gets the
same rows through a recursive series (slower, but the tests use it for small sets).

Generated files are told apart by their number: real numbers never start with 0 (`_nouveau_numero`), generated
ones always do. A share of everything lies under the demo network A (and A1, A1-1), so that the demo accounts
have national-sized perimeters.
"""

import datetime
import hashlib

from sqlalchemy import func, insert, select, text

from app.demo import luhn_complete
from app.domain import access, statuts
from app.domain.regions import REGIONS
from app.extensions import db
from app.models import Certificateur, DemandeHabilitation, Etablissement, Organisme, Reseau, Utilisateur
from app.models.habilitations import demande_certificateur, demande_etablissement
from app.models.referentiels import Domaine, Referentiel, SousDomaine

# Accented names on purpose: the list's name search must find « Lefèvre » when typed « lefevre ».
NOMS = [
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau", "Laurent",
    "Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David", "Bertrand", "Morel", "Fournier", "Girard",
    "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent", "Müller", "Lefebvre", "Faure", "André",
    "Mercier", "Blanc", "Guérin", "Boyer", "Garnier", "Chevalier", "François", "Legrand", "Gauthier", "Garcia",
    "Perrin", "Robin", "Clément", "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Gautier", "Masson",
    "Marchand", "Duval", "Denis", "Dumont", "Marie", "Lemaire", "Noël", "Meyer", "Dufour", "Meunier",
    "Brun", "Blanchard", "Giraud", "Joly", "Rivière", "Lucas", "Brunet", "Gaillard", "Barbier", "Arnaud",
    "Martinez", "Gérard", "Roche", "Renard", "Schmitt", "Roy", "Leroux", "Colin", "Vidal", "Caron",
    "Picard", "Roger", "Fabre", "Aubert", "Lemoine", "Renaud", "Dumas", "Lacroix", "Olivier", "Philippe",
    "Bourgeois", "Pierre", "Benoît", "Rey", "Leclerc", "Payet", "Rolland", "Leclercq", "Guillaume", "Lecomte",
]  # fmt: skip
PRENOMS = [
    "Camille", "Léa", "Manon", "Chloé", "Inès", "Jade", "Louise", "Emma", "Zoé", "Lina",
    "Lucas", "Hugo", "Nathan", "Théo", "Yanis", "Enzo", "Louis", "Gabriel", "Jules", "Adam",
    "Sarah", "Anaïs", "Clara", "Mathilde", "Océane", "Pauline", "Julie", "Marion", "Laura", "Célia",
    "Thomas", "Maxime", "Antoine", "Quentin", "Alexandre", "Kévin", "Romain", "Nicolas", "Julien", "Clément",
    "Nadia", "Fatima", "Amina", "Sofia", "Yasmine", "Karim", "Mehdi", "Rayan", "Bilal", "Sami",
    "Élodie", "Aurélie", "Émilie", "Stéphanie", "Sandrine", "Nathalie", "Isabelle", "Sylvie", "Christine", "Valérie",
    "Jérôme", "Stéphane", "Sébastien", "Frédéric", "Olivier", "Laurent", "Éric", "David", "Christophe", "Pascal",
    "Noémie", "Margaux", "Justine", "Lucie", "Agathe", "Apolline", "Constance", "Héloïse", "Capucine", "Ambre",
    "Mathis", "Noah", "Ethan", "Timéo", "Aaron", "Sacha", "Axel", "Paul", "Victor", "Martin",
    "Rose", "Alice", "Juliette", "Anna", "Romane", "Eva", "Léna", "Margot", "Nina", "Lou",
]  # fmt: skip
VILLES = [
    ("Paris", "75012"), ("Marseille", "13004"), ("Lyon", "69007"), ("Toulouse", "31000"), ("Nice", "06000"),
    ("Nantes", "44000"), ("Strasbourg", "67000"), ("Montpellier", "34000"), ("Bordeaux", "33000"), ("Lille", "59000"),
    ("Rennes", "35000"), ("Reims", "51100"), ("Le Havre", "76600"), ("Saint-Étienne", "42000"), ("Toulon", "83000"),
    ("Grenoble", "38000"), ("Dijon", "21000"), ("Angers", "49000"), ("Nîmes", "30000"), ("Saint-Denis", "97400"),
]  # fmt: skip

# Share of files per status, in % (sums to 100): a national base is mostly finished or waiting for evaluation.
REPARTITION = [
    (statuts.ATTENTE_EVALUATION_PREALABLE, 22),
    (statuts.ATTENTE_EVALUATION_FINALE, 18),
    (statuts.A_ENVOYER_CERTIFICATION, 5),
    (statuts.ATTENTE_JURY, 6),
    (statuts.ATTENTE_CERTIFICATION, 3),
    (statuts.ATTENTE_COMPLEMENT, 1),
    (statuts.CANDIDATURE_COMPLETEE, 1),
    (statuts.CERTIFIEE, 32),
    (statuts.NON_CERTIFIEE, 4),
    (statuts.ABANDONNEE, 8),
]
PREFIXE = "0"  # generated file numbers: "0" + 9 digits (real ones never start with 0)
MOT_DE_PASSE = "Clea-bench-2026!"


class DonneesReelles(Exception):
    """The database holds files that this command did not generate."""


def _sans_accents(text_: str) -> str:
    from app.services.candidatures import sans_accents

    return sans_accents(text_)


class Generateur:
    def __init__(self, fichiers: int, echo=print):
        self.n = fichiers
        self.echo = echo
        self.pg = db.engine.dialect.name == "postgresql"
        self.now = datetime.datetime.now().replace(microsecond=0)
        # Structures scale with the files up to a national size.
        self.nb_etablissements = max(10, min(5000, fichiers // 200))
        self.nb_organismes = max(4, min(1500, self.nb_etablissements * 3 // 10))
        self.nb_reseaux = max(2, min(100, self.nb_organismes // 15))

    # --- SQL helpers -------------------------------------------------------------------------------------
    def _series(self, count: int) -> tuple[str, str]:
        """(WITH clause, FROM item) giving i = 1..count."""
        if self.pg:
            return "", f"generate_series(1::bigint, {int(count)}) AS s(i)"
        return f"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {int(count)}) ", "s"

    def _pad9(self, number: str) -> str:
        if self.pg:
            return f"lpad(CAST({number} AS TEXT), 9, '0')"
        return f"substr('000000000' || {number}, -9, 9)"

    def _minutes_ago(self, minutes: str) -> str:
        base = self.now.strftime("%Y-%m-%d %H:%M:%S")
        if self.pg:
            return f"(TIMESTAMP '{base}' - ({minutes}) * INTERVAL '1 minute')"
        return f"datetime('{base}', '-' || ({minutes}) || ' minutes')"

    def _day(self, base: datetime.date, days: str) -> str:
        if self.pg:
            return f"(DATE '{base.isoformat()}' + ({days})::int)"
        return f"date('{base.isoformat()}', '+' || ({days}) || ' days')"

    def _values(self, rows: list[tuple]) -> str:
        def literal(value):
            if isinstance(value, int):
                return str(value)
            return "'" + str(value).replace("'", "''") + "'"

        return ", ".join("(" + ", ".join(literal(v) for v in row) + ")" for row in rows)

    def _sql(self, statement: str, **params) -> int:
        result = db.session.execute(text(statement), params)
        return result.rowcount or 0

    # --- checks ------------------------------------------------------------------------------------------
    def verifier(self, force: bool) -> None:
        from app.models import Candidature

        autres = db.session.execute(
            select(func.count())
            .select_from(Candidature)
            .where(~Candidature.numero_dossier.like(PREFIXE + "%"), ~Candidature.numero_dossier.like("20260000%"))
        ).scalar()
        if autres and not force:
            raise DonneesReelles(
                f"Cette base contient {autres} dossier(s) qui ne sont ni de démonstration ni générés : "
                "elle n'est pas faite pour le banc d'essai. Utilisez une base dédiée, ou --force."
            )

    # --- structures --------------------------------------------------------------------------------------
    def structures(self) -> None:
        reseau_a = db.session.execute(select(Reseau).where(Reseau.nom.like("Réseau A%"))).scalar_one()
        self.lot = (
            db.session.execute(
                select(func.count()).select_from(Reseau).where(Reseau.nom.like("Réseau national%"))
            ).scalar()
            or 0
        )
        lot = self.lot  # a second run adds a new batch beside the first
        reseaux = [
            {
                "nom": f"Réseau national {lot:02d}-{k:03d}",
                "responsable_nom": NOMS[k % len(NOMS)],
                "responsable_prenom": PRENOMS[k % len(PRENOMS)],
                "responsable_email": f"responsable.{lot}.{k}@reseau.bench.example",
            }
            for k in range(1, self.nb_reseaux + 1)
        ]
        db.session.execute(insert(Reseau), reseaux)
        reseau_ids = list(
            db.session.execute(
                select(Reseau.id).where(Reseau.nom.like(f"Réseau national {lot:02d}-%")).order_by(Reseau.id)
            ).scalars()
        )
        organismes = []
        for k in range(1, self.nb_organismes + 1):
            # One organisation in 20 joins the demo network A; one in 10 belongs to no network.
            reseau_id = reseau_a.id if k % 20 == 0 else (None if k % 10 == 5 else reseau_ids[k % len(reseau_ids)])
            ville, cp = VILLES[k % len(VILLES)]
            siren = luhn_complete(f"{(lot * 100000 + k) % 100000000 + 10000000:08d}")
            organismes.append(
                {
                    "reseau_id": reseau_id,
                    "siren": siren,
                    "nom": f"Organisme {NOMS[k % len(NOMS)]} Formation {lot:02d}-{k:04d}",
                    "adresse": f"{k} rue de la Formation",
                    "ville": ville,
                    "code_postal": cp,
                    "contact_nom": NOMS[(k * 7) % len(NOMS)],
                    "contact_prenom": PRENOMS[(k * 3) % len(PRENOMS)],
                    "contact_email": f"contact.{lot}.{k}@of.bench.example",
                    "email_facturation": f"compta.{lot}.{k}@of.bench.example",
                    "code_naf": "85.59A",
                    "qualiopi": True,
                }
            )
        db.session.execute(insert(Organisme), organismes)
        orgs = db.session.execute(
            select(Organisme.id, Organisme.siren)
            .where(Organisme.nom.like(f"Organisme % Formation {lot:02d}-%"))
            .order_by(Organisme.id)
        ).all()
        etabs = []
        for k in range(1, self.nb_etablissements + 1):
            org_id, siren = orgs[k % len(orgs)]
            ville, cp = VILLES[k % len(VILLES)]
            etabs.append(
                {
                    "organisme_id": org_id,
                    "nom": f"Site {ville} {lot:02d}-{k:04d}",
                    "siret": luhn_complete(f"{siren}{k // len(orgs) + 1:04d}"),
                    "referent_nom": NOMS[(k * 11) % len(NOMS)],
                    "referent_prenom": PRENOMS[(k * 13) % len(PRENOMS)],
                    "referent_email": f"referent.{lot}.{k}@of.bench.example",
                    "public_nom": "Accueil",
                    "public_prenom": "CléA",
                    "public_email": f"clea.{lot}.{k}@of.bench.example",
                    "public_telephone": "01 23 45 67 89",
                    "adresse": f"{k} avenue des Compétences",
                    "ville": ville,
                    "code_postal": cp,
                    "region": REGIONS[k % len(REGIONS)],
                }
            )
        db.session.execute(insert(Etablissement), etabs)
        self.etablissements = db.session.execute(
            select(Etablissement.id, Etablissement.organisme_id, Etablissement.region)
            .where(Etablissement.nom.like(f"Site % {lot:02d}-%"))
            .order_by(Etablissement.id)
        ).all()
        # The demo's own establishments of network A take their share too (A1-1 the biggest).
        demo = db.session.execute(
            select(Etablissement.id, Etablissement.organisme_id, Etablissement.region)
            .join(Organisme)
            .where(Organisme.reseau_id == reseau_a.id, ~Etablissement.nom.like("Site %"))
            .order_by(Etablissement.id)
        ).all()
        self.demo_etablissements = demo
        self.echo(
            f"{len(reseaux)} réseaux, {len(organismes)} organismes, {len(etabs)} établissements "
            f"(dont {sum(1 for o in organismes if o['reseau_id'] == reseau_a.id)} organismes dans le réseau A)."
        )

    def habilitations(self) -> None:
        certif_pro = db.session.execute(
            select(Certificateur.id).where(Certificateur.type == Certificateur.CERTIF_PRO)
        ).scalar_one()
        debut = datetime.date.today() - datetime.timedelta(days=200)
        from app.domain.habilitations import date_fin

        by_org: dict[int, list[int]] = {}
        for etab_id, org_id, _region in self.etablissements:
            by_org.setdefault(org_id, []).append(etab_id)
        db.session.execute(
            insert(DemandeHabilitation),
            [
                {
                    "organisme_id": org_id,
                    "certification": "clea",
                    "type": DemandeHabilitation.INITIALE,
                    "date_demande": debut - datetime.timedelta(days=20),
                    "etat": DemandeHabilitation.VALIDEE,
                    "statut_habilitation": "active",
                    "date_debut": debut,
                    "date_fin": date_fin(debut),
                    "decide_le": datetime.datetime.combine(debut, datetime.time(10)),
                }
                for org_id in by_org
            ],
        )
        demandes = dict(
            db.session.execute(
                select(DemandeHabilitation.organisme_id, DemandeHabilitation.id).where(
                    DemandeHabilitation.organisme_id.in_(list(by_org)), DemandeHabilitation.date_debut == debut
                )
            ).all()
        )
        db.session.execute(
            insert(demande_etablissement),
            [{"demande_id": demandes[o], "etablissement_id": e} for o, ids in by_org.items() for e in ids],
        )
        db.session.execute(
            insert(demande_certificateur),
            [{"demande_id": d, "certificateur_id": certif_pro} for d in demandes.values()],
        )

    def utilisateurs(self) -> None:
        """One user per generated establishment (those the notifications go to, beside the demo accounts)."""
        from flask_appbuilder.security.sqla.models import Role, assoc_user_role

        from app.services.users import hash_password

        role = db.session.execute(select(Role.id).where(Role.name == access.UTILISATEUR_ETABLISSEMENT)).scalar_one()
        password = hash_password(MOT_DE_PASSE)
        lot = self.lot
        db.session.execute(
            insert(Utilisateur),
            [
                {
                    "username": f"bench.{lot}.{k}",
                    "first_name": PRENOMS[k % len(PRENOMS)],
                    "last_name": NOMS[(k * 7) % len(NOMS)],
                    "email": f"bench.{lot}.{k}@of.bench.example",
                    "active": True,
                    "password": password,
                    "etablissement_id": etab_id,
                    "created_on": self.now,
                    "changed_on": self.now,
                }
                for k, (etab_id, _o, _r) in enumerate(self.etablissements, start=1)
            ],
        )
        ids = db.session.execute(select(Utilisateur.id).where(Utilisateur.username.like(f"bench.{lot}.%"))).scalars()
        db.session.execute(insert(assoc_user_role), [{"user_id": u, "role_id": role} for u in ids])

    # --- files -------------------------------------------------------------------------------------------
    def candidatures(self) -> None:
        """N files: 1 in 10 under network A (of which 1 in 4 in A1-1), the rest over the generated sites."""
        tp = dict(
            db.session.execute(
                select(Certificateur.region, Certificateur.id).where(
                    Certificateur.type == Certificateur.TRANSITIONS_PRO
                )
            ).all()
        )
        sites = [(k, e, o, tp[r]) for k, (e, o, r) in enumerate(self.etablissements)]
        demo = [(k, e, o, tp[r]) for k, (e, o, r) in enumerate(self.demo_etablissements)]
        db.session.execute(text("CREATE TEMPORARY TABLE bench_site (k INTEGER, etab INTEGER, org INTEGER, tp INTEGER)"))
        db.session.execute(text("CREATE TEMPORARY TABLE bench_demo (k INTEGER, etab INTEGER, org INTEGER, tp INTEGER)"))
        db.session.execute(text(f"INSERT INTO bench_site VALUES {self._values(sites)}"))
        db.session.execute(text(f"INSERT INTO bench_demo VALUES {self._values(demo)}"))
        db.session.execute(text("CREATE TEMPORARY TABLE bench_nom (k INTEGER, nom VARCHAR(100), plain VARCHAR(100))"))
        db.session.execute(
            text("CREATE TEMPORARY TABLE bench_prenom (k INTEGER, nom VARCHAR(100), plain VARCHAR(100))")
        )
        db.session.execute(
            text(f"INSERT INTO bench_nom VALUES {self._values([(k, n, _sans_accents(n)) for k, n in enumerate(NOMS)])}")
        )
        db.session.execute(
            text(
                "INSERT INTO bench_prenom VALUES "
                + self._values([(k, n, _sans_accents(n)) for k, n in enumerate(PRENOMS)])
            )
        )
        db.session.execute(text("CREATE TEMPORARY TABLE bench_ville (k INTEGER, ville VARCHAR(100), cp VARCHAR(5))"))
        db.session.execute(
            text(f"INSERT INTO bench_ville VALUES {self._values([(k, v, c) for k, (v, c) in enumerate(VILLES)])}")
        )
        # status by bucket of 100
        buckets, start = [], 0
        for statut, share in REPARTITION:
            buckets.append((start, start + share, statut))
            start += share
        db.session.execute(text("CREATE TEMPORARY TABLE bench_statut (lo INTEGER, hi INTEGER, statut VARCHAR(40))"))
        db.session.execute(text(f"INSERT INTO bench_statut VALUES {self._values(buckets)}"))

        offset = self._premier_numero()
        nb_sites, nb_demo = len(sites), max(1, len(demo))
        chez = ", ".join(f"'{s}'" for s in statuts.CHEZ_CERTIFICATEUR)
        avant_prealable = f"'{statuts.ATTENTE_EVALUATION_PREALABLE}'"
        decides = f"'{statuts.CERTIFIEE}', '{statuts.NON_CERTIFIEE}', '{statuts.ATTENTE_COMPLEMENT}'"
        with_, from_ = self._series(self.n)
        # i → j = offset + i: names by mixed radix (100 × 100 × day), so (name, first name, birth date) is unique.
        j = f"(i + {offset})"
        dob = self._day(datetime.date(1960, 1, 1), f"(({j} / 10000) * 173) % 16000")
        created_minutes = f"(({j} * 7919) % 1500000)"  # spread over ~3 years
        updated_minutes = f"(({j} * 7919) % 1500000) * 3 / 4"
        self._sql(
            f"""{with_}INSERT INTO candidature (
                numero_dossier, etablissement_id, organisme_id, certification, statut_inscription,
                socle_contextualise, niveau_formation, financeur_principal, civilite, nom_naissance, prenom,
                date_naissance, ne_etranger, ne_outre_mer, ville_naissance, code_postal_naissance, email,
                certificat_papier, statut, actif, date_envoi_certification, date_evaluation_prealable,
                certificateur_id, date_decision, motif_abandon, statut_avant_abandon, date_abandon,
                cle_personne, nom_recherche, version, created_at, updated_at)
            SELECT
                '{PREFIXE}' || {self._pad9(j)}, site.etab, site.org, 'clea', 'Demandeur d''emploi',
                false, 'Niveau 3 – CAP, BEP (ancien niveau V)', 'CPF',
                CASE WHEN {j} % 2 = 0 THEN 'Madame' ELSE 'Monsieur' END, n.nom, p.nom,
                {dob}, false, false, v.ville, v.cp,
                lower(p.plain) || '.' || lower(n.plain) || '.' || {j} || '@exemple.fr',
                false, st.statut, true,
                CASE WHEN st.statut IN ({chez}) THEN {self._minutes_ago(f"{updated_minutes} + 1440")} END,
                CASE WHEN st.statut <> {avant_prealable} THEN {self._day(datetime.date(2023, 1, 1), f"{j} % 1000")} END,
                CASE WHEN st.statut IN ({chez}) THEN site.tp END,
                CASE WHEN st.statut IN ({decides})
                     THEN {self._minutes_ago(updated_minutes)} END,
                CASE WHEN st.statut = '{statuts.ABANDONNEE}' THEN 'Abandon du candidat' END,
                CASE WHEN st.statut = '{statuts.ABANDONNEE}' THEN '{statuts.ATTENTE_EVALUATION_FINALE}' END,
                CASE WHEN st.statut = '{statuts.ABANDONNEE}' THEN {self._minutes_ago(updated_minutes)} END,
                n.plain || '|' || p.plain || '|' || {dob}, n.plain || ' ' || p.plain, 1,
                {self._minutes_ago(created_minutes)}, {self._minutes_ago(updated_minutes)}
            FROM {from_}
            JOIN bench_nom n ON n.k = {j} % 100
            JOIN bench_prenom p ON p.k = ({j} / 100) % 100
            JOIN bench_ville v ON v.k = ({j} / 7) % {len(VILLES)}
            JOIN bench_statut st ON st.lo <= ({j} * 37) % 100 AND ({j} * 37) % 100 < st.hi
            JOIN (SELECT k, etab, org, tp, 0 AS demo FROM bench_site
                  UNION ALL SELECT k, etab, org, tp, 1 AS demo FROM bench_demo) site
              ON (CASE WHEN {j} % 10 = 3 THEN 1 ELSE 0 END) = site.demo
             AND site.k = CASE WHEN {j} % 10 = 3
                               THEN (CASE WHEN {j} % 40 = 3 THEN 0 ELSE ({j} / 10) % {nb_demo} END)
                               ELSE ({j} * 13) % {nb_sites} END
            """
        )
        self.premier, self.dernier = offset + 1, offset + self.n
        self.echo(f"{self.n} dossiers de candidature.")

    def _premier_numero(self) -> int:
        from app.models import Candidature

        last = db.session.execute(
            select(func.max(Candidature.numero_dossier)).where(Candidature.numero_dossier.like(PREFIXE + "%"))
        ).scalar()
        return int(last) if last else 0

    def _generes(self) -> str:
        lo = f"{PREFIXE}{self.premier:09d}"
        hi = f"{PREFIXE}{self.dernier:09d}"
        return f"c.numero_dossier BETWEEN '{lo}' AND '{hi}'"

    def evaluations(self) -> None:
        """The évaluation préalable of every file past it (about 3 in 10 files keep their 28 results), trainings for
        the files that needed one."""
        sous_domaines = (
            db.session.execute(
                select(SousDomaine.id)
                .join(Domaine)
                .join(Referentiel)
                .where(Referentiel.certification == "clea")
                .order_by(SousDomaine.id)
            )
            .scalars()
            .all()
        )
        finale = f"c.statut = '{statuts.ATTENTE_EVALUATION_FINALE}' OR c.statut_avant_abandon IS NOT NULL"
        date_eval = "c.date_evaluation_prealable"
        self._sql(
            f"""INSERT INTO evaluation (candidature_id, evaluateur_nom, evaluateur_prenom, evaluateur_email,
                    date_evaluation, conclusion, etat, resultat, synthese, finale, date_finalisation, version,
                    created_at, updated_at)
                SELECT c.id, 'Martin', 'Bernard', 'bernard.martin@evaluateur.exemple.fr', {date_eval},
                    CASE WHEN {finale} THEN 'Préconisation de formation'
                         ELSE 'Présentation du dossier devant le jury de certification' END,
                    'finalisee', CASE WHEN {finale} THEN 'non_valide' ELSE 'valide' END,
                    CASE WHEN {finale} THEN '25 acquis, 3 non acquis' ELSE '{len(sous_domaines)} acquis' END,
                    false, c.created_at, 1, c.created_at, c.created_at
                FROM candidature c
                WHERE {self._generes()} AND c.date_evaluation_prealable IS NOT NULL AND c.id % 10 < 4"""
        )
        db.session.execute(text("CREATE TEMPORARY TABLE bench_sd (k INTEGER, sd INTEGER)"))
        db.session.execute(text(f"INSERT INTO bench_sd VALUES {self._values(list(enumerate(sous_domaines)))}"))
        self._sql(
            f"""INSERT INTO resultat_evaluation (evaluation_id, sous_domaine_id, acquis, acquis_anterieurement)
                SELECT e.id, sd.sd, CASE WHEN e.resultat = 'non_valide' AND sd.k < 3 THEN false ELSE true END, false
                FROM evaluation e JOIN candidature c ON c.id = e.candidature_id CROSS JOIN bench_sd sd
                WHERE {self._generes()}"""
        )
        self._sql(
            f"""INSERT INTO formation (candidature_id, date_debut, date_fin, duree_heures, formateur_nom,
                    formateur_prenom, formateur_email, created_at)
                SELECT c.id, c.date_evaluation_prealable, c.date_evaluation_prealable, 35, 'Petit', 'Julie',
                    'julie.petit@formateur.exemple.fr', c.updated_at
                FROM candidature c
                WHERE {self._generes()} AND c.statut = '{statuts.ATTENTE_EVALUATION_FINALE}' AND c.id % 3 = 0"""
        )
        counts = db.session.execute(
            text(
                "SELECT (SELECT count(*) FROM evaluation), (SELECT count(*) FROM resultat_evaluation), "
                "(SELECT count(*) FROM formation)"
            )
        ).one()
        self.echo(f"{counts[0]} évaluations, {counts[1]} résultats, {counts[2]} formations (base entière).")

    def jurys(self) -> None:
        """24 past and 2 coming sessions per regional certifier; files at the jury stage carry theirs, decided ones
        their decision, certified ones their certificate."""
        tps = (
            db.session.execute(select(Certificateur.id).where(Certificateur.type == Certificateur.TRANSITIONS_PRO))
            .scalars()
            .all()
        )
        rows = []
        for tp_id in tps:
            for m in range(-24, 2):
                when = datetime.datetime.combine(datetime.date.today(), datetime.time(14)) + datetime.timedelta(
                    days=30 * m + 15
                )
                rows.append((tp_id, when.strftime("%Y-%m-%d %H:%M:%S"), f"Jury bench {m:+d}"))
        db.session.execute(
            text("CREATE TEMPORARY TABLE bench_session (tp INTEGER, d VARCHAR(20), libelle VARCHAR(40))")
        )
        db.session.execute(text(f"INSERT INTO bench_session VALUES {self._values(rows)}"))
        cast = "CAST(b.d AS TIMESTAMP)" if self.pg else "b.d"
        self._sql(
            f"""INSERT INTO session_jury (certificateur_id, date, libelle, created_at)
                SELECT b.tp, {cast}, b.libelle, {cast} FROM bench_session b"""
        )
        # The session of a file: a coming one while it waits for it, a past one once decided.
        a_venir = f"'{statuts.ATTENTE_CERTIFICATION}'"
        decides = f"'{statuts.CERTIFIEE}', '{statuts.NON_CERTIFIEE}', '{statuts.ATTENTE_COMPLEMENT}'"
        self._sql(
            f"""UPDATE candidature SET session_jury_id = (
                    SELECT min(s.id) FROM session_jury s
                    WHERE s.certificateur_id = candidature.certificateur_id AND s.libelle = CASE
                        WHEN candidature.statut = {a_venir} THEN 'Jury bench +0'
                        ELSE 'Jury bench -' || (1 + candidature.id % 24) END)
                WHERE numero_dossier BETWEEN '{PREFIXE}{self.premier:09d}' AND '{PREFIXE}{self.dernier:09d}'
                  AND statut IN ({a_venir}, {decides})"""
        )
        self._sql(
            f"""INSERT INTO decision_jury (candidature_id, session_jury_id, decision, commentaire, created_at)
                SELECT c.id, c.session_jury_id, CASE c.statut WHEN '{statuts.CERTIFIEE}' THEN 'certifiee'
                    WHEN '{statuts.NON_CERTIFIEE}' THEN 'non_certifiee' ELSE 'complement' END,
                    CASE WHEN c.statut = '{statuts.ATTENTE_COMPLEMENT}' THEN 'Merci de joindre la matrice signée.' END,
                    c.date_decision
                FROM candidature c WHERE {self._generes()} AND c.statut IN ({decides})"""
        )
        self._sql(
            f"""INSERT INTO certificat (candidature_id, numero, session_jury_id, created_at)
                SELECT c.id, 'CLEA-B' || c.numero_dossier, c.session_jury_id, c.date_decision
                FROM candidature c WHERE {self._generes()} AND c.statut = '{statuts.CERTIFIEE}'"""
        )
        self.echo(f"{len(rows)} sessions de jury, décisions et certificats des dossiers jugés.")

    def notifications(self) -> None:
        """2 per file: the demo accounts get a big share (their bell counts), the rest goes to generated users."""
        users = (
            db.session.execute(
                select(Utilisateur.id).where(Utilisateur.username.like("bench.%")).order_by(Utilisateur.id)
            )
            .scalars()
            .all()
        )
        demo = (
            db.session.execute(
                select(Utilisateur.id).where(~Utilisateur.username.like("bench.%")).order_by(Utilisateur.id)
            )
            .scalars()
            .all()
        )
        db.session.execute(text("CREATE TEMPORARY TABLE bench_user (k INTEGER, u INTEGER, demo INTEGER)"))
        db.session.execute(
            text(
                "INSERT INTO bench_user VALUES "
                + self._values([(k, u, 0) for k, u in enumerate(users)] + [(k, u, 1) for k, u in enumerate(demo)])
            )
        )
        with_, from_ = self._series(2 * self.n)
        self._sql(
            f"""{with_}INSERT INTO notification (user_id, rubrique, titre, contenu, lien, lue, created_at)
                SELECT bu.u, 'Dossier de candidature', 'Dossier n°' || i || ' mis à jour',
                    'Le dossier de candidature a changé de statut.', NULL,
                    CASE WHEN i % 5 = 0 THEN false ELSE true END, {self._minutes_ago("(i * 4391) % 1500000")}
                FROM {from_}
                JOIN bench_user bu ON bu.demo = CASE WHEN i % 50 = 1 THEN 1 ELSE 0 END
                 AND bu.k = CASE WHEN i % 50 = 1 THEN (i / 50) % {max(1, len(demo))}
                                 ELSE i % {max(1, len(users))} END"""
        )
        self._sql(
            f"""INSERT INTO audit_log (created_at, user_id, user_name, action, libelle, entity_type, entity_id,
                    entity_label, etablissement_id, organisme_id)
                SELECT c.created_at, NULL, 'Banc d''essai', 'create', 'Création de la candidature', 'Candidature',
                    c.id, c.numero_dossier, c.etablissement_id, c.organisme_id
                FROM candidature c WHERE {self._generes()}"""
        )
        self.echo(f"{2 * self.n} notifications, {self.n} lignes du journal.")

    def run(self, force: bool = False, analyse: bool = True) -> None:
        if self.pg:
            # Statements of minutes on purpose: lift the request-sized limits (app/database.py) for this command.
            from psycopg2 import extensions

            extensions.set_wait_callback(None)
            db.session.execute(text("SET statement_timeout = 0"))
        self.verifier(force)
        self.structures()
        self.habilitations()
        self.utilisateurs()
        self.candidatures()
        self.evaluations()
        self.jurys()
        self.notifications()
        db.session.commit()
        from app.services.compteurs import compacter

        compacter()  # a million +1 rows from the trigger, folded into one per key
        db.session.commit()  # its last count's snapshot ends: VACUUM FULL below waits for every reader of the table
        if self.pg and analyse:
            # Statistics for the planner, and the visibility map that lets counts read the indexes alone.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("SET statement_timeout = 0"))
                connection.execute(text("VACUUM ANALYZE"))
                # The folded counters sit after a million deleted rows: VACUUM cannot give those pages back, and
                # every count would read them (68 MB, 14 ms a count). Rewritten, as a day of changes leaves them.
                connection.execute(text("VACUUM FULL ANALYZE compteur_candidature"))


def generer(fichiers: int, force: bool = False, echo=print) -> None:
    Generateur(fichiers, echo=echo).run(force=force)


def empreinte() -> str:
    """A short fingerprint of the generated set (the benchmark prints it with its figures)."""
    from app.models import Candidature

    count = db.session.execute(select(func.count()).select_from(Candidature)).scalar()
    return hashlib.sha256(str(count).encode()).hexdigest()[:8]
