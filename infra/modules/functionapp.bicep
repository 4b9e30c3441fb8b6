// The Function App: Linux, Elastic Premium (VNet integration and a custom handler), the
// `haymaker serve` custom handler of host.json, HTTPS only, TLS 1.2, a system-assigned identity
// (the orchestrator's identity: AZURE_CLIENT_ID stays unset, so the handler, the state store and
// the host's identity-based connections all use it), integrated with the function-app subnet.
//
// `haymakerSettings` below holds every setting haymaker reads (src/config/catalog.rs SETTINGS)
// that is set in Azure, and `haymakerSettingsNotSet` every other one with the reason; together
// they are exactly the catalogue (tests/app/infra.rs). `hostSettings` are the Functions platform's own.

param location string
param baseName string

@description('Elastic Premium size: EP1, EP2 or EP3.')
@allowed([
  'EP1'
  'EP2'
  'EP3'
])
param planSku string

@description('Most instances the plan scales out to.')
@minValue(1)
@maxValue(20)
param maxInstances int

@description('Subnet of the VNet integration.')
param subnetId string

param storageAccountName string
param insightsConnectionString string
param keyVaultUri string
param serviceBusNamespace string
param containerAppsEnvironmentId string
param agentIdentityId string

@description('SIMULATION_SIZE')
param simulationSize string

@description('HAYMAKER_RUN_DURATION_HOURS')
param runDurationHours string

@description('HAYMAKER_TARGET_SUBSCRIPTIONS, as a list')
param targetSubscriptionIds array

@description('HAYMAKER_LOCATION')
param scenarioLocation string

@description('HAYMAKER_AGENT_SECRET_NAMES')
param agentSecretNames string

@description('HAYMAKER_AGENT_IMAGE')
param agentImage string

@description('HAYMAKER_AGENT_CPU')
param agentCpu string

@description('HAYMAKER_AGENT_MEMORY_GIB')
param agentMemoryGib string

@description('HAYMAKER_AGENT_WORKLOAD_PROFILE')
param agentWorkloadProfileName string

@description('HAYMAKER_AGENT_MODE')
@allowed([
  'deterministic'
  'assisted'
])
param agentMode string

@description('HAYMAKER_AGENT_MODEL (empty: the agent\'s default)')
param agentModel string

@description('HAYMAKER_AGENT_MODEL_URL (empty: the agent\'s default)')
param agentModelUrl string

@description('HAYMAKER_EVENTS_TOPIC')
param eventsTopicName string

@description('HAYMAKER_EVENTS_SUBSCRIPTION')
param eventsSubscriptionName string

@description('HAYMAKER_EVENTS_TAIL_SUBSCRIPTION')
param eventsTailSubscriptionName string

@description('HAYMAKER_GRAPH_ENDPOINT (Microsoft Graph; not in environment())')
param graphEndpoint string

@description('RUST_LOG')
param logFilter string

param tags object

var loginEndpoint = environment().authentication.loginEndpoint
var armEndpoint = environment().resourceManager
var storageSuffix = environment().suffixes.storage

var hostSettings = {
  FUNCTIONS_EXTENSION_VERSION: '~4'
  APPLICATIONINSIGHTS_CONNECTION_STRING: insightsConnectionString
  // `az functionapp deployment source config-zip` mounts the package read-only.
  WEBSITE_RUN_FROM_PACKAGE: '1'
}

var haymakerSettings = {
  FUNCTIONS_WORKER_RUNTIME: 'Custom'
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__blobServiceUri: 'https://${storageAccountName}.blob.${storageSuffix}'
  AzureWebJobsStorage__queueServiceUri: 'https://${storageAccountName}.queue.${storageSuffix}'
  SIMULATION_SIZE: simulationSize
  HAYMAKER_RUN_DURATION_HOURS: runDurationHours
  AZURE_TENANT_ID: tenant().tenantId
  AZURE_AUTHORITY_HOST: endsWith(loginEndpoint, '/') ? substring(loginEndpoint, 0, length(loginEndpoint) - 1) : loginEndpoint
  HAYMAKER_ARM_ENDPOINT: endsWith(armEndpoint, '/') ? substring(armEndpoint, 0, length(armEndpoint) - 1) : armEndpoint
  HAYMAKER_GRAPH_ENDPOINT: graphEndpoint
  HAYMAKER_TARGET_SUBSCRIPTIONS: join(targetSubscriptionIds, ',')
  HAYMAKER_LOCATION: scenarioLocation
  KEY_VAULT_URL: keyVaultUri
  HAYMAKER_AGENT_SECRET_NAMES: agentSecretNames
  CONTAINER_APPS_ENVIRONMENT_ID: containerAppsEnvironmentId
  HAYMAKER_AGENT_IMAGE: agentImage
  HAYMAKER_AGENT_CPU: agentCpu
  HAYMAKER_AGENT_MEMORY_GIB: agentMemoryGib
  HAYMAKER_AGENT_WORKLOAD_PROFILE: agentWorkloadProfileName
  HAYMAKER_AGENT_IDENTITY_ID: agentIdentityId
  HAYMAKER_AGENT_MODE: agentMode
  HAYMAKER_AGENT_MODEL: agentModel
  HAYMAKER_AGENT_MODEL_URL: agentModelUrl
  ServiceBusConnection__fullyQualifiedNamespace: serviceBusNamespace
  HAYMAKER_EVENTS_TOPIC: eventsTopicName
  HAYMAKER_EVENTS_SUBSCRIPTION: eventsSubscriptionName
  HAYMAKER_EVENTS_TAIL_SUBSCRIPTION: eventsTailSubscriptionName
  HAYMAKER_LOG_FORMAT: 'json'
  RUST_LOG: logFilter
}

