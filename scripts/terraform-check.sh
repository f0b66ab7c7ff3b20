#!/usr/bin/env bash
# Checks terraform/ (make terraform-check): builds Terraform at a pinned
# version into .local/tools/bin from the Go module proxy, runs
# `terraform fmt -check`, and, when the Aiven provider can be had, runs
# `terraform init -backend=false` and `terraform validate` against it from a
# local plugin directory. Without the provider it says why and that validate
# did not run; TERRAFORM_CHECK_STRICT=1 turns that into a failure.
#
# The provider is found, in order, at
#   .local/terraform/plugins/registry.terraform.io/aiven/aiven/VERSION/OS_ARCH/
# (put the official release binary there by hand, or let this script build
# it), else built with `go install github.com/aiven/terraform-provider-aiven@REF`.
# REF is AIVEN_PROVIDER_GOREF, by default the release tag. The module's path
# has no /v4 suffix, so Go takes no v4 tag for it: on a machine whose module
# proxy serves the module, set AIVEN_PROVIDER_GOREF to the tag's commit hash.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

terraform_version=1.5.7 # the last release under the MPL
bin=${CLICKSTREAM_TOOLS_BIN:-$root/.local/tools/bin}
tf=$bin/terraform
work=$root/.local/terraform
plugins=$work/plugins
export CHECKPOINT_DISABLE=1 # no calls home from terraform

# Terraform reads only this CLI config: providers come from the local
# plugin directory alone, never from a registry, and a developer's own
# config changes nothing here.
mkdir -p "$work"
cat >"$work/terraform.rc" <<EOF
provider_installation {
  filesystem_mirror {
    path    = "$plugins"
    include = ["registry.terraform.io/aiven/aiven"]
  }
}
EOF
export TF_CLI_CONFIG_FILE=$work/terraform.rc

# The provider version is the exact one terraform/versions.tf pins.
provider_version=$(sed -n 's/^[[:space:]]*version[[:space:]]*=[[:space:]]*"=\{0,1\}[[:space:]]*\([0-9][0-9.]*\)".*/\1/p' \
	terraform/versions.tf)
if [[ ! $provider_version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
	echo "terraform-check: no exact aiven provider version in terraform/versions.tf (found '$provider_version')" >&2
	exit 1
fi

if [[ -x $tf && $("$tf" version | head -n 1) == "Terraform v$terraform_version" ]]; then
	echo "terraform-check: terraform $terraform_version already in $bin"
else
	echo "terraform-check: building terraform $terraform_version into $bin (about two minutes the first time)"
	mkdir -p "$bin"
	GOWORK=off GOBIN=$bin go install "github.com/hashicorp/terraform@v$terraform_version"
fi

echo "terraform-check: terraform fmt -check -recursive terraform"
if ! "$tf" fmt -check -recursive -diff terraform; then
	echo "terraform-check: the files above need formatting: run $tf fmt -recursive terraform" >&2
	exit 1
fi
# fmt skips the example's name; compare it with its formatted self.
if ! "$tf" fmt - <terraform/terraform.tfvars.example | diff -u terraform/terraform.tfvars.example -; then
	echo "terraform-check: terraform/terraform.tfvars.example needs formatting (the diff above)" >&2
	exit 1
fi

# Loads the configuration without providers: block structure, variable,
# output and required_providers syntax.
echo "terraform-check: terraform providers (loads the configuration)"
"$tf" -chdir=terraform providers

platform=$(go env GOOS)_$(go env GOARCH)
plugin_dir=$plugins/registry.terraform.io/aiven/aiven/$provider_version/$platform
plugin=$plugin_dir/terraform-provider-aiven_v$provider_version
ref=${AIVEN_PROVIDER_GOREF:-v$provider_version}

if [[ ! -x $plugin ]]; then
	echo "terraform-check: building the aiven provider: go install github.com/aiven/terraform-provider-aiven@$ref"
	gobin=$(mktemp -d)
	trap 'rm -rf "$gobin"' EXIT
	if out=$(GOWORK=off GOBIN=$gobin go install "github.com/aiven/terraform-provider-aiven@$ref" 2>&1); then
		mkdir -p "$plugin_dir"
		mv "$gobin/terraform-provider-aiven" "$plugin"
	else
		printf '%s\n' "$out" | sed 's/^/  | /'
		cat <<-EOF
			terraform-check: terraform validate did NOT run: the aiven provider $provider_version could not
			  be built (the go error above), and $plugin
			  does not exist. Checked: terraform fmt, and that the configuration loads.
			  To validate, put the provider's release binary at that path, or set
			  AIVEN_PROVIDER_GOREF to a commit the module proxy serves, and run make terraform-check again.
		EOF
		if [[ ${TERRAFORM_CHECK_STRICT:-} == 1 ]]; then
			exit 1
		fi
		exit 0
	fi
fi

# Validate a copy, so that neither .terraform/ nor a lock file made from a
# local build lands in terraform/.
check=$work/check
rm -rf "$check"
mkdir -p "$check"
cp terraform/*.tf "$check/"
echo "terraform-check: terraform init -backend=false (provider from $plugins)"
"$tf" -chdir="$check" init -backend=false -input=false -no-color >"$work/init.log" ||
	{ cat "$work/init.log"; exit 1; }
echo "terraform-check: terraform validate"
"$tf" -chdir="$check" validate -no-color
