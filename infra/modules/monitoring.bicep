// Log Analytics workspace and the workspace-based Application Insights component the Function App
// logs to (haymaker writes one JSON object a line under the host; see HAYMAKER_LOG_FORMAT).

@description('Azure region of the resources.')
param location string

@description('Prefix of every resource name, e.g. haymaker-dev.')
param baseName string

@description('Days Log Analytics keeps data.')
@minValue(30)
@maxValue(730)
param retentionDays int

param tags object

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${baseName}-logs'
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionDays
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${baseName}-insights'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    IngestionMode: 'LogAnalytics'
  }
}

output workspaceId string = workspace.id
output insightsConnectionString string = insights.properties.ConnectionString
