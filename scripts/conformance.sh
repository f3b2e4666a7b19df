#!/usr/bin/env bash
# Runs docker/metadata-action's own test suite (../shared/conformance, the reference's recorded
# outputs) against the release binary, the way the runner runs a step. Fails on any case that
# differs, except those listed with a reason in tests/conformance-known.txt; fails too when a
# listed case starts passing (so the list only shrinks).
set -euo pipefail
cd "$(dirname "$0")/.."
corpus="${CONFORMANCE_CORPUS:-../shared/conformance/upstream-cases.jsonl}"
tools="$(dirname "$corpus")/tools"
if [ ! -f "$corpus" ]; then
  echo "conformance corpus not found at $corpus" >&2
  exit 1
fi
[ -x target/release/hoist ] || cargo build --release --locked
report="$(mktemp)"
trap 'rm -f "$report"' EXIT
set +e
CANDIDATE=target/release/hoist python3 "$tools/compare.py" "$corpus" \
  --epoch-env SOURCE_DATE_EPOCH -j 2 --json-report "$report" | tail -n 40
set -e
python3 - "$report" tests/conformance-known.txt <<'PY'
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
    print(f"  now passing, remove from tests/conformance-known.txt: {cid}")
passed = total - len(failed)
print(f"{passed} passed, {len(failed)} failed")
sys.exit(1 if unexpected or fixed else 0)
PY
