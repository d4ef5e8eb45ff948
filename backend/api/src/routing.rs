//! Which methods each documented path accepts, so that a request with the wrong method gets
//! 405 with an `Allow` header instead of actix's plain 404 (each handler is its own resource,
//! so actix cannot tell "no such path" from "no such method").

use actix_web::http::Method;

/// The API's path templates and their methods, read from the OpenAPI document.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Vec<(Vec<Segment>, Vec<Method>)>,
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Literal(String),
    Parameter,
}

fn segments(template: &str) -> Vec<Segment> {
    template
        .trim_matches('/')
        .split('/')
        .map(|part| {
            if part.starts_with('{') && part.ends_with('}') {
                Segment::Parameter
            } else {
                Segment::Literal(part.to_owned())
            }
        })
        .collect()
}

impl RouteTable {
    pub fn from_openapi(document: &utoipa::openapi::OpenApi) -> Self {
        let value = serde_json::to_value(document).unwrap_or_default();
        let mut routes = Vec::new();
        if let Some(paths) = value["paths"].as_object() {
            for (template, item) in paths {
                let methods = item
                    .as_object()
                    .map(|operations| {
                        operations
                            .keys()
                            .filter_map(|m| {
                                Method::from_bytes(m.to_ascii_uppercase().as_bytes()).ok()
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                routes.push((segments(template), methods));
            }
        }
        Self { routes }
    }

    /// The methods allowed on a concrete path; empty when no route has that shape.
    pub fn allowed(&self, path: &str) -> Vec<Method> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let mut allowed: Vec<Method> = Vec::new();
        for (template, methods) in &self.routes {
            let fits = template.len() == parts.len()
                && template
                    .iter()
                    .zip(&parts)
                    .all(|(segment, part)| match segment {
                        Segment::Literal(literal) => literal == part,
                        Segment::Parameter => !part.is_empty(),
                    });
            if fits {
                for method in methods {
                    if !allowed.contains(method) {
                        allowed.push(method.clone());
                    }
                }
            }
        }
        allowed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_found_by_path_shape() {
        let table = RouteTable::from_openapi(&crate::openapi());
        let tenants = table.allowed("/api/v1/tenants");
        assert!(tenants.contains(&Method::GET) && tenants.contains(&Method::POST));
        assert!(!tenants.contains(&Method::DELETE));
        let one = table.allowed("/api/v1/tenants/5");
        assert!(one.contains(&Method::DELETE) && one.contains(&Method::PATCH));
        assert!(table.allowed("/api/v1/nothing").is_empty());
        assert!(table.allowed("/api/v1/tenants/5/users/7/extra").is_empty());
    }
}
