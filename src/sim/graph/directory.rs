//! The simulated Entra directory: application registrations with their passwords, service
//! principals, and deleted items, as methods of the [`World`]. The HTTP side is in
//! [`super`](crate::sim::graph); the JSON representations in [`super::render`].
//!
//! Sign-in follows the directory: an application's client id can get tokens once the application
//! has a password **and** a service principal exists for it (as in Entra, where a registration
//! without a service principal in the tenant cannot sign in). The newest password is the one the
//! token endpoint accepts. Deleting the application or its service principal removes the client from
//! [`World::principals`] and forgets every token issued to it, so tokens already handed out are
//! refused too.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use crate::config::Secret;
use crate::sim::env::SimIdentity;
use crate::sim::state::{random_token, Failure, Principal, World};

pub use super::model::*;

/// Display name of the orchestrator's application and service principal.
pub const ORCHESTRATOR_NAME: &str = "haymaker-orchestrator";

/// The directory: live objects by lower-case object id, and deleted items.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    pub applications: BTreeMap<String, Application>,
    pub service_principals: BTreeMap<String, ServicePrincipal>,
    pub deleted: BTreeMap<String, DeletedObject>,
}

/// A stable GUID for the orchestrator's application object id.
fn derived_guid(seed: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest: [u8; 32] = Sha256::digest(seed.as_bytes()).into();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

fn new_guid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Entra-shaped password: 40 characters, `~` at the fourth.
fn new_password() -> String {
    let tail: String = std::iter::repeat_with(random_token)
        .flat_map(|t| t.chars().collect::<Vec<_>>())
        .filter(char::is_ascii_alphanumeric)
        .take(39)
        .collect();
    format!("{}~{}", &tail[..3], &tail[3..])
}

impl Directory {
    /// The orchestrator as an application (with its password) and a service principal, so that
    /// lookups by its client id or name find it.
    pub fn seeded(identity: &SimIdentity, now: DateTime<Utc>) -> Self {
        let secret = identity.client_secret.clone();
        let app = Application {
            id: derived_guid(&format!("{}/application", identity.client_id)),
            app_id: identity.client_id.clone(),
            display_name: ORCHESTRATOR_NAME.into(),
            notes: None,
            tags: Vec::new(),
            sign_in_audience: "AzureADMyOrg".into(),
            created: now,
            passwords: vec![PasswordCredential {
                key_id: derived_guid(&format!("{}/password", identity.client_id)),
                display_name: Some("orchestrator".into()),
                hint: secret.expose().chars().take(3).collect(),
                start: now,
                end: now + Duration::days(730),
                secret,
            }],
            deleted: None,
        };
        let sp = ServicePrincipal {
            id: identity.principal_object_id.clone(),
            app_id: identity.client_id.clone(),
            display_name: ORCHESTRATOR_NAME.into(),
            app_display_name: ORCHESTRATOR_NAME.into(),
            tags: Vec::new(),
            account_enabled: true,
            created: now,
            deleted: None,
        };
        let mut d = Self::default();
        d.applications.insert(app.id.to_ascii_lowercase(), app);
        d.service_principals.insert(sp.id.to_ascii_lowercase(), sp);
        d
    }

    fn app_by_app_id(&self, app_id: &str) -> Option<&Application> {
        self.applications
            .values()
            .find(|a| a.app_id.eq_ignore_ascii_case(app_id))
    }

    fn sp_by_app_id(&self, app_id: &str) -> Option<&ServicePrincipal> {
        self.service_principals
            .values()
            .find(|s| s.app_id.eq_ignore_ascii_case(app_id))
    }
}

/// Graph's 404 for an object id.
pub fn object_not_found(id: &str) -> Failure {
    Failure::new(
        404,
        "Request_ResourceNotFound",
        format!("Resource '{id}' does not exist or one of its queried reference-property objects are not present."),
    )
}

/// What `POST /applications` takes.
#[derive(Debug, Clone, Default)]
pub struct NewApplication {
    pub display_name: String,
    pub notes: Option<String>,
    pub tags: Vec<String>,
    pub sign_in_audience: Option<String>,
}

impl World {
    /// Live applications (the orchestrator's included), by object id.
    pub fn applications(&self) -> Vec<&Application> {
        self.directory.applications.values().collect()
    }

    /// Live service principals, by object id.
    pub fn service_principals(&self) -> Vec<&ServicePrincipal> {
        self.directory.service_principals.values().collect()
    }

    /// Everything in `directory/deletedItems` (applications and service principals).
    pub fn deleted_directory_items(&self) -> Vec<&DeletedObject> {
        self.directory.deleted.values().collect()
    }

    pub fn application(&self, id: &str) -> Result<&Application, Failure> {
        self.directory
            .applications
            .get(&id.to_ascii_lowercase())
            .ok_or_else(|| object_not_found(id))
    }

    pub fn service_principal(&self, id: &str) -> Result<&ServicePrincipal, Failure> {
        self.directory
            .service_principals
            .get(&id.to_ascii_lowercase())
            .ok_or_else(|| object_not_found(id))
    }

    pub fn deleted_item(&self, id: &str) -> Result<&DeletedObject, Failure> {
        self.directory
            .deleted
            .get(&id.to_ascii_lowercase())
            .ok_or_else(|| object_not_found(id))
    }

    pub fn create_application(&mut self, new: NewApplication, now: DateTime<Utc>) -> &Application {
        let app = Application {
            id: new_guid(),
            app_id: new_guid(),
            display_name: new.display_name,
            notes: new.notes,
            tags: new.tags,
            sign_in_audience: new
                .sign_in_audience
                .unwrap_or_else(|| "AzureADMyOrg".into()),
            created: now,
            passwords: Vec::new(),
            deleted: None,
        };
        let key = app.id.clone();
        self.directory.applications.entry(key).or_insert(app)
    }

    /// Adds a password; the answer carries the secret, the only time it leaves the simulator.
    pub fn add_password(
        &mut self,
        application_id: &str,
        display_name: Option<String>,
        end: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(PasswordCredential, Secret), Failure> {
        let app = self
            .directory
            .applications
            .get_mut(&application_id.to_ascii_lowercase())
            .ok_or_else(|| object_not_found(application_id))?;
        let secret = Secret::new(new_password());
        let credential = PasswordCredential {
            key_id: new_guid(),
            display_name,
            hint: secret.expose().chars().take(3).collect(),
            start: now,
            end: end.unwrap_or(now + Duration::days(730)),
            secret: secret.clone(),
        };
        app.passwords.push(credential.clone());
        let app_id = app.app_id.clone();
        self.issued
            .record(crate::sim::issued::SecretKind::Password, &secret);
        self.sync_principal(&app_id);
        Ok((credential, secret))
    }

    /// Creates the service principal of the application with client id `app_id`.
    pub fn create_service_principal(
        &mut self,
        app_id: &str,
        tags: Vec<String>,
        now: DateTime<Utc>,
    ) -> Result<&ServicePrincipal, Failure> {
        let Some(app) = self.directory.app_by_app_id(app_id) else {
            return Err(Failure::new(
                400,
                "Request_BadRequest",
                format!("The appId '{app_id}' of the service principal does not reference a valid application object."),
            ));
        };
        if self.directory.sp_by_app_id(app_id).is_some() {
            return Err(Failure::new(
                409,
                "Request_MultipleObjectsWithSameKeyValue",
                format!("The service principal cannot be created, updated, or restored because the service principal name {app_id} is already in use."),
            ));
        }
        let sp = ServicePrincipal {
            id: new_guid(),
            app_id: app.app_id.clone(),
            display_name: app.display_name.clone(),
            app_display_name: app.display_name.clone(),
            tags,
            account_enabled: true,
            created: now,
            deleted: None,
        };
        let (key, app_id) = (sp.id.clone(), sp.app_id.clone());
        self.directory.service_principals.insert(key.clone(), sp);
        self.sync_principal(&app_id);
        Ok(&self.directory.service_principals[&key])
    }

    /// Moves an application to deleted items, and its service principal with it.
    pub fn delete_application(&mut self, id: &str, now: DateTime<Utc>) -> Result<(), Failure> {
        let mut app = self
            .directory
            .applications
            .remove(&id.to_ascii_lowercase())
            .ok_or_else(|| object_not_found(id))?;
        let sp_key = self
            .directory
            .sp_by_app_id(&app.app_id)
            .map(|s| s.id.to_ascii_lowercase());
        if let Some(key) = sp_key {
            self.soft_delete_service_principal(&key, now);
        }
        app.deleted = Some(now);
        let app_id = app.app_id.clone();
        self.directory
            .deleted
            .insert(app.id.to_ascii_lowercase(), DeletedObject::Application(app));
        self.sync_principal(&app_id);
        Ok(())
    }

    /// Moves a service principal to deleted items.
    pub fn delete_service_principal(
        &mut self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), Failure> {
        let key = id.to_ascii_lowercase();
        if !self.directory.service_principals.contains_key(&key) {
            return Err(object_not_found(id));
        }
        self.soft_delete_service_principal(&key, now);
        Ok(())
    }

    fn soft_delete_service_principal(&mut self, key: &str, now: DateTime<Utc>) {
        if let Some(mut sp) = self.directory.service_principals.remove(key) {
            sp.deleted = Some(now);
            let app_id = sp.app_id.clone();
            self.directory
                .deleted
                .insert(key.to_string(), DeletedObject::ServicePrincipal(sp));
            self.sync_principal(&app_id);
        }
    }

    /// Removes a deleted item for good.
    pub fn purge_deleted_item(&mut self, id: &str) -> Result<(), Failure> {
        self.directory
            .deleted
            .remove(&id.to_ascii_lowercase())
            .map(|_| ())
            .ok_or_else(|| object_not_found(id))
    }

    /// Makes [`World::principals`] agree with the directory for one client id: present with the
    /// newest password while the application and its service principal are live, else absent
    /// with every token issued to it forgotten.
    fn sync_principal(&mut self, app_id: &str) {
        let key = app_id.to_ascii_lowercase();
        let signable = match (
            self.directory.app_by_app_id(app_id),
            self.directory.sp_by_app_id(app_id),
        ) {
            (Some(app), Some(sp)) => app.passwords.last().map(|p| Principal {
                client_id: app.app_id.clone(),
                secret: p.secret.clone(),
                object_id: sp.id.clone(),
                display_name: sp.display_name.clone(),
            }),
            _ => None,
        };
        match signable {
            Some(principal) => {
                self.principals.insert(key, principal);
            }
            None => {
                self.principals.remove(&key);
                self.tokens
                    .retain(|_, t| !t.client_id.eq_ignore_ascii_case(app_id));
            }
        }
    }
}

#[cfg(test)]
#[path = "directory_tests.rs"]
mod tests;
