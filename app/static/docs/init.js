// Starts Swagger UI on /docs. Kept out of the page so that its CSP can forbid inline script.
"use strict";
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.specUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    // Nothing is written to localStorage: a token given here lasts as long as the page. A token
    // the browsable pages hold for this tab (sessionStorage) is used as it is.
    persistAuthorization: false,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout",
    onComplete: function () {
      var token = sessionStorage.getItem("bucketlist-api-token");
      if (token) window.ui.preauthorizeApiKey("bearerAuth", token);
    },
  });
});
