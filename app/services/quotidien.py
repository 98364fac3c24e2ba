"""The daily work (`celery beat` at 02:15, `flask clea daily` by hand): safe twice and on several servers at
once — each part relies on the database's guarantees (locked batches, claims, idempotent purges)."""


def travaux_quotidiens() -> dict:
    from app.services.compteurs import compacter
    from app.services.controles import quotidien as quotidien_conformites
    from app.services.donnees_personnelles import purge as purge_donnees
    from app.services.exports import purger
    from app.services.import_candidats import purger as purger_imports
    from app.services.rappels import rappels_dossiers, rappels_habilitation
    from app.services.recherche import purger_journal
    from app.services.transitions import abandons_automatiques
    from app.services.vie_habilitation import quotidien as quotidien_habilitations

    return {
        "abandons": abandons_automatiques(),
        "rappels": rappels_habilitation(),
        "rappels_dossiers": rappels_dossiers(),
        "habilitations": quotidien_habilitations(),
        "conformites": quotidien_conformites(),
        "exports_purges": purger(),
        "imports_purges": purger_imports(),
        "recherches_purgees": purger_journal(),
        "donnees_personnelles": purge_donnees().resume(),
        "compteurs_replies": compacter(),
    }


def compte_rendu(resultat: dict) -> list[str]:
    """The French lines `flask clea daily` prints."""
    return [
        f"{resultat['abandons']} dossier(s) abandonné(s) automatiquement (évaluation préalable de plus de 5 ans).",
        f"{resultat['rappels']} rappel(s) de renouvellement d'habilitation envoyé(s).",
        f"{resultat['rappels_dossiers']} rappel(s) d'échéance de dossier d'habilitation envoyé(s).",
        f"{resultat['habilitations']['renoncees']} renonciation(s) devenue(s) effective(s), "
        f"{resultat['habilitations']['expirees']} habilitation(s) expirée(s), "
        f"{resultat['habilitations']['renouvelees']} renouvelée(s) automatiquement.",
        f"{resultat['conformites']['retraits']} retrait(s) faute de justification, "
        f"{resultat['conformites']['maintiens']} mise(s) en conformité réputée(s) suffisante(s).",
        f"{resultat['exports_purges']} export(s) de plus de 7 jours supprimé(s).",
        f"{resultat['imports_purges']} rapport(s) d'import de candidats de plus de 7 jours supprimé(s).",
        f"{resultat['recherches_purgees']} ligne(s) du journal des recherches nationales supprimée(s).",
        f"{resultat['donnees_personnelles']['anonymises']} dossier(s) anonymisé(s) et "
        f"{resultat['donnees_personnelles']['documents']} document(s) supprimé(s) (durées de conservation), "
        f"{resultat['donnees_personnelles']['consultations']} ligne(s) du journal des consultations supprimée(s).",
        f"{resultat['compteurs_replies']} ligne(s) des compteurs de dossiers regroupée(s).",
    ]
