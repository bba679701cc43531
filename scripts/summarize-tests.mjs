// Playwright empties its own test-results/ folder, so every runner reports into reports/.
// Adds up the results of the three runners into one closing line: "dinolab: N passed, M failed".
import { existsSync, readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
const missing = [];

if (existsSync('reports/vitest.json')) {
  const v = JSON.parse(readFileSync('reports/vitest.json', 'utf8'));
  passed += v.numPassedTests;
  failed += v.numFailedTests;
} else missing.push('vitest');

if (existsSync('reports/conformance.txt')) {
  const m = readFileSync('reports/conformance.txt', 'utf8').match(/conformance: (\d+) passed, (\d+) failed/);
  if (m) {
    passed += Number(m[1]);
    failed += Number(m[2]);
  } else missing.push('conformance');
} else missing.push('conformance');

if (existsSync('reports/playwright.json')) {
  const p = JSON.parse(readFileSync('reports/playwright.json', 'utf8'));
  passed += p.stats.expected;
  failed += p.stats.unexpected + (p.stats.flaky ?? 0);
} else missing.push('playwright');

if (missing.length) {
  console.log(`runners without results: ${missing.join(', ')}`);
  failed += missing.length;
}
console.log(`dinolab: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
