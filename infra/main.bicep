// haymaker's whole deployment into one resource group:
//   az deployment group create -g <group> -f infra/main.bicep -p infra/parameters/dev.json
// Then, once per target subscription, infra/target-subscription.bicep; then the Microsoft Graph
// permission (infra/README.md). Names are derived from `baseName` and `environmentName`; globally
// unique ones get a suffix from the resource group's id.

@description('Short lower-case name the resource names start with.')
@minLength(2)
@maxLength(10)
param baseName string = 'haymaker'

@description('dev or prod (parameters/<name>.json).')
@allowed([
  'dev'
  'prod'
])
param environmentName string

@description('Region of the deployment.')
param location string = resourceGroup().location

@description('Subscriptions scenarios run in and cleanup sweeps (HAYMAKER_TARGET_SUBSCRIPTIONS).')
param targetSubscriptionIds array

@description('Region of scenario resource groups and agents (HAYMAKER_LOCATION).')
param scenarioLocation string = location

@description('Scenarios per scheduled run (SIMULATION_SIZE): small, medium, large or a number.')
param simulationSize string = 'small'

@description('Hours a run\'s agents operate before cleanup (HAYMAKER_RUN_DURATION_HOURS).')
param runDurationHours string = '8'

@description('Agent image (HAYMAKER_AGENT_IMAGE); empty: haymaker:latest in the registry deployed here.')
param agentImage string = ''

@description('vCPUs per agent (HAYMAKER_AGENT_CPU).')
param agentCpu string = '2.0'

@description('GiB per agent (HAYMAKER_AGENT_MEMORY_GIB).')
param agentMemoryGib string = '64'

@description('Name of the agents\' dedicated workload profile (HAYMAKER_AGENT_WORKLOAD_PROFILE).')
param agentWorkloadProfileName string = 'haymaker-agents'

@description('Node size of that profile: one node must hold one agent (E8 = 8 vCPU / 64 GiB).')
@allowed([
  'D16'
  'D32'
  'E8'
  'E16'
  'E32'
])
param agentWorkloadProfileType string = 'E8'

@description('Most nodes of that profile; at the default size one agent a node, so at least the scenarios of a run.')
@minValue(1)
@maxValue(100)
param agentWorkloadProfileMaxNodes int = 5

@description('Key Vault secret names every agent gets (HAYMAKER_AGENT_SECRET_NAMES, comma-separated).')
param agentSecretNames string = ''

@description('How agents handle a step that failed its retries (HAYMAKER_AGENT_MODE): deterministic, or assisted by a model. Assisted needs the Key Vault secret anthropic-api-key, listed in agentSecretNames.')
@allowed([
  'deterministic'
  'assisted'
])
param agentMode string = 'deterministic'

@description('Assisted mode: the model the agents ask (HAYMAKER_AGENT_MODEL); empty: the agent\'s default.')
param agentModel string = ''

@description('Assisted mode: base URL of the Messages API (HAYMAKER_AGENT_MODEL_URL); empty: the agent\'s default.')
param agentModelUrl string = ''

@description('Service Bus topic of the agents\' events (HAYMAKER_EVENTS_TOPIC).')
param eventsTopicName string = 'agent-logs'

@description('The AgentEvents function\'s subscription (HAYMAKER_EVENTS_SUBSCRIPTION).')
param eventsSubscriptionName string = 'orchestrator'

@description('The CLI live tail\'s subscription (HAYMAKER_EVENTS_TAIL_SUBSCRIPTION).')
param eventsTailSubscriptionName string = 'cli-tail'

@description('Deliveries of an event before it is dead-lettered.')
@minValue(1)
@maxValue(100)
param eventsMaxDeliveryCount int = 10

@description('Microsoft Graph endpoint (HAYMAKER_GRAPH_ENDPOINT).')
param graphEndpoint string = 'https://graph.microsoft.com'

@description('Log filter (RUST_LOG).')
param logFilter string = 'info'

@description('Deploy an Azure Container Registry for the agent image.')
param deployRegistry bool = true

@description('Key Vault purge protection. Keep false: cleanup purges deleted secrets (modules/keyvault.bicep).')
param keyVaultPurgeProtection bool = false

@description('Storage replication.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
])
param storageSku string = 'Standard_LRS'

@description('Elastic Premium plan size.')
@allowed([
  'EP1'
  'EP2'
  'EP3'
])
param functionPlanSku string = 'EP1'

@description('Most Function App instances.')
@minValue(1)
@maxValue(20)
param functionMaxInstances int = 3

@description('Days Log Analytics keeps data.')
@minValue(30)
@maxValue(730)
param logRetentionDays int = 30

@description('Object id of an operator (user or group) who sets agent secrets and tails events; empty for none.')
param operatorPrincipalId string = ''

