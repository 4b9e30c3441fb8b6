// The storage account: the Functions host's storage (identity-based, AzureWebJobsStorage__*), the
// run state (blob containers of src/store Container) and the work queue of functions/Work.
// Shared keys are off: every caller signs in with Entra ID.

param location string

@description('Globally unique storage account name (3-24 lower-case letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Replication: Standard_LRS for dev, Standard_ZRS where the region has zones.')
param skuName string

@description('Subnets admitted through the firewall (service endpoints).')
param allowedSubnetIds array

@description('Public IP ranges admitted through the firewall (operators running the CLI).')
param allowedIpRanges array

param tags object

// The state store's containers: src/store/mod.rs `Container::name` (tests/app/infra.rs compares).
var blobContainers = [
  'execution-state'
  'execution-reports'
  'execution-logs'
]

// functions/Work/function.json's queue, and the poison queue the host moves a message to after
// host.json's maxDequeueCount (tests/app/infra.rs compares).
var queues = [
  'haymaker-work'
  'haymaker-work-poison'
]

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  // checkov:skip=CKV_AZURE_59: Public endpoint with a firewall that denies by default and admits only the Function App's subnet and operator IPs.
  // checkov:skip=CKV_AZURE_206: Replication is a parameter (Standard_ZRS in prod); dev uses LRS on purpose for cost.
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Deny'
      virtualNetworkRules: [for id in allowedSubnetIds: {
        id: id
        action: 'Allow'
      }]
      ipRules: [for range in allowedIpRanges: {
        value: range
        action: 'Allow'
      }]
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: 7
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: 7
    }
  }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [for container in blobContainers: {
  parent: blobService
  name: container
  properties: {
    publicAccess: 'None'
  }
}]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource workQueues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [for queue in queues: {
  parent: queueService
  name: queue
}]

output id string = account.id
output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
output queueEndpoint string = account.properties.primaryEndpoints.queue
