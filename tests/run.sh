#!/usr/bin/env bash
# The test command (README.md). Installs what the tests need beyond cargo — Azurite (npm) for the
# Blob Storage tests, the Python Azure Storage SDK for the cross-client check, pycep-parser and
# checkov (pip, into target/tools/infra-venv) for the Bicep under infra/, Chromium (apt) and
# playwright-core (npm, into target/tools; it drives Debian's chromium and downloads no browser) for
# the dashboard test (tests/api/dashboard.rs, which saves target/dashboard.png), schemathesis and
# PyYAML (pip) for the API contract tests — then checks the Bicep offline and runs every test
# (tests/app/infra.rs compares the Bicep with the code).
# The Azure CLI (pip azure-cli, pinned, into target/tools/az-venv: ~730 MB, about a minute) for
# tests/agent/real_az.rs, which runs one shipped scenario end to end with the real `az` pointed at
# `haymaker sim` as a custom cloud (docs/AGENT.md).
# HAYMAKER_SKIP_BROWSER=1 skips the browser and schemathesis tests, loudly, when their tools are missing.
# HAYMAKER_SKIP_AZURITE=1 skips the Azurite tests, loudly; nothing else skips them.
# HAYMAKER_SKIP_AZ_CLI=1 skips the real-az test, loudly; without it and without the venv that test fails.
set -euo pipefail
cd "$(dirname "$0")/.."

AZURITE_VERSION=3.37.0
if [ "${HAYMAKER_SKIP_AZURITE:-}" != "1" ]; then
  if [ ! -x target/tools/node_modules/.bin/azurite ]; then
    echo "installing Azurite $AZURITE_VERSION into target/tools (npm)"
    npm install --prefix target/tools --no-audit --no-fund --loglevel=error "azurite@$AZURITE_VERSION"
  fi
  if ! python3 -c "import azure.storage.blob" 2>/dev/null; then
    echo "installing azure-storage-blob (pip)"
    python3 -m pip install --quiet --disable-pip-version-check azure-storage-blob
  fi
fi

PLAYWRIGHT_VERSION=1.65.1 # also in tests/api/dashboard.rs
CHECKOV_VERSION=3.3.30
INFRA_VENV=target/tools/infra-venv
# A venv whose scripts point at a moved interpreter is reinstalled too.
if ! "$INFRA_VENV/bin/checkov" --version >/dev/null 2>&1 || ! "$INFRA_VENV/bin/python" -c "import pycep" 2>/dev/null; then
  rm -rf "$INFRA_VENV"
  echo "installing checkov $CHECKOV_VERSION and pycep-parser into $INFRA_VENV (pip)"
  python3 -m venv "$INFRA_VENV"
  "$INFRA_VENV/bin/python" -m pip install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION" pycep-parser
fi
echo "infra: every .bicep parses (pycep)"
"$INFRA_VENV/bin/python" tests/infra/pycep_dump.py infra > /dev/null
echo "infra: checkov"
BC_SKIP_MAPPING=TRUE "$INFRA_VENV/bin/checkov" --directory infra --framework bicep --compact --quiet
AZURE_CLI_VERSION=2.91.0
AZ_VENV=target/tools/az-venv
if [ "${HAYMAKER_SKIP_AZ_CLI:-}" != "1" ]; then
  # A venv whose scripts point at a moved interpreter (or a half-finished install) is reinstalled.
  if ! AZURE_CONFIG_DIR="$(mktemp -d)" AZURE_CORE_COLLECT_TELEMETRY=false "$AZ_VENV/bin/az" version --output none >/dev/null 2>&1; then
    rm -rf "$AZ_VENV"
    echo "installing azure-cli $AZURE_CLI_VERSION into $AZ_VENV (pip, ~730 MB, about a minute)"
    python3 -m venv "$AZ_VENV"
    "$AZ_VENV/bin/python" -m pip install --quiet --disable-pip-version-check "azure-cli==$AZURE_CLI_VERSION"
  fi
else
  echo "HAYMAKER_SKIP_AZ_CLI=1: the end-to-end test with the real Azure CLI will be SKIPPED"
fi
if [ "${HAYMAKER_SKIP_BROWSER:-}" != "1" ]; then
  if ! command -v chromium >/dev/null 2>&1; then
    echo "installing chromium (apt-get) for the dashboard test"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
  if [ "$(node -p 'require("./target/tools/node_modules/playwright-core/package.json").version' 2>/dev/null)" != "$PLAYWRIGHT_VERSION" ]; then
    echo "installing playwright-core $PLAYWRIGHT_VERSION into target/tools (npm) for the dashboard test"
    npm install --prefix target/tools --no-audit --no-fund --loglevel=error "playwright-core@$PLAYWRIGHT_VERSION"
  fi
  if ! command -v schemathesis >/dev/null 2>&1 || ! python3 -c "import yaml" 2>/dev/null; then
    echo "installing schemathesis and PyYAML (pip) for the API contract tests"
    python3 -m pip install --quiet --disable-pip-version-check schemathesis pyyaml
  fi
fi

cargo test --all-targets --locked

# A short fuzz of each input edge (docs/RELIABILITY.md): the committed corpora replayed, then 20 s
# of new inputs per target. cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP=1 lets stable take them.
# The corpora are copied so a run never changes the committed ones; FUZZ_SECONDS sets the time.
# Here: an unoptimised build without a sanitizer (the code is safe Rust; a panic is the finding), which
# builds in minutes; the long runs (docs/RELIABILITY.md) use cargo fuzz's optimised default.
FUZZ_SECONDS="${FUZZ_SECONDS:-20}"
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "installing cargo-fuzz (cargo install)"
  cargo install cargo-fuzz --locked
fi
cargo metadata --locked --format-version 1 --manifest-path fuzz/Cargo.toml >/dev/null
for target in envelope agent_event scenario; do
  rm -rf "target/fuzz-ci/$target" && mkdir -p "target/fuzz-ci/$target"
  if [ -d "fuzz/corpus/$target" ]; then cp -r "fuzz/corpus/$target/." "target/fuzz-ci/$target/"; fi
  echo "fuzz: $target for ${FUZZ_SECONDS} s"
  RUSTC_BOOTSTRAP=1 cargo fuzz run --dev --sanitizer none "$target" "target/fuzz-ci/$target" -- \
    -max_total_time="$FUZZ_SECONDS" -print_final_stats=1
done