@description('Kind of that operator principal.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param operatorPrincipalType string = 'User'

@description('Public IP ranges (CIDR) admitted by the storage and Key Vault firewalls: the operators\' addresses.')
param operatorIpRanges array = []

@description('Address space of the virtual network.')
param vnetAddressPrefix string = '10.40.0.0/16'

@description('Subnet of the Function App\'s VNet integration.')
param functionSubnetPrefix string = '10.40.1.0/24'

@description('Subnet of the Container Apps environment (at least /27).')
param agentsSubnetPrefix string = '10.40.16.0/23'

var prefix = '${baseName}-${environmentName}'
var unique = take(uniqueString(resourceGroup().id), 6)
var compact = toLower('${baseName}${environmentName}${unique}')
var tags = {
  application: 'haymaker'
  environment: environmentName
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    baseName: prefix
    retentionDays: logRetentionDays
    tags: tags
  }
}

module network 'modules/network.bicep' = {
  name: 'network'
  params: {
    location: location
    baseName: prefix
    addressPrefix: vnetAddressPrefix
    functionSubnetPrefix: functionSubnetPrefix
    agentsSubnetPrefix: agentsSubnetPrefix
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    name: take(compact, 24)
    skuName: storageSku
    allowedSubnetIds: [
      network.outputs.functionSubnetId
    ]
    allowedIpRanges: operatorIpRanges
    tags: tags
  }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'servicebus'
  params: {
    location: location
    name: '${prefix}-bus-${unique}'
    topicName: eventsTopicName
    orchestratorSubscriptionName: eventsSubscriptionName
    tailSubscriptionName: eventsTailSubscriptionName
    maxDeliveryCount: eventsMaxDeliveryCount
    tags: tags
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    location: location
    name: take('${prefix}-kv-${unique}', 24)
    enablePurgeProtection: keyVaultPurgeProtection
    allowedSubnetIds: [
      network.outputs.functionSubnetId
      network.outputs.agentsSubnetId
    ]
    allowedIpRanges: operatorIpRanges
    tags: tags
  }
}

module registry 'modules/registry.bicep' = if (deployRegistry) {
  name: 'registry'
  params: {
    location: location
    name: take('${compact}acr', 50)
    tags: tags
  }
}

module containerApps 'modules/containerapps.bicep' = {
  name: 'containerapps'
  params: {
    location: location
    baseName: prefix
    subnetId: network.outputs.agentsSubnetId
    workspaceId: monitoring.outputs.workspaceId
    workloadProfileName: agentWorkloadProfileName
    workloadProfileType: agentWorkloadProfileType
    workloadProfileMaxNodes: agentWorkloadProfileMaxNodes
    tags: tags
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    location: location
    baseName: prefix
    planSku: functionPlanSku
    maxInstances: functionMaxInstances
    subnetId: network.outputs.functionSubnetId
    storageAccountName: storage.outputs.name
    insightsConnectionString: monitoring.outputs.insightsConnectionString
    keyVaultUri: keyVault.outputs.uri
    serviceBusNamespace: '${serviceBus.outputs.name}.servicebus.windows.net'
    containerAppsEnvironmentId: containerApps.outputs.environmentId
    agentIdentityId: containerApps.outputs.agentIdentityId
    simulationSize: simulationSize
    runDurationHours: runDurationHours
    targetSubscriptionIds: targetSubscriptionIds
    scenarioLocation: scenarioLocation
    agentSecretNames: agentSecretNames
    agentImage: empty(agentImage) && deployRegistry ? '${registry.outputs.loginServer}/haymaker:latest' : agentImage
    agentCpu: agentCpu
    agentMemoryGib: agentMemoryGib
    agentWorkloadProfileName: agentWorkloadProfileName
    agentMode: agentMode
    agentModel: agentModel
    agentModelUrl: agentModelUrl
    eventsTopicName: eventsTopicName
    eventsSubscriptionName: eventsSubscriptionName
    eventsTailSubscriptionName: eventsTailSubscriptionName
    graphEndpoint: graphEndpoint
    logFilter: logFilter
    tags: tags
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    orchestratorPrincipalId: functionApp.outputs.principalId
    agentPrincipalId: containerApps.outputs.agentIdentityPrincipalId
    operatorPrincipalId: operatorPrincipalId
    operatorPrincipalType: operatorPrincipalType
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    serviceBusName: serviceBus.outputs.name
    eventsTopicName: eventsTopicName
    eventsSubscriptionName: eventsSubscriptionName
    eventsTailSubscriptionName: eventsTailSubscriptionName
    agentIdentityName: containerApps.outputs.agentIdentityName
    registryName: deployRegistry ? registry.outputs.name : ''
  }
}

output functionAppName string = functionApp.outputs.name
output functionAppHostName string = functionApp.outputs.hostName
output orchestratorPrincipalId string = functionApp.outputs.principalId
output keyVaultName string = keyVault.outputs.name
output keyVaultUri string = keyVault.outputs.uri
output storageAccountName string = storage.outputs.name
output serviceBusNamespace string = '${serviceBus.outputs.name}.servicebus.windows.net'
output containerAppsEnvironmentId string = containerApps.outputs.environmentId
output agentIdentityId string = containerApps.outputs.agentIdentityId
output registryLoginServer string = deployRegistry ? registry.outputs.loginServer : ''
