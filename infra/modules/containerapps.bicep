// The Container Apps managed environment the agents run in: on the agents subnet, with the
// dedicated workload profile HAYMAKER_AGENT_WORKLOAD_PROFILE. One agent is
// HAYMAKER_AGENT_CPU vCPU / HAYMAKER_AGENT_MEMORY_GIB GiB (2 / 64 by default), more than the
// Consumption profile's 4 vCPU / 8 GiB per replica, so it needs a dedicated node of at least
// that size: E8 (8 vCPU / 64 GiB) or D16 (16 / 64) and larger (src/azure/container_apps.rs
// `WorkloadProfileType::capacity`; tests/app/infra.rs checks the default fits). Also the agents'
// user-assigned identity (HAYMAKER_AGENT_IDENTITY_ID).

param location string
param baseName string

@description('Subnet of the environment (delegated to Microsoft.App/environments).')
param subnetId string

@description('Log Analytics workspace the environment\'s logs go to (diagnostic settings).')
param workspaceId string

@description('HAYMAKER_AGENT_WORKLOAD_PROFILE: the dedicated profile\'s name.')
param workloadProfileName string

@description('Node size of the dedicated profile; one node must hold one agent.')
@allowed([
  'D16'
  'D32'
  'E8'
  'E16'
  'E32'
])
param workloadProfileType string

@description('Most nodes of the dedicated profile: one agent a node at the default size, so at least the scenarios of a run.')
@minValue(1)
@maxValue(100)
param workloadProfileMaxNodes int

param tags object

resource environment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: '${baseName}-agents'
  location: location
  tags: tags
  properties: {
    appLogsConfiguration: {
      destination: 'azure-monitor'
    }
    vnetConfiguration: {
      infrastructureSubnetId: subnetId
      internal: true
    }
    workloadProfiles: [
      {
        name: 'Consumption'
        workloadProfileType: 'Consumption'
      }
      {
        name: workloadProfileName
        workloadProfileType: workloadProfileType
        minimumCount: 0
        maximumCount: workloadProfileMaxNodes
      }
    ]
    zoneRedundant: false
  }
}

resource environmentLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: environment
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
  }
}

resource agentIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: '${baseName}-agents-id'
  location: location
  tags: tags
}

output environmentId string = environment.id
output agentIdentityId string = agentIdentity.id
output agentIdentityPrincipalId string = agentIdentity.properties.principalId
output agentIdentityName string = agentIdentity.name
