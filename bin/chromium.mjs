// The flags every headless Chromium here is launched with: the CLI's (bin/wasip3-web.mjs) and
// the tests' and benchmarks' (scripts/lib/browser.mjs).

/** What a closed network needs (no sandbox, GPU, QUIC or background traffic), and no omnibox
 * WebUI popups: headless never shows them, yet their renderer starts with the browser and takes
 * both cores of a small machine for its first 2-3 s, when a run, a test or a benchmark's first
 * rounds run (Playwright merges this `--disable-features` with its own list). */
export const chromiumArgs = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-features=PreloadTopChromeWebUI,WebUIOmniboxPopup,WebUIOmniboxAimPopup'];
