//! Microsoft Graph v1.0 under `/graph/v1.0/`: applications, their passwords, service principals,
//! and `directory/deletedItems`. The directory itself (and how it feeds the token endpoint) is in
//! [`directory`] (its types in [`model`]), the representations in [`render`], the query options in
//! [`odata`] and paged lists in `list`.
//!
//! | operation | answer |
//! |---|---|
//! | `POST /applications` | 201, the application |
//! | `GET /applications[?$filter&$select&$top]`, `GET /applications/{id}` | 200 |
//! | `POST /applications/{id}/addPassword` | 200, the credential with `secretText` (only here) |
//! | `DELETE /applications/{id}` | 204; the application and its service principal move to deleted items |
//! | `POST /servicePrincipals` `{appId}` | 201; 400 when no application has that `appId` |
//! | `GET /servicePrincipals[?…]`, `GET /servicePrincipals/{id}`, `DELETE /servicePrincipals/{id}` | 200 / 204 |
//! | `GET /directory/deletedItems/microsoft.graph.application` (`.servicePrincipal`) | 200, paged |
//! | `GET` / `DELETE /directory/deletedItems/{id}` | 200 / 204 (purge) |
//!
//! Every call needs a Graph token issued here (audience `…/graph` or `https://graph.microsoft.com`).
//! Errors have Graph's shape: `{"error":{"code","message","innerError":{"date","request-id",
//! "client-request-id"}}}`, with `request-id` and `client-request-id` headers to match.

pub mod directory;
mod list;
pub mod model;
pub mod odata;
pub mod render;

use axum::http::{HeaderValue, Method};
use axum::response::Response;
use chrono::Utc;
use serde_json::{json, Map, Value};

use super::env::GRAPH_PATH;
use super::state::{Audience, BearerError, Failure};
use super::{empty_response, json_response, Req, Sim};
use directory::NewApplication;
use list::{list, Collection};
use model::ObjectKind;

/// The tenant's domain, as `publisherDomain` shows it.
pub(super) const PUBLISHER_DOMAIN: &str = "haymakersim.onmicrosoft.com";

/// The ids that go into an error's `innerError` and the answer's headers.
struct Stamp {
    request_id: String,
    client_request_id: String,
}

impl Stamp {
    fn new(req: &Req) -> Self {
        let request_id = uuid::Uuid::new_v4().to_string();
        let client_request_id = req
            .header("client-request-id")
            .map(str::to_string)
            .unwrap_or_else(|| request_id.clone());
        Self {
            request_id,
            client_request_id,
        }
    }

    fn headers(&self, mut response: Response) -> Response {
        for (name, value) in [
            ("request-id", &self.request_id),
            ("client-request-id", &self.client_request_id),
        ] {
            if let Ok(v) = HeaderValue::from_str(value) {
                response.headers_mut().insert(name, v);
            }
        }
        response
    }

    fn error(&self, failure: &Failure) -> Response {
        let body = json!({"error": {
            "code": failure.code,
            "message": failure.message,
            "innerError": {
                "date": Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string(),
                "request-id": self.request_id,
                "client-request-id": self.client_request_id,
            }
        }});
        self.headers(json_response(failure.status, &body))
    }
}

/// The Graph token check; the refusal is Graph's 401.
fn require_graph(sim: &Sim, req: &Req) -> Result<(), Failure> {
    let refuse = |message: &str| Failure::new(401, "InvalidAuthenticationToken", message);
    let token = req
        .header("authorization")
        .and_then(|h| h.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| refuse("Access token is empty."))?;
    match sim.world().bearer(token, Audience::Graph, Utc::now()) {
        Ok(_) => Ok(()),
        Err(BearerError::Unknown) => Err(refuse("Access token validation failure.")),
        Err(BearerError::Expired(_)) => {
            Err(refuse("Lifetime validation failed, the token is expired."))
        }
        Err(BearerError::WrongAudience(_)) => {
            Err(refuse("Access token validation failure. Invalid audience."))
        }
    }
}

