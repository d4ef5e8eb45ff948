//! The parts of the OpenAPI document that no route declares.

use utoipa::OpenApi;

use crate::problem::Problem;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Azure Drift Detector API",
        description = "Tenants, users, roles and settings; the polled configurations of each tenant's \
Microsoft cloud, their change history (drift) and the Entra sign-in logs.\n\n\
Lists use cursor pagination: pass a page's `next_cursor` as `cursor` to get the next one. \
Every error is an RFC 7807 `application/problem+json` document.",
        license(name = "MIT")
    ),
    // Schemas only referenced from query parameters are not collected by utoipa on its own.
    components(schemas(Problem, drift_core::FieldError, drift_core::configurations::ConfigurationState)),
    modifiers(&BearerScheme),
    tags(
        (name = "auth", description = "Sign-in (local password or Microsoft) and sessions"),
        (name = "tenants", description = "Organisations, each linked to an Entra tenant"),
        (name = "users", description = "People who use the product for a tenant"),
        (name = "roles", description = "Named permission lists"),
        (name = "settings", description = "Notification, polling and drift-threshold settings, versioned"),
        (name = "notifications", description = "The delivery log of notifications, and test messages to a channel"),
        (name = "configurations", description = "The current state of every polled resource"),
        (name = "history", description = "Every change of every configuration: the drift feed"),
        (name = "polling", description = "What the worker does for a tenant, per source, and polling on demand"),
        (name = "signing-logs", description = "Entra sign-in events"),
        (name = "api-tokens", description = "Long-lived tokens for integrations, scoped to a tenant and a role"),
        (name = "operations", description = "Health and readiness")
    )
)]
pub struct ApiDoc;

/// Declares the `bearer` security scheme: the access token from `/api/v1/auth/login`.
struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "The access token of POST /api/v1/auth/login, or an API token (`adt_…`). \
Operations list the one permission they need as the requirement's scope (OpenAPI 3.1 role names).",
                    ))
                    .build(),
            ),
        );
    }
}
