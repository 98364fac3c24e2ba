"""An establishment's CPF offers as LHÉO 2.3 XML (issue 18 §6), written with lxml, and read back.

One <formation> per offer: its domain (FORMACODE 15041, NSF 100), intitulé, objectifs, résultats attendus,
contenu, the establishment's public contact, the type of path (LHÉO's dictionary, the EDOF code also given as
code-modalite-pedagogique), the RS code, and one <action> numbered with the offer's internal id holding the
sessions (dates, place in adresse-inscription; the distinct places as lieu-de-formation). The « points forts »,
which LHÉO has no element for, travel in the formation's <extras> (LHÉO's extension container). The subset of
LHÉO we write is `lheo-subset.xsd` (its origin in its header); `valider()` checks a document against it."""

import datetime
import functools
import pathlib
from dataclasses import dataclass, field

from lxml import etree

from app.domain import offres_cpf as domaine

NS = "http://lheo.gouv.fr/2.3"
XSD = pathlib.Path(__file__).with_name("lheo-subset.xsd")
FORMACODE_VERSION = "V12"
PUBLIC_TOUT_PUBLIC = "80056"  # FORMACODE « tout public » (lheo-schema, datasources/sources/FCod.csv)
NIVEAU_NON_COMMUNIQUE, SANS_NIVEAU_SPECIFIQUE = "0", "1"  # dict-niveaux
ENTREES_A_DATES_FIXES = "0"  # dict-modalites-es: the sessions have dates
PRESENTIEL = "0"  # dict-modalites-enseignement
PARCOURS_DEPUIS_LHEO = {v: k for k, v in domaine.PARCOURS_LHEO.items()}
RS_DEPUIS_CODE = {v: k for k, v in domaine.CODES_RS.items()}

RYTHME = "Selon le parcours défini avec le candidat à l'issue de son évaluation préalable."
ALTERNANCE = "Sans objet."
CONDITIONS = "Aucun prérequis : le parcours part de l'évaluation préalable des connaissances et compétences."


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


def _sub(parent, name: str, text=None, **attributes):
    element = etree.SubElement(parent, _q(name), {k.replace("_", "-"): v for k, v in attributes.items()})
    if text is not None:
        element.text = str(text)
    return element


def _court(text, limite: int) -> str:
    return (text or "").strip()[:limite]


def _date(jour: datetime.date) -> str:
    return jour.strftime("%Y%m%d")


def _adresse(parent, ligne: str, code_postal: str, ville: str):
    adresse = _sub(parent, "adresse")
    _sub(adresse, "ligne", _court(ligne, 50))
    _sub(adresse, "codepostal", code_postal)
    _sub(adresse, "ville", _court(ville, 50))
    return adresse


def _coordonnees(parent, etab, avec_adresse: bool = True):
    coordonnees = _sub(parent, "coordonnees")
    if etab.public_nom:
        _sub(coordonnees, "nom", _court(etab.public_nom, 50))
    if etab.public_prenom:
        _sub(coordonnees, "prenom", _court(etab.public_prenom, 50))
    if avec_adresse:
        _adresse(coordonnees, etab.adresse, etab.code_postal, etab.ville)
    if etab.public_telephone:
        _sub(_sub(coordonnees, "telfixe"), "numtel", _court(etab.public_telephone, 25))
    if etab.public_email and 3 <= len(etab.public_email) <= 160:
        _sub(coordonnees, "courriel", etab.public_email)
    return coordonnees


def _formation(offres_el, offre) -> None:
    etab, org = offre.etablissement, offre.etablissement.organisme
    formation = _sub(offres_el, "formation", numero=f"offre-cpf-{offre.id}")
    domaine_el = _sub(formation, "domaine-formation")
    _sub(domaine_el, "code-FORMACODE", domaine.FORMACODE, ref=FORMACODE_VERSION)
    _sub(domaine_el, "code-NSF", domaine.NSF)
    _sub(formation, "intitule-formation", offre.intitule_formation)
    _sub(formation, "objectif-formation", offre.objectif_formation)
    _sub(formation, "resultats-attendus", offre.resultats_attendus)
    _sub(formation, "contenu-formation", offre.contenu_formation)
    _sub(formation, "certifiante", "1")
    _coordonnees(_sub(formation, "contact-formation"), etab, avec_adresse=False)
    _sub(formation, "parcours-de-formation", domaine.PARCOURS_LHEO[offre.type_parcours])
    _sub(formation, "code-niveau-entree", NIVEAU_NON_COMMUNIQUE)
    _sub(_sub(formation, "certification"), "code-RS", domaine.CODES_RS[offre.certification])
    _sub(formation, "code-niveau-sortie", SANS_NIVEAU_SPECIFIQUE)

    action = _sub(formation, "action", numero=offre.numero_interne)
    _sub(action, "rythme-formation", RYTHME)
    _sub(action, "code-public-vise", PUBLIC_TOUT_PUBLIC, ref=FORMACODE_VERSION)
    _sub(action, "niveau-entree-obligatoire", "0")
    _sub(action, "modalites-alternance", ALTERNANCE)
    _sub(action, "modalites-enseignement", PRESENTIEL)
    _sub(action, "conditions-specifiques", CONDITIONS)
    _sub(action, "prise-en-charge-frais-possible", "1")
    lieux = list(dict.fromkeys((s.adresse, s.code_postal, s.ville) for s in offre.sessions))
    for adresse, code_postal, ville in lieux:
        coordonnees = _sub(_sub(action, "lieu-de-formation"), "coordonnees")
        _adresse(coordonnees, adresse, code_postal, ville)
    _sub(action, "modalites-entrees-sorties", ENTREES_A_DATES_FIXES)
    for session in offre.sessions:
        session_el = _sub(action, "session", numero=f"session-{session.id}")
        periode = _sub(session_el, "periode")
        _sub(periode, "debut", _date(session.debut))
        _sub(periode, "fin", _date(session.fin))
        _adresse(_sub(session_el, "adresse-inscription"), session.adresse, session.code_postal, session.ville)
    _sub(action, "code-modalite-pedagogique", offre.type_parcours, ref=FORMACODE_VERSION)

    responsable = _sub(formation, "organisme-formation-responsable")
    _sub(responsable, "numero-activite", org.numero_declaration_activite)
    _sub(_sub(responsable, "SIRET-organisme-formation"), "SIRET", etab.siret)
    _sub(responsable, "nom-organisme", _court(etab.nom, 250))
    _sub(responsable, "raison-sociale", _court(org.nom, 250))
    _coordonnees(_sub(responsable, "coordonnees-organisme"), etab)
    _coordonnees(_sub(responsable, "contact-organisme"), etab, avec_adresse=False)

    extras = _sub(formation, "extras", info="cpf")
    _sub(extras, "extra", offre.points_forts, info="points-forts")


