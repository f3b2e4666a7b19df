# hoist's action image: one static (musl) binary and a CA bundle on `scratch`; nothing else.
#
# Built with BuildKit (docker buildx), for linux/amd64 and linux/arm64 in one go, cross-compiling
# on the build machine's own architecture with cargo-zigbuild (no QEMU):
#   docker buildx build --platform linux/amd64,linux/arm64 -t hoist .
# The release workflow publishes that image and pins it by digest in the released action.yml
# (docs/release.md); the default branch's action.yml builds this file (`image: Dockerfile`).
#
# A machine whose Docker Engine cannot pull base images (this project's development machines)
# builds the same final stage from a binary built on the host: scripts/build-image.sh.
#
# No USER: the runner mounts its directories (file commands, workspace, temp) owned by the
# runner's user and runs the container as the image's user; only root can write to them
# (docs/usage.md, troubleshooting).

ARG RUST_VERSION=1.95

FROM --platform=$BUILDPLATFORM rust:${RUST_VERSION}-slim-bookworm AS build
ARG TARGETPLATFORM
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates python3-venv \
 && rm -rf /var/lib/apt/lists/*
# zig is the cross C compiler and linker (ring has C and assembly); pip brings a pinned zig.
RUN python3 -m venv /opt/zigbuild \
 && /opt/zigbuild/bin/pip install --no-cache-dir cargo-zigbuild==0.24.0
ENV PATH=/opt/zigbuild/bin:$PATH
RUN case "$TARGETPLATFORM" in \
      linux/amd64) echo x86_64-unknown-linux-musl ;; \
      linux/arm64|linux/arm64/v8) echo aarch64-unknown-linux-musl ;; \
      *) echo "unsupported platform: $TARGETPLATFORM" >&2; exit 1 ;; \
    esac > /rust-target \
 && rustup target add "$(cat /rust-target)"
WORKDIR /src
COPY . .
# Deterministic build settings (docs/release.md, "Reproducibility"): one codegen unit, no
# incremental state, and the build machine's paths rewritten in the panic locations the binary
# keeps (the target's rustflags in .cargo/config.toml stay: `--config` arrays are appended).
ENV CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 \
    CARGO_INCREMENTAL=0
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target,id=hoist-target-${TARGETPLATFORM} \
    t="$(cat /rust-target)" \
 && cargo zigbuild --release --locked --bin hoist --target "$t" \
      --config "target.$t.rustflags=[\"--remap-path-prefix=/src=/hoist\", \"--remap-path-prefix=/usr/local/cargo=/cargo\"]" \
 && mkdir -p /rootfs/etc/ssl/certs \
 && cp "target/$t/release/hoist" /rootfs/hoist \
 && cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ca-certificates.crt

# ---- final stage ----------------------------------------------------------------------------
# scripts/build-image.sh builds the lines below this marker verbatim, with `--from=build /rootfs/`
# replaced by a host-built rootfs (the same two files). Keep it to these lines.
FROM scratch
COPY --from=build /rootfs/ /
ENTRYPOINT ["/hoist"]
