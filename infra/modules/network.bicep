// The virtual network: one subnet the Function App integrates with (delegated to
// Microsoft.Web/serverFarms) and one the Container Apps environment runs in (delegated to
// Microsoft.App/environments; a workload-profiles environment needs at least a /27). Both have
// service endpoints for Storage, Key Vault and Service Bus, so those services can admit the
// subnets and deny everything else.

param location string
param baseName string

@description('Address space of the virtual network.')
param addressPrefix string

@description('Subnet of the Function App\'s VNet integration.')
param functionSubnetPrefix string

@description('Subnet of the Container Apps environment (at least /27).')
param agentsSubnetPrefix string

param tags object

var serviceEndpoints = [
  {
    service: 'Microsoft.Storage'
  }
  {
    service: 'Microsoft.KeyVault'
  }
  {
    service: 'Microsoft.ServiceBus'
  }
]

resource functionNsg 'Microsoft.Network/networkSecurityGroups@2024-01-01' = {
  name: '${baseName}-func-nsg'
  location: location
  tags: tags
  properties: {
    securityRules: []
  }
}

resource agentsNsg 'Microsoft.Network/networkSecurityGroups@2024-01-01' = {
  name: '${baseName}-agents-nsg'
  location: location
  tags: tags
  properties: {
    securityRules: []
  }
}

resource vnet 'Microsoft.Network/virtualNetworks@2024-01-01' = {
  name: '${baseName}-vnet'
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressPrefix
      ]
    }
    subnets: [
      {
        name: 'function-app'
        properties: {
          addressPrefix: functionSubnetPrefix
          networkSecurityGroup: {
            id: functionNsg.id
          }
          serviceEndpoints: serviceEndpoints
          delegations: [
            {
              name: 'function-app'
              properties: {
                serviceName: 'Microsoft.Web/serverFarms'
              }
            }
          ]
        }
      }
      {
        name: 'agents'
        properties: {
          addressPrefix: agentsSubnetPrefix
          networkSecurityGroup: {
            id: agentsNsg.id
          }
          serviceEndpoints: serviceEndpoints
          delegations: [
            {
              name: 'container-apps'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
    ]
  }
}

output vnetId string = vnet.id
output functionSubnetId string = '${vnet.id}/subnets/function-app'
output agentsSubnetId string = '${vnet.id}/subnets/agents'
