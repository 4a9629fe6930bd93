// Starts Swagger UI (/docs) or ReDoc (/redoc) on the schema named by this script tag's
// data-openapi attribute. A file rather than an inline script: the docs pages' CSP has no
// 'unsafe-inline' for scripts.
(function () {
  "use strict";
  var tag = document.currentScript;
  var schema = tag.getAttribute("data-openapi");
  if (tag.getAttribute("data-viewer") === "redoc") {
    window.Redoc.init(schema, { hideDownloadButton: false }, document.getElementById("redoc"));
    return;
  }
  window.ui = window.SwaggerUIBundle({
    url: schema,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    persistAuthorization: false,
    presets: [window.SwaggerUIBundle.presets.apis, window.SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
})();
