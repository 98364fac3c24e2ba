"""Mon Réseau, Mes organismes, établissements, certificateurs (guide §7 CERTIFICATION, §8, §10, §11)."""

from flask import g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.security.decorators import has_access
from wtforms import SelectField

from app.domain import access
from app.domain.regions import MODALITES_ENVOI, REGIONS
from app.formatting import oui_non
from app.models import Certificateur, Etablissement, Organisme, Reseau
from app.security import perimeter
from app.services import audit, habilitations, offres_cpf, structures
from app.services.ecritures import ServiceInterface
from app.views.base import CleaModelView
from app.views.selection import SelectionActions

YES_NO = {True: "Oui", False: "Non"}

LABELS_ORGANISME = {
    "reseau": "Réseau",
    "siren": "SIREN",
    "nom": "Nom de l'organisme",
    "adresse": "Adresse de l'organisme",
    "complement_adresse": "Complément d'adresse",
    "ville": "Ville",
    "code_postal": "Code postal",
    "contact_nom": "Nom du contact",
    "contact_prenom": "Prénom du contact",
    "contact_email": "Email du contact",
    "email_facturation": "Email de facturation",
    "facturation_differente": "Adresse de facturation différente de l'adresse ?",
    "facturation_adresse": "Adresse de facturation",
    "facturation_complement_adresse": "Complément d'adresse de facturation",
    "facturation_ville": "Ville de facturation",
    "facturation_code_postal": "Code postal de facturation",
    "code_naf": "Code NAF",
    "numero_declaration_activite": "Numéro de déclaration d'activité",
    "qualiopi": "Certifié Qualiopi",
    "actif": "Actif",
    "actif_label": "Actif",
    "etablissements": "Etablissements",
}
LABELS_ETABLISSEMENT = {
    "organisme": "Organisme",
    "nom": "Nom de l'établissement",
    "siret": "SIRET de l'établissement",
    "referent_nom": "Nom du contact officiel",
    "referent_prenom": "Prénom du contact officiel",
    "referent_email": "Email du contact officiel",
    "public_nom": "Nom du contact public",
    "public_prenom": "Prénom du contact public",
    "public_email": "Email du contact public",
    "public_telephone": "Téléphone du contact public",
    "adresse": "Adresse",
    "complement_adresse": "Complément d'adresse",
    "ville": "Ville",
    "code_postal": "Code postal",
    "region": "Région",
    "site_web": "Site web",
    "actif": "Actif",
    "actif_label": "Actif",
}
LABELS_RESEAU = {
    "nom": "Nom du réseau",
    "responsable_nom": "Nom du responsable",
    "responsable_prenom": "Prénom du responsable",
    "responsable_email": "Email du responsable",
    "notifier_creation_candidature": "Notifier lors de la création d'une candidature",
}


class StructureSelection(SelectionActions):
    """« Pour la sélection » of the organisations' and establishments' lists: deactivating is Certif Pro's."""

    action_rights = {"desactiver_selection": "changer_actif", "reactiver_selection": "changer_actif"}
    lot_headers = ("Nom", "SIREN / SIRET")

    def changer_actif(self, item, actif):
        return structures.changer_actif(g.user, type(item), item.id, actif)

    def lot_detail(self, item):
        return getattr(item, "siret", None) or getattr(item, "siren", None) or ""


class ReseauView(CleaModelView):
    """Certif Pro lists the networks; a network's admins and supervisors see "Mon Réseau"."""

    route_base = "/reseaux"
    datamodel = ServiceInterface(Reseau)
    tab = access.RESEAUX
    rule_model = Reseau
    list_title = "Réseaux"
    show_title = "Réseau"
    add_title = "Ajouter un réseau"
    edit_title = "Modifier le réseau"
    list_columns = ["nom", "responsable_nom", "responsable_prenom", "responsable_email"]
    add_columns = edit_columns = [
        "nom",
        "responsable_nom",
        "responsable_prenom",
        "responsable_email",
        "notifier_creation_candidature",
    ]
    show_columns = add_columns
    search_columns = ["nom"]
    label_columns = LABELS_RESEAU
    add_fieldsets = edit_fieldsets = [
        ("Tête de réseau", {"fields": ["nom", "responsable_nom", "responsable_prenom", "responsable_email"]}),
        ("Options de mon réseau", {"fields": ["notifier_creation_candidature"]}),
    ]
    order_columns = ["nom"]
    base_order = ("nom", "asc")
    extra_permissions = {"mon_reseau": "read"}

    @expose("/mon-reseau/")
    @has_access
    def mon_reseau(self):
        if g.user.reseau_id:
            return redirect(url_for("ReseauView.edit", pk=g.user.reseau_id))
        return redirect(url_for("ReseauView.list"))


