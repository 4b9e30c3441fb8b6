// Role assignments inside the deployment's resource group, each at the narrowest scope that works.
//
// Orchestrator (the Function App's system-assigned identity):
//   Storage Blob Data Owner       on the storage account  (the Functions host's identity-based storage needs Owner; run state)
//   Storage Queue Data Contributor on the storage account (the Work queue trigger and its output)
//   Azure Service Bus Data Receiver on the orchestrator subscription (AgentEvents)
//   Key Vault Secrets Officer     on the vault            (scenario principals' secrets: set, delete, purge)
//   Container Apps Contributor    on the resource group   (agents' Container Apps are created next to the environment)
//   Managed Identity Operator     on the agents' identity (to attach it to an agent's Container App)
// Agents (their user-assigned identity, HAYMAKER_AGENT_IDENTITY_ID):
//   Key Vault Secrets User        on the vault            (the Container App's Key Vault secret references)
//   Azure Service Bus Data Sender on the topic            (publishing events)
//   AcrPull                       on the registry, when one is deployed
// Operator (optional principal running the CLI and setting the agents' secrets):
//   Key Vault Secrets Officer     on the vault
//   Azure Service Bus Data Receiver on the live-tail subscription
//   Storage Blob Data Reader      on the storage account  (`haymaker discover` / status reads)
// Target subscriptions are covered by target-subscription.bicep; Microsoft Graph by infra/README.md.

param orchestratorPrincipalId string
param agentPrincipalId string

@description('Object id of an operator (user or group); empty for none.')
param operatorPrincipalId string

@description('User, Group or ServicePrincipal.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param operatorPrincipalType string

param storageAccountName string
param keyVaultName string
param serviceBusName string
param eventsTopicName string
param eventsSubscriptionName string
param eventsTailSubscriptionName string
param agentIdentityName string

@description('Registry name; empty when none is deployed.')
param registryName string

var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataReader: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  serviceBusDataReceiver: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
  serviceBusDataSender: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  containerAppsContributor: '358470bc-b998-42bd-ab17-a7e34c199c0f'
  managedIdentityOperator: 'f1a07417-d97a-45cb-824c-7a7467783830'
  acrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d'
}

var hasOperator = !empty(operatorPrincipalId)
var hasRegistry = !empty(registryName)

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource bus 'Microsoft.ServiceBus/namespaces@2022-10-01-preview' existing = {
  name: serviceBusName
}

resource topic 'Microsoft.ServiceBus/namespaces/topics@2022-10-01-preview' existing = {
  parent: bus
  name: eventsTopicName
}

resource orchestratorSubscription 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2022-10-01-preview' existing = {
  parent: topic
  name: eventsSubscriptionName
}

resource tailSubscription 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2022-10-01-preview' existing = {
  parent: topic
  name: eventsTailSubscriptionName
}

resource agentIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: agentIdentityName
}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' existing = if (hasRegistry) {
  name: hasRegistry ? registryName : 'none'
}

resource orchestratorBlob 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, orchestratorPrincipalId, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    principalId: orchestratorPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
  }
}

resource orchestratorQueue 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, orchestratorPrincipalId, roles.storageQueueDataContributor)
  scope: storage
  properties: {
    principalId: orchestratorPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
  }
}

resource orchestratorReceive 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(orchestratorSubscription.id, orchestratorPrincipalId, roles.serviceBusDataReceiver)
  scope: orchestratorSubscription
  properties: {
    principalId: orchestratorPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataReceiver)
  }
}

resource orchestratorSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, orchestratorPrincipalId, roles.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    principalId: orchestratorPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
  }
}

resource orchestratorContainerApps 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resourceGroup().id, orchestratorPrincipalId, roles.containerAppsContributor)
  properties: {
    principalId: orchestratorPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.containerAppsContributor)
  }
}

resource orchestratorAttachIdentity 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(agentIdentity.id, orchestratorPrincipalId, roles.managedIdentityOperator)
  scope: agentIdentity
  properties: {
    principalId: orchestratorPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.managedIdentityOperator)
  }
}

resource agentSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, agentPrincipalId, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    principalId: agentPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
  }
}

resource agentSend 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(topic.id, agentPrincipalId, roles.serviceBusDataSender)
  scope: topic
  properties: {
    principalId: agentPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataSender)
  }
}

resource agentPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (hasRegistry) {
  name: guid(registry.id, agentPrincipalId, roles.acrPull)
  scope: registry
  properties: {
    principalId: agentPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.acrPull)
  }
}

resource operatorSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (hasOperator) {
  name: guid(vault.id, operatorPrincipalId, roles.keyVaultSecretsOfficer)
  scope: vault
  properties: {
    principalId: operatorPrincipalId
    principalType: operatorPrincipalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsOfficer)
  }
}

resource operatorTail 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (hasOperator) {
  name: guid(tailSubscription.id, operatorPrincipalId, roles.serviceBusDataReceiver)
  scope: tailSubscription
  properties: {
    principalId: operatorPrincipalId
    principalType: operatorPrincipalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataReceiver)
  }
}

resource operatorState 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (hasOperator) {
  name: guid(storage.id, operatorPrincipalId, roles.storageBlobDataReader)
  scope: storage
  properties: {
    principalId: operatorPrincipalId
    principalType: operatorPrincipalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataReader)
  }
}
