#!/usr/bin/env bash
# Whole-process speed of the metadata step on a typical case (a tag push with semver rules,
# two images, custom labels), the way the runner runs it: clean environment, INPUT_* variables,
# a payload file, a local stub for the two GitHub API reads. Prints hyperfine's summary.
# Usage: bench/meta.sh [runs]   (needs hyperfine: apt-get install hyperfine)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-200}"
# The binary users run: the static musl build the action image ships (.cargo/config.toml).
# BIN=target/release/hoist measures the glibc build instead.
if [ -z "${BIN:-}" ]; then
  rustup target list --installed | grep -qx x86_64-unknown-linux-musl \
    || rustup target add x86_64-unknown-linux-musl >/dev/null
  cargo build --release --locked --bin hoist --target x86_64-unknown-linux-musl >/dev/null
  BIN=target/x86_64-unknown-linux-musl/release/hoist
fi
bin="$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")"
work="$(mktemp -d)"
trap 'kill "${stub_pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

cat >"$work/event.json" <<'JSON'
{"ref":"refs/tags/v1.2.3","base_ref":"refs/heads/main","head_commit":{"id":"860c1904a1ce19322e91ac35af1ab07466440c37","timestamp":"2022-04-19T11:39:35+02:00"},"repository":{"default_branch":"main"}}
JSON
# The API stub: answers GET /repos/o/n with a recorded body, on a free loopback port.
python3 - "$work/port" <<'PY' &
import http.server, json, socketserver, sys
body = json.dumps({"name": "app", "description": "An app", "html_url": "https://github.com/o/app",
                   "license": {"spdx_id": "MIT"}, "default_branch": "main"}).encode()
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(srv.server_address[1]))
srv.serve_forever()
PY
stub_pid=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
port="$(cat "$work/port")"

cat >"$work/run.sh" <<SH
#!/bin/sh
: > "$work/out"; : > "$work/env"
exec env -i PATH=/usr/bin:/bin HOME="$work" TZ=UTC GITHUB_ACTIONS=true \
  GITHUB_EVENT_NAME=push GITHUB_REF=refs/tags/v1.2.3 \
  GITHUB_SHA=860c1904a1ce19322e91ac35af1ab07466440c37 GITHUB_REPOSITORY=o/app \
  GITHUB_EVENT_PATH="$work/event.json" GITHUB_API_URL="http://127.0.0.1:$port" \
  GITHUB_OUTPUT="$work/out" GITHUB_ENV="$work/env" RUNNER_TEMP="$work" \
  SOURCE_DATE_EPOCH=1700000000 \
  "INPUT_IMAGES=ghcr.io/o/app
docker.io/o/app" \
  "INPUT_TAGS=type=semver,pattern={{version}}
type=semver,pattern={{major}}.{{minor}}
type=semver,pattern={{major}}
type=sha
type=ref,event=branch" \
  "INPUT_LABELS=maintainer=o" INPUT_CONTEXT=workflow INPUT_GITHUB-TOKEN=t \
  "\${1:-$bin}" >/dev/null
SH
chmod +x "$work/run.sh"
"$work/run.sh"
grep -q '1.2.3' "$work/out" || { echo "the benchmark case did not produce its outputs" >&2; exit 1; }
# The second command is the same wrapper (sh + env) running /bin/true: the wrapper's own cost,
# to subtract from the first.
hyperfine --warmup 20 --runs "$runs" -N "$work/run.sh" "$work/run.sh /bin/true"
