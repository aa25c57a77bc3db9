#!/usr/bin/env bash
# Re-vendors the GOV.UK Frontend build under eia/static/govuk-frontend. Run by a developer; output is committed.
# CI and `make run` never need Node.
set -euo pipefail
GOVUK_FRONTEND_VERSION=6.3.0
SASS_VERSION=1.108.2
cd "$(dirname "$0")/.."
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
npm install --prefix "$tmp" --no-save --no-audit --no-fund --ignore-scripts \
  "govuk-frontend@$GOVUK_FRONTEND_VERSION" "sass@$SASS_VERSION" >/dev/null
out=eia/static/govuk-frontend
rm -rf "$out"; mkdir -p "$out"
cp "$tmp/node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js" "$out/"
"$tmp/node_modules/.bin/sass" --no-source-map --style=compressed --quiet-deps \
  --load-path="$tmp/node_modules" scripts/eia.scss "$out/eia.min.css"
echo "$GOVUK_FRONTEND_VERSION" > "$out/VERSION"
echo "vendored govuk-frontend $GOVUK_FRONTEND_VERSION into $out"