class EtablissementView(StructureSelection, CleaModelView):
    route_base = "/etablissements"
    datamodel = ServiceInterface(Etablissement)
    tab = access.ETABLISSEMENTS
    rule_model = Etablissement
    lot_unit, lot_filename = "établissement(s)", "etablissements-selection.xlsx"
    list_title = "Etablissements"
    show_title = "Visualiser l'établissement"
    add_title = "Ajouter un établissement"
    edit_title = "Modifier l'établissement"
    list_columns = ["nom", "organisme", "ville", "region", "actif_label"]
    add_columns = structures.CHAMPS_ETABLISSEMENT
    edit_columns = [c for c in add_columns if c != "organisme"]
    search_columns = ["nom", "siret", "ville", "region", "actif"]
    pickers = ("organisme",)  # typed, not one of 1,500 organisations
    order_columns = ["nom", "ville", "region"]
    base_order = ("nom", "asc")
    label_columns = LABELS_ETABLISSEMENT
    description_columns = {
        "nom": "Bonne pratique : NOM_OF VILLE_DU_SITE (ex. LA BOETIE Marseille).",
        "siret": "14 chiffres ; les 9 premiers sont le SIREN de l'organisme.",
    }
    _contacts = ["referent_nom", "referent_prenom", "referent_email"]
    _public = ["public_nom", "public_prenom", "public_email", "public_telephone"]
    _address = ["adresse", "complement_adresse", "ville", "code_postal", "region"]
    add_fieldsets = [
        ("Général", {"fields": ["organisme", "nom", "siret"]}),
        ("Contact Référent : Pour être contacté par France Travail, Certif Pro…", {"fields": _contacts}),
        ("Contact Public : Contact visible du grand public", {"fields": _public}),
        ("Adresse", {"fields": _address}),
        ("Site web", {"fields": ["site_web", "actif"]}),
    ]
    edit_fieldsets = [
        (title, {"fields": [f for f in spec["fields"] if f != "organisme"]}) for title, spec in add_fieldsets
    ]
    add_form_extra_fields = {
        "region": SelectField("Région", choices=[("", "— Sélectionner —")] + [(r, r) for r in REGIONS])
    }
    edit_form_extra_fields = add_form_extra_fields
    extra_add_buttons = [("_ajouter_autre", "Créer et ajouter un autre établissement")]

    def complete_values(self, values, item):
        if item is not None:
            values["organisme"] = item.organisme

    def _add(self):
        # "Créer et ajouter un établissement" chains from the organisation with ?organisme=<id>.
        widgets = super()._add()
        if widgets and request.method == "GET" and request.args.get("organisme"):
            organisme = perimeter.get_visible(Organisme, request.args["organisme"])  # outside: the 404 page
            widgets["add"].template_args["form"].organisme.data = organisme
        return widgets

    def post_add_redirect(self):
        if request.form.get("_ajouter_autre"):
            org = request.form.get("organisme")
            return redirect(url_for("EtablissementView.add", organisme=org))
        return super().post_add_redirect()

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        etab = perimeter.get_visible(Etablissement, pk)
        demandes = habilitations.demandes_des_etablissements([etab.id])
        return self.render_template(
            "clea/etablissement_show.html",
            title="Visualiser l'établissement",
            etab=etab,
            demandes=demandes,
            habilitee=habilitations.est_habilitee(etab),
            audit=audit.lignes(etablissement_id=etab.id),
            can_edit=self.can("can_edit"),
            can_request=access.may(g.user, "deposer_dossier_habilitation"),
            can_decide=self.can("can_decider_habilitation", access.HABILITATIONS),
            offres=offres_cpf.offres_de(g.user, etab.id),
            can_edit_offres=offres_cpf.peut_modifier(g.user),
            breadcrumb=[
                ("Mes organismes", url_for("OrganismeView.list")),
                (etab.organisme.nom, url_for("OrganismeView.show", pk=etab.organisme_id)),
                (etab.nom, None),
            ],
        )


