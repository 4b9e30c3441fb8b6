//! Every setting haymaker reads, in one list. The loader, `local.settings.example.json`, the README's
//! settings table and the Bicep app settings (`infra/modules/functionapp.bicep`, tests/app/infra.rs) are all
//! checked against this list by tests.

/// One app setting (environment variable) the product reads.
#[derive(Debug, Clone, Copy)]
pub struct SettingSpec {
    pub name: &'static str,
    /// Value used when the setting is absent; `None` means "no value".
    pub default: Option<&'static str>,
    /// A secret: never logged, never written to state, masked in `Debug`.
    pub secret: bool,
    /// What it is for, one sentence (rendered into the README table).
    pub purpose: &'static str,
    /// The value `local.settings.example.json` shows.
    pub example: &'static str,
}

const fn s(
    name: &'static str,
    default: Option<&'static str>,
    secret: bool,
    purpose: &'static str,
    example: &'static str,
) -> SettingSpec {
    SettingSpec {
        name,
        default,
        secret,
        purpose,
        example,
    }
}

pub const FUNCTIONS_WORKER_RUNTIME: &str = "FUNCTIONS_WORKER_RUNTIME";
pub const FUNCTIONS_CUSTOMHANDLER_PORT: &str = "FUNCTIONS_CUSTOMHANDLER_PORT";
pub const AZURE_WEBJOBS_STORAGE: &str = "AzureWebJobsStorage";
pub const AZURE_WEBJOBS_STORAGE_ACCOUNT: &str = "AzureWebJobsStorage__accountName";
pub const AZURE_WEBJOBS_STORAGE_BLOB_URI: &str = "AzureWebJobsStorage__blobServiceUri";
pub const AZURE_WEBJOBS_STORAGE_QUEUE_URI: &str = "AzureWebJobsStorage__queueServiceUri";
pub const HAYMAKER_STATE: &str = "HAYMAKER_STATE";
pub const HAYMAKER_SCENARIOS_DIR: &str = "HAYMAKER_SCENARIOS_DIR";
pub const SIMULATION_SIZE: &str = "SIMULATION_SIZE";
pub const HAYMAKER_RUN_DURATION_HOURS: &str = "HAYMAKER_RUN_DURATION_HOURS";
pub const AZURE_TENANT_ID: &str = "AZURE_TENANT_ID";
pub const AZURE_CLIENT_ID: &str = "AZURE_CLIENT_ID";
pub const AZURE_CLIENT_SECRET: &str = "AZURE_CLIENT_SECRET";
pub const AZURE_AUTHORITY_HOST: &str = "AZURE_AUTHORITY_HOST";
pub const HAYMAKER_ARM_ENDPOINT: &str = "HAYMAKER_ARM_ENDPOINT";
pub const HAYMAKER_GRAPH_ENDPOINT: &str = "HAYMAKER_GRAPH_ENDPOINT";
pub const HAYMAKER_EXTRA_CA_FILE: &str = "HAYMAKER_EXTRA_CA_FILE";
pub const HAYMAKER_TARGET_SUBSCRIPTIONS: &str = "HAYMAKER_TARGET_SUBSCRIPTIONS";
pub const HAYMAKER_LOCATION: &str = "HAYMAKER_LOCATION";
pub const KEY_VAULT_URL: &str = "KEY_VAULT_URL";
pub const HAYMAKER_AGENT_SECRET_NAMES: &str = "HAYMAKER_AGENT_SECRET_NAMES";
pub const CONTAINER_APPS_ENVIRONMENT_ID: &str = "CONTAINER_APPS_ENVIRONMENT_ID";
pub const HAYMAKER_AGENT_IMAGE: &str = "HAYMAKER_AGENT_IMAGE";
pub const HAYMAKER_AGENT_CPU: &str = "HAYMAKER_AGENT_CPU";
pub const HAYMAKER_AGENT_MEMORY_GIB: &str = "HAYMAKER_AGENT_MEMORY_GIB";
pub const HAYMAKER_AGENT_WORKLOAD_PROFILE: &str = "HAYMAKER_AGENT_WORKLOAD_PROFILE";
pub const HAYMAKER_AGENT_IDENTITY_ID: &str = "HAYMAKER_AGENT_IDENTITY_ID";
pub const HAYMAKER_AGENT_MODE: &str = "HAYMAKER_AGENT_MODE";
pub const HAYMAKER_AGENT_MODEL: &str = "HAYMAKER_AGENT_MODEL";
pub const HAYMAKER_AGENT_MODEL_URL: &str = "HAYMAKER_AGENT_MODEL_URL";
/// The Key Vault secret (in `HAYMAKER_AGENT_SECRET_NAMES`) holding assisted mode's model API key;
/// agents get it as `HAYMAKER_SECRET_ANTHROPIC_API_KEY`.
pub const AGENT_MODEL_KEY_SECRET: &str = "anthropic-api-key";
pub const SERVICE_BUS_CONNECTION: &str = "ServiceBusConnection";
pub const SERVICE_BUS_NAMESPACE: &str = "ServiceBusConnection__fullyQualifiedNamespace";
pub const HAYMAKER_EVENTS_TOPIC: &str = "HAYMAKER_EVENTS_TOPIC";
pub const HAYMAKER_EVENTS_SUBSCRIPTION: &str = "HAYMAKER_EVENTS_SUBSCRIPTION";
pub const HAYMAKER_EVENTS_TAIL_SUBSCRIPTION: &str = "HAYMAKER_EVENTS_TAIL_SUBSCRIPTION";
pub const HAYMAKER_LOGS_DCE_ENDPOINT: &str = "HAYMAKER_LOGS_DCE_ENDPOINT";
pub const HAYMAKER_LOGS_DCR_ID: &str = "HAYMAKER_LOGS_DCR_ID";
pub const HAYMAKER_LOGS_STREAM: &str = "HAYMAKER_LOGS_STREAM";
pub const HAYMAKER_API_KEY: &str = "HAYMAKER_API_KEY";
pub const HAYMAKER_LOG_FORMAT: &str = "HAYMAKER_LOG_FORMAT";
pub const RUST_LOG: &str = "RUST_LOG";

