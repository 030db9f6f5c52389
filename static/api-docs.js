// Starts Swagger UI on /api/docs from our own copy of its files (the swagger-ui-bundle package), reading our
// /openapi.json. A separate file because the Content-Security-Policy allows no inline script.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") { return; }
  window.SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    domNode: root,
    deepLinking: true,
    // No badge that would send our API description to an outside validator.
    validatorUrl: null,
  });
})();
