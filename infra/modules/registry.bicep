// Optional Azure Container Registry for the agent image (HAYMAKER_AGENT_IMAGE). The agents pull
// with their user-assigned identity (AcrPull, modules/roles.bicep); the admin user is off.

param location string

@description('Globally unique registry name (5-50 letters and digits).')
@minLength(5)
@maxLength(50)
param name string

param tags object

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  // checkov:skip=CKV_AZURE_139: Public pulls are authenticated (Entra ID only, admin user off); agents pull over the environment's outbound path.
  // checkov:skip=CKV_AZURE_163: Vulnerability scanning is Defender for Containers, enabled per subscription, not per registry.
  // checkov:skip=CKV_AZURE_166: Image quarantine needs a scanner pipeline this deployment does not have.
  // checkov:skip=CKV_AZURE_233: Zone redundancy needs Premium.
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Standard'
  }
  properties: {
    adminUserEnabled: false
    anonymousPullEnabled: false
    publicNetworkAccess: 'Enabled'
  }
}

output id string = registry.id
output name string = registry.name
output loginServer string = registry.properties.loginServer
