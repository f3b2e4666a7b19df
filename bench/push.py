#!/usr/bin/env python3
"""Helpers for bench/push.sh (a benchmark, not a test). Standard library only, except `report`,
which draws the plots with matplotlib.

  layout DIR SIZE_MIB LAYERS          an OCI layout of random layers; prints the manifest digest
  raw DIR STREAMS PORT...             the raw-HTTP limit: every blob of DIR to every registry
                                      (POST, then PUT ?digest= with the body by sendfile), STREAMS
                                      connections per registry, then the manifest; no hashing;
                                      prints the seconds from its first connection to the end
  proxy PORT_FILE UPSTREAM_PORT STATS [--rate BYTES_PER_S] [--cut-after BYTES]
                                      a loopback TCP proxy: throttles the client-to-registry
                                      direction and/or cuts one connection (RST) once that many
                                      bytes went up; writes its port, and on SIGTERM its stats
  count LOG...                        blob upload requests counted from registry access logs
  poll PORT REPO DIGEST TAG SECONDS   when the manifest (by digest) and the tag appear on a
                                      registry, in seconds from the poller's start (JSON)
  report DIR                          the medians, table.md, the PNG plots and the targets

Every socket has a timeout, every loop a bound; everything listens on 127.0.0.1 only.
"""
import asyncio
import hashlib
import http.client
import json
import os
import queue
import re
import signal
import socket
import statistics
import sys
import threading
import time

MIB = 1024 * 1024
REPO = "bench/app"
TAG = "v1"
SOCKET_TIMEOUT = 300  # seconds without progress on one request: a stalled registry fails the run


