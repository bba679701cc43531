#!/usr/bin/env bash
# The whole test suite: type check, unit tests (vitest), conformance with the official DINO code on
# every golden case (cpu and wasm backends), then the app built and driven in Chromium (Playwright).
# Prints one closing line "dinolab: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p reports
GOLDEN_DIR="${GOLDEN_DIR:-../shared/golden}"
export GOLDEN_DIR
status=0

echo "== type check =="
npx tsc --noEmit -p . || status=1

echo "== unit tests (vitest) =="
npx vitest run --reporter=default --reporter=json --outputFile.json=reports/vitest.json || status=1

echo "== conformance with the official DINO code: $GOLDEN_DIR =="
cases=$(ls -d "$GOLDEN_DIR"/*/ 2>/dev/null)
if [ -z "$cases" ]; then echo "no golden cases under $GOLDEN_DIR"; status=1; fi
# shellcheck disable=SC2086
npx tsx src/conformance/cli.ts $cases | tee reports/conformance.txt || status=1

echo "== end-to-end (Playwright, Chromium at ${CHROMIUM_PATH:-/usr/bin/chromium}) =="
if npx vite build; then
  PLAYWRIGHT_JSON_OUTPUT_NAME=reports/playwright.json npx playwright test --reporter=list,json || status=1
else
  status=1
fi

node scripts/summarize-tests.mjs || status=1
exit $status
