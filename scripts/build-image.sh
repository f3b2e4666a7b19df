#!/usr/bin/env bash
# Builds hoist's action image from a binary built on this host, for machines whose Docker Engine
# cannot pull any base image (the Dockerfile's builder stage needs `rust:*`). The image is the
# Dockerfile's final stage, verbatim: `FROM scratch`, the static binary at /hoist, the CA bundle
# at /etc/ssl/certs/ca-certificates.crt, `ENTRYPOINT ["/hoist"]`.
#
# Usage: scripts/build-image.sh [IMAGE]        (default IMAGE: hoist:dev)
# Prints the image ID on the last line of stdout. Installs the musl target (rustup) and
# musl-tools (Debian, for ring's C code) when they are missing. Fails if the image is 15 MiB or
# larger. Respects CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

image="${1:-hoist:dev}"
target=x86_64-unknown-linux-musl
max_bytes=$((15 * 1024 * 1024))
ca_bundle="${HOIST_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"

log() { echo "build-image: $*" >&2; }

# One build at a time on this machine: test runners that start each test in its own process
# (cargo nextest) may call this script several times at once, and apt-get, rustup and the tag
# must not race.
if command -v flock >/dev/null 2>&1; then
  exec 9>"${TMPDIR:-/tmp}/hoist-build-image.lock"
  flock 9
fi

if [ "$(uname -m)" != x86_64 ]; then
  log "this script builds linux/amd64 images on an x86_64 host; use the Dockerfile elsewhere"
  exit 1
fi
if ! rustup target list --installed | grep -qx "$target"; then
  log "installing the Rust target $target"
  rustup target add "$target" >&2
fi
if ! command -v musl-gcc >/dev/null 2>&1; then
  log "installing musl-tools (a C compiler for the musl target)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends musl-tools >/dev/null
fi
[ -f "$ca_bundle" ] || { log "no CA bundle at $ca_bundle (Debian: ca-certificates)"; exit 1; }

log "cargo build --release --target $target"
cargo build --release --locked --bin hoist --target "$target" >&2
target_dir="$(cargo metadata --format-version 1 --no-deps \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
binary="$target_dir/$target/release/hoist"

# A static binary has no program interpreter (PT_INTERP): check the ELF header directly, so
# that no binutils are needed.
python3 - "$binary" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
assert data[:4] == b"\x7fELF" and data[4] == 2, "not a 64-bit ELF"
phoff, = struct.unpack_from("<Q", data, 0x20)
phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
for i in range(phnum):
    p_type, = struct.unpack_from("<I", data, phoff + i * phentsize)
    if p_type == 3:  # PT_INTERP
        sys.exit(f"{sys.argv[1]} is dynamically linked")
PY

context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
mkdir -p "$context/rootfs/etc/ssl/certs"
cp "$binary" "$context/rootfs/hoist"
cp "$ca_bundle" "$context/rootfs/etc/ssl/certs/ca-certificates.crt"
chmod 0755 "$context/rootfs/hoist"
chmod 0644 "$context/rootfs/etc/ssl/certs/ca-certificates.crt"

# The Dockerfile's final stage, from its marker line to the end, with the builder's rootfs
# replaced by ours.
marker='^# ---- final stage'
grep -q "$marker" Dockerfile || { log "Dockerfile has no final-stage marker"; exit 1; }
sed -n "/$marker/,\$p" Dockerfile \
  | sed 's#^COPY --from=build /rootfs/ /$#COPY rootfs/ /#' >"$context/Dockerfile"
if grep -v '^#' "$context/Dockerfile" | grep -q -- '--from=' \
  || ! grep -qx 'COPY rootfs/ /' "$context/Dockerfile"; then
  log "the Dockerfile's final stage changed: update scripts/build-image.sh"
  cat "$context/Dockerfile" >&2
  exit 1
fi
grep -qx 'FROM scratch' "$context/Dockerfile" || { log "the final stage must be FROM scratch"; exit 1; }

log "docker build -t $image"
docker build --quiet -t "$image" "$context" >&2
size="$(docker image inspect -f '{{.Size}}' "$image")"
log "$image: $size bytes"
if [ "$size" -ge "$max_bytes" ]; then
  log "the image is $size bytes, over the 15 MiB budget"
  exit 1
fi
docker image inspect -f '{{.Id}}' "$image"
