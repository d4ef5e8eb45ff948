//! The API's documented routes, read from the OpenAPI document: which methods each path
//! accepts (so that a wrong method gets 405 with an `Allow` header instead of actix's plain
//! 404; each handler is its own resource, so actix cannot tell "no such path" from "no such
//! method") and what each operation requires of its caller (its `security`).

use actix_web::http::Method;
use drift_core::permissions::Permission;

/// What an operation requires of its caller, as its `security` in the OpenAPI document says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// `security: [{}]`: anyone, signed in or not.
    Public,
    /// `security: [{"bearer": []}]`: any valid identity.
    SignedIn,
    /// `security: [{"bearer": ["<permission>"]}]`: an identity whose role grants it.
    Permission(Permission),
}

impl Requirement {
    /// Reads an operation's `security`. An operation that declares none is a programming
    /// error: every route must say who may call it, so nothing is public by omission.
    fn from_security(operation: &str, security: &serde_json::Value) -> Result<Self, String> {
        let alternatives = security
            .as_array()
            .ok_or_else(|| format!("{operation} declares no security requirement"))?;
        match alternatives.as_slice() {
            [only] if only.as_object().is_some_and(|o| o.is_empty()) => Ok(Requirement::Public),
            [only] => {
                let scopes = only["bearer"]
                    .as_array()
                    .ok_or_else(|| format!("{operation}: only the bearer scheme is known"))?;
                match scopes.as_slice() {
                    [] => Ok(Requirement::SignedIn),
                    [permission] => permission
                        .as_str()
                        .and_then(|p| p.parse().ok())
                        .map(Requirement::Permission)
                        .ok_or_else(|| format!("{operation}: unknown permission {permission}")),
                    _ => Err(format!("{operation}: name exactly one permission")),
                }
            }
            _ => Err(format!(
                "{operation}: declare exactly one security requirement"
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Literal(String),
    Parameter(String),
}

fn segments(template: &str) -> Vec<Segment> {
    template
        .trim_matches('/')
        .split('/')
        .map(
            |part| match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(name) => Segment::Parameter(name.to_owned()),
                None => Segment::Literal(part.to_owned()),
            },
        )
        .collect()
}

#[derive(Debug, Clone)]
struct Route {
    template: Vec<Segment>,
    operations: Vec<(Method, Requirement)>,
}

impl Route {
    /// The path parameters when `parts` has this route's shape.
    fn bind<'p>(&self, parts: &[&'p str]) -> Option<Vec<(&str, &'p str)>> {
        if self.template.len() != parts.len() {
            return None;
        }
        let mut params = Vec::new();
        for (segment, part) in self.template.iter().zip(parts) {
            match segment {
                Segment::Literal(literal) if literal == part => {}
                Segment::Parameter(name) if !part.is_empty() => params.push((name.as_str(), *part)),
                _ => return None,
            }
        }
        Some(params)
    }

    fn literal_count(&self) -> usize {
        self.template
            .iter()
            .filter(|s| matches!(s, Segment::Literal(_)))
            .count()
    }
}

/// A request matched to a documented operation.
#[derive(Debug)]
pub struct MatchedOperation {
    pub requirement: Requirement,
    /// The path parameters by name, e.g. `("tenant_id", "5")`.
    pub params: Vec<(String, String)>,
}

impl MatchedOperation {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The API's path templates, their methods and requirements.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Vec<Route>,
}

impl RouteTable {
    /// Reads the table from the document, refusing operations without a security requirement.
    pub fn from_openapi(document: &utoipa::openapi::OpenApi) -> Result<Self, String> {
        let value = serde_json::to_value(document).map_err(|e| e.to_string())?;
        let mut routes = Vec::new();
        for (template, item) in value["paths"].as_object().into_iter().flatten() {
            let mut operations = Vec::new();
            for (method, operation) in item.as_object().into_iter().flatten() {
                let Ok(method) = Method::from_bytes(method.to_ascii_uppercase().as_bytes()) else {
                    continue;
                };
                let name = format!("{method} {template}");
                let requirement = Requirement::from_security(&name, &operation["security"])?;
                operations.push((method, requirement));
            }
            routes.push(Route {
                template: segments(template),
                operations,
            });
        }
        // The most specific template first, so `/a/b` wins over `/a/{x}`.
        routes.sort_by_key(|r| std::cmp::Reverse(r.literal_count()));
        Ok(Self { routes })
    }

    /// The methods allowed on a concrete path; empty when no route has that shape.
    pub fn allowed(&self, path: &str) -> Vec<Method> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let mut allowed: Vec<Method> = Vec::new();
        for route in &self.routes {
            if route.bind(&parts).is_some() {
                for (method, _) in &route.operations {
                    if !allowed.contains(method) {
                        allowed.push(method.clone());
                    }
                }
            }
        }
        allowed
    }

    /// The documented operation a request is for, if any.
    pub fn find(&self, method: &Method, path: &str) -> Option<MatchedOperation> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        self.routes.iter().find_map(|route| {
            let params = route.bind(&parts)?;
            let (_, requirement) = route.operations.iter().find(|(m, _)| m == method)?;
            Some(MatchedOperation {
                requirement: *requirement,
                params: params
                    .into_iter()
                    .map(|(name, value)| (name.to_owned(), value.to_owned()))
                    .collect(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_found_by_path_shape() {
        let table = RouteTable::from_openapi(&crate::openapi()).unwrap();
        let tenants = table.allowed("/api/v1/tenants");
        assert!(tenants.contains(&Method::GET) && tenants.contains(&Method::POST));
        assert!(!tenants.contains(&Method::DELETE));
        let one = table.allowed("/api/v1/tenants/5");
        assert!(one.contains(&Method::DELETE) && one.contains(&Method::PATCH));
        assert!(table.allowed("/api/v1/nothing").is_empty());
        assert!(table.allowed("/api/v1/tenants/5/users/7/extra").is_empty());
    }

    #[test]
    fn operations_carry_their_requirement_and_parameters() {
        let table = RouteTable::from_openapi(&crate::openapi()).unwrap();
        let login = table.find(&Method::POST, "/api/v1/auth/login").unwrap();
        assert_eq!(login.requirement, Requirement::Public);
        let users = table
            .find(&Method::POST, "/api/v1/tenants/9/users")
            .unwrap();
        assert_eq!(
            users.requirement,
            Requirement::Permission(Permission::UsersManage)
        );
        assert_eq!(users.param("tenant_id"), Some("9"));
        assert!(table.find(&Method::PUT, "/api/v1/auth/login").is_none());
    }

    #[test]
    fn security_declarations_are_strict() {
        let parse = |v: serde_json::Value| Requirement::from_security("op", &v);
        assert!(parse(serde_json::Value::Null).is_err(), "missing");
        assert_eq!(parse(serde_json::json!([{}])), Ok(Requirement::Public));
        assert_eq!(
            parse(serde_json::json!([{"bearer": []}])),
            Ok(Requirement::SignedIn)
        );
        assert!(parse(serde_json::json!([{"bearer": ["nonsense"]}])).is_err());
        assert!(
            parse(serde_json::json!([{}, {"bearer": []}])).is_err(),
            "optional auth"
        );
    }
}
