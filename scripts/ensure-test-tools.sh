#!/usr/bin/env bash
# System packages the test suite needs: Debian's chromium (driven by Playwright; never a downloaded
# browser) and poppler-utils (pdffonts and pdftoppm check archived PDFs; pdfsig is the independent validator of seals)
# and SoftHSM2 (a PKCS#11 token for sealing with a key that never leaves it: scripts/softhsm-token.sh).
# The PDF fonts are vendored in eia/fonts.
# With the argument "bench": also wrk, the load generator of `make bench`.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
command -v softhsm2-util >/dev/null 2>&1 || missing+=(softhsm2)
if [ "${1:-}" = "bench" ]; then command -v wrk >/dev/null 2>&1 || missing+=(wrk); fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Needed here: ${missing[*]}. Install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
