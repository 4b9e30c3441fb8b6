// What the orchestrator may do in ONE target subscription (a subscription of
// HAYMAKER_TARGET_SUBSCRIPTIONS). Deploy once per target subscription:
//   az deployment sub create --subscription <target> --location <region> \
//     --template-file infra/target-subscription.bicep --parameters orchestratorPrincipalId=<id>
//
// The orchestrator creates each scenario's resource group, gives the scenario's service principal
// the roles the scenario names (`required_roles`, at the group or the subscription) and later
// deletes all of it. So it needs, at subscription scope:
//   Contributor                              create and delete resource groups and resources
//   and ONE of (roleAssignmentMode):
//   'constrained' (default): Role Based Access Control Administrator with a condition: it may
//       create and delete role assignments only of the roles in `assignableRoles` (every role the
//       embedded scenario library asks for: tests/app/infra.rs checks) and only for service principals;
//   'userAccessAdministrator': User Access Administrator, unconstrained (any role, any principal).

targetScope = 'subscription'

@description('Object id of the orchestrator: the Function App\'s system-assigned identity (output orchestratorPrincipalId of main.bicep).')
param orchestratorPrincipalId string

@description('How role assignments are delegated (see the header).')
@allowed([
  'constrained'
  'userAccessAdministrator'
])
param roleAssignmentMode string = 'constrained'

@description('Role definition ids (GUIDs) a custom scenario library (HAYMAKER_SCENARIOS_DIR) needs beyond assignableRoles.')
param extraAssignableRoleIds array = []

// Every role a scenario of the embedded library names in `required_roles` (tests/app/infra.rs checks).
var assignableRoles = [
  {
    name: 'Contributor'
    id: 'b24988ac-6180-42a0-ab88-20f7382dd24c'
  }
  {
    name: 'User Access Administrator'
    id: '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9'
  }
  {
    name: 'Storage Blob Data Contributor'
    id: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  }
  {
    name: 'Storage Queue Data Contributor'
    id: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  }
  {
    name: 'Key Vault Secrets Officer'
    id: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  }
  {
    name: 'Key Vault Crypto Officer'
    id: '14b46e9e-c2b7-41b4-b07b-48a6ebf60603'
  }
  {
    name: 'Azure Batch Data Contributor'
    id: '6aaa78f1-f7de-44ca-8722-c64a23943cae'
  }
  {
    name: 'Resource Policy Contributor'
    id: '36243c78-bf99-498c-9df9-86d9f8d28608'
  }
  {
    name: 'App Configuration Data Owner'
    id: '5ae67dd6-50cb-40e7-96ff-dc2bfa4b606b'
  }
]

var contributor = 'b24988ac-6180-42a0-ab88-20f7382dd24c'
var rbacAdministrator = 'f58310d9-a9f6-439a-9e8d-f62e7b41a168'
var userAccessAdministrator = '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9'

var libraryRoleIds = [for role in assignableRoles: role.id]
var allowedRoleIds = join(concat(libraryRoleIds, extraAssignableRoleIds), ', ')

// Writes and deletes of role assignments are allowed only for the listed roles and for service
// principals; every other action of the role is unaffected.
var condition = '((!(ActionMatches{\'Microsoft.Authorization/roleAssignments/write\'})) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${allowedRoleIds}} AND @Request[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {\'ServicePrincipal\'})) AND ((!(ActionMatches{\'Microsoft.Authorization/roleAssignments/delete\'})) OR (@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {${allowedRoleIds}} AND @Resource[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {\'ServicePrincipal\'}))'

resource orchestratorContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, orchestratorPrincipalId, contributor)
  properties: {
    principalId: orchestratorPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', contributor)
    description: 'haymaker orchestrator: scenario resource groups and their resources'
  }
}

resource orchestratorRbacAdmin 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (roleAssignmentMode == 'constrained') {
  name: guid(subscription().id, orchestratorPrincipalId, rbacAdministrator)
  properties: {
    principalId: orchestratorPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', rbacAdministrator)
    description: 'haymaker orchestrator: scenario principals\' roles, constrained to the library\'s roles'
    conditionVersion: '2.0'
    condition: condition
  }
}

resource orchestratorUserAccessAdmin 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (roleAssignmentMode == 'userAccessAdministrator') {
  name: guid(subscription().id, orchestratorPrincipalId, userAccessAdministrator)
  properties: {
    principalId: orchestratorPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', userAccessAdministrator)
    description: 'haymaker orchestrator: scenario principals\' roles (unconstrained)'
  }
}

output assignableRoleNames array = [for role in assignableRoles: role.name]