/// Serves one request under `/graph/`.
pub fn handle(sim: &Sim, req: &Req) -> Response {
    let stamp = Stamp::new(req);
    if let Err(refusal) = require_graph(sim, req) {
        let mut response = stamp.error(&refusal);
        let challenge = format!(
            "Bearer realm=\"\", authorization_uri=\"{}/{}/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"",
            req.base, sim.identity.tenant_id
        );
        if let Ok(v) = HeaderValue::from_str(&challenge) {
            response.headers_mut().insert("www-authenticate", v);
        }
        return response;
    }
    match serve(sim, req) {
        Ok(response) => stamp.headers(response),
        Err(failure) => stamp.error(&failure),
    }
}

fn serve(sim: &Sim, req: &Req) -> Result<Response, Failure> {
    let lower: Vec<&str> = req.lower.iter().map(String::as_str).collect();
    let s = &req.segments;
    let m = &req.method;
    match lower.as_slice() {
        [_, "v1.0", rest @ ..] => match (m, rest) {
            (&Method::POST, ["applications"]) => create_application(sim, req),
            (&Method::GET, ["applications"]) => list(sim, req, Collection::Applications),
            (&Method::GET, ["applications", _]) => {
                let world = sim.world();
                let app = render::application(world.application(&s[3])?, PUBLISHER_DOMAIN);
                Ok(entity(req, "applications", app))
            }
            (&Method::DELETE, ["applications", _]) => {
                sim.world().delete_application(&s[3], Utc::now())?;
                Ok(empty_response(204))
            }
            (&Method::POST, ["applications", _, "addpassword"]) => add_password(sim, req),
            (&Method::POST, ["serviceprincipals"]) => create_service_principal(sim, req),
            (&Method::GET, ["serviceprincipals"]) => list(sim, req, Collection::ServicePrincipals),
            (&Method::GET, ["serviceprincipals", _]) => {
                let world = sim.world();
                let sp =
                    render::service_principal(world.service_principal(&s[3])?, &world.tenant_id);
                Ok(entity(req, "servicePrincipals", sp))
            }
            (&Method::DELETE, ["serviceprincipals", _]) => {
                sim.world().delete_service_principal(&s[3], Utc::now())?;
                Ok(empty_response(204))
            }
            (&Method::GET, ["directory", "deleteditems", "microsoft.graph.application"]) => {
                list(sim, req, Collection::Deleted(ObjectKind::Application))
            }
            (&Method::GET, ["directory", "deleteditems", "microsoft.graph.serviceprincipal"]) => {
                list(sim, req, Collection::Deleted(ObjectKind::ServicePrincipal))
            }
            (&Method::GET, ["directory", "deleteditems", _]) => {
                let world = sim.world();
                let item = render::deleted_object(
                    world.deleted_item(&s[4])?,
                    PUBLISHER_DOMAIN,
                    &world.tenant_id,
                );
                Ok(entity(req, "directory/deletedItems", item))
            }
            (&Method::DELETE, ["directory", "deleteditems", _]) => {
                sim.world().purge_deleted_item(&s[4])?;
                Ok(empty_response(204))
            }
            _ => Err(no_route(req)),
        },
        [_, version, ..] => Err(Failure::new(
            400,
            "BadRequest",
            format!("Invalid version: '{version}'; the simulator serves Graph v1.0."),
        )),
        _ => Err(no_route(req)),
    }
}

fn no_route(req: &Req) -> Failure {
    Failure::new(
        400,
        "BadRequest",
        format!(
            "Resource not found for the segment in {} {}: the simulator's Graph serves applications, servicePrincipals and directory/deletedItems.",
            req.method,
            req.path()
        ),
    )
}

pub(super) fn graph_base(req: &Req) -> String {
    format!("{}/{GRAPH_PATH}/v1.0", req.base)
}

/// A single object with its `@odata.context`.
fn entity(req: &Req, set: &str, mut body: Map<String, Value>) -> Response {
    body.insert(
        "@odata.context".into(),
        json!(format!("{}/$metadata#{set}/$entity", graph_base(req))),
    );
    json_response(200, &Value::Object(body))
}

fn created(req: &Req, set: &str, body: Map<String, Value>) -> Response {
    let mut response = entity(req, set, body);
    *response.status_mut() = axum::http::StatusCode::CREATED;
    response
}

