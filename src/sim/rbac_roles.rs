//! The data-plane and delegation built-in roles scenarios ask for, with their real GUIDs and
//! permissions (management `actions` as Azure defines them — none of them grants resource writes
//! beyond its service's own sub-resources — and the `dataActions` the data planes check). The four
//! general roles (Owner, Contributor, Reader, User Access Administrator) are in [`super::rbac`].

use super::rbac::BuiltInRole;

/// The management actions the Key Vault data roles share.
const KEY_VAULT_DATA_ACTIONS_BASE: &[&str] = &[
    "Microsoft.Authorization/*/read",
    "Microsoft.Insights/alertRules/*",
    "Microsoft.Resources/deployments/*",
    "Microsoft.Resources/subscriptions/resourceGroups/read",
    "Microsoft.Support/*",
    "Microsoft.KeyVault/checkNameAvailability/read",
    "Microsoft.KeyVault/deletedVaults/read",
    "Microsoft.KeyVault/locations/*/read",
    "Microsoft.KeyVault/vaults/*/read",
    "Microsoft.KeyVault/operations/read",
];

pub const STORAGE_BLOB_DATA_CONTRIBUTOR: BuiltInRole = BuiltInRole {
    guid: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    name: "Storage Blob Data Contributor",
    description:
        "Allows for read, write and delete access to Azure Storage blob containers and data",
    actions: &[
        "Microsoft.Storage/storageAccounts/blobServices/containers/delete",
        "Microsoft.Storage/storageAccounts/blobServices/containers/read",
        "Microsoft.Storage/storageAccounts/blobServices/containers/write",
        "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action",
    ],
    not_actions: &[],
    data_actions: &[
        "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete",
        "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
        "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
        "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/move/action",
        "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action",
    ],
};

pub const STORAGE_QUEUE_DATA_CONTRIBUTOR: BuiltInRole = BuiltInRole {
    guid: "974c5e8b-45b9-4653-ba55-5f855dd0fb88",
    name: "Storage Queue Data Contributor",
    description:
        "Allows for read, write, and delete access to Azure Storage queues and queue messages",
    actions: &[
        "Microsoft.Storage/storageAccounts/queueServices/queues/delete",
        "Microsoft.Storage/storageAccounts/queueServices/queues/read",
        "Microsoft.Storage/storageAccounts/queueServices/queues/write",
    ],
    not_actions: &[],
    data_actions: &[
        "Microsoft.Storage/storageAccounts/queueServices/queues/messages/delete",
        "Microsoft.Storage/storageAccounts/queueServices/queues/messages/read",
        "Microsoft.Storage/storageAccounts/queueServices/queues/messages/write",
        "Microsoft.Storage/storageAccounts/queueServices/queues/messages/process/action",
    ],
};

pub const KEY_VAULT_SECRETS_OFFICER: BuiltInRole = BuiltInRole {
    guid: "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
    name: "Key Vault Secrets Officer",
    description: "Perform any action on the secrets of a key vault, except manage permissions. Only works for key vaults that use the 'Azure role-based access control' permission model.",
    actions: KEY_VAULT_DATA_ACTIONS_BASE,
    not_actions: &[],
    data_actions: &["Microsoft.KeyVault/vaults/secrets/*"],
};

pub const KEY_VAULT_CRYPTO_OFFICER: BuiltInRole = BuiltInRole {
    guid: "14b46e9e-c2b7-41b4-b07b-48a6ebf60603",
    name: "Key Vault Crypto Officer",
    description: "Perform any action on the keys of a key vault, except manage permissions. Only works for key vaults that use the 'Azure role-based access control' permission model.",
    actions: KEY_VAULT_DATA_ACTIONS_BASE,
    not_actions: &[],
    data_actions: &[
        "Microsoft.KeyVault/vaults/keys/*",
        "Microsoft.KeyVault/vaults/keyrotationpolicies/*",
    ],
};

pub const AZURE_BATCH_DATA_CONTRIBUTOR: BuiltInRole = BuiltInRole {
    guid: "6aaa78f1-f7de-44ca-8722-c64a23943cae",
    name: "Azure Batch Data Contributor",
    description: "Grants permissions to manage Batch pools and jobs but not to modify accounts.",
    actions: &[
        "Microsoft.Batch/batchAccounts/read",
        "Microsoft.Batch/batchAccounts/applications/*",
        "Microsoft.Batch/batchAccounts/certificates/*",
        "Microsoft.Batch/batchAccounts/certificateOperationResults/*",
        "Microsoft.Batch/batchAccounts/pools/*",
        "Microsoft.Batch/batchAccounts/poolOperationResults/*",
        "Microsoft.Batch/locations/*/read",
    ],
    not_actions: &[],
    data_actions: &[
        "Microsoft.Batch/batchAccounts/jobSchedules/*",
        "Microsoft.Batch/batchAccounts/jobs/*",
    ],
};

pub const RESOURCE_POLICY_CONTRIBUTOR: BuiltInRole = BuiltInRole {
    guid: "36243c78-bf99-498c-9df9-86d9f8d28608",
    name: "Resource Policy Contributor",
    description: "Users with rights to create/modify resource policy, create support ticket and read resources/hierarchy.",
    actions: &[
        "*/read",
        "Microsoft.Authorization/policyassignments/*",
        "Microsoft.Authorization/policydefinitions/*",
        "Microsoft.Authorization/policyexemptions/*",
        "Microsoft.Authorization/policysetdefinitions/*",
        "Microsoft.PolicyInsights/*",
        "Microsoft.Support/*",
    ],
    not_actions: &[],
    data_actions: &[],
};

pub const APP_CONFIGURATION_DATA_OWNER: BuiltInRole = BuiltInRole {
    guid: "5ae67dd6-50cb-40e7-96ff-dc2bfa4b606b",
    name: "App Configuration Data Owner",
    description: "Allows full access to App Configuration data.",
    actions: &[],
    not_actions: &[],
    data_actions: &[
        "Microsoft.AppConfiguration/configurationStores/*/read",
        "Microsoft.AppConfiguration/configurationStores/*/write",
        "Microsoft.AppConfiguration/configurationStores/*/delete",
        "Microsoft.AppConfiguration/configurationStores/*/action",
    ],
};

pub const RBAC_ADMINISTRATOR: BuiltInRole = BuiltInRole {
    guid: "f58310d9-a9f6-439a-9e8d-f62e7b41a168",
    name: "Role Based Access Control Administrator",
    description: "Manage access to Azure resources by assigning roles using Azure RBAC. This role does not allow you to manage access using other ways, such as Azure Policy.",
    actions: &[
        "Microsoft.Authorization/roleAssignments/write",
        "Microsoft.Authorization/roleAssignments/delete",
        "*/read",
        "Microsoft.Support/*",
    ],
    not_actions: &[],
    data_actions: &[],
};

/// The roles of this module.
pub const DATA_AND_DELEGATION_ROLES: [BuiltInRole; 8] = [
    STORAGE_BLOB_DATA_CONTRIBUTOR,
    STORAGE_QUEUE_DATA_CONTRIBUTOR,
    KEY_VAULT_SECRETS_OFFICER,
    KEY_VAULT_CRYPTO_OFFICER,
    AZURE_BATCH_DATA_CONTRIBUTOR,
    RESOURCE_POLICY_CONTRIBUTOR,
    APP_CONFIGURATION_DATA_OWNER,
    RBAC_ADMINISTRATOR,
];
