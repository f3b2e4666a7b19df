#!/usr/bin/env bash
# Benchmark (not a test): pushing at scale (issue 15). In one run, for each image size and
# registry count, times hoist beside `skopeo copy` (N sequential, N parallel) and beside the
# raw-HTTP limit (the same blobs by sendfile, 4 streams per registry, no hashing), each on fresh
# registries; then a reset injected at 50% of one large blob (fault proxy), with and without
# `chunk-size`; then a slow registry (throttling proxy) beside a fast one. Writes trials.csv,
# table.md, targets.md, reset/slow results and two PNG plots to the results directory.
#
# Usage: bench/push.sh [--quick] [--sizes 50,200,500,2048] [--registries 1,3,10] [--runs 3]
#          [--runs-large 1] [--layers 8] [--streams 4] [--trials matrix,reset,slow]
#          [--reset-size 1024] [--reset-chunk 16MiB] [--slow-size 200] [--slow-rate 20]
#          [--timeout 3600] [--out DIR]
#   --quick: 50 MiB to 1 and 3 registries, 1 run, a 64 MiB reset and a 50 MiB slow trial.
#   --runs-large: runs for sizes of 2 GiB and more. --slow-rate: MiB/s. --timeout: seconds per
#   tool run. HOIST=path (default target/release/hoist). Results: target/bench/push-<time>/.
# Needs docker-registry, skopeo, python3, curl, GNU time (/usr/bin/time) and, for the plots,
# python3-matplotlib (installed with apt-get when missing and running as root). Registries and
# proxies listen on 127.0.0.1 only, with their storage in a temp dir wiped after every trial;
# all are killed on exit. Disk: the largest image plus its size times the largest count.
set -euo pipefail
cd "$(dirname "$0")/.."

