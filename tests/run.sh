#!/usr/bin/env bash
# The test command (README.md): installs what the tests need that cargo does not, then runs them all.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --all-targets --locked
