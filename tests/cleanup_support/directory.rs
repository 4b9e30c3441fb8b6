//! An in-memory directory, RBAC and vault in place of Graph, role assignments and Key Vault until
//! the simulator serves them (see the module docs of `cleanup_support`). It keeps a log of calls so
//! tests can check the order of the phases.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use async_trait::async_trait;
use haymaker::azure::AzureError;
use haymaker::cleanup::ports::{IdentityOps, PrincipalPresence};
use haymaker::cleanup::RunPrincipal;

#[derive(Default)]
pub struct State {
    /// app object id → (app id, display name)
    pub apps: BTreeMap<String, (String, String)>,
    /// sp object id → (app id, display name)
    pub sps: BTreeMap<String, (String, String)>,
    pub deleted_items: BTreeSet<String>,
    /// role assignment id → principal object id
    pub role_assignments: BTreeMap<String, String>,
    pub secrets: BTreeSet<String>,
    pub deleted_secrets: BTreeSet<String>,
    pub log: Vec<String>,
}

#[derive(Default)]
pub struct FakeDirectory {
    pub state: Mutex<State>,
}

impl FakeDirectory {
    /// Adds an application + service principal named `name`, with a role assignment in `sub` and a
    /// secret; returns the principal as the run state would record it.
    pub fn add_principal(&self, name: &str, sub: &str, secret: &str) -> (RunPrincipal, String) {
        let mut s = self.state.lock().unwrap();
        let app_id = uuid::Uuid::new_v4().to_string();
        let app = uuid::Uuid::new_v4().to_string();
        let sp = uuid::Uuid::new_v4().to_string();
        s.apps
            .insert(app.clone(), (app_id.clone(), name.to_string()));
        s.sps.insert(sp.clone(), (app_id.clone(), name.to_string()));
        let ra = format!(
            "/subscriptions/{sub}/providers/Microsoft.Authorization/roleAssignments/{}",
            uuid::Uuid::new_v4()
        );
        s.role_assignments.insert(ra.clone(), sp.clone());
        s.secrets.insert(secret.to_string());
        let p = RunPrincipal {
            app_object_id: Some(app),
            sp_object_id: Some(sp),
            app_id,
            display_name: name.to_string(),
        };
        (p, ra)
    }

    pub fn log(&self) -> Vec<String> {
        self.state.lock().unwrap().log.clone()
    }

    fn note(&self, s: &mut State, what: &str) {
        s.log.push(what.to_string());
    }
}

#[async_trait]
impl IdentityOps for FakeDirectory {
    async fn find_principals(&self, prefix: &str) -> Result<Vec<RunPrincipal>, AzureError> {
        let s = self.state.lock().unwrap();
        let mut out: BTreeMap<String, RunPrincipal> = BTreeMap::new();
        for (id, (app_id, name)) in &s.apps {
            if name.starts_with(prefix) {
                let p = out.entry(app_id.clone()).or_insert_with(|| RunPrincipal {
                    app_id: app_id.clone(),
                    display_name: name.clone(),
                    ..Default::default()
                });
                p.app_object_id = Some(id.clone());
            }
        }
        for (id, (app_id, name)) in &s.sps {
            if name.starts_with(prefix) {
                let p = out.entry(app_id.clone()).or_insert_with(|| RunPrincipal {
                    app_id: app_id.clone(),
                    display_name: name.clone(),
                    ..Default::default()
                });
                p.sp_object_id = Some(id.clone());
            }
        }
        Ok(out.into_values().collect())
    }

    async fn role_assignments_of(
        &self,
        subscription: &str,
        principal: &str,
    ) -> Result<Vec<String>, AzureError> {
        let s = self.state.lock().unwrap();
        let scope = format!("/subscriptions/{subscription}/");
        Ok(s.role_assignments
            .iter()
            .filter(|(id, p)| *p == principal && id.starts_with(&scope))
            .map(|(id, _)| id.clone())
            .collect())
    }

    async fn delete_role_assignment(&self, id: &str) -> Result<(), AzureError> {
        let mut s = self.state.lock().unwrap();
        s.role_assignments.remove(id);
        self.note(&mut s, &format!("role-assignment {id}"));
        Ok(())
    }

    async fn role_assignment_exists(&self, id: &str) -> Result<bool, AzureError> {
        Ok(self.state.lock().unwrap().role_assignments.contains_key(id))
    }

    async fn delete_service_principal(&self, object_id: &str) -> Result<(), AzureError> {
        let mut s = self.state.lock().unwrap();
        if s.sps.remove(object_id).is_some() {
            s.deleted_items.insert(object_id.to_string());
        }
        self.note(&mut s, &format!("service-principal {object_id}"));
        Ok(())
    }

    async fn delete_application(&self, object_id: &str) -> Result<(), AzureError> {
        let mut s = self.state.lock().unwrap();
        if s.apps.remove(object_id).is_some() {
            s.deleted_items.insert(object_id.to_string());
        }
        self.note(&mut s, &format!("application {object_id}"));
        Ok(())
    }

    async fn purge_deleted(&self, object_id: &str) -> Result<(), AzureError> {
        let mut s = self.state.lock().unwrap();
        s.deleted_items.remove(object_id);
        self.note(&mut s, &format!("purge {object_id}"));
        Ok(())
    }

    async fn principal_presence(&self, p: &RunPrincipal) -> Result<PrincipalPresence, AzureError> {
        let s = self.state.lock().unwrap();
        let live = |m: &BTreeMap<String, (String, String)>, id: &Option<String>| {
            m.values().any(|(a, _)| a == &p.app_id)
                || id.as_ref().is_some_and(|i| m.contains_key(i))
        };
        let purged = |id: &Option<String>| id.as_ref().is_none_or(|i| !s.deleted_items.contains(i));
        Ok(PrincipalPresence {
            application: live(&s.apps, &p.app_object_id) || !purged(&p.app_object_id),
            service_principal: live(&s.sps, &p.sp_object_id) || !purged(&p.sp_object_id),
        })
    }

    async fn delete_secret(&self, name: &str) -> Result<(), AzureError> {
        let mut s = self.state.lock().unwrap();
        s.secrets.remove(name);
        s.deleted_secrets.remove(name);
        self.note(&mut s, &format!("secret {name}"));
        Ok(())
    }

    async fn secret_exists(&self, name: &str) -> Result<bool, AzureError> {
        let s = self.state.lock().unwrap();
        Ok(s.secrets.contains(name) || s.deleted_secrets.contains(name))
    }
}
