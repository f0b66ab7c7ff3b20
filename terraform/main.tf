# The services the pipeline needs on Aiven: Kafka with the events and
# dead-letter topics, PostgreSQL, Valkey and, when opensearch_enabled,
# OpenSearch. outputs.tf names what `clickstream config generate` reads.

# The provider reads the API token from AIVEN_TOKEN.
provider "aiven" {}

# The project exists already; its CA signs the Kafka and PostgreSQL
# server certificates.
data "aiven_project" "this" {
  project = var.aiven_project
}

locals {
  # Record timestamps are event times, often years old, and a broker
  # deletes records by timestamp: any time-based retention would drop a
  # replayed data set within minutes. Only the disk bounds the topics.
  keep_forever_ms = "-1"
}

resource "aiven_kafka" "this" {
  project      = data.aiven_project.this.project
  cloud_name   = var.cloud
  plan         = var.kafka_plan
  service_name = "${var.service_prefix}-kafka"
}

resource "aiven_kafka_topic" "events" {
  project      = data.aiven_project.this.project
  service_name = aiven_kafka.this.service_name
  topic_name   = var.kafka_events_topic
  partitions   = var.kafka_partitions
  replication  = var.kafka_replication

  config {
    retention_ms = local.keep_forever_ms
  }
}

# Records the sinks cannot write, with the reason; the sinks create it
# with one partition when it is missing, as here.
resource "aiven_kafka_topic" "dead_letter" {
  project      = data.aiven_project.this.project
  service_name = aiven_kafka.this.service_name
  topic_name   = "clickstream-events-dlq"
  partitions   = 1
  replication  = var.kafka_replication

  config {
    retention_ms = local.keep_forever_ms
  }
}

resource "aiven_pg" "this" {
  project      = data.aiven_project.this.project
  cloud_name   = var.cloud
  plan         = var.postgres_plan
  service_name = "${var.service_prefix}-pg"

  pg_user_config {
    pg_version = var.postgres_version
  }
}

resource "aiven_valkey" "this" {
  project      = data.aiven_project.this.project
  cloud_name   = var.cloud
  plan         = var.valkey_plan
  service_name = "${var.service_prefix}-valkey"
}

resource "aiven_opensearch" "this" {
  count = var.opensearch_enabled ? 1 : 0

  project      = data.aiven_project.this.project
  cloud_name   = var.cloud
  plan         = var.opensearch_plan
  service_name = "${var.service_prefix}-opensearch"

  opensearch_user_config {
    opensearch_dashboards {
      enabled = true
    }
  }
}