class OrganismeView(StructureSelection, CleaModelView):
    route_base = "/organismes"
    datamodel = ServiceInterface(Organisme)
    tab = access.ORGANISMES
    rule_model = Organisme
    lot_unit, lot_filename = "organisme(s)", "organismes-selection.xlsx"
    list_title = "Mes organismes"
    show_title = "Organisme"
    add_title = "Ajouter un organisme"
    edit_title = "Modifier l'organisme"
    list_columns = ["nom", "siren", "actif_label"]
    _general = ["siren", "nom", "adresse", "complement_adresse", "ville", "code_postal"]
    _contact = ["contact_nom", "contact_prenom", "contact_email"]
    _billing = [
        "email_facturation",
        "facturation_differente",
        "facturation_adresse",
        "facturation_complement_adresse",
        "facturation_ville",
        "facturation_code_postal",
    ]
    _identity = ["code_naf", "numero_declaration_activite", "qualiopi"]
    add_columns = ["reseau"] + _general + _contact + _billing + _identity + ["actif"]
    edit_columns = add_columns
    add_fieldsets = edit_fieldsets = [
        ("Général", {"fields": ["reseau"] + _general}),
        ("Contact", {"fields": _contact}),
        ("Facturation", {"fields": _billing}),
        ("Identité (dossier d'habilitation)", {"fields": _identity}),
        ("Statut", {"fields": ["actif"]}),
    ]
    search_columns = ["nom", "siren", "ville", "actif"]
    pickers = ("reseau",)  # typed: the perimeter's networks and one's own (perimeter.related_clause)
    order_columns = ["nom", "siren"]
    base_order = ("nom", "asc")
    label_columns = LABELS_ORGANISME
    description_columns = {
        "siren": "9 chiffres.",
        "code_naf": "Ex. 85.59A",
        "numero_declaration_activite": "11 chiffres.",
    }
    extra_add_buttons = [("_ajouter_etablissement", "Créer et ajouter un établissement")]

    def complete_values(self, values, item):
        # A network user's organisations belong to their network.
        if item is None and g.user.reseau_id and access.PERIMETER_LEVEL[g.user.profil] == access.RESEAU:
            values.setdefault("reseau", None)

    def post_add(self, item):
        self._created_id = item.id

    def post_add_redirect(self):
        if request.form.get("_ajouter_etablissement") and getattr(self, "_created_id", None):
            return redirect(url_for("EtablissementView.add", organisme=self._created_id))
        return super().post_add_redirect()

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        org = perimeter.get_visible(Organisme, pk)
        etablissements = structures.etablissements_de(g.user, org)
        demandes = habilitations.demandes_des_etablissements([e.id for e in org.etablissements])
        return self.render_template(
            "clea/organisme_show.html",
            title=org.nom,
            org=org,
            etablissements=etablissements,
            demandes=demandes,
            audit=audit.lignes(organisme_id=org.id),
            can_edit=self.can("can_edit"),
            can_add_etab=self.can("can_create", access.ETABLISSEMENTS),
            habilitees={e.id for e in etablissements if habilitations.est_habilitee(e)},
            breadcrumb=[("Mes organismes", url_for("OrganismeView.list")), (org.nom, None)],
        )


class CertificateurView(CleaModelView):
    """CERTIFICATION tab: the certifiers; Certif Pro creates and edits them."""

    route_base = "/certificateurs"
    datamodel = ServiceInterface(Certificateur)
    tab = access.CERTIFICATION
    rule_model = Certificateur
    base_filters = []
    extra_permissions = {"add": "gerer_certificateurs", "edit": "gerer_certificateurs"}
    formatters_columns = {"region": lambda v: v or "", "actif": oui_non}
    list_title = "Dates des prochains jurys CléA"
    list_template = "clea/certificateurs_list.html"
    show_title = "Certificateur"
    add_title = "Ajouter un certificateur"
    edit_title = "Modifier le certificateur"
    list_columns = ["nom", "type_label", "region", "modalite_envoi", "dernier_jury", "prochains_jurys"]
    add_columns = edit_columns = ["nom", "type", "region", "modalite_envoi", "actif"]
    show_columns = ["nom", "type_label", "region", "modalite_envoi", "actif"]
    search_columns = ["nom", "type", "region", "modalite_envoi"]
    order_columns = ["nom", "region", "modalite_envoi"]
    base_order = ("nom", "asc")
    label_columns = {
        "nom": "Certificateur",
        "type": "Type",
        "type_label": "Type",
        "region": "Région",
        "modalite_envoi": "Modalité d'envoi",
        "actif": "Actif",
        "dernier_jury": "Dernier jury",
        "prochains_jurys": "Prochains jurys",
    }
    add_form_extra_fields = {
        "type": SelectField("Type", choices=[(k, v) for k, v in Certificateur.TYPES.items()]),
        "region": SelectField("Région", choices=[("", "— Aucune —")] + [(r, r) for r in REGIONS]),
        "modalite_envoi": SelectField("Modalité d'envoi", choices=[(m, m) for m in MODALITES_ENVOI]),
    }
    edit_form_extra_fields = add_form_extra_fields


def register(appbuilder):
    appbuilder.add_view_no_menu(ReseauView())
    appbuilder.add_view_no_menu(OrganismeView())
    appbuilder.add_view_no_menu(EtablissementView())
    appbuilder.add_view_no_menu(CertificateurView())