# ----------------------------------------------------------------------------------------- layout
def cmd_layout(d, size_mib, n):
    size_mib, n = int(size_mib), int(n)
    if size_mib < 1 or not 1 <= n <= 64:
        sys.exit("layout: SIZE_MIB >= 1 and 1 <= LAYERS <= 64")
    os.makedirs(f"{d}/blobs/sha256")

    def put(data):
        h = hashlib.sha256(data).hexdigest()
        with open(f"{d}/blobs/sha256/{h}", "wb") as f:
            f.write(data)
        return {"digest": "sha256:" + h, "size": len(data)}

    layers = []
    per = size_mib * MIB // n
    for _ in range(n):
        tmp = f"{d}/layer.tmp"
        h = hashlib.sha256()
        with open(tmp, "wb") as f:
            left = per
            while left:
                chunk = os.urandom(min(left, MIB))
                h.update(chunk)
                f.write(chunk)
                left -= len(chunk)
        os.rename(tmp, f"{d}/blobs/sha256/{h.hexdigest()}")
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                       "digest": "sha256:" + h.hexdigest(), "size": per})
    cfg = put(json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                          "rootfs": {"type": "layers",
                                     "diff_ids": [x["digest"] for x in layers]}}).encode())
    cfg["mediaType"] = "application/vnd.oci.image.config.v1+json"
    m = put(json.dumps({"schemaVersion": 2,
                        "mediaType": "application/vnd.oci.image.manifest.v1+json",
                        "config": cfg, "layers": layers}).encode())
    m["mediaType"] = "application/vnd.oci.image.manifest.v1+json"
    with open(f"{d}/index.json", "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [m]}, f)
    with open(f"{d}/oci-layout", "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    print(m["digest"])


# -------------------------------------------------------------------------------------------- raw
def read_layout(d):
    with open(f"{d}/index.json") as f:
        desc = json.load(f)["manifests"][0]
    path = f"{d}/blobs/sha256/{desc['digest'].split(':', 1)[1]}"
    with open(path, "rb") as f:
        manifest = f.read(4 * MIB)
    parsed = json.loads(manifest)
    blobs = [(x["digest"], x["size"]) for x in [parsed["config"]] + parsed["layers"]]
    return blobs, manifest, desc["mediaType"]


def request(sock, head, body=b"", file=None, size=0):
    """One HTTP/1.1 request on a kept-alive socket; the body from bytes or by sendfile."""
    sock.sendall(head.encode() + body)
    if file is not None:
        sent = sock.sendfile(file, 0, size)
        if sent != size:
            raise OSError(f"sendfile sent {sent} of {size} bytes")
    resp = http.client.HTTPResponse(sock)
    resp.begin()
    data = resp.read(64 * 1024)
    return resp.status, resp.getheader("Location"), data


def raw_worker(port, d, jobs, errors):
    sock = socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT)
    host = f"127.0.0.1:{port}"
    try:
        for _ in range(10_000):
            try:
                digest, size = jobs.get_nowait()
            except queue.Empty:
                return
            status, loc, _ = request(sock, f"POST /v2/{REPO}/blobs/uploads/ HTTP/1.1\r\n"
                                           f"Host: {host}\r\nContent-Length: 0\r\n\r\n")
            if status != 202 or not loc:
                raise OSError(f"POST upload: HTTP {status}")
            loc = re.sub(r"^https?://[^/]+", "", loc)
            sep = "&" if "?" in loc else "?"
            with open(f"{d}/blobs/sha256/{digest.split(':', 1)[1]}", "rb") as f:
                status, _, _ = request(sock, f"PUT {loc}{sep}digest={digest} HTTP/1.1\r\n"
                                             f"Host: {host}\r\nContent-Length: {size}\r\n"
                                             "Content-Type: application/octet-stream\r\n\r\n",
                                       file=f, size=size)
            if status != 201:
                raise OSError(f"PUT blob {digest}: HTTP {status}")
    except Exception as e:  # noqa: BLE001 - reported by the main thread
        errors.append(f"127.0.0.1:{port}: {e}")
    finally:
        sock.close()


def cmd_raw(d, streams, *ports):
    streams = int(streams)
    blobs, manifest, media_type = read_layout(d)
    # The limit is the transfer: timed from the first connection, without interpreter start-up.
    t0 = time.monotonic()
    errors, threads = [], []
    for port in map(int, ports):
        jobs = queue.Queue()
        # Largest first, so that the streams finish together.
        for b in sorted(blobs, key=lambda x: -x[1]):
            jobs.put(b)
        for _ in range(streams):
            t = threading.Thread(target=raw_worker, args=(port, d, jobs, errors))
            t.start()
            threads.append(t)
    for t in threads:
        t.join()
    if errors:
        sys.exit("raw: " + "; ".join(errors))
    for port in map(int, ports):
        sock = socket.create_connection(("127.0.0.1", port), timeout=SOCKET_TIMEOUT)
        try:
            status, _, _ = request(sock, f"PUT /v2/{REPO}/manifests/{TAG} HTTP/1.1\r\n"
                                         f"Host: 127.0.0.1:{port}\r\nContent-Type: {media_type}\r\n"
                                         f"Content-Length: {len(manifest)}\r\n\r\n", body=manifest)
        finally:
            sock.close()
        if status != 201:
            sys.exit(f"raw: PUT manifest to 127.0.0.1:{port}: HTTP {status}")
    print(f"{time.monotonic() - t0:.3f}")


# ------------------------------------------------------------------------------------------ proxy
class Proxy:
    def __init__(self, upstream, stats, rate, cut_after):
        self.upstream, self.stats, self.rate, self.cut_after = upstream, stats, rate, cut_after
        self.up_bytes = 0
        self.connections = 0
        self.cut = False
        self.next_send = 0.0

    async def pump_up(self, reader, writer, client_writer):
        loop = asyncio.get_running_loop()
        while True:
            data = await reader.read(64 * 1024)
            if not data:
                break
            if self.cut_after and not self.cut and self.up_bytes + len(data) >= self.cut_after:
                self.cut = True
                # A reset, as a middlebox or a dying peer would send: RST both ways, no FIN.
                for w in (client_writer, writer):
                    s = w.get_extra_info("socket")
                    if s is not None:
                        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                     (1).to_bytes(4, "little") + (0).to_bytes(4, "little"))
                    w.transport.abort()
                return
            self.up_bytes += len(data)
            if self.rate:
                now = loop.time()
                self.next_send = max(self.next_send, now) + len(data) / self.rate
                if self.next_send > now:
                    await asyncio.sleep(self.next_send - now)
            writer.write(data)
            await writer.drain()
        writer.close()

    @staticmethod
    async def pump_down(reader, writer):
        while True:
            data = await reader.read(64 * 1024)
            if not data:
                break
            writer.write(data)
            await writer.drain()
        writer.close()

    async def handle(self, client_reader, client_writer):
        self.connections += 1
        try:
            up_reader, up_writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", self.upstream), 10)
        except (OSError, asyncio.TimeoutError):
            client_writer.close()
            return
        try:
            await asyncio.gather(self.pump_up(client_reader, up_writer, client_writer),
                                 self.pump_down(up_reader, client_writer))
        except (ConnectionError, OSError):
            pass
        finally:
            for w in (up_writer, client_writer):
                w.close()

    def write_stats(self):
        with open(self.stats, "w") as f:
            json.dump({"up_bytes": self.up_bytes, "cut": self.cut,
                       "connections": self.connections}, f)


