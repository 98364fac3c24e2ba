"""« Offre de formation CPF » of an establishment (issue 18 §6, seed 004): list (the establishment page's tab),
add, edit, delete, and the LHÉO XML and .xlsx exports. Thin: the rules are in app/services/offres_cpf.py."""

from flask import flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access

from app.domain import access, offres_cpf as domaine
from app.exports import lheo, offres_cpf as export
from app.models import Etablissement, OffreCpf
from app.models.referentiels import CERTIFICATIONS
from app.services import offres_cpf as service
from app.views.base import submitted
from app.views.documents import send_bytes

LIGNES_VIDES = 2  # blank session rows offered by the form, beyond the offer's sessions


def _valeurs_de(offre: OffreCpf | None) -> dict:
    if offre is None:
        return {}
    values = {name: getattr(offre, name) for name in service.CHAMPS}
    for i, session in enumerate(offre.sessions):
        for name in service.CHAMPS_SESSION:
            value = getattr(session, name)
            values[f"sessions.{i}.{name}"] = value.strftime("%d/%m/%Y") if name in ("debut", "fin") else value
    values["version"] = offre.version
    return values


def _lignes(values: dict) -> int:
    numbers = [
        int(key.split(".")[1])
        for key in values
        if isinstance(key, str) and key.startswith("sessions.") and key.split(".")[1].isdigit()
    ]
    return (max(numbers) + 1 if numbers else 0) + LIGNES_VIDES


class OffreCpfView(BaseView):
    route_base = "/offres-cpf"
    class_permission_name = access.ETABLISSEMENTS
    method_permission_name = {
        "show": "read",
        "lheo": "read",
        "export": "read",
        "add": "edit",
        "edit": "edit",
        "delete": "edit",
    }
    # Perimeter first: the establishment named by the URL, or the offer.
    perimetre_des_routes = {
        "add": Etablissement,
        "lheo": Etablissement,
        "export": Etablissement,
        "show": OffreCpf,
        "edit": OffreCpf,
        "delete": OffreCpf,
    }

    def _breadcrumb(self, etab, *more):
        return [
            ("Mes organismes", url_for("OrganismeView.list")),
            (etab.organisme.nom, url_for("OrganismeView.show", pk=etab.organisme_id)),
            (etab.nom, url_for("EtablissementView.show", pk=etab.id) + "#offres-cpf"),
            *more,
        ]

    def _form(self, etab, offre, values, errors, status=200):
        titre = "Modifier l'offre de formation CPF" if offre else "Ajouter une offre de formation CPF"
        certifications = service.certifications_possibles(etab)
        if offre is not None and offre.certification not in certifications:
            certifications[offre.certification] = CERTIFICATIONS.get(offre.certification, offre.certification)
        return self.render_template(
            "clea/offre_cpf_form.html",
            title=titre,
            etab=etab,
            offre=offre,
            values=values,
            errors=errors,
            lignes=_lignes(values),
            certifications=certifications,
            codes_rs=domaine.CODES_RS,
            parcours=domaine.TYPES_PARCOURS,
            limites=domaine.LIMITES,
            libelles=domaine.LIBELLES,
            formacode=domaine.FORMACODE,
            nsf=domaine.NSF,
            breadcrumb=self._breadcrumb(etab, (titre, None)),
        ), status

    @expose("/etablissement/<int:etablissement_id>/ajouter", methods=["GET", "POST"])
    @has_access
    def add(self, etablissement_id):
        etab = service.etablissement(g.user, etablissement_id)
        if request.method == "GET":
            return self._form(etab, None, {}, {})
        values = request.form.to_dict()
        outcome = submitted(lambda: service.creer(g.user, etab.id, values))
        if outcome.ok:
            flash(f"L'offre « {outcome.value.intitule_formation} » est enregistrée.", "success")
            return redirect(url_for("OffreCpfView.show", pk=outcome.value.id))
        return self._form(etab, None, values, outcome.errors, 422 if outcome.errors else 409)

    @expose("/<int:pk>")
    @has_access
    def show(self, pk):
        offre = service.visible(g.user, pk)
        return self.render_template(
            "clea/offre_cpf_show.html",
            title=f"Offre de formation CPF — {offre.intitule_formation}",
            offre=offre,
            etab=offre.etablissement,
            formacode=domaine.FORMACODE,
            nsf=domaine.NSF,
            can_edit=service.peut_modifier(g.user),
            breadcrumb=self._breadcrumb(offre.etablissement, (offre.intitule_formation, None)),
        )

    @expose("/<int:pk>/modifier", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        offre = service.visible(g.user, pk)
        if request.method == "GET":
            return self._form(offre.etablissement, offre, _valeurs_de(offre), {})
        values = request.form.to_dict()
        outcome = submitted(lambda: service.modifier(g.user, offre.id, values, values.get("version")))
        if outcome.ok:
            flash(f"L'offre « {outcome.value.intitule_formation} » est enregistrée.", "success")
            return redirect(url_for("OffreCpfView.show", pk=offre.id))
        return self._form(offre.etablissement, offre, values, outcome.errors, 422 if outcome.errors else 409)

    @expose("/<int:pk>/supprimer", methods=["POST"])
    @has_access
    def delete(self, pk):
        offre = service.visible(g.user, pk)
        etab_id, intitule = offre.etablissement_id, offre.intitule_formation
        outcome = submitted(lambda: service.supprimer(g.user, offre.id))
        if outcome.ok:
            flash(f"L'offre « {intitule} » est supprimée.", "success")
        return redirect(url_for("EtablissementView.show", pk=etab_id) + "#offres-cpf")

    @expose("/etablissement/<int:etablissement_id>/lheo.xml")
    @has_access
    def lheo(self, etablissement_id):
        etab, offres = service.a_exporter(g.user, etablissement_id, lheo=True)
        return send_bytes(lheo.document(offres), lheo.nom_fichier(etab), "application/xml")

    @expose("/etablissement/<int:etablissement_id>/export")
    @has_access
    def export(self, etablissement_id):
        etab, offres = service.a_exporter(g.user, etablissement_id)
        return export.telechargement(etab, offres)


def register(appbuilder):
    appbuilder.add_view_no_menu(OffreCpfView())
