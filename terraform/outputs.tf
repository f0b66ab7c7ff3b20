# What `clickstream config generate` reads (`clickstream config generate
# --help` lists it). Anything holding a credential, and anything the
# provider marks sensitive, is sensitive here; `terraform output -json`
# still prints those values, which is how config generate gets them.

output "kafka_service_uri" {
  description = "Kafka bootstrap address, host:port (KAFKA_BROKERS)."
  value       = aiven_kafka.this.service_uri
  sensitive   = true
}

output "kafka_events_topic" {
  description = "The events topic (KAFKA_TOPIC)."
  value       = aiven_kafka_topic.events.topic_name
}

output "kafka_ca_cert" {
  description = "The project's CA certificate, PEM (KAFKA_CA_FILE; PG_URL's sslrootcert)."
  value       = data.aiven_project.this.ca_cert
  sensitive   = true
}

output "kafka_access_cert" {
  description = "Kafka client certificate, PEM (KAFKA_CERT_FILE)."
  value       = aiven_kafka.this.kafka[0].access_cert
  sensitive   = true
}

output "kafka_access_key" {
  description = "Kafka client key, PEM (KAFKA_KEY_FILE)."
  value       = aiven_kafka.this.kafka[0].access_key
  sensitive   = true
}

output "postgres_service_uri" {
  description = "PostgreSQL URL with the admin password (PG_URL)."
  value       = aiven_pg.this.service_uri
  sensitive   = true
}

output "valkey_service_uri" {
  description = "Valkey URL with the password, rediss:// (VALKEY_URL)."
  value       = aiven_valkey.this.service_uri
  sensitive   = true
}

# The OpenSearch outputs are null, and so left out of `terraform output
# -json`, without opensearch_enabled; config generate then writes
# OPENSEARCH_ENABLED=false.

output "opensearch_service_uri" {
  description = "OpenSearch URL with the admin credentials (OPENSEARCH_URL)."
  value       = one(aiven_opensearch.this[*].service_uri)
  sensitive   = true
}

output "opensearch_username" {
  description = "OpenSearch admin user (OPENSEARCH_USER)."
  value       = one(aiven_opensearch.this[*].service_username)
}

output "opensearch_password" {
  description = "OpenSearch admin password (OPENSEARCH_PASSWORD)."
  value       = one(aiven_opensearch.this[*].service_password)
  sensitive   = true
}

output "opensearch_dashboards_uri" {
  description = "OpenSearch Dashboards URL (OPENSEARCH_DASHBOARDS_URL)."
  value       = one(aiven_opensearch.this[*].opensearch[0].opensearch_dashboards_uri)
  sensitive   = true
}
