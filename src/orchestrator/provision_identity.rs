//! The scenario principal's steps of provisioning: application → service principal → password,
//! straight into Key Vault. Each is recorded by the parent's fence ([`super::done`]) and finds what
//! an earlier attempt (or a concurrent copy of the unit) made, so a repeat creates nothing twice.

use uuid::Uuid;

use crate::azure::graph::{NewApplication, NewPassword, NewServicePrincipal};
use crate::azure::keyvault::{NewSecret, OnSoftDeleted, SecretsClient};
use crate::run::{names, PrincipalRecord, ProvisionStep, ScenarioRecord};

use super::super::{Cloud, Orchestrator, OrchestratorError};
use super::done;

/// Makes (or finds) the scenario's application, service principal and password; the principal
/// as recorded, with its object id.
pub(super) async fn provision(
    o: &Orchestrator,
    cloud: &Cloud,
    secrets: &SecretsClient,
    run_id: Uuid,
    scheduled_end_at: chrono::DateTime<chrono::Utc>,
    r: &mut ScenarioRecord,
    tags: &std::collections::BTreeMap<String, String>,
) -> Result<PrincipalRecord, OrchestratorError> {
    let display_name = names::principal_name(run_id, &r.name);
    if r.step < ProvisionStep::Application || r.principal.is_none() {
        let existing = cloud.graph.find_applications(&display_name).await?;
        let (app, created) = match existing
            .into_iter()
            .find(|a| a.display_name == display_name)
        {
            Some(app) => (app, false),
            None => {
                let app = cloud
                    .graph
                    .create_application(&NewApplication {
                        display_name: display_name.clone(),
                        notes: Some(format!("haymaker run {run_id}, scenario {}", r.name)),
                        tags: vec![format!("haymaker-run-id:{run_id}")],
                    })
                    .await?;
                (app, true)
            }
        };
        let principal = PrincipalRecord {
            display_name: display_name.clone(),
            application_object_id: app.id.clone(),
            app_id: app.app_id.clone(),
            principal_object_id: None,
        };
        done(o, run_id, r, ProvisionStep::Application, |rec| {
            rec.principal.get_or_insert_with(|| principal.clone());
        })
        .await?;
        // Two copies of this unit running at once may each create an application (Graph does
        // not refuse a second one of the same name). The run document decides: the first
        // recorded is the scenario's; a copy whose own is not deletes it (and purges it).
        let recorded = r
            .principal
            .as_ref()
            .map(|p| p.application_object_id.as_str());
        if created && recorded != Some(app.id.as_str()) {
            tracing::warn!(%run_id, scenario = %r.name, application = %app.id, "a concurrent copy created the scenario's application first; deleting this one");
            cloud.graph.delete_application(&app.id).await?;
            cloud.graph.purge_deleted_item(&app.id).await?;
        }
    }
    let mut principal = r.principal.clone().expect("recorded above");

    if r.step < ProvisionStep::ServicePrincipal || principal.principal_object_id.is_none() {
        let found = cloud.graph.find_service_principals(&display_name).await?;
        let sp = match found.into_iter().find(|p| p.app_id == principal.app_id) {
            Some(sp) => sp,
            None => {
                let created = cloud
                    .graph
                    .create_service_principal(&NewServicePrincipal {
                        app_id: principal.app_id.clone(),
                        tags: vec![format!("haymaker-run-id:{run_id}")],
                    })
                    .await;
                match created {
                    Ok(sp) => sp,
                    // A concurrent copy of this unit created it a moment ago: use that one.
                    Err(e) if e.is_conflict() => cloud
                        .graph
                        .find_service_principals(&display_name)
                        .await?
                        .into_iter()
                        .find(|p| p.app_id == principal.app_id)
                        .ok_or(e)?,
                    Err(e) => return Err(e.into()),
                }
            }
        };
        principal.principal_object_id = Some(sp.id.clone());
        done(o, run_id, r, ProvisionStep::ServicePrincipal, |rec| {
            if let Some(p) = rec.principal.as_mut() {
                p.principal_object_id.get_or_insert_with(|| sp.id.clone());
            }
        })
        .await?;
    }
    let principal = r.principal.clone().expect("recorded above");

    if r.step < ProvisionStep::Secret {
        // A password is added only when the vault does not hold one yet: a retry after this step
        // finds it and adds none.
        if secrets.get(&r.secret_name, None).await?.is_none() {
            let password = cloud
                .graph
                .add_password(
                    &principal.application_object_id,
                    &NewPassword {
                        display_name: "haymaker agent".into(),
                        end_date_time: Some(scheduled_end_at + chrono::Duration::days(1)),
                    },
                )
                .await?;
            let mut secret = NewSecret::new(password.secret_text);
            secret.tags = tags.clone();
            secret.content_type = Some(format!("client secret of {}", principal.app_id));
            secrets
                .set(&r.secret_name, &secret, OnSoftDeleted::Purge)
                .await?;
        }
        done(o, run_id, r, ProvisionStep::Secret, |_| {}).await?;
    }
    Ok(principal)
}