/// The request body as a JSON object.
fn body_object(req: &Req) -> Result<Map<String, Value>, Failure> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice(&req.body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(Failure::new(
            400,
            "Request_BadRequest",
            "The request body must be a JSON object.",
        )),
        Err(e) => Err(Failure::new(
            400,
            "BadRequest",
            format!("Unable to read JSON request payload: {e}."),
        )),
    }
}

fn string_field(body: &Map<String, Value>, name: &str) -> Result<Option<String>, Failure> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Failure::new(
            400,
            "Request_BadRequest",
            format!("Invalid value for property '{name}': a string is expected."),
        )),
    }
}

fn tags_field(body: &Map<String, Value>) -> Result<Vec<String>, Failure> {
    let invalid = || {
        Failure::new(
            400,
            "Request_BadRequest",
            "Invalid value for property 'tags': an array of strings is expected.",
        )
    };
    match body.get("tags") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|t| t.as_str().map(str::to_string).ok_or_else(invalid))
            .collect(),
        Some(_) => Err(invalid()),
    }
}

fn create_application(sim: &Sim, req: &Req) -> Result<Response, Failure> {
    let body = body_object(req)?;
    let display_name = string_field(&body, "displayName")?
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| {
            Failure::new(
                400,
                "Request_BadRequest",
                "Property 'displayName' is required on an application and must not be empty.",
            )
        })?;
    let audience = string_field(&body, "signInAudience")?;
    const AUDIENCES: [&str; 4] = [
        "AzureADMyOrg",
        "AzureADMultipleOrgs",
        "AzureADandPersonalMicrosoftAccount",
        "PersonalMicrosoftAccount",
    ];
    if let Some(a) = audience.as_deref().filter(|a| !AUDIENCES.contains(a)) {
        return Err(Failure::new(
            400,
            "Request_BadRequest",
            format!(
                "Invalid value '{a}' for property 'signInAudience'; one of {}.",
                AUDIENCES.join(", ")
            ),
        ));
    }
    let new = NewApplication {
        display_name,
        notes: string_field(&body, "notes")?,
        tags: tags_field(&body)?,
        sign_in_audience: audience,
    };
    let mut world = sim.world();
    let app = world.create_application(new, Utc::now());
    Ok(created(
        req,
        "applications",
        render::application(app, PUBLISHER_DOMAIN),
    ))
}

fn add_password(sim: &Sim, req: &Req) -> Result<Response, Failure> {
    let body = body_object(req)?;
    let credential = match body.get("passwordCredential") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => {
            return Err(Failure::new(
                400,
                "Request_BadRequest",
                "Invalid value for 'passwordCredential': an object is expected.",
            ))
        }
    };
    let end = match string_field(&credential, "endDateTime")? {
        None => None,
        Some(text) => Some(
            chrono::DateTime::parse_from_rfc3339(&text)
                .map_err(|_| {
                    Failure::new(
                        400,
                        "Request_BadRequest",
                        format!("Invalid value '{text}' for 'endDateTime': an ISO 8601 date and time is expected."),
                    )
                })?
                .with_timezone(&Utc),
        ),
    };
    let display_name = string_field(&credential, "displayName")?;
    let (credential, secret) =
        sim.world()
            .add_password(&req.segments[3], display_name, end, Utc::now())?;
    let mut body = render::password(&credential, Some(secret.expose()));
    if let Value::Object(m) = &mut body {
        m.insert(
            "@odata.context".into(),
            json!(format!(
                "{}/$metadata#microsoft.graph.passwordCredential",
                graph_base(req)
            )),
        );
    }
    Ok(json_response(200, &body))
}

fn create_service_principal(sim: &Sim, req: &Req) -> Result<Response, Failure> {
    let body = body_object(req)?;
    let app_id = string_field(&body, "appId")?
        .filter(|a| !a.trim().is_empty())
        .ok_or_else(|| {
            Failure::new(
                400,
                "Request_BadRequest",
                "Property 'appId' (the application's client id) is required on a service principal.",
            )
        })?;
    let tags = tags_field(&body)?;
    let mut world = sim.world();
    let tenant = world.tenant_id.clone();
    let sp = world.create_service_principal(&app_id, tags, Utc::now())?;
    Ok(created(
        req,
        "servicePrincipals",
        render::service_principal(sp, &tenant),
    ))
}
