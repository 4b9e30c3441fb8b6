// Key Vault in RBAC mode: the scenario principals' client secrets (written by the orchestrator,
// Key Vault Secrets Officer) and the agents' shared secrets (HAYMAKER_AGENT_SECRET_NAMES, read by
// the agents' identity, Key Vault Secrets User). Soft delete is always on (90 days). Purge
// protection is a parameter and OFF in both parameter files: cleanup deletes a run's secrets AND
// purges them, then verifies that no deleted copy is left (src/cleanup/azure_ports.rs); with purge
// protection on, the purge is refused and a run's cleanup can never verify (infra/README.md).

param location string

@description('Globally unique vault name (3-24 letters, digits and dashes).')
@minLength(3)
@maxLength(24)
param name string

@description('Purge protection: cannot be turned off once on.')
param enablePurgeProtection bool

@description('Subnets admitted through the firewall (service endpoints).')
param allowedSubnetIds array

@description('Public IP ranges admitted through the firewall (operators setting secrets).')
param allowedIpRanges array

param tags object

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  // checkov:skip=CKV_AZURE_110: Purge protection stays off: cleanup purges each run's deleted secrets and verifies none is left, which purge protection forbids (see the header).
  // checkov:skip=CKV_AZURE_42: Recoverable means soft delete plus purge protection; soft delete is on, purge protection stays off for the reason above.
  // checkov:skip=CKV_AZURE_189: The firewall denies by default and admits only the VNet subnets and operator IPs; public access is needed for those IPs.
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    // ARM refuses `false` here once protection is on; null leaves it off.
    enablePurgeProtection: enablePurgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Deny'
      virtualNetworkRules: [for id in allowedSubnetIds: {
        id: id
        ignoreMissingVnetServiceEndpoint: false
      }]
      ipRules: [for range in allowedIpRanges: {
        value: range
      }]
    }
  }
}

output id string = vault.id
output name string = vault.name
output uri string = vault.properties.vaultUri
