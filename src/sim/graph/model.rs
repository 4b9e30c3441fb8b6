//! The directory's objects: applications with their password credentials, service principals,
//! and what `directory/deletedItems` holds. Public for in-process callers (the sandbox's "nothing
//! of the run is left" check); the password itself is not readable outside the simulator.

use chrono::{DateTime, Utc};

use crate::config::Secret;

/// A password of an application. The secret is kept only to check sign-ins; it leaves the
/// simulator once, in the `addPassword` answer.
#[derive(Debug, Clone)]
pub struct PasswordCredential {
    pub key_id: String,
    pub display_name: Option<String>,
    /// The first three characters of the secret.
    pub hint: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub(crate) secret: Secret,
}

/// An application registration.
#[derive(Debug, Clone)]
pub struct Application {
    /// Object id.
    pub id: String,
    /// Client id.
    pub app_id: String,
    pub display_name: String,
    pub notes: Option<String>,
    pub tags: Vec<String>,
    pub sign_in_audience: String,
    pub created: DateTime<Utc>,
    pub passwords: Vec<PasswordCredential>,
    /// Set while it is in deleted items.
    pub deleted: Option<DateTime<Utc>>,
}

/// A service principal: an application's identity in this tenant.
#[derive(Debug, Clone)]
pub struct ServicePrincipal {
    /// Object id (what role assignments name).
    pub id: String,
    pub app_id: String,
    pub display_name: String,
    pub app_display_name: String,
    pub tags: Vec<String>,
    pub account_enabled: bool,
    pub created: DateTime<Utc>,
    pub deleted: Option<DateTime<Utc>>,
}

/// An object in `directory/deletedItems`.
#[derive(Debug, Clone)]
pub enum DeletedObject {
    Application(Application),
    ServicePrincipal(ServicePrincipal),
}

impl DeletedObject {
    pub fn id(&self) -> &str {
        match self {
            DeletedObject::Application(a) => &a.id,
            DeletedObject::ServicePrincipal(s) => &s.id,
        }
    }

    pub fn display_name(&self) -> &str {
        match self {
            DeletedObject::Application(a) => &a.display_name,
            DeletedObject::ServicePrincipal(s) => &s.display_name,
        }
    }

    pub fn app_id(&self) -> &str {
        match self {
            DeletedObject::Application(a) => &a.app_id,
            DeletedObject::ServicePrincipal(s) => &s.app_id,
        }
    }

    pub fn kind(&self) -> ObjectKind {
        match self {
            DeletedObject::Application(_) => ObjectKind::Application,
            DeletedObject::ServicePrincipal(_) => ObjectKind::ServicePrincipal,
        }
    }
}

/// The two directory object types served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    Application,
    ServicePrincipal,
}
