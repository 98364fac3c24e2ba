// Behaviour of the platform's pages, loaded at the end of every page after FAB's ab.js. The pages hold no
// inline script nor event handler (Content-Security-Policy without 'unsafe-inline'): they ask for a behaviour
// with a data-clea-… attribute, and this file gives it.
(function ($) {
  "use strict";

  // bootstrap-datepicker in French, dates jj/mm/aaaa, weeks starting on Monday (set before FAB's ab.js
  // initialises its date fields, on document ready).
  $.fn.datepicker.dates.fr = {
    days: ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
    daysShort: ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
    daysMin: ["di", "lu", "ma", "me", "je", "ve", "sa"],
    months: ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
             "octobre", "novembre", "décembre"],
    monthsShort: ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
                  "nov.", "déc."],
    today: "Aujourd'hui", monthsTitle: "Mois", clear: "Effacer", weekStart: 1, format: "dd/mm/yyyy"
  };
  $.extend($.fn.datepicker.defaults, {language: "fr", format: "dd/mm/yyyy", weekStart: 1, autoclose: true});

  // select2 in French (also found through <html lang="fr">).
  var select2Fr = {
    errorLoading: function () { return "Les résultats ne peuvent pas être chargés."; },
    inputTooLong: function (args) { var n = args.input.length - args.maximum; return "Supprimez " + n + " caractère" + (n > 1 ? "s" : ""); },
    inputTooShort: function (args) { var n = args.minimum - args.input.length; return "Saisissez au moins " + n + " caractère" + (n > 1 ? "s" : ""); },
    loadingMore: function () { return "Chargement de résultats supplémentaires…"; },
    maximumSelected: function (args) { return "Vous pouvez sélectionner au plus " + args.maximum + " élément" + (args.maximum > 1 ? "s" : ""); },
    noResults: function () { return "Aucun résultat"; },
    searching: function () { return "Recherche en cours…"; },
    removeAllItems: function () { return "Tout retirer"; },
    removeItem: function () { return "Retirer"; }
  };
  if ($.fn.select2 && $.fn.select2.amd) {
    $.fn.select2.amd.define("select2/i18n/fr", [], function () { return select2Fr; });
    $.fn.select2.defaults.set("language", select2Fr);
  }

  // data-clea-picker="URL" on a <select>: search-as-you-type over the perimeter (the view's `choix` route), for
  // relations with thousands of records. FAB's search form inserts its filter rows later: watch for them.
  function initPicker(select) {
    if (!$.fn.select2 || $(select).hasClass("select2-hidden-accessible")) { return; }
    $(select).select2({
      theme: "bootstrap",
      width: "100%",
      allowClear: true,
      placeholder: "Tapez une partie du nom…",
      minimumInputLength: 0,
      ajax: {
        url: select.getAttribute("data-clea-picker"),
        dataType: "json",
        delay: 250,
        data: function (params) { return {q: params.term || "", page: params.page || 1}; },
        processResults: function (data) { return data; }
      }
    });
    nameThePicker(select);
  }
  // select2 draws its own box: it is named by the field's <label> (a screen reader hears the label, then the choice).
  function nameThePicker(select) {
    var label = select.id ? document.querySelector("label[for=\"" + select.id + "\"]") : null;
    var box = $(select).next(".select2").find(".select2-selection");
    var rendered = box.find(".select2-selection__rendered");
    if (label) {
      label.id = label.id || select.id + "-libelle";
      rendered.attr("aria-labelledby", label.id);
      box.attr("aria-labelledby", label.id + " " + rendered.attr("id"));
    } else {
      rendered.attr("aria-label", select.getAttribute("aria-label") || "Choix");
    }
  }
  function initPickers(root) {
    $(root).find("select[data-clea-picker]").addBack("select[data-clea-picker]").each(function () { initPicker(this); });
  }
  $(function () {
    initPickers(document);
    if (window.MutationObserver) {
      new MutationObserver(function (mutations) {
        mutations.forEach(function (m) { m.addedNodes.forEach(function (n) { if (n.nodeType === 1) { initPickers(n); } }); });
      }).observe(document.body, {childList: true, subtree: true});
    }
  });

  // data-clea-autosubmit on a small GET form (the dashboard's « Dernières modifications ▾ »): a choice shows it.
  $(document).on("change", "form[data-clea-autosubmit] select", function () { this.form.submit(); });

  // data-confirm="Question ?" on a button or a link: asks first; « Annuler » leaves the page as it is.
  $(document).on("click", "[data-confirm]", function (event) {
    if (!window.confirm(this.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  });

  // FAB's ab.js alerts in English (« No row selected » of the lists' « Pour la sélection » menu): said in French.
  if (typeof window.ab_alert === "function") {
    var abAlert = window.ab_alert;
    var enFrancais = {"No row selected": "Aucune ligne sélectionnée : cochez au moins un dossier dans la liste."};
    window.ab_alert = function (text) { return abAlert(enFrancais[text] || text); };
  }

  // data-clea-confirm-choice="NAME" on a form: before sending, asks the question of the chosen radio button
  // (its data-confirm-text: the consequence of that choice, e.g. a numbered certificate issued).
  $(document).on("submit", "form[data-clea-confirm-choice]", function (event) {
    var chosen = $(this).find("input[name=\"" + this.getAttribute("data-clea-confirm-choice") + "\"]:checked");
    var question = chosen.attr("data-confirm-text");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  });

  // data-clea-back on a « Retour » link: the previous page of the browser (its href, FAB's /back, without it).
  $(document).on("click", "[data-clea-back]", function (event) {
    if (window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });

  // data-clea-check-all="selector" on a checkbox: (un)ticks every box of the selector, and the other
  // checkboxes with the same attribute.
  $(document).on("change", "[data-clea-check-all]", function () {
    var selector = this.getAttribute("data-clea-check-all"), checked = this.checked;
    $(selector).prop("checked", checked);
    $("[data-clea-check-all]").filter(function () {
      return this.getAttribute("data-clea-check-all") === selector;
    }).prop("checked", checked);
  });

  // data-clea-open-all="selector" on a button: opens every <details> of the selector.
  $(document).on("click", "[data-clea-open-all]", function () {
    $(this.getAttribute("data-clea-open-all")).prop("open", true);
  });

  // data-clea-show-when="name=value" (or "name!=value") on a block: shown only while the form's field
  // `name` (a list, or radio buttons) has (or has not) that value.
  function fieldValue(name) {
    var fields = document.getElementsByName(name), value = "";
    Array.prototype.forEach.call(fields, function (field) {
      if (field.type === "radio" || field.type === "checkbox") {
        if (field.checked) { value = field.value; }
      } else {
        value = field.value;
      }
    });
    return value;
  }
  function showWhen(block) {
    var rule = /^([^!=]+)(!?=)(.*)$/.exec(block.getAttribute("data-clea-show-when"));
    if (!rule) { return; }
    var equal = fieldValue(rule[1]) === rule[3];
    block.style.display = (rule[2] === "=") === equal ? "" : "none";
  }
  function updateBlocks() { $("[data-clea-show-when]").each(function () { showWhen(this); }); }
  $(document).on("change", "input, select", updateBlocks);

  // data-clea-consultation="URL" on a page's tab list: each tab opened is a line of the file's consultation
  // journal (donnees-personnelles.md §3), posted in the background (the page does not wait for it).
  $(document).on("shown.bs.tab", "[data-clea-consultation] a[data-toggle=\"tab\"]", function () {
    var list = $(this).closest("[data-clea-consultation]");
    var data = new FormData();
    data.append("csrf_token", list.attr("data-csrf"));
    data.append("onglet", $.trim($(this).text()).replace(/\s*\(\d+\)$/, ""));
    if (window.fetch) {
      fetch(list.attr("data-clea-consultation"), {method: "POST", body: data, credentials: "same-origin", keepalive: true});
    }
  });

  // Accessibility (WCAG 2.1, checked by axe-core in tests/test_browser_accessibilite.py). Bootstrap's tab lists
  // (role="tablist"): their <li> are only layout, each tab says which panel it shows and whether it is selected.
  function tabRoles() {
    $('[role="tablist"]').each(function () {
      $(this).children("li").attr("role", "presentation");
      $(this).find('a[data-toggle="tab"]').each(function () {
        var href = this.getAttribute("href") || "";
        this.setAttribute("role", "tab");
        if (href.charAt(0) === "#") { this.setAttribute("aria-controls", href.slice(1)); }
        this.setAttribute("aria-selected", $(this).parent().hasClass("active") ? "true" : "false");
      });
    });
  }
  $(document).on("shown.bs.tab", '[role="tablist"] a[data-toggle="tab"]', tabRoles);
  // A table wider than the screen scrolls in its .table-responsive box (one is put around each table of a page
  // that has none, so that nothing is wider than a phone's screen): the box takes the keyboard focus (arrows
  // scroll it) and is named after its data-clea-nom, or the table's caption or first header cells.
  function scrollableTables() {
    $("main table.table").not(".table-responsive table, .table-responsive.table").wrap('<div class="table-responsive"></div>');
    $(".table-responsive").each(function () {
      var scrolls = this.scrollWidth > this.clientWidth + 1;
      if (scrolls && !this.hasAttribute("tabindex")) {
        var name = this.getAttribute("data-clea-nom") || $.trim($(this).find("caption").first().text()) ||
          "Tableau : " + $(this).find("th").slice(0, 3).map(function () { return $.trim($(this).text()); }).get().join(", ");
        this.setAttribute("tabindex", "0");
        this.setAttribute("role", "region");
        this.setAttribute("aria-label", name);
        this.setAttribute("data-clea-defilement", "");
      } else if (!scrolls && this.hasAttribute("data-clea-defilement")) {
        this.removeAttribute("tabindex");
        this.removeAttribute("role");
        this.removeAttribute("aria-label");
        this.removeAttribute("data-clea-defilement");
      }
    });
  }
  $(window).on("resize", scrollableTables);
  $(document).on("shown.bs.tab shown.bs.collapse", scrollableTables);

  $(function () {
    updateBlocks();
    tabRoles();
    scrollableTables();

    // A page with tabs opens the one named in the address (#evaluations after saving an evaluation, …).
    if (location.hash) {
      $('a[data-toggle="tab"]').filter(function () { return this.getAttribute("href") === location.hash; }).tab("show");
    }

    // After ab.js, which sets FAB's date fields to aaaa-mm-jj: show and type them jj/mm/aaaa, and send them
    // back as aaaa-mm-jj (what FAB's forms and filters read).
    function pad(n) { return n.length < 2 ? "0" + n : n; }
    function versFr(v) { var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec($.trim(v || "")); return m ? m[3] + "/" + m[2] + "/" + m[1] : v; }
    function versIso(v) { var m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec($.trim(v || "")); return m ? m[3] + "-" + pad(m[2]) + "-" + pad(m[1]) : v; }
    var dateInputs = ".appbuilder_date input, input.appbuilder_date";
    $(".appbuilder_date").each(function () {
      var $input = $(this).is("input") ? $(this) : $(this).find("input");
      $input.val(versFr($input.val())).attr("placeholder", "jj/mm/aaaa");
      $(this).datepicker("destroy").datepicker({language: "fr", format: "dd/mm/yyyy", weekStart: 1, autoclose: true});
    });
    $(document).on("focus", dateInputs, function () { $(this).attr("placeholder", "jj/mm/aaaa"); });
    $(document).on("submit", "form", function () {
      $(this).find(dateInputs).each(function () { this.value = versIso(this.value); });
    });
  });
})(jQuery);