sizes=50,200,500,2048
registries=1,3,10
runs=3
runs_large=1
layers=8
streams=4
trials=matrix,reset,slow
reset_size=1024
reset_chunk=16MiB
slow_size=200
slow_rate=20
tool_timeout=3600
out=""
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) sizes=50; registries=1,3; runs=1; reset_size=64; slow_size=50 ;;
    --sizes) sizes="$2"; shift ;;
    --registries) registries="$2"; shift ;;
    --runs) runs="$2"; shift ;;
    --runs-large) runs_large="$2"; shift ;;
    --layers) layers="$2"; shift ;;
    --streams) streams="$2"; shift ;;
    --trials) trials="$2"; shift ;;
    --reset-size) reset_size="$2"; shift ;;
    --reset-chunk) reset_chunk="$2"; shift ;;
    --slow-size) slow_size="$2"; shift ;;
    --slow-rate) slow_rate="$2"; shift ;;
    --timeout) tool_timeout="$2"; shift ;;
    --out) out="$2"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench/push.sh: unknown argument \`$1\` (see --help)" >&2; exit 2 ;;
  esac
  shift
done
number_list() { [[ "$2" =~ ^[0-9]+(,[0-9]+)*$ ]] || { echo "bench/push.sh: $1 must be numbers separated by commas, got \`$2\`" >&2; exit 2; }; }
number_list --sizes "$sizes"; number_list --registries "$registries"
for v in runs runs_large layers streams reset_size slow_size slow_rate tool_timeout; do
  number_list "--${v//_/-}" "${!v}"
  [[ "${!v}" != *,* && "${!v}" -ge 1 ]] || { echo "bench/push.sh: --${v//_/-} must be one number >= 1" >&2; exit 2; }
done
IFS=, read -r -a size_list <<< "$sizes"
IFS=, read -r -a count_list <<< "$registries"
for n in "${count_list[@]}"; do
  if [ "$n" -lt 1 ] || [ "$n" -gt 32 ]; then echo "bench/push.sh: --registries: 1 to 32 each" >&2; exit 2; fi
done
has_trial() { [[ ",$trials," == *",$1,"* ]]; }

hoist="${HOIST:-target/release/hoist}"
[ -x "$hoist" ] || { echo "build first: cargo build --release --locked" >&2; exit 1; }
hoist="$(realpath "$hoist")"
# Debian's python (python3-matplotlib is installed for it), not another python3 first in PATH.
py="${PYTHON:-/usr/bin/python3}"
[ -x "$py" ] || py="$(command -v python3)"
for tool in /usr/bin/docker-registry skopeo "$py" curl /usr/bin/time timeout; do
  command -v "$tool" >/dev/null || { echo "bench/push.sh: \`$tool\` is missing" >&2; exit 1; }
done
if ! "$py" -c 'import matplotlib' 2>/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing: python3-matplotlib"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-matplotlib >/dev/null \
      || echo "warning: python3-matplotlib not installed: no plots" >&2
  else
    echo "warning: python3-matplotlib missing (apt-get install python3-matplotlib): no plots" >&2
  fi
fi

helper="$PWD/bench/push.py"
out="${out:-target/bench/push-$(date -u +%Y%m%d-%H%M%S)}"
mkdir -p "$out"
out="$(realpath "$out")"
work="$(mktemp -d "${TMPDIR:-/tmp}/hoist-bench-push.XXXXXX")"
pids=()          # every background process this script starts (registries, proxies, pollers)
ports=()         # the current registries' ports
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Forgets a process that has been waited for (so that the exit trap never signals a reused id).
forget_pid() {
  local keep=() p
  for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  pids=("${keep[@]}")
}
# Stops one background process: SIGTERM, at most 5 s, then SIGKILL.
stop_pid() {
  if kill "$1" 2>/dev/null; then
    for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$1" 2>/dev/null || true
  fi
  wait "$1" 2>/dev/null || true
  forget_pid "$1"
}

free_port() { "$py" -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }

reg_pids=()
stop_registries() {
  for p in "${reg_pids[@]}"; do stop_pid "$p"; done
  reg_pids=(); ports=()
  rm -rf "$work/reg"
}
# Starts N fresh registries (access log on, one file each), waiting at most 15 s for each.
start_registries() {
  stop_registries
  local i port dir ok
  for i in $(seq "$1"); do
    port="$(free_port)"; dir="$work/reg/$i"
    mkdir -p "$dir/storage"
    printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: false\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
      "$dir/storage" "$port" > "$dir/config.yml"
    /usr/bin/docker-registry serve "$dir/config.yml" > "$dir/access.log" 2> "$dir/registry.err" &
    reg_pids+=($!); pids+=($!); ports+=("$port")
  done
  for i in $(seq "$1"); do
    ok=""
    for _ in $(seq 150); do
      if curl -fsS -m 1 -o /dev/null "http://127.0.0.1:${ports[i-1]}/v2/" 2>/dev/null; then ok=1; break; fi
      sleep 0.1
    done
    [ -n "$ok" ] || { echo "registry $i did not answer within 15 s:" >&2; cat "$work/reg/$i/registry.err" >&2; exit 1; }
  done
}

# Starts the fault/throttle proxy in front of registry port $1 (further args: proxy options);
# sets proxy_pid and proxy_port (waits at most 10 s for it to listen).
start_proxy() {
  local upstream="$1"; shift
  rm -f "$work/proxy.port" "$work/proxy.stats"
  "$py" "$helper" proxy "$work/proxy.port" "$upstream" "$work/proxy.stats" "$@" 2> "$work/proxy.err" &
  proxy_pid=$!; pids+=("$proxy_pid")
  for _ in $(seq 100); do [ -s "$work/proxy.port" ] && break; sleep 0.1; done
  [ -s "$work/proxy.port" ] || { echo "the proxy did not start:" >&2; cat "$work/proxy.err" >&2; exit 1; }
  proxy_port="$(cat "$work/proxy.port")"
}
# Stops the proxy and prints the bytes it sent up to the registry.
stop_proxy() {
  stop_pid "$proxy_pid"
  "$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["up_bytes"])' "$work/proxy.stats"
}

# Fails early rather than filling the disk: $1 MiB must be free where the registries write.
need_disk() {
  local free
  free="$(df -Pm "$work" | awk 'NR==2 {print $4}')"
  [ "$free" -ge "$(( $1 + 1024 ))" ] || { echo "bench/push.sh: needs $1 MiB (+1 GiB) free in $work, has $free MiB" >&2; exit 1; }
}

# Runs one tool under GNU time (wall, user, sys, peak RSS) and `timeout`; sets wall/user/sys/rss.
measure() {
  if ! /usr/bin/time -f '%e %U %S %M' -o "$work/time" timeout -k 10 "$tool_timeout" "$@" > "$work/tool.log" 2>&1; then
    echo "failed: $*" >&2; tail -n 30 "$work/tool.log" >&2; exit 1
  fi
  read -r wall user sys rss < <(tail -n 1 "$work/time")
}

# Every tool pushes the layout $1 to the current registries (or to the image list in $2).
run_hoist() {
  local layout="$1" chunk="${2:-}" images insecure
  images="$(printf '127.0.0.1:%s/bench/app\n' "${targets[@]}")"
  insecure="$(printf '127.0.0.1:%s\n' "${targets[@]}")"
  measure env -i PATH="$PATH" HOME="$work" RUNNER_TEMP="$work" \
    INPUT_IMAGES="$images" INPUT_TAGS="type=raw,value=v1" INPUT_SOURCE="oci:$layout" \
    INPUT_INSECURE-REGISTRIES="$insecure" INPUT_CHUNK-SIZE="$chunk" "$hoist"
}
# The raw client's wall time is its own (from its first connection): Python's start-up is not
# part of the limit.
run_raw() { measure "$py" "$helper" raw "$1" "$streams" "${targets[@]}"; wall="$(tail -n 1 "$work/tool.log")"; }
# shellcheck disable=SC2016 # the scripts below are expanded by the inner bash
run_skopeo_seq() {
  measure bash -c 'l="$1"; shift; for p in "$@"; do
      skopeo copy --quiet --dest-tls-verify=false "oci:$l" "docker://127.0.0.1:$p/bench/app:v1" || exit 1
    done' _ "$1" "${targets[@]}"
}
# shellcheck disable=SC2016
run_skopeo_par() {
  measure bash -c 'l="$1"; shift; ps=(); for p in "$@"; do
      skopeo copy --quiet --dest-tls-verify=false "oci:$l" "docker://127.0.0.1:$p/bench/app:v1" & ps+=($!)
    done; rc=0; for p in "${ps[@]}"; do wait "$p" || rc=1; done; exit "$rc"' _ "$1" "${targets[@]}"
}

# Prints "PUTS PATCHES POSTS" (minimum over the registries, then maximum) from the access logs.
count_uploads() { "$py" "$helper" count "$work"/reg/*/access.log; }

started=$(date +%s)
echo "results: $out"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "cpus: $(nproc), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "hoist: $("$hoist" --version 2>&1 | head -n 1) ($hoist)"
  echo "skopeo: $(skopeo --version)"
  echo "registry: $(/usr/bin/docker-registry --version 2>&1 | head -n 1)"
  echo "args: sizes=$sizes registries=$registries runs=$runs runs-large=$runs_large layers=$layers streams=$streams trials=$trials"
} > "$out/environment.txt"
cat "$out/environment.txt"

if has_trial matrix; then
  echo "size_mib,registries,run,tool,wall_s,user_s,sys_s,rss_kib,puts,patches,posts" > "$out/trials.csv"
  max_count="$(printf '%s\n' "${count_list[@]}" | sort -n | tail -n 1)"
  for size in "${size_list[@]}"; do
    need_disk $(( size * (max_count + 1) ))
    echo "== ${size} MiB: generating ${layers} random layers"
    rm -rf "$work/img"
    "$py" "$helper" layout "$work/img" "$size" "$layers" > /dev/null
    r="$runs"; [ "$size" -ge 2048 ] && [ "$runs_large" -lt "$r" ] && r="$runs_large"
    for n in "${count_list[@]}"; do
      for run in $(seq "$r"); do
        for tool in hoist raw skopeo-seq skopeo-par; do
          start_registries "$n"
          targets=("${ports[@]}")
          case "$tool" in
            hoist) run_hoist "$work/img" ;;
            raw) run_raw "$work/img" ;;
            skopeo-seq) run_skopeo_seq "$work/img" ;;
            skopeo-par) run_skopeo_par "$work/img" ;;
          esac
          read -r puts patches posts _ < <(count_uploads)
          echo "$size,$n,$run,$tool,$wall,$user,$sys,$rss,$puts,$patches,$posts" >> "$out/trials.csv"
          printf '%5s MiB -> %2s registries, run %s, %-10s %7.2f s  cpu %6.2f s  rss %4d MiB  uploads/registry %s (%s PATCH)\n' \
            "$size" "$n" "$run" "$tool" "$wall" "$("$py" -c "print($user+$sys)")" "$((rss / 1024))" "$puts" "$patches"
          stop_registries
        done
      done
    done
    rm -rf "$work/img"
  done
fi

if has_trial reset; then
  # One layer, so that 50% of the bytes is 50% of one blob; 1 registry behind the proxy. The
  # baseline goes through the same proxy without the cut.
  need_disk $(( reset_size * 3 ))
  echo "== reset at 50% of a ${reset_size} MiB blob"
  rm -rf "$work/img"
  "$py" "$helper" layout "$work/img" "$reset_size" 1 > /dev/null
  cut_after=$(( reset_size * 1024 * 1024 / 2 ))
  chunks=("")
  [ -n "$reset_chunk" ] && chunks+=("$reset_chunk")
  reset_rows=()
  for chunk in "${chunks[@]}"; do
    base_walls=(); fault_walls=(); base_up=0; fault_up=0; fault_posts=0; fault_patches=0
    for run in $(seq "$runs"); do
      for fault in 0 1; do
        start_registries 1
        if [ "$fault" = 1 ]; then start_proxy "${ports[0]}" --cut-after "$cut_after"; else start_proxy "${ports[0]}"; fi
        targets=("$proxy_port")
        run_hoist "$work/img" "$chunk"
        cp "$work/tool.log" "$out/reset-chunk-${chunk:-unset}-run$run-$([ "$fault" = 1 ] && echo reset || echo no-fault).log"
        up="$(stop_proxy)"
        read -r _ patches posts _ < <(count_uploads)
        if [ "$fault" = 1 ]; then fault_walls+=("$wall"); fault_up="$up"; fault_posts="$posts"; fault_patches="$patches"
        else base_walls+=("$wall"); base_up="$up"; fi
        printf '  chunk-size %-6s run %s %-8s %7.2f s  %s bytes up  %s POST\n' "${chunk:-unset}" "$run" \
          "$([ "$fault" = 1 ] && echo reset || echo no-fault)" "$wall" "$up" "$posts"
        stop_registries
      done
    done
    reset_rows+=("$("$py" -c '
import json, statistics, sys
size, chunk, base, fault, bu, fu, posts, patches = sys.argv[1:9]
b = statistics.median(map(float, base.split())); f = statistics.median(map(float, fault.split()))
print(json.dumps({"size_mib": int(size), "chunk": chunk, "base": b, "fault": f,
  "extra": (f - b) / b, "resent_mib": (int(fu) - int(bu)) / 2**20,
  "posts": int(posts), "patches": int(patches)}))' \
      "$reset_size" "$chunk" "${base_walls[*]}" "${fault_walls[*]}" "$base_up" "$fault_up" "$fault_posts" "$fault_patches")")
  done
  printf '%s\n' "${reset_rows[@]}" | "$py" -c 'import json,sys; json.dump([json.loads(l) for l in sys.stdin], open(sys.argv[1], "w"), indent=1)' "$out/reset.json"
  rm -rf "$work/img"
fi

if has_trial slow; then
  # The fast registry's own completion (its manifest by digest, its tag) alone, then beside a
  # registry throttled to slow_rate MiB/s, polled every 50 ms.
  need_disk $(( slow_size * 3 ))
  echo "== a slow registry (${slow_rate} MiB/s) beside a fast one, ${slow_size} MiB"
  rm -rf "$work/img"
  digest="$("$py" "$helper" layout "$work/img" "$slow_size" "$layers")"
  slow_rows=()
  for with_slow in 0 1; do
    start_registries $(( 1 + with_slow ))
    targets=("${ports[0]}")
    if [ "$with_slow" = 1 ]; then
      start_proxy "${ports[1]}" --rate $(( slow_rate * 1024 * 1024 ))
      targets+=("$proxy_port")
    fi
    "$py" "$helper" poll "${ports[0]}" bench/app "$digest" v1 "$tool_timeout" > "$work/poll.json" &
    poll_pid=$!; pids+=("$poll_pid")
    run_hoist "$work/img"
    wait "$poll_pid" || true
    forget_pid "$poll_pid"
    [ "$with_slow" = 1 ] && stop_proxy > /dev/null
    slow_rows+=("$("$py" -c 'import json,sys; p=json.load(open(sys.argv[1])); p["wall"]=float(sys.argv[2]); p["with_slow"]=sys.argv[3]=="1"; print(json.dumps(p))' \
      "$work/poll.json" "$wall" "$with_slow")")
    echo "  $([ "$with_slow" = 1 ] && echo "fast + slow" || echo "fast alone "): hoist ${wall} s; fast registry: $(cat "$work/poll.json")"
    stop_registries
  done
  printf '%s\n' "${slow_rows[@]}" | "$py" -c 'import json,sys; json.dump({"size_mib": int(sys.argv[2]), "rate_mib": int(sys.argv[3]), "runs": [json.loads(l) for l in sys.stdin]}, open(sys.argv[1], "w"), indent=1)' \
    "$out/slow.json" "$slow_size" "$slow_rate"
  rm -rf "$work/img"
fi

echo "== report"
"$py" "$helper" report "$out"
echo "total: $(( $(date +%s) - started )) s; results in $out"
