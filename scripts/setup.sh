#!/usr/bin/env bash
# Finds (or, as root with apt, installs) what the tests and the demo need beyond npm:
# Debian's Chromium (for Playwright), and clang-19 with lld and wasi-libc (C test components).
set -euo pipefail
need=()
chromium="${WASIP3WEB_CHROMIUM:-/usr/bin/chromium}"
[ -x "$chromium" ] || need+=(chromium)
command -v clang-19 >/dev/null 2>&1 || need+=(clang-19)
command -v wasm-ld-19 >/dev/null 2>&1 || command -v wasm-ld >/dev/null 2>&1 || need+=(lld-19)
[ -e /usr/lib/clang/19/lib/wasi/libclang_rt.builtins-wasm32.a ] || need+=(libclang-rt-19-dev-wasm32)
[ -d /usr/include/wasm32-wasi ] || need+=(wasi-libc)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing ${need[*]} with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${need[@]}" >/dev/null
  exit 0
fi
echo "setup: missing ${need[*]}." >&2
echo "  Install them (Debian: sudo apt-get install chromium clang-19 lld-19 wasi-libc libclang-rt-19-dev-wasm32)," >&2
echo "  or point WASIP3WEB_CHROMIUM at a Chromium 137+ and CLANG at a clang that targets wasm32-wasi." >&2
exit 1
