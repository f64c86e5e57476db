// Starts Swagger UI on /api/v1/docs over the document named by #swagger-ui's data-spec.
// A file of its own because the Content-Security-Policy allows no inline script.
document.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: root.dataset.spec,
    domNode: root,
    deepLinking: true,
    docExpansion: "list",
    defaultModelsExpandDepth: 0,
    persistAuthorization: false,
    validatorUrl: null,
    tryItOutEnabled: false,
  });
});
