#!/usr/bin/env bash
# Runs docker/metadata-action's own test suite (fixtures/conformance/upstream-cases.jsonl, the
# reference's recorded outputs; plus hoist-cases.jsonl, cases of hoist's own recorded from the
# same reference) against the release binary, the way the runner runs a step, with
# the runner in scripts/conformance/. Fails on any case that differs, except those listed with a
# reason in fixtures/conformance/known.txt; fails too when a listed case starts passing (so the
# list only shrinks). Reads nothing outside the repository unless CONFORMANCE_CORPUS names
# other corpus files (space-separated, e.g. a wider corpus kept elsewhere).
set -euo pipefail
cd "$(dirname "$0")/.."
read -r -a corpus <<<"${CONFORMANCE_CORPUS:-fixtures/conformance/upstream-cases.jsonl fixtures/conformance/hoist-cases.jsonl}"
known=fixtures/conformance/known.txt
for f in "${corpus[@]}"; do
  if [ ! -f "$f" ]; then
    echo "error: conformance corpus not found at \`$f\`" >&2
    exit 1
  fi
done
bin="${CARGO_TARGET_DIR:-target}/release/hoist"
[ -x "$bin" ] || cargo build --release --locked
report="$(mktemp)"
trap 'rm -f "$report"' EXIT
set +e
CANDIDATE="$bin" python3 scripts/conformance/compare.py "${corpus[@]}" \
  --epoch-env SOURCE_DATE_EPOCH -j 2 --json-report "$report" | tail -n 40
set -e
python3 - "$report" "$known" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
known = {}
for line in open(sys.argv[2]):
    line = line.strip()
    if line and not line.startswith('#'):
        cid, _, why = line.partition(' ')
        known[cid] = why.strip()
cases = report if isinstance(report, list) else report['cases']
failed = {c['id'] for c in cases if not c.get('ok', c.get('identical', False))}
total = len(cases)
unexpected = sorted(failed - set(known))
fixed = sorted(set(known) - failed)
print(f"conformance: {total - len(failed)}/{total} identical, {len(failed & set(known))} known differences")
for cid in unexpected:
    print(f"  REGRESSION: {cid}")
for cid in fixed:
    print(f"  now passing, remove from fixtures/conformance/known.txt: {cid}")
passed = total - len(failed)
print(f"{passed} passed, {len(failed)} failed")
sys.exit(1 if unexpected or fixed else 0)
PY