// Settings haymaker reads that are deliberately not set in Azure.
var haymakerSettingsNotSet = [
  'FUNCTIONS_CUSTOMHANDLER_PORT' // the Functions host sets it
  'AzureWebJobsStorage' // a connection string carries a key: identity-based AzureWebJobsStorage__* instead
  'HAYMAKER_STATE' // run state lives in the host's storage account (the default)
  'HAYMAKER_SCENARIOS_DIR' // the scenario library embedded in the binary is used
  'AZURE_CLIENT_ID' // the system-assigned identity is the orchestrator's identity
  'AZURE_CLIENT_SECRET' // managed identity, no secret
  'HAYMAKER_EXTRA_CA_FILE' // only for the simulator's CA
  'ServiceBusConnection' // a connection string carries a key: identity-based __fullyQualifiedNamespace instead
  'HAYMAKER_API_KEY' // under the host, function keys guard the API
  'HAYMAKER_LOGS_DCE_ENDPOINT' // Log Analytics forwarding is optional; no data collection rule is deployed here
  'HAYMAKER_LOGS_DCR_ID'
  'HAYMAKER_LOGS_STREAM'
]

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  // checkov:skip=CKV_AZURE_225: Zone redundancy needs at least three always-ready instances; a timer-driven orchestrator tolerates a zone outage by retrying later.
  name: '${baseName}-plan'
  location: location
  tags: tags
  kind: 'elastic'
  sku: {
    name: planSku
    tier: 'ElasticPremium'
  }
  properties: {
    reserved: true
    maximumElasticWorkerCount: maxInstances
  }
}

resource site 'Microsoft.Web/sites@2023-12-01' = {
  // checkov:skip=CKV_AZURE_17: Callers are the Functions host's triggers and API clients with function keys; client certificates are not part of the API contract.
  // checkov:skip=CKV_AZURE_222: Operators call the monitoring API from outside the VNet; function keys guard it.
  // checkov:skip=CKV_AZURE_212: One always-ready instance: the work is timer- and queue-driven and resumes after a failover by design (state is in storage).
  name: '${baseName}-func'
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    virtualNetworkSubnetId: subnetId
    siteConfig: {
      linuxFxVersion: ''
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      vnetRouteAllEnabled: true
      functionsRuntimeScaleMonitoringEnabled: true
      minimumElasticInstanceCount: 1
      healthCheckPath: '/api/v1/health'
    }
  }
}

resource appSettings 'Microsoft.Web/sites/config@2023-12-01' = {
  // This resource holds app settings only; checkov reads every sites/config as the site's web
  // configuration, whose checks are made on the site above.
  // checkov:skip=CKV_AZURE_13: Not the web configuration (see above); function keys guard the API.
  // checkov:skip=CKV_AZURE_63: Not the web configuration; logs go to Application Insights.
  // checkov:skip=CKV_AZURE_65: Not the web configuration; logs go to Application Insights.
  // checkov:skip=CKV_AZURE_66: Not the web configuration; logs go to Application Insights.
  // checkov:skip=CKV_AZURE_80: Not the web configuration; no .NET runtime (a Rust custom handler).
  // checkov:skip=CKV_AZURE_88: Not the web configuration; the package runs from a zip (WEBSITE_RUN_FROM_PACKAGE), Azure Files needs storage keys, which are disabled.
  // checkov:skip=CKV_AZURE_222: Not the web configuration; see the site.
  parent: site
  name: 'appsettings'
  properties: union(hostSettings, haymakerSettings)
}

// Deployments sign in with Entra ID (`az functionapp deployment source config-zip`), not with
// basic publishing credentials.
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2023-12-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2023-12-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = site.name
output principalId string = site.identity.principalId
output hostName string = site.properties.defaultHostName
output settingsNotSet array = haymakerSettingsNotSet
