#!/usr/bin/env bash
# System packages the test suite needs: Debian's chromium (driven by Playwright; never a downloaded
# browser) and poppler-utils (pdffonts and pdftoppm check archived PDFs; pdfsig is the independent validator of seals)
# and SoftHSM2 (a PKCS#11 token for sealing with a key that never leaves it: scripts/softhsm-token.sh).
# The PDF fonts are vendored in eia/fonts.
# With the argument "bench": also wrk, the load generator of `make bench`.
# Then the real OpenID provider of the single sign-on tests: oidc-provider from the npm registry, pinned by
# tests/oidc/package-lock.json, installed with the machine's node and npm (`npm ci`) when missing or changed.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
command -v softhsm2-util >/dev/null 2>&1 || missing+=(softhsm2)
if [ "${1:-}" = "bench" ]; then command -v wrk >/dev/null 2>&1 || missing+=(wrk); fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Needed here: ${missing[*]}. Install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "Installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# npm ci records what it installed in node_modules/.package-lock.json: reinstall when the lock is newer.
if [ ! -f tests/oidc/node_modules/.package-lock.json ] \
    || [ tests/oidc/package-lock.json -nt tests/oidc/node_modules/.package-lock.json ]; then
  echo "Installing the test OpenID provider (tests/oidc)"
  (cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error)
fi
