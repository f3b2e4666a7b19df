#!/usr/bin/env bash
# Benchmark (not a test): hoist pushing one image to 3 local registries, beside skopeo copy.
# Usage: scripts/bench-push.sh [SIZE_MIB] [LAYERS]     (defaults: 500 MiB, 8 layers)
#   HOIST=path/to/hoist (default target/release/hoist), SKIP_SKOPEO=1 to time hoist only.
# Needs docker-registry, skopeo, python3 and GNU time (/usr/bin/time). Registries listen on
# 127.0.0.1 only, each with its own config and storage in a temp dir, all killed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib="${1:-500}"
layers="${2:-8}"
hoist="${HOIST:-target/release/hoist}"
[ -x "$hoist" ] || { echo "build first: cargo build --release" >&2; exit 1; }
hoist="$(realpath "$hoist")"
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

echo "generating a ${size_mib} MiB image with ${layers} layers"
python3 - "$work/img" "$size_mib" "$layers" <<'PY'
import hashlib, json, os, sys
d, size, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(f"{d}/blobs/sha256")
def put(data):
    h = hashlib.sha256(data).hexdigest()
    open(f"{d}/blobs/sha256/{h}", "wb").write(data)
    return {"digest": "sha256:" + h, "size": len(data)}
layers = []
per = size * 1024 * 1024 // n
for _ in range(n):
    tmp = f"{d}/layer.tmp"
    h = hashlib.sha256()
    with open(tmp, "wb") as f:
        left = per
        while left:
            chunk = os.urandom(min(left, 1 << 20))
            h.update(chunk); f.write(chunk); left -= len(chunk)
    os.rename(tmp, f"{d}/blobs/sha256/{h.hexdigest()}")
    layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                   "digest": "sha256:" + h.hexdigest(), "size": per})
cfg = put(json.dumps({"architecture": "amd64", "os": "linux", "config": {},
    "rootfs": {"type": "layers", "diff_ids": [l["digest"] for l in layers]}}).encode())
cfg["mediaType"] = "application/vnd.oci.image.config.v1+json"
m = put(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": cfg, "layers": layers}).encode())
m["mediaType"] = "application/vnd.oci.image.manifest.v1+json"
json.dump({"schemaVersion": 2, "manifests": [m]}, open(f"{d}/index.json", "w"))
open(f"{d}/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
PY

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
ports=()
start_registries() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
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

run_hoist() {
  local images insecure
  images="$(printf '127.0.0.1:%s/bench/app\n' "${ports[@]}")"
  insecure="$(printf '127.0.0.1:%s\n' "${ports[@]}")"
  env -i PATH="$PATH" HOME="$work" RUNNER_TEMP="$work" \
    INPUT_IMAGES="$images" INPUT_TAGS="type=raw,value=v1" INPUT_SOURCE="oci:$work/img" \
    INPUT_INSECURE-REGISTRIES="$insecure" \
    /usr/bin/time -f "%e %M" -o "$work/time" "$hoist" > "$work/hoist.log" 2>&1 \
    || { cat "$work/hoist.log"; exit 1; }
  cat "$work/time"
}
skopeo_one() {
  skopeo copy --quiet --dest-tls-verify=false "oci:$work/img" "docker://127.0.0.1:$1/bench/app:v1"
}
timed() { local t0 t1; t0=$(date +%s.%N); "$@"; t1=$(date +%s.%N); python3 -c "print(f'{$t1-$t0:.2f}')"; }
seq_skopeo() { for p in "${ports[@]}"; do skopeo_one "$p"; done; }
par_skopeo() { local ps=(); for p in "${ports[@]}"; do skopeo_one "$p" & ps+=($!); done; for p in "${ps[@]}"; do wait "$p"; done; }

start_registries
read -r h_first h_rss < <(run_hoist)
read -r h_again h_rss2 < <(run_hoist)
echo "hoist, 3 registries: ${h_first}s (peak RSS $((h_rss / 1024)) MiB); re-push: ${h_again}s (peak RSS $((h_rss2 / 1024)) MiB)"
if [ -z "${SKIP_SKOPEO:-}" ]; then
  start_registries
  s_seq="$(timed seq_skopeo)"
  s_again="$(timed seq_skopeo)"
  start_registries
  s_par="$(timed par_skopeo)"
  echo "skopeo copy x3 sequential: ${s_seq}s; parallel: ${s_par}s; re-push x3 sequential: ${s_again}s"
  python3 -c "print(f'hoist / sequential skopeo = {$h_first/$s_seq:.2f}x; hoist / parallel skopeo = {$h_first/$s_par:.2f}x')"
fi
