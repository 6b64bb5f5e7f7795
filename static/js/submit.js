// Progressive enhancement of the submission form: everything works without this file.
(function () {
  "use strict";
  var form = document.getElementById("submission-form");
  if (!form) { return; }

  // Show only the extra fields of the chosen subject, and the business fields for a business.
  var category = form.querySelector("select[name=category]");
  function showExtraFields() {
    form.querySelectorAll(".extra-fields").forEach(function (set) {
      set.hidden = set.getAttribute("data-category") !== category.value;
    });
  }
  category.addEventListener("change", showExtraFields);
  showExtraFields();

  var business = form.querySelector(".business-fields");
  function showBusiness() {
    var chosen = form.querySelector("input[name=submitter_type]:checked");
    business.hidden = !chosen || chosen.value !== "business";
  }
  form.querySelectorAll("input[name=submitter_type]").forEach(function (radio) {
    radio.addEventListener("change", showBusiness);
  });
  showBusiness();

  // Similar published submissions, looked up as the person types.
  var results = document.getElementById("similar-results");
  var timer = null;
  function lookUpSimilar() {
    var params = new URLSearchParams();
    ["area", "category", "title", "description"].forEach(function (name) {
      params.set(name, form.elements[name].value);
    });
    fetch(results.getAttribute("data-url") + "?" + params.toString(), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) { if (html.trim()) { results.innerHTML = html; } })
      .catch(function () { /* the button still works */ });
  }
  ["area", "title", "description"].forEach(function (name) {
    form.elements[name].addEventListener("change", function () {
      clearTimeout(timer);
      timer = setTimeout(lookUpSimilar, 300);
    });
  });

  // The phone's position, if the person allows it.
  var locate = document.getElementById("use-location");
  var status = document.getElementById("location-status");
  if (locate && navigator.geolocation) {
    locate.hidden = false;
    locate.addEventListener("click", function () {
      status.textContent = locate.getAttribute("data-wait");
      navigator.geolocation.getCurrentPosition(function (position) {
        form.elements.latitude.value = position.coords.latitude.toFixed(6);
        form.elements.longitude.value = position.coords.longitude.toFixed(6);
        status.textContent = "";
      }, function () {
        status.textContent = locate.getAttribute("data-failed");
      });
    });
  }
})();
