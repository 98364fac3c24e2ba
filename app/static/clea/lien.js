/* A mailed link (/compte/lien#code): the code after « # » never reaches the server in a URL, hence no log.
   Post it at once and take it out of the address bar and the history. */
(function () {
  var form = document.getElementById("clea-lien");
  var code = window.location.hash.replace(/^#/, "");
  if (!form || !code) {
    return;
  }
  if (window.history && window.history.replaceState) {
    window.history.replaceState(null, "", window.location.pathname);
  }
  document.getElementById("clea-lien-jeton").value = code;
  document.getElementById("clea-lien-saisie").hidden = true;
  document.getElementById("clea-lien-attente").hidden = false;
  form.submit();
})();
