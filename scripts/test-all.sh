#!/usr/bin/env bash
# The whole test suite: type check, unit tests (vitest), conformance with the official DINO code on
# every golden case (cpu and wasm backends), then the app built and driven in Chromium (Playwright).
# Prints one closing line "dinolab: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p reports
status=0

echo "== type check =="
npx tsc --noEmit -p . || status=1
# The worker and the engine it runs, with the WebWorker library only: a DOM call cannot creep in.
npx tsc --noEmit -p tsconfig.worker.json || status=1

echo "== unit tests (vitest) =="
npx vitest run --reporter=default --reporter=json --outputFile.json=reports/vitest.json || status=1

# With no case arguments the command finds the cases itself: $GOLDEN_DIR when set, else the
# repository's test-data/golden* plus ../shared/golden* when it exists (src/conformance/golden-dirs.ts).
echo "== conformance with the official DINO code: ${GOLDEN_DIR:-test-data/golden* and ../shared/golden*} =="
npx tsx src/conformance/cli.ts | tee reports/conformance.txt || status=1

echo "== end-to-end (Playwright, Chromium at ${CHROMIUM_PATH:-/usr/bin/chromium}) =="
if npx vite build; then
  PLAYWRIGHT_JSON_OUTPUT_NAME=reports/playwright.json npx playwright test --reporter=list,json || status=1
else
  status=1
fi

node scripts/summarize-tests.mjs || status=1
exit $status