async def proxy_main(port_file, upstream, stats, rate, cut_after):
    p = Proxy(upstream, stats, rate, cut_after)
    server = await asyncio.start_server(p.handle, "127.0.0.1", 0)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.sockets[0].getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    # Bounded: a proxy left behind by a killed script ends by itself after 2 hours.
    try:
        await asyncio.wait_for(stop.wait(), 7200)
    except asyncio.TimeoutError:
        pass
    p.write_stats()


def cmd_proxy(port_file, upstream, stats, *opts):
    rate = cut_after = 0
    args = list(opts)
    while args:
        flag = args.pop(0)
        if flag == "--rate":
            rate = float(args.pop(0))
        elif flag == "--cut-after":
            cut_after = int(args.pop(0))
        else:
            sys.exit(f"proxy: unknown option {flag}")
    asyncio.run(proxy_main(port_file, int(upstream), stats, rate, cut_after))


# ------------------------------------------------------------------------------------------ count
# The registry's access log is Apache combined format, one line per completed request:
#   127.0.0.1 - - [date] "PUT /v2/bench/app/blobs/uploads/UUID?_state=...&digest=sha256%3A... HTTP/1.1" 201 ...
UPLOAD_DONE = re.compile(r'"PUT /v2/\S+/blobs/uploads/\S*[?&]digest=\S* HTTP/[\d.]+" 201 ')
PATCH = re.compile(r'"PATCH /v2/\S+/blobs/uploads/\S* HTTP/[\d.]+" 202 ')
POST = re.compile(r'"POST /v2/\S+/blobs/uploads/\S* HTTP/[\d.]+" 202 ')


def count_log(path):
    puts = patches = posts = 0
    with open(path, errors="replace") as f:
        for line in f:
            puts += bool(UPLOAD_DONE.search(line))
            patches += bool(PATCH.search(line))
            posts += bool(POST.search(line))
    return puts, patches, posts


def cmd_count(*logs):
    """Prints `PUTS PATCHES POSTS`: the minimum of each over the registries' logs (each registry
    should count the same), then the maximum, for the trial table."""
    counts = [count_log(p) for p in logs]
    lo = [min(c[i] for c in counts) for i in range(3)]
    hi = [max(c[i] for c in counts) for i in range(3)]
    print(*lo, *hi)


