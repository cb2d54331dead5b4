// The docs page of the public API: Swagger UI over the schema the gateway serves (no inline script).
window.ui = SwaggerUIBundle({ url: "/api/schema/", dom_id: "#swagger-ui" });
