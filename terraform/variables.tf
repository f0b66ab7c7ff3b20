variable "aiven_project" {
  description = "Name of the existing Aiven project the services are created in."
  type        = string
}

variable "cloud" {
  description = "Aiven cloud (provider and region) every service runs in, e.g. google-europe-west1."
  type        = string
  default     = "google-europe-west1"
}

variable "service_prefix" {
  description = "Prefix of the service names: PREFIX-kafka, PREFIX-pg, PREFIX-valkey, PREFIX-opensearch."
  type        = string
  default     = "clickstream"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,40}$", var.service_prefix))
    error_message = "The service_prefix must start with a lowercase letter and hold at most 41 lowercase letters, digits and dashes."
  }
}

variable "kafka_plan" {
  description = "Aiven plan of the Kafka service."
  type        = string
  default     = "startup-2"
}

variable "postgres_plan" {
  description = "Aiven plan of the PostgreSQL service."
  type        = string
  default     = "startup-4"
}

variable "postgres_version" {
  description = "PostgreSQL major version."
  type        = string
  default     = "16"
}

variable "valkey_plan" {
  description = "Aiven plan of the Valkey service."
  type        = string
  default     = "startup-4"
}

variable "opensearch_enabled" {
  description = "Create the OpenSearch service the search-sink writes to."
  type        = bool
  default     = false
}

variable "opensearch_plan" {
  description = "Aiven plan of the OpenSearch service, when opensearch_enabled."
  type        = string
  default     = "startup-4"
}

variable "kafka_events_topic" {
  description = "Name of the events topic (KAFKA_TOPIC)."
  type        = string
  default     = "clickstream-events"
}

variable "kafka_partitions" {
  description = "Partitions of the events topic: the most sink replicas one consumer group can use."
  type        = number
  default     = 4

  validation {
    condition     = var.kafka_partitions >= 1 && floor(var.kafka_partitions) == var.kafka_partitions
    error_message = "The kafka_partitions must be a whole number, 1 or more."
  }
}

variable "kafka_replication" {
  description = "Replication factor of both topics; Aiven accepts 2 up to the number of brokers of the plan."
  type        = number
  default     = 3

  validation {
    condition     = var.kafka_replication >= 2 && floor(var.kafka_replication) == var.kafka_replication
    error_message = "The kafka_replication must be a whole number, 2 or more."
  }
}