def document(offres) -> bytes:
    """The LHÉO document of these offers (each with its establishment, organisation and sessions loaded),
    checked against the subset before it leaves (a document that would not validate is a defect: an error)."""
    root = etree.Element(_q("lheo"), nsmap={None: NS})
    offres_el = _sub(root, "offres")
    for offre in offres:
        _formation(offres_el, offre)
    validator = schema()
    if not validator.validate(root):
        raise RuntimeError(f"Document LHÉO invalide : {validator.error_log.last_error}")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def nom_fichier(etab) -> str:
    return f"offre-cpf-{etab.siret}.xml"


# --- Reading back (round trip, and a check of what a partner would read) ----------------------------------
@dataclass
class SessionLue:
    numero: str | None
    debut: datetime.date
    fin: datetime.date
    adresse: str
    code_postal: str
    ville: str


@dataclass
class OffreLue:
    numero_interne: str
    certification: str
    intitule_formation: str
    points_forts: str
    objectif_formation: str
    resultats_attendus: str
    contenu_formation: str
    type_parcours: str
    formacode: str
    nsf: str
    siret: str
    sessions: list[SessionLue] = field(default_factory=list)


def _texte(element, path: str) -> str:
    found = element.find(path, {"l": NS})
    return found.text if found is not None and found.text is not None else ""


def _jour(text: str) -> datetime.date:
    return datetime.datetime.strptime(text, "%Y%m%d").date()


def lire(xml: bytes) -> list[OffreLue]:
    """The offers of a LHÉO document as the platform writes them."""
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    offres = []
    for formation in root.iterfind("l:offres/l:formation", {"l": NS}):
        action = formation.find("l:action", {"l": NS})
        points_forts = formation.find("l:extras/l:extra[@info='points-forts']", {"l": NS})
        offre = OffreLue(
            numero_interne=action.get("numero", ""),
            certification=RS_DEPUIS_CODE.get(_texte(formation, "l:certification/l:code-RS"), ""),
            intitule_formation=_texte(formation, "l:intitule-formation"),
            points_forts=points_forts.text if points_forts is not None and points_forts.text else "",
            objectif_formation=_texte(formation, "l:objectif-formation"),
            resultats_attendus=_texte(formation, "l:resultats-attendus"),
            contenu_formation=_texte(formation, "l:contenu-formation"),
            type_parcours=_texte(action, "l:code-modalite-pedagogique")
            or PARCOURS_DEPUIS_LHEO.get(_texte(formation, "l:parcours-de-formation"), ""),
            formacode=_texte(formation, "l:domaine-formation/l:code-FORMACODE"),
            nsf=_texte(formation, "l:domaine-formation/l:code-NSF"),
            siret=_texte(formation, "l:organisme-formation-responsable/l:SIRET-organisme-formation/l:SIRET"),
        )
        for session in action.iterfind("l:session", {"l": NS}):
            adresse = session.find("l:adresse-inscription/l:adresse", {"l": NS})
            offre.sessions.append(
                SessionLue(
                    numero=session.get("numero"),
                    debut=_jour(_texte(session, "l:periode/l:debut")),
                    fin=_jour(_texte(session, "l:periode/l:fin")),
                    adresse=" ".join(x.text or "" for x in adresse.iterfind("l:ligne", {"l": NS})),
                    code_postal=_texte(adresse, "l:codepostal"),
                    ville=_texte(adresse, "l:ville"),
                )
            )
        offres.append(offre)
    return offres


@functools.cache
def _xsd():
    return etree.parse(str(XSD))


def schema() -> etree.XMLSchema:
    """lxml's validator of the subset, a new one per call (a validator is not shared between threads); the tests
    also validate with `xmlschema`."""
    return etree.XMLSchema(_xsd())
