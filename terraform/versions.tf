terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aiven = {
      source = "aiven/aiven"
      # One exact release: scripts/terraform-check.sh reads it from here.
      version = "4.45.0"
    }
  }
}
