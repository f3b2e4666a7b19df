#!/usr/bin/env bash
# Benchmark (not a test): the cost of merging (issue 10). Pushes 2 single-platform images
# (amd64, arm64) of SIZE_MIB each to 3 local registries as two `source` lines (hoist merges
# them into one index), versus the same bytes as one already-merged 2-platform OCI layout.
# Each run starts 3 fresh registries; the runs alternate; prints the medians and their ratio
# (the issue's bar: within 5%).
# Usage: bench/merge.sh [SIZE_MIB] [RUNS]     (defaults: 250 MiB per platform, 3 runs each)
#   HOIST=path/to/hoist (default target/release/hoist).
# Needs docker-registry, python3 and GNU time (/usr/bin/time). Registries listen on 127.0.0.1
# only, each with its own config and storage in a temp dir, all killed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib="${1:-250}"
runs="${2:-3}"
hoist="${HOIST:-target/release/hoist}"
[ -x "$hoist" ] || { echo "build first: cargo build --release" >&2; exit 1; }
hoist="$(realpath "$hoist")"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

echo "generating 2 x ${size_mib} MiB (4 layers each), as two layouts and as one merged layout"
python3 - "$work" "$size_mib" <<'PY'
import hashlib, json, os, sys
work, size = sys.argv[1], int(sys.argv[2])
both = f"{work}/both"
def layout(d):
    os.makedirs(f"{d}/blobs/sha256", exist_ok=True)
    open(f"{d}/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
def put(d, data):
    h = hashlib.sha256(data).hexdigest()
    open(f"{d}/blobs/sha256/{h}", "wb").write(data)
    return {"digest": "sha256:" + h, "size": len(data)}
layout(both)
children = []
for arch in ("amd64", "arm64"):
    d = f"{work}/{arch}"
    layout(d)
    layers = []
    per = size * 1024 * 1024 // 4
    for _ in range(4):
        h = hashlib.sha256()
        tmp = f"{d}/layer.tmp"
        with open(tmp, "wb") as f:
            left = per
            while left:
                chunk = os.urandom(min(left, 1 << 20))
                h.update(chunk); f.write(chunk); left -= len(chunk)
        os.rename(tmp, f"{d}/blobs/sha256/{h.hexdigest()}")
        # The merged layout shares the bytes (a hard link: no extra disk).
        os.link(f"{d}/blobs/sha256/{h.hexdigest()}", f"{both}/blobs/sha256/{h.hexdigest()}")
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                       "digest": "sha256:" + h.hexdigest(), "size": per})
    cfg_bytes = json.dumps({"architecture": arch, "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": [l["digest"] for l in layers]}}).encode()
    cfg = put(d, cfg_bytes); put(both, cfg_bytes)
    cfg["mediaType"] = "application/vnd.oci.image.config.v1+json"
    m_bytes = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": cfg, "layers": layers}).encode()
    m = put(d, m_bytes); put(both, m_bytes)
    m["mediaType"] = "application/vnd.oci.image.manifest.v1+json"
    json.dump({"schemaVersion": 2, "manifests": [m]}, open(f"{d}/index.json", "w"))
    children.append(dict(m, platform={"architecture": arch, "os": "linux"}))
idx = put(both, json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
    "manifests": children}).encode())
idx["mediaType"] = "application/vnd.oci.image.index.v1+json"
json.dump({"schemaVersion": 2, "manifests": [idx]}, open(f"{both}/index.json", "w"))
PY

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
ports=()
start_registries() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"/reg*
  pids=(); ports=()
  for i in 1 2 3; do
    local port dir
    port="$(free_port)"; dir="$work/reg$i-$port"
    mkdir -p "$dir/storage"
    printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
      "$dir/storage" "$port" > "$dir/config.yml"
    /usr/bin/docker-registry serve "$dir/config.yml" >/dev/null 2>&1 &
    pids+=($!); ports+=("$port")
  done
  for port in "${ports[@]}"; do
    for _ in $(seq 100); do (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  done
}

# Prints the elapsed seconds of one push of `source` to 3 fresh registries.
push_once() {
  local images insecure
  start_registries
  images="$(printf '127.0.0.1:%s/bench/app\n' "${ports[@]}")"
  insecure="$(printf '127.0.0.1:%s\n' "${ports[@]}")"
  env -i PATH="$PATH" HOME="$work" RUNNER_TEMP="$work" \
    INPUT_IMAGES="$images" INPUT_TAGS="type=raw,value=v1" INPUT_SOURCE="$1" \
    INPUT_INSECURE-REGISTRIES="$insecure" \
    /usr/bin/time -f "%e" -o "$work/time" "$hoist" > "$work/hoist.log" 2>&1 \
    || { cat "$work/hoist.log"; exit 1; }
  cat "$work/time"
}

merged_src="$(printf 'oci:%s\noci:%s' "$work/amd64" "$work/arm64")"
one_src="oci:$work/both"
m_times=(); o_times=()
for _ in $(seq "$runs"); do
  m_times+=("$(push_once "$merged_src")")
  o_times+=("$(push_once "$one_src")")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
m="$(median "${m_times[@]}")"; o="$(median "${o_times[@]}")"
echo "two source lines, merged: ${m}s (runs: ${m_times[*]})"
echo "one merged layout:        ${o}s (runs: ${o_times[*]})"
python3 -c "r=$m/$o; print(f'merged / pre-merged = {r:.3f}' + ('' if r <= 1.05 else '  (more than 5% slower)'))"
