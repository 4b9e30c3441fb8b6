//! The table of [`super`]: resource types with api-versions their real providers list (newest
//! first; a selection, not every version). Kept unformatted so that one type is one line.

const NETWORK: &[&str] = &["2025-07-01", "2025-03-01", "2025-01-01", "2024-10-01", "2024-07-01", "2024-05-01", "2024-03-01", "2024-01-01", "2023-11-01", "2023-09-01", "2023-06-01", "2023-05-01", "2023-04-01"];
const DNS: &[&str] = &["2023-07-01-preview", "2018-05-01", "2018-03-01-preview", "2017-10-01", "2017-09-01", "2016-04-01"];
const PRIVATE_DNS: &[&str] = &["2024-06-01", "2020-06-01", "2020-01-01", "2018-09-01"];
const TRAFFIC_MANAGER: &[&str] = &["2022-04-01", "2018-08-01", "2018-04-01", "2018-03-01"];
const COMPUTE: &[&str] = &["2024-07-01", "2024-03-01", "2023-09-01", "2023-07-01", "2023-03-01", "2022-11-01", "2022-08-01"];
const COMPUTE_DISKS: &[&str] = &["2024-03-02", "2023-10-02", "2023-04-02", "2023-01-02", "2022-07-02"];
const STORAGE: &[&str] = &["2024-01-01", "2023-05-01", "2023-04-01", "2023-01-01", "2022-09-01", "2022-05-01"];
const KEY_VAULT: &[&str] = &["2024-11-01", "2023-07-01", "2023-02-01", "2022-07-01", "2021-10-01"];
const WEB: &[&str] = &["2024-04-01", "2023-12-01", "2023-01-01", "2022-09-01", "2022-03-01"];
const SQL: &[&str] = &["2023-08-01", "2021-11-01", "2020-11-01-preview"];
/// `2026-01-01` is the version the simulator's Container Apps endpoints are written against.
const APP: &[&str] = &["2026-01-01", "2025-01-01", "2024-03-01", "2023-05-01", "2022-10-01", "2022-03-01"];
const LOG_ANALYTICS: &[&str] = &["2023-09-01", "2022-10-01", "2021-06-01", "2020-08-01"];
const REGISTRY: &[&str] = &["2023-07-01", "2022-12-01", "2021-09-01", "2019-05-01"];
const COSMOS: &[&str] = &["2024-11-15", "2024-08-15", "2024-05-15", "2023-11-15", "2023-04-15"];
const REDIS: &[&str] = &["2024-11-01", "2024-03-01", "2023-08-01", "2023-04-01", "2022-06-01"];
const APIM: &[&str] = &["2024-05-01", "2023-05-01-preview", "2022-08-01", "2021-08-01"];
const APP_CONFIG: &[&str] = &["2024-05-01", "2023-03-01", "2022-05-01"];
const BATCH: &[&str] = &["2024-07-01", "2024-02-01", "2023-11-01", "2023-05-01"];
const COGNITIVE: &[&str] = &["2024-10-01", "2023-05-01", "2022-12-01"];
const AKS: &[&str] = &["2024-09-01", "2024-08-01", "2024-07-01", "2024-05-01", "2024-02-01", "2023-11-01"];
const EVENT_HUB: &[&str] = &["2024-01-01", "2022-10-01-preview", "2021-11-01", "2017-04-01"];
const MYSQL: &[&str] = &["2023-12-30", "2023-06-30", "2022-01-01", "2021-05-01"];
const POSTGRES: &[&str] = &["2024-08-01", "2023-06-01-preview", "2022-12-01", "2021-06-01"];
const KUSTO: &[&str] = &["2024-04-13", "2023-08-15", "2023-05-02", "2022-12-29"];
const ML: &[&str] = &["2024-10-01", "2024-04-01", "2023-10-01", "2023-04-01"];
const SYNAPSE: &[&str] = &["2021-06-01", "2021-05-01", "2019-06-01-preview"];
const STORAGE_SYNC: &[&str] = &["2022-09-01", "2022-06-01", "2020-09-01"];
const DATA_FACTORY: &[&str] = &["2018-06-01", "2017-09-01-preview"];

