// Service Bus: the topic agents publish their events to and its two subscriptions, the
// orchestrator's (the AgentEvents function) and the CLI's live tail (`haymaker logs --live`).
// Local (SAS) authentication is off: everyone signs in with Entra ID.

param location string

@description('Globally unique namespace name.')
param name string

@description('HAYMAKER_EVENTS_TOPIC')
param topicName string

@description('HAYMAKER_EVENTS_SUBSCRIPTION: read by the AgentEvents function.')
param orchestratorSubscriptionName string

@description('HAYMAKER_EVENTS_TAIL_SUBSCRIPTION: read by `haymaker logs --live`.')
param tailSubscriptionName string

@description('Deliveries before a message is dead-lettered (the trigger edge answers 503 on a retriable failure).')
@minValue(1)
@maxValue(100)
param maxDeliveryCount int

param tags object

resource namespace 'Microsoft.ServiceBus/namespaces@2022-10-01-preview' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

resource topic 'Microsoft.ServiceBus/namespaces/topics@2022-10-01-preview' = {
  parent: namespace
  name: topicName
  properties: {
    defaultMessageTimeToLive: 'P7D'
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT1H'
  }
}

resource orchestrator 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2022-10-01-preview' = {
  parent: topic
  name: orchestratorSubscriptionName
  properties: {
    maxDeliveryCount: maxDeliveryCount
    lockDuration: 'PT1M'
    deadLetteringOnMessageExpiration: true
    deadLetteringOnFilterEvaluationExceptions: true
    defaultMessageTimeToLive: 'P7D'
  }
}

resource tail 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2022-10-01-preview' = {
  parent: topic
  name: tailSubscriptionName
  properties: {
    maxDeliveryCount: maxDeliveryCount
    lockDuration: 'PT1M'
    deadLetteringOnMessageExpiration: true
    deadLetteringOnFilterEvaluationExceptions: true
    // The live tail only wants recent events: older ones expire into the dead-letter queue.
    defaultMessageTimeToLive: 'PT1H'
  }
}

output id string = namespace.id
output name string = namespace.name
output topicId string = topic.id
output orchestratorSubscriptionId string = orchestrator.id
output tailSubscriptionId string = tail.id
