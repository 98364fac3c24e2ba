"""« Télécharger la fiche candidat » (guide §14): the whole file as a French PDF — identity, establishment,
status and dates, evaluations with the acquired sub-domains, trainings, documents."""

from app.domain import statuts
from app.exports.pdf import Section, render
from app.formatting import date_fr, heures_fr, oui_non
from app.services import documents, donnees_personnelles, evaluations, formations


def fiche_pdf(candidature) -> bytes:
    c = candidature
    certification = c.certification_label
    identite = [
        ("Civilité", c.civilite),
        ("Nom de naissance", c.nom_naissance),
        ("Nom d'usage", c.nom_usage),
        ("Prénom", c.prenom),
        ("Date de naissance", date_fr(c.date_naissance)),
        ("Né à l'étranger", oui_non(c.ne_etranger)),
    ]
    if c.ne_etranger:
        identite.append(("Pays de naissance", c.pays_naissance))
    identite += [("Né en collectivité d'outre-mer", oui_non(c.ne_outre_mer)), ("Ville de naissance", c.ville_naissance)]
    if not c.ne_etranger:
        identite.append(("Code postal de naissance", c.code_postal_naissance))
    situation = [("Statut à l'inscription", c.statut_inscription)]
    if c.statut_inscription == "Salarié":
        situation += [
            ("Branche délégataire", c.branche),
            ("Socle contextualisé", oui_non(c.socle_contextualise)),
            ("Siren de l'employeur", c.siren_employeur),
        ]
    situation += [
        ("Type de public", c.type_public),
        ("Niveau de formation", c.niveau_formation),
        ("Financeur principal", c.financeur_principal),
        ("Origine de la démarche", c.origine_demarche),
        ("Objectifs de projet professionnel", c.objectifs_professionnels),
        ("Objectifs de projets extra-professionnels", c.objectifs_extra_professionnels),
    ]
    dossier = [
        ("Numéro de dossier", c.numero_dossier),
        ("Certification", certification),
        ("Statut de la candidature", statuts.label(c.statut)),
        ("Candidature créée le", date_fr(c.created_at)),
        ("Evaluation préalable du", date_fr(c.date_evaluation_prealable)),
        ("Envoyée en certification le", date_fr(c.date_envoi_certification)),
        ("Certificateur", c.certificateur.nom if c.certificateur else ""),
        ("Etablissement d'évaluation", f"{c.etablissement.nom} — {c.etablissement.ville}"),
        ("Organisme", c.organisme.nom),
    ]
    if c.statut == statuts.ABANDONNEE:
        dossier += [("Abandonnée le", date_fr(c.date_abandon)), ("Motif d'abandon", c.motif_abandon)]
    contact = [
        ("Email", c.email),
        ("Téléphone", c.telephone),
        ("Adresse", " ".join(x for x in (c.adresse, c.code_postal, c.ville) if x)),
        ("Certificat au format papier", oui_non(c.certificat_papier)),
    ]

    all_evaluations = evaluations.evaluations_de(c.id)
    evaluation_rows = [["Date", "Type", "Evaluateur", "Conclusion", "Synthèse", "Statut"]] + [
        [date_fr(e.date_evaluation), e.type_label, e.evaluateur, e.conclusion or "", e.synthese or "", e.etat_label]
        for e in all_evaluations
    ]
    acquired = evaluations.acquis_anterieurs(c.id)
    acquis_rows = [["Domaine", "Sous-domaines acquis", "Restant à acquérir"]]
    for domaine in evaluations.referentiel(c):
        done = [sd.code for sd in domaine.sous_domaines if sd.id in acquired]
        todo = [sd.code for sd in domaine.sous_domaines if sd.id not in acquired]
        acquis_rows.append([f"{domaine.code}. {domaine.libelle}", ", ".join(done) or "—", ", ".join(todo) or "—"])
    formation_rows = [["Du", "Au", "Durée", "Domaines", "Formateur"]] + [
        [
            date_fr(f.date_debut),
            date_fr(f.date_fin),
            heures_fr(f.duree_heures),
            ", ".join(d.code for d in f.domaines),
            f"{f.formateur_prenom} {f.formateur_nom}",
        ]
        for f in formations.formations_de(c.id)
    ]
    document_rows = [["Document", "Taille", "Déposé le"]] + [
        [d.nom, d.taille_label, date_fr(d.created_at)] for d in documents.documents_de(c.id)
    ]
    sections = [
        Section("Dossier", dossier),
        Section("Identité du candidat", identite),
        Section("Situation et projet", situation),
        Section("Contact pour le certificat", contact),
        Section("Evaluations", table=evaluation_rows, empty="Aucune évaluation enregistrée."),
        Section("Sous-domaines acquis (évaluations finalisées)", table=acquis_rows),
        Section("Formations CléA", table=formation_rows, empty="Aucune formation enregistrée."),
        Section("Documents du dossier", table=document_rows, empty="Aucun document."),
        Section("Informations sur les données personnelles", [("Notice", donnees_personnelles.notice())]),
    ]
    return render(
        f"Fiche candidat — {c.candidat}",
        f"Certification {certification} — dossier n°{c.numero_dossier}",
        sections,
        f"Plateforme CléA — dossier {c.numero_dossier}",
    )
