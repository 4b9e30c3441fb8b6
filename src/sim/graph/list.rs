//! Graph's paged collection reads: the live applications and service principals and the deleted
//! items of one type, filtered, `$select`ed and cut into pages whose `@odata.nextLink` carries the
//! last object id as `$skiptoken` (object ids order the collection, so a page boundary survives
//! objects created or deleted in between).

use axum::response::Response;
use serde_json::{json, Map, Value};

use super::model::ObjectKind;
use super::odata::{self, ListQuery, DEFAULT_TOP};
use super::{graph_base, render, PUBLISHER_DOMAIN};
use crate::sim::state::Failure;
use crate::sim::{json_response, Req, Sim, World};

/// The collections that list with query options.
#[derive(Debug, Clone, Copy)]
pub(super) enum Collection {
    Applications,
    ServicePrincipals,
    Deleted(ObjectKind),
}

/// `(object id, full representation)` of a collection's members, in object-id order.
fn members(world: &World, c: Collection) -> Vec<(String, Map<String, Value>)> {
    let tenant = &world.tenant_id;
    match c {
        Collection::Applications => world
            .applications()
            .into_iter()
            .map(|a| (a.id.clone(), render::application(a, PUBLISHER_DOMAIN)))
            .collect(),
        Collection::ServicePrincipals => world
            .service_principals()
            .into_iter()
            .map(|s| (s.id.clone(), render::service_principal(s, tenant)))
            .collect(),
        Collection::Deleted(kind) => world
            .deleted_directory_items()
            .into_iter()
            .filter(|d| d.kind() == kind)
            .map(|d| {
                (
                    d.id().to_string(),
                    render::deleted_object(d, PUBLISHER_DOMAIN, tenant),
                )
            })
            .collect(),
    }
}

pub(super) fn list(sim: &Sim, req: &Req, c: Collection) -> Result<Response, Failure> {
    let (context, type_name) = match c {
        Collection::Applications => ("applications", "application"),
        Collection::ServicePrincipals => ("servicePrincipals", "servicePrincipal"),
        Collection::Deleted(ObjectKind::Application) => (
            "directoryObjects/microsoft.graph.application",
            "application",
        ),
        Collection::Deleted(ObjectKind::ServicePrincipal) => (
            "directoryObjects/microsoft.graph.servicePrincipal",
            "servicePrincipal",
        ),
    };
    let query: ListQuery = odata::parse_list_query(&req.query, &["displayName", "appId", "id"])?;
    let all = members(&sim.world(), c);
    let top = query.top.unwrap_or(DEFAULT_TOP);
    let mut page = Vec::new();
    let mut more = false;
    for (id, object) in all {
        if query
            .skip_token
            .as_deref()
            .is_some_and(|after| id.as_str() <= after)
            || !odata::matches(&object, &query.filter)
        {
            continue;
        }
        if page.len() == top {
            more = true;
            break;
        }
        page.push((id, object));
    }
    let next = more.then(|| next_link(req, &page.last().expect("a full page").0));
    let context = match &query.select {
        Some(fields) => format!("{context}({})", fields.join(",")),
        None => context.to_string(),
    };
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        json!(format!("{}/$metadata#{context}", graph_base(req))),
    );
    if let Some(link) = next {
        body.insert("@odata.nextLink".into(), json!(link));
    }
    let value = page
        .into_iter()
        .map(|(_, o)| odata::select(o, query.select.as_deref(), type_name).map(Value::Object))
        .collect::<Result<Vec<_>, _>>()?;
    body.insert("value".into(), Value::Array(value));
    Ok(json_response(200, &Value::Object(body)))
}

/// This request's URL with `$skiptoken` set to the last id of the page.
fn next_link(req: &Req, after: &str) -> String {
    let mut url = url::Url::parse(&format!("{}{}", req.base, req.path()))
        .expect("the simulator's own address is a URL");
    {
        let mut pairs = url.query_pairs_mut();
        for (k, v) in &req.query {
            if !k.eq_ignore_ascii_case("$skiptoken") {
                pairs.append_pair(k, v);
            }
        }
        pairs.append_pair("$skiptoken", after);
    }
    url.to_string()
}
