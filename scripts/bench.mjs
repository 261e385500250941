#!/usr/bin/env node
// npm run bench [-- --json] [NAME...]: runs the benchmarks in Chromium and prints a table, or one
// JSON object per figure ({ name, value, unit, baseline, ratio }; ratio = value / baseline).
import { openPage } from './lib/browser.mjs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const json = argv.includes('--json');
const names = argv.filter((a) => !a.startsWith('--'));
for (const script of ['./build-fixtures.mjs', './build.mjs']) {
  execFileSync(process.execPath, [fileURLToPath(new URL(script, import.meta.url))], { stdio: json ? 'ignore' : 'inherit' });
}
// Figures named *-isolated run on a crossOriginIsolated page (scripts/lib/browser.mjs serves
// `?coi` pages so), the rest on a plain one; with no names, each page runs all of its own.
const isolated = (n) => n.endsWith('-isolated');
const runs = names.length
  ? [['', names.filter((n) => !isolated(n))], ['?coi', names.filter(isolated)]].filter(([, ns]) => ns.length)
  : [['', []], ['?coi', []]];
const figures = [];
for (const [query, ns] of runs) {
  const session = await openPage(`/test/pages/bench.html${query}`);
  try {
    await session.page.waitForFunction(() => globalThis.benchReady === true, null, { timeout: 60000 });
    figures.push(...await session.page.evaluate((n) => globalThis.runBench(n), ns));
  } finally {
    await session.close();
  }
}
if (json) {
  for (const f of figures) console.log(JSON.stringify({ name: f.name, value: +f.value.toPrecision(4), unit: f.unit, baseline: +f.baseline.toPrecision(4), ratio: +f.ratio.toPrecision(3) }));
} else {
  console.log('figure              value            baseline         ratio');
  for (const f of figures) {
    console.log(`${f.name.padEnd(18)}  ${`${f.value.toFixed(2)} ${f.unit}`.padEnd(15)}  ${`${f.baseline.toFixed(2)} ${f.unit}`.padEnd(15)}  ${f.ratio.toFixed(3)}${f.note ? `  (${f.note})` : ''}`);
  }
}
