//! The Azure clients of a run, built once from the settings over one connection (one transport,
//! one identity, one pipeline with its rate limits and breakers).

use std::sync::Arc;

use crate::azure::authorization::AuthorizationClient;
use crate::azure::container_apps::ContainerAppsClient;
use crate::azure::graph::{GraphClient, GraphOptions};
use crate::azure::identity::{AzureConnection, IdentityTokens};
use crate::azure::keyvault::SecretsClient;
use crate::azure::resource_graph::ResourceGraphClient;
use crate::azure::resources::ArmClient;
use crate::azure::{AzureError, Pipeline};
use crate::cleanup::azure_ports::AzurePorts;
use crate::cleanup::Ports;
use crate::config::{catalog, Secret, Settings};

/// The clients.
pub struct Cloud {
    pub connection: AzureConnection,
    pub pipeline: Pipeline,
    pub resources: ArmClient,
    pub authorization: AuthorizationClient,
    pub graph: GraphClient,
    pub container_apps: ContainerAppsClient,
    pub resource_graph: ResourceGraphClient,
    /// `None` when `KEY_VAULT_URL` is not set (validation reports it).
    pub secrets: Option<SecretsClient>,
    /// The cleanup engine's ports on the same pipeline.
    cleanup: AzurePorts,
    settings: Arc<Settings>,
}

impl Cloud {
    /// From the settings; the error names what to set.
    pub fn from_settings(settings: &Settings) -> Result<Self, String> {
        let connection = AzureConnection::from_settings(settings)?;
        let pipeline = connection.pipeline();
        let vault = |connection: &AzureConnection| {
            settings
                .azure
                .key_vault_url
                .as_ref()
                .map(|url| connection.secrets(url))
                .transpose()
                .map_err(|e| format!("{}: {e}", catalog::KEY_VAULT_URL))
        };
        let secrets = vault(&connection)?;
        let cleanup = AzurePorts::new(pipeline.clone(), vault(&connection)?);
        Ok(Self {
            resources: ArmClient::new(pipeline.clone()),
            authorization: AuthorizationClient::new(pipeline.clone()),
            graph: GraphClient::new(pipeline.clone(), GraphOptions::default()),
            container_apps: ContainerAppsClient::new(pipeline.clone()),
            resource_graph: ResourceGraphClient::new(pipeline.clone()),
            secrets,
            cleanup,
            pipeline,
            connection,
            settings: Arc::new(settings.clone()),
        })
    }

    /// The cleanup engine's ports (Resource Graph, ARM, identities) on this connection.
    pub fn cleanup_ports(&self) -> Ports<'_> {
        self.cleanup.ports()
    }

    /// A resources client acting as the service principal `client_id` with `secret` — used to see
    /// whether its role assignments have taken effect.
    pub fn as_principal(&self, client_id: &str, secret: Secret) -> Result<ArmClient, AzureError> {
        let mut azure = self.settings.azure.clone();
        azure.client_id = Some(client_id.to_string());
        azure.client_secret = Some(secret);
        let tokens = IdentityTokens::new(&azure, self.connection.transport.clone(), &|_| None)
            .map_err(|e| AzureError::Auth {
                scope: "arm".into(),
                message: e.to_string(),
            })?;
        let pipeline = Pipeline::new(
            self.connection.transport.clone(),
            Arc::new(tokens),
            self.connection.options.clone(),
        );
        Ok(ArmClient::new(pipeline))
    }
}