/// The whole catalogue, in the order the README documents it.
pub const SETTINGS: &[SettingSpec] = &[
    s(FUNCTIONS_WORKER_RUNTIME, None, false,
      "Set by the Functions app; must be `Custom` for a custom handler (haymaker does not read it at run time).",
      "Custom"),
    s(FUNCTIONS_CUSTOMHANDLER_PORT, Some("7071"), false,
      "Port the Functions host tells the handler to listen on (the host sets it); `haymaker serve --port` overrides it.",
      ""),
    s(AZURE_WEBJOBS_STORAGE, None, true,
      "Storage connection string of the Function App (`UseDevelopmentStorage=true` for Azurite); holds run state when `HAYMAKER_STATE` is unset.",
      "UseDevelopmentStorage=true"),
    s(AZURE_WEBJOBS_STORAGE_ACCOUNT, None, false,
      "Identity-based storage: the account name. Tokens for `https://storage.azure.com` come from the orchestrator's identity (client secret, managed identity or developer tools, as for Azure); it needs Storage Blob Data Contributor.",
      ""),
    s(AZURE_WEBJOBS_STORAGE_BLOB_URI, None, false,
      "Identity-based storage: the blob service URI (https), for non-public clouds or emulators; same identity as `AzureWebJobsStorage__accountName`.",
      ""),
    s(AZURE_WEBJOBS_STORAGE_QUEUE_URI, None, false,
      "Identity-based storage: the queue service URI (the `Work` queue trigger uses it).",
      ""),
    s(HAYMAKER_STATE, None, true,
      "Where run state lives: `file:///path` for a local directory, or a storage connection string / blob service URL. Default: the storage above, else `.haymaker/state`.",
      ""),
    s(HAYMAKER_SCENARIOS_DIR, None, false,
      "Directory of scenario documents that replaces the library embedded in the binary.",
      ""),
    s(SIMULATION_SIZE, Some("small"), false,
      "Scenarios per scheduled run: `small` (5), `medium` (15), `large` (30) or a number.",
      "small"),
    s(HAYMAKER_RUN_DURATION_HOURS, Some("8"), false,
      "How long a run's agents operate before cleanup, in hours (0 < h <= 72).",
      "8"),
    s(AZURE_TENANT_ID, None, false,
      "Entra tenant of the target subscriptions and of the orchestrator's identity.",
      "00000000-0000-0000-0000-000000000000"),
    s(AZURE_CLIENT_ID, None, false,
      "Client id of the orchestrator's identity (user-assigned managed identity or app registration).",
      "00000000-0000-0000-0000-000000000000"),
    s(AZURE_CLIENT_SECRET, None, true,
      "Client secret for a local app registration; unset in Azure, where the managed identity is used.",
      ""),
    s(AZURE_AUTHORITY_HOST, Some("https://login.microsoftonline.com"), false,
      "Entra authority host (sovereign clouds, or the simulator).",
      "https://login.microsoftonline.com"),
    s(HAYMAKER_ARM_ENDPOINT, Some("https://management.azure.com"), false,
      "Azure Resource Manager endpoint (sovereign clouds, or the simulator).",
      "https://management.azure.com"),
    s(HAYMAKER_GRAPH_ENDPOINT, Some("https://graph.microsoft.com"), false,
      "Microsoft Graph endpoint (sovereign clouds, or the simulator).",
      "https://graph.microsoft.com"),
    s(HAYMAKER_EXTRA_CA_FILE, None, false,
      "PEM file of extra certificate authorities to trust (the simulator's CA).",
      ""),
    s(HAYMAKER_TARGET_SUBSCRIPTIONS, None, false,
      "Comma-separated subscription ids that scenarios run in and cleanup sweeps.",
      "00000000-0000-0000-0000-000000000000"),
    s(HAYMAKER_LOCATION, Some("eastus"), false,
      "Azure region for scenario resource groups and agents.",
      "eastus"),
    s(KEY_VAULT_URL, None, false,
      "Key Vault that holds the scenario principals' secrets and the agents' secrets.",
      "https://haymaker-kv.vault.azure.net"),
    s(HAYMAKER_AGENT_SECRET_NAMES, Some(""), false,
      "Comma-separated Key Vault secret names every agent needs (checked before a run starts).",
      ""),
    s(CONTAINER_APPS_ENVIRONMENT_ID, None, false,
      "Resource id of the Container Apps managed environment the agents run in.",
      "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/haymaker/providers/Microsoft.App/managedEnvironments/haymaker-env"),
    s(HAYMAKER_AGENT_IMAGE, None, false,
      "Container image of the agent (`haymaker agent`).",
      "haymakeracr.azurecr.io/haymaker:latest"),
    s(HAYMAKER_AGENT_CPU, Some("2.0"), false,
      "vCPUs per agent container.",
      "2.0"),
    s(HAYMAKER_AGENT_MEMORY_GIB, Some("64"), false,
      "Memory per agent container in GiB (needs a dedicated workload profile above 4 GiB).",
      "64"),
    s(HAYMAKER_AGENT_WORKLOAD_PROFILE, Some("haymaker-agents"), false,
      "Name of the dedicated workload profile the agents run on.",
      "haymaker-agents"),
    s(HAYMAKER_AGENT_IDENTITY_ID, None, false,
      "Resource id of the user-assigned identity agents read their Key Vault secrets with (it needs Key Vault Secrets User); unset: each app's system-assigned identity.",
      "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/haymaker/providers/Microsoft.ManagedIdentity/userAssignedIdentities/haymaker-agents"),
    s(HAYMAKER_AGENT_MODE, Some("deterministic"), false,
      "How agents handle a step that failed its retries: `deterministic` (record and skip) or `assisted` (ask the model for a corrected command; needs `anthropic-api-key` in `HAYMAKER_AGENT_SECRET_NAMES`).",
      "deterministic"),
    s(HAYMAKER_AGENT_MODEL, None, false,
      "Assisted mode: the model the agents ask; unset: the agent's default (`claude-sonnet-4-5`).",
      ""),
    s(HAYMAKER_AGENT_MODEL_URL, None, false,
      "Assisted mode: base URL of the Messages API; unset: the agent's default (`https://api.anthropic.com`).",
      ""),
    s(SERVICE_BUS_CONNECTION, None, true,
      "Service Bus connection string (local use); in Azure use the identity-based setting below.",
      ""),
    s(SERVICE_BUS_NAMESPACE, None, false,
      "Identity-based Service Bus: the fully qualified namespace.",
      "haymaker-sb.servicebus.windows.net"),
    s(HAYMAKER_EVENTS_TOPIC, Some("agent-logs"), false,
      "Service Bus topic the agents publish their events to.",
      "agent-logs"),
    s(HAYMAKER_EVENTS_SUBSCRIPTION, Some("orchestrator"), false,
      "Subscription of that topic the `AgentEvents` function reads.",
      "orchestrator"),
    s(HAYMAKER_EVENTS_TAIL_SUBSCRIPTION, Some("cli-tail"), false,
      "Subscription of that topic `haymaker logs --live` reads (and completes), separate from the orchestrator's.",
      "cli-tail"),
    s(HAYMAKER_LOGS_DCE_ENDPOINT, None, false,
      "Log Analytics forwarding (optional): the data collection endpoint's logs ingestion URL; set together with `HAYMAKER_LOGS_DCR_ID`. The orchestrator's identity needs Monitoring Metrics Publisher on the rule.",
      ""),
    s(HAYMAKER_LOGS_DCR_ID, None, false,
      "Log Analytics forwarding: the immutable id (`dcr-…`) of the data collection rule accepted agent events are sent through.",
      ""),
    s(HAYMAKER_LOGS_STREAM, Some("Custom-HaymakerEvents_CL"), false,
      "Log Analytics forwarding: the rule's input stream the records are declared in.",
      "Custom-HaymakerEvents_CL"),
    s(HAYMAKER_API_KEY, None, true,
      "When set and `haymaker serve` runs without the Functions host, the API requires header `X-API-Key`.",
      ""),
    s(HAYMAKER_LOG_FORMAT, Some("auto"), false,
      "`json` (one object a line, for Application Insights), `pretty`, or `auto` (json under the host or when not a terminal).",
      "auto"),
    s(RUST_LOG, Some("info"), false,
      "Log filter (tracing `EnvFilter` syntax), e.g. `info,haymaker=debug`.",
      "info"),
];

/// The spec of a setting by name.
pub fn spec(name: &str) -> Option<&'static SettingSpec> {
    SETTINGS.iter().find(|s| s.name == name)
}
