#!/usr/bin/env bash
# Runs every test on a fresh machine: installs what the tests need (Debian packages), then the
# workflow checks (actions pinned by SHA; zizmor when installed), format and lint checks, the
# unit and integration tests, and the metadata-action conformance corpus (fixtures/conformance).
# Reads nothing outside the repository. Usage: scripts/test.sh   (from anywhere)
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v faketime >/dev/null 2>&1 || need+=(faketime)
command -v docker-registry >/dev/null 2>&1 || [ -x /usr/bin/docker-registry ] || need+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
command -v htpasswd >/dev/null 2>&1 || need+=(apache2-utils)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v git >/dev/null 2>&1 || need+=(git)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

echo "== workflows"
# Every third-party action pinned by full commit SHA, with its version in a comment.
unpinned="$(grep -nE '^[[:space:]-]*uses:' .github/workflows/*.yml \
  | grep -vE 'uses:[[:space:]]+\./' \
  | grep -vE 'uses:[[:space:]]+[^@[:space:]]+@[0-9a-f]{40}[[:space:]]+# v[0-9]' || true)"
if [ -n "$unpinned" ]; then
  echo "error: actions not pinned by full commit SHA with a \`# vX.Y.Z\` comment:" >&2
  echo "$unpinned" >&2
  exit 1
fi
if command -v zizmor >/dev/null 2>&1; then
  zizmor --offline --no-progress .github/workflows/
else
  echo "zizmor not installed (pip install zizmor): workflow audit skipped"
fi
echo "== fmt"
cargo fmt --all -- --check
echo "== clippy"
cargo clippy --all-targets --locked -- -D warnings
echo "== build"
cargo build --release --locked
echo "== tests"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --locked --no-fail-fast
else
  cargo test --locked --no-fail-fast
fi
echo "== conformance"
scripts/conformance.sh
