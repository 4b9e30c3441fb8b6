//! The rows Resource Graph queries read: `Resources` from the world's resources, `ResourceContainers`
//! from its subscriptions and resource groups, with the columns and lower-casing the service uses.

use serde_json::{json, Map, Value};

use crate::sim::kql::eval::Row;
use crate::sim::kql::Table;
use crate::sim::state::World;

impl World {
    /// Every row of `table`, in id order (lower case), before any query.
    pub fn graph_rows(&self, table: Table) -> Vec<Row> {
        let mut rows: Vec<(String, Row)> = match table {
            Table::Resources => self
                .resources
                .iter()
                .map(|(key, r)| {
                    (
                        key.clone(),
                        resource_row(&self.tenant_id, &r.id, &r.resource_type, &r.body),
                    )
                })
                .collect(),
            Table::ResourceContainers => {
                let mut rows: Vec<(String, Row)> = self
                    .subscriptions
                    .values()
                    .map(|s| {
                        let id = format!("/subscriptions/{}", s.id);
                        let row = json!({
                            "id": id, "name": s.display_name,
                            "type": "microsoft.resources/subscriptions",
                            "tenantId": self.tenant_id, "kind": "", "location": "",
                            "resourceGroup": "", "subscriptionId": s.id, "managedBy": "",
                            "sku": null, "plan": null, "tags": {}, "identity": null,
                            "zones": null, "extendedLocation": null,
                            "properties": {"state": s.state},
                        });
                        (id.to_ascii_lowercase(), object(row))
                    })
                    .collect();
                rows.extend(self.groups.values().map(|g| {
                    let row = json!({
                        "id": g.id(), "name": g.name,
                        "type": "microsoft.resources/subscriptions/resourcegroups",
                        "tenantId": self.tenant_id, "kind": "", "location": g.location,
                        "resourceGroup": g.name.to_ascii_lowercase(),
                        "subscriptionId": g.subscription,
                        "managedBy": g.managed_by.clone().unwrap_or_default(),
                        "sku": null, "plan": null, "tags": g.tags, "identity": null,
                        "zones": null, "extendedLocation": null,
                        "properties": {"provisioningState": g.state.as_str()},
                    });
                    (g.id().to_ascii_lowercase(), object(row))
                }));
                rows
            }
        };
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        rows.into_iter().map(|(_, r)| r).collect()
    }
}

fn object(v: Value) -> Row {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// A resource as a row of `Resources`.
fn resource_row(tenant: &str, id: &str, resource_type: &str, body: &Value) -> Row {
    let segments: Vec<&str> = id.split('/').filter(|s| !s.is_empty()).collect();
    let after = |key: &str| {
        segments
            .iter()
            .position(|s| s.eq_ignore_ascii_case(key))
            .and_then(|i| segments.get(i + 1))
            .map(|s| s.to_ascii_lowercase())
            .unwrap_or_default()
    };
    let field = |k: &str, default: Value| body.get(k).cloned().unwrap_or(default);
    object(json!({
        "id": id,
        "name": field("name", json!("")),
        "type": resource_type.to_ascii_lowercase(),
        "tenantId": tenant,
        "kind": field("kind", json!("")),
        "location": field("location", json!("")),
        "resourceGroup": after("resourceGroups"),
        "subscriptionId": after("subscriptions"),
        "managedBy": field("managedBy", json!("")),
        "sku": field("sku", Value::Null),
        "plan": field("plan", Value::Null),
        "properties": field("properties", json!({})),
        "tags": field("tags", json!({})),
        "identity": field("identity", Value::Null),
        "zones": field("zones", Value::Null),
        "extendedLocation": field("extendedLocation", Value::Null),
    }))
}