# ------------------------------------------------------------------------------------------- poll
def head_status(port, path):
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        c.request("HEAD", path, headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
        status = c.getresponse().status
        c.close()
        return status
    except OSError:
        return 0


def cmd_poll(port, repo, digest, tag, seconds):
    port, seconds = int(port), float(seconds)
    t0 = time.monotonic()
    seen = {"manifest": None, "tag": None}
    paths = {"manifest": f"/v2/{repo}/manifests/{digest}", "tag": f"/v2/{repo}/manifests/{tag}"}
    while time.monotonic() - t0 < seconds and None in seen.values():
        for k, path in paths.items():
            if seen[k] is None and head_status(port, path) == 200:
                seen[k] = round(time.monotonic() - t0, 2)
        time.sleep(0.05)
    print(json.dumps(seen))


# ----------------------------------------------------------------------------------------- report
TOOLS = ("hoist", "raw", "skopeo-seq", "skopeo-par")


def load_trials(d):
    """trials.csv rows: size_mib,registries,run,tool,wall,user,sys,rss_kib,puts,patches,posts."""
    rows = {}
    with open(f"{d}/trials.csv") as f:
        for line in f:
            if line.startswith("size") or not line.strip():
                continue
            size, regs, _run, tool, wall, user, sys_, rss, puts, patches, _posts = line.split(",")
            r = rows.setdefault((int(size), int(regs)), {}).setdefault(tool, [])
            r.append({"wall": float(wall), "cpu": float(user) + float(sys_),
                      "rss": int(rss) / 1024, "puts": puts, "patches": patches})
    return rows


def med(runs, key):
    return statistics.median(r[key] for r in runs) if runs else None


def fmt(x, spec=".2f"):
    return "–" if x is None else format(x, spec)


def ratio(a, b):
    return None if a is None or not b else a / b


def matrix_table(rows):
    head = ("| size | registries | hoist s | raw s | hoist/raw | skopeo seq s | skopeo par s "
            "| hoist/skopeo-par | hoist CPU s | skopeo CPU s | CPU ratio | hoist peak RSS MiB "
            "| uploads per registry |")
    out = [head, "|" + "---|" * 13]
    summary = {}
    for (size, regs) in sorted(rows):
        t = rows[(size, regs)]
        h, r, sq, sp = (t.get(k, []) for k in TOOLS)
        hw, rw, sqw, spw = (med(x, "wall") for x in (h, r, sq, sp))
        # skopeo's CPU: the parallel copies (the same pushes as the sequential ones).
        hc, sc = med(h, "cpu"), med(sp, "cpu")
        rss = max((x["rss"] for x in h), default=None)
        uploads = "–"
        if h:
            last = h[-1]
            uploads = last["puts"] + (f" + {last['patches']} PATCH" if last["patches"] != "0" else "")
        summary[(size, regs)] = {"hoist": hw, "raw": rw, "skopeo-seq": sqw, "skopeo-par": spw,
                                 "cpu_ratio": ratio(hc, sc), "rss": rss}
        out.append(f"| {size} MiB | {regs} | {fmt(hw)} | {fmt(rw)} | {fmt(ratio(hw, rw))}x "
                   f"| {fmt(sqw)} | {fmt(spw)} | {fmt(ratio(hw, spw))}x | {fmt(hc)} | {fmt(sc)} "
                   f"| {fmt(ratio(hc, sc))}x | {fmt(rss, '.0f')} | {uploads} |")
    return "\n".join(out) + "\n", summary


def reset_table(resets):
    out = ["| blob | chunk-size | no fault s | reset at 50% s | extra time | re-sent MiB "
           "| upload sessions (POST) | PATCH |", "|" + "---|" * 8]
    for r in resets:
        out.append(f"| {r['size_mib']} MiB | {r['chunk'] or 'unset'} | {r['base']:.2f} "
                   f"| {r['fault']:.2f} | {100 * r['extra']:+.1f}% | {r['resent_mib']:.0f} "
                   f"| {r['posts']} | {r['patches']} |")
    return "\n".join(out) + "\n"


def slow_table(slow):
    out = [f"| {slow['size_mib']} MiB, 8 layers | hoist wall s | fast registry: manifest s "
           "| fast registry: tag s |", "|---|---|---|---|"]
    for r in slow["runs"]:
        name = (f"fast + slow ({slow['rate_mib']} MiB/s)" if r["with_slow"] else "fast alone")
        out.append(f"| {name} | {r['wall']:.2f} | {fmt(r['manifest'])} | {fmt(r['tag'])} |")
    return "\n".join(out) + "\n"


def cmd_report(d):
    summary, parts, checks = {}, [], []

    def check(name, value, limit, where):
        if value is None:
            checks.append(f"- {name} ({where}): not measured")
        else:
            ok = "met" if value <= limit else "MISSED"
            checks.append(f"- {name} ({where}): {value:.2f} (target ≤ {limit}) {ok}")

    if os.path.exists(f"{d}/trials.csv"):
        table, summary = matrix_table(load_trials(d))
        with open(f"{d}/table.md", "w") as f:
            f.write(table)
        parts += ["## Push matrix (medians)\n", table]
        for size in (200, 500):
            s = summary.get((size, 3))
            if s:
                check("hoist/raw", ratio(s["hoist"], s["raw"]), 1.05, f"3 registries, {size} MiB")
                check("hoist CPU / skopeo CPU", s["cpu_ratio"], 0.15, f"3 registries, {size} MiB")
        s = summary.get((500, 10))
        if s:
            check("hoist/raw", ratio(s["hoist"], s["raw"]), 1.10, "10 registries, 500 MiB")
        rss = [(v["rss"], k) for k, v in summary.items() if v["rss"] is not None]
        if rss:
            worst, (size, regs) = max(rss)
            check("hoist peak RSS MiB, largest", worst, 32, f"at {size} MiB, {regs} registries")
    if os.path.exists(f"{d}/reset.json"):
        with open(f"{d}/reset.json") as f:
            resets = json.load(f)
        parts += ["## Reset at 50% of one blob (1 registry, through the fault proxy)\n",
                  reset_table(resets)]
        for r in resets:
            check("reset at 50%: extra wall time", r["extra"], 0.10,
                  f"{r['size_mib']} MiB blob, chunk-size {r['chunk'] or 'unset'}")
    if os.path.exists(f"{d}/slow.json"):
        with open(f"{d}/slow.json") as f:
            slow = json.load(f)
        parts += ["## A slow registry beside a fast one\n", slow_table(slow)]
        runs = {r["with_slow"]: r for r in slow["runs"]}
        if True in runs and False in runs and runs[True]["manifest"] and runs[False]["manifest"]:
            check("fast registry's manifest time, with the slow one / alone",
                  runs[True]["manifest"] / runs[False]["manifest"], 1.5,
                  "not halved by the slow registry")
    parts += ["## Targets\n", "\n".join(checks) + "\n"]
    with open(f"{d}/targets.md", "w") as f:
        f.write("\n".join(checks) + "\n")
    text = "\n".join(parts)
    with open(f"{d}/summary.md", "w") as f:
        f.write(text)
    print(text)
    if summary:
        plot(d, summary)


def plot(d, summary):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib missing (apt-get install python3-matplotlib): no plots", file=sys.stderr)
        return
    sizes = sorted({k[0] for k in summary})
    regs = sorted({k[1] for k in summary})
    # The two views: against size at 3 registries, against count at 500 MiB (or the
    # nearest measured, for --quick and partial runs).
    n = 3 if 3 in regs else regs[-1]
    size = 500 if 500 in sizes else sizes[-1]
    labels = {"hoist": "hoist", "raw": "raw HTTP (sendfile, 4 streams)",
              "skopeo-seq": "skopeo copy, sequential", "skopeo-par": "skopeo copy, parallel"}
    for name, xs, key, xlabel, title in (
            ("time-vs-size.png", sizes, lambda x: (x, n), "image size (MiB)",
             f"push to {n} registries"),
            ("time-vs-registries.png", regs, lambda x: (size, x), "registries",
             f"push of {size} MiB")):
        fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=110)
        for tool, label in labels.items():
            pts = [(x, summary[key(x)][tool]) for x in xs
                   if key(x) in summary and summary[key(x)][tool] is not None]
            if pts:
                ax.plot(*zip(*pts), marker="o", label=label)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("wall time (s, median)")
        ax.set_title(title)
        if len(xs) > 1 and xs[-1] / xs[0] >= 10:
            ax.set_xscale("log")
            ax.set_yscale("log")
        ax.set_xticks(xs)
        ax.set_xticklabels([str(x) for x in xs])
        ax.grid(True, alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(f"{d}/{name}")
        plt.close(fig)
        print(f"plot: {d}/{name}")


COMMANDS = {"layout": cmd_layout, "raw": cmd_raw, "proxy": cmd_proxy, "count": cmd_count,
            "poll": cmd_poll, "report": cmd_report}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](*sys.argv[2:])