/// `Namespace/type[/child…]` → api-versions, newest first.
pub const KNOWN: &[(&str, &[&str])] = &[
    // Microsoft.Network
    ("Microsoft.Network/virtualNetworks", NETWORK),
    ("Microsoft.Network/virtualNetworks/subnets", NETWORK),
    ("Microsoft.Network/virtualNetworks/virtualNetworkPeerings", NETWORK),
    ("Microsoft.Network/networkInterfaces", NETWORK),
    ("Microsoft.Network/publicIPAddresses", NETWORK),
    ("Microsoft.Network/networkSecurityGroups", NETWORK),
    ("Microsoft.Network/networkSecurityGroups/securityRules", NETWORK),
    ("Microsoft.Network/applicationSecurityGroups", NETWORK),
    ("Microsoft.Network/privateEndpoints", NETWORK),
    ("Microsoft.Network/privateLinkServices", NETWORK),
    ("Microsoft.Network/loadBalancers", NETWORK),
    ("Microsoft.Network/loadBalancers/probes", NETWORK),
    ("Microsoft.Network/loadBalancers/loadBalancingRules", NETWORK),
    ("Microsoft.Network/loadBalancers/inboundNatRules", NETWORK),
    ("Microsoft.Network/applicationGateways", NETWORK),
    ("Microsoft.Network/ApplicationGatewayWebApplicationFirewallPolicies", NETWORK),
    ("Microsoft.Network/natGateways", NETWORK),
    ("Microsoft.Network/routeTables", NETWORK),
    ("Microsoft.Network/routeTables/routes", NETWORK),
    ("Microsoft.Network/connections", NETWORK),
    ("Microsoft.Network/localNetworkGateways", NETWORK),
    ("Microsoft.Network/virtualNetworkGateways", NETWORK),
    ("Microsoft.Network/networkWatchers", NETWORK),
    ("Microsoft.Network/networkWatchers/flowLogs", NETWORK),
    ("Microsoft.Network/bastionHosts", NETWORK),
    ("Microsoft.Network/azureFirewalls", NETWORK),
    ("Microsoft.Network/dnszones", DNS),
    ("Microsoft.Network/dnszones/A", DNS),
    ("Microsoft.Network/dnszones/AAAA", DNS),
    ("Microsoft.Network/dnszones/CNAME", DNS),
    ("Microsoft.Network/dnszones/MX", DNS),
    ("Microsoft.Network/dnszones/NS", DNS),
    ("Microsoft.Network/dnszones/SOA", DNS),
    ("Microsoft.Network/dnszones/TXT", DNS),
    ("Microsoft.Network/privateDnsZones", PRIVATE_DNS),
    ("Microsoft.Network/privateDnsZones/A", PRIVATE_DNS),
    ("Microsoft.Network/privateDnsZones/CNAME", PRIVATE_DNS),
    ("Microsoft.Network/privateDnsZones/PTR", PRIVATE_DNS),
    ("Microsoft.Network/privateDnsZones/TXT", PRIVATE_DNS),
    ("Microsoft.Network/privateDnsZones/virtualNetworkLinks", PRIVATE_DNS),
    ("Microsoft.Network/trafficManagerProfiles", TRAFFIC_MANAGER),
    ("Microsoft.Network/trafficManagerProfiles/azureEndpoints", TRAFFIC_MANAGER),
    ("Microsoft.Network/trafficManagerProfiles/externalEndpoints", TRAFFIC_MANAGER),
    // Microsoft.Compute
    ("Microsoft.Compute/virtualMachines", COMPUTE),
    ("Microsoft.Compute/virtualMachines/extensions", COMPUTE),
    ("Microsoft.Compute/virtualMachineScaleSets", COMPUTE),
    ("Microsoft.Compute/virtualMachineScaleSets/extensions", COMPUTE),
    ("Microsoft.Compute/availabilitySets", COMPUTE),
    ("Microsoft.Compute/sshPublicKeys", COMPUTE),
    ("Microsoft.Compute/disks", COMPUTE_DISKS),
    ("Microsoft.Compute/snapshots", COMPUTE_DISKS),
    // Microsoft.Storage
    ("Microsoft.Storage/storageAccounts", STORAGE),
    ("Microsoft.Storage/storageAccounts/blobServices", STORAGE),
    ("Microsoft.Storage/storageAccounts/blobServices/containers", STORAGE),
    ("Microsoft.Storage/storageAccounts/fileServices", STORAGE),
    ("Microsoft.Storage/storageAccounts/fileServices/shares", STORAGE),
    ("Microsoft.Storage/storageAccounts/queueServices", STORAGE),
    ("Microsoft.Storage/storageAccounts/queueServices/queues", STORAGE),
    ("Microsoft.Storage/storageAccounts/tableServices", STORAGE),
    ("Microsoft.Storage/storageAccounts/tableServices/tables", STORAGE),
    ("Microsoft.Storage/storageAccounts/encryptionScopes", STORAGE),
    ("Microsoft.Storage/storageAccounts/managementPolicies", STORAGE),
    // Microsoft.KeyVault
    ("Microsoft.KeyVault/vaults", KEY_VAULT),
    ("Microsoft.KeyVault/vaults/secrets", KEY_VAULT),
    ("Microsoft.KeyVault/vaults/keys", KEY_VAULT),
    ("Microsoft.KeyVault/vaults/accessPolicies", KEY_VAULT),
    // Microsoft.Web
    ("Microsoft.Web/serverFarms", WEB),
    ("Microsoft.Web/sites", WEB),
    ("Microsoft.Web/sites/slots", WEB),
    ("Microsoft.Web/sites/config", WEB),
    ("Microsoft.Web/staticSites", WEB),
    // Microsoft.Sql
    ("Microsoft.Sql/servers", SQL),
    ("Microsoft.Sql/servers/databases", SQL),
    ("Microsoft.Sql/servers/firewallRules", SQL),
    // Microsoft.App
    ("Microsoft.App/containerApps", APP),
    ("Microsoft.App/managedEnvironments", APP),
    ("Microsoft.App/jobs", APP),
    // Microsoft.OperationalInsights
    ("Microsoft.OperationalInsights/workspaces", LOG_ANALYTICS),
    ("Microsoft.OperationalInsights/workspaces/tables", &["2023-09-01", "2022-10-01", "2021-12-01-preview"]),
    ("Microsoft.OperationalInsights/workspaces/savedSearches", &["2020-08-01", "2015-03-20"]),
    // Microsoft.Insights
    ("Microsoft.Insights/components", &["2020-02-02", "2015-05-01"]),
    ("Microsoft.Insights/actionGroups", &["2023-01-01", "2022-06-01", "2021-09-01", "2019-06-01"]),
    ("Microsoft.Insights/activityLogAlerts", &["2020-10-01", "2017-04-01"]),
    ("Microsoft.Insights/metricAlerts", &["2018-03-01"]),
    ("Microsoft.Insights/autoscalesettings", &["2022-10-01", "2021-05-01-preview", "2015-04-01"]),
    ("Microsoft.Insights/diagnosticSettings", &["2021-05-01-preview", "2017-05-01-preview"]),
    // Microsoft.ContainerRegistry
    ("Microsoft.ContainerRegistry/registries", REGISTRY),
    ("Microsoft.ContainerRegistry/registries/tasks", &["2019-06-01-preview", "2019-04-01"]),
    // Microsoft.DocumentDB
    ("Microsoft.DocumentDB/databaseAccounts", COSMOS),
    ("Microsoft.DocumentDB/databaseAccounts/sqlDatabases", COSMOS),
    ("Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers", COSMOS),
    // Microsoft.Cache
    ("Microsoft.Cache/Redis", REDIS),
    ("Microsoft.Cache/Redis/firewallRules", REDIS),
    ("Microsoft.Cache/Redis/patchSchedules", REDIS),
    // Microsoft.ApiManagement
    ("Microsoft.ApiManagement/service", APIM),
    ("Microsoft.ApiManagement/service/apis", APIM),
    ("Microsoft.ApiManagement/service/apis/operations", APIM),
    ("Microsoft.ApiManagement/service/namedValues", APIM),
    ("Microsoft.ApiManagement/service/products", APIM),
    ("Microsoft.ApiManagement/service/products/apiLinks", &["2024-05-01", "2023-05-01-preview"]),
    // Microsoft.AppConfiguration
    ("Microsoft.AppConfiguration/configurationStores", APP_CONFIG),
    ("Microsoft.AppConfiguration/configurationStores/keyValues", APP_CONFIG),
    // Microsoft.Authorization
    ("Microsoft.Authorization/roleAssignments", &["2022-04-01", "2020-04-01-preview", "2015-07-01"]),
    ("Microsoft.Authorization/roleDefinitions", &["2022-04-01", "2018-01-01-preview", "2015-07-01"]),
    ("Microsoft.Authorization/policyAssignments", &["2023-04-01", "2022-06-01", "2021-06-01"]),
    ("Microsoft.Authorization/policyDefinitions", &["2023-04-01", "2021-06-01"]),
    ("Microsoft.Authorization/locks", &["2020-05-01", "2016-09-01"]),
    // Microsoft.Batch
    ("Microsoft.Batch/batchAccounts", BATCH),
    ("Microsoft.Batch/batchAccounts/pools", BATCH),
    // Microsoft.CognitiveServices
    ("Microsoft.CognitiveServices/accounts", COGNITIVE),
    ("Microsoft.CognitiveServices/accounts/deployments", COGNITIVE),
    // Microsoft.ContainerInstance
    ("Microsoft.ContainerInstance/containerGroups", &["2023-05-01", "2022-09-01", "2021-10-01"]),
    // Microsoft.ContainerService
    ("Microsoft.ContainerService/managedClusters", AKS),
    ("Microsoft.ContainerService/managedClusters/agentPools", AKS),
    // Microsoft.DataFactory
    ("Microsoft.DataFactory/factories", DATA_FACTORY),
    ("Microsoft.DataFactory/factories/datasets", DATA_FACTORY),
    ("Microsoft.DataFactory/factories/linkedservices", DATA_FACTORY),
    ("Microsoft.DataFactory/factories/pipelines", DATA_FACTORY),
    ("Microsoft.DataFactory/factories/triggers", DATA_FACTORY),
    // Databases for MySQL / PostgreSQL
    ("Microsoft.DBforMySQL/flexibleServers", MYSQL),
    ("Microsoft.DBforMySQL/flexibleServers/databases", MYSQL),
    ("Microsoft.DBforMySQL/flexibleServers/firewallRules", MYSQL),
    ("Microsoft.DBforPostgreSQL/flexibleServers", POSTGRES),
    ("Microsoft.DBforPostgreSQL/flexibleServers/databases", POSTGRES),
    ("Microsoft.DBforPostgreSQL/flexibleServers/firewallRules", POSTGRES),
    // Microsoft.DevTestLab
    ("Microsoft.DevTestLab/schedules", &["2018-09-15", "2016-05-15"]),
    // Microsoft.EventHub
    ("Microsoft.EventHub/namespaces", EVENT_HUB),
    ("Microsoft.EventHub/namespaces/authorizationRules", EVENT_HUB),
    ("Microsoft.EventHub/namespaces/eventhubs", EVENT_HUB),
    ("Microsoft.EventHub/namespaces/eventhubs/authorizationRules", EVENT_HUB),
    ("Microsoft.EventHub/namespaces/eventhubs/consumergroups", EVENT_HUB),
    // Microsoft.HybridCompute
    ("Microsoft.HybridCompute/privateLinkScopes", &["2024-07-10", "2023-10-03-preview", "2022-12-27"]),
    // Microsoft.Kusto
    ("Microsoft.Kusto/clusters", KUSTO),
    ("Microsoft.Kusto/clusters/databases", KUSTO),
    // Microsoft.MachineLearningServices
    ("Microsoft.MachineLearningServices/workspaces", ML),
    ("Microsoft.MachineLearningServices/workspaces/computes", ML),
    // Microsoft.ManagedIdentity
    ("Microsoft.ManagedIdentity/userAssignedIdentities", &["2023-01-31", "2022-01-31-preview", "2018-11-30"]),
    ("Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials", &["2023-01-31", "2022-01-31-preview"]),
    // Microsoft.RecoveryServices
    ("Microsoft.RecoveryServices/vaults", &["2024-04-01", "2023-04-01", "2023-01-01"]),
    // Microsoft.Search
    ("Microsoft.Search/searchServices", &["2023-11-01", "2022-09-01", "2020-08-01"]),
    // Microsoft.ServiceLinker
    ("Microsoft.ServiceLinker/linkers", &["2024-04-01", "2022-05-01"]),
    // Microsoft.StorageSync
    ("Microsoft.StorageSync/storageSyncServices", STORAGE_SYNC),
    ("Microsoft.StorageSync/storageSyncServices/syncGroups", STORAGE_SYNC),
    // Microsoft.Synapse
    ("Microsoft.Synapse/workspaces", SYNAPSE),
    ("Microsoft.Synapse/workspaces/bigDataPools", SYNAPSE),
    ("Microsoft.Synapse/workspaces/firewallRules", SYNAPSE),
    ("Microsoft.Synapse/workspaces/sqlPools", SYNAPSE),
];

