#!/usr/bin/env bash
# The dashboard's vendored JavaScript (host/internal/web/static/vendor) comes
# from npm, pinned by host/internal/web/package-lock.json. This script runs
# `npm ci` of that lock in a temporary directory and copies the files the
# dashboard serves into static/vendor; with --check it only compares them
# and fails when the committed copies differ. Building the daemon never
# needs it, nor Node: the copies are committed.
set -euo pipefail
cd "$(dirname "$0")/../host/internal/web"

check=false
[ "${1:-}" = "--check" ] && check=true

# The files served, as "package path in the package : path under static/vendor".
files=(
	"uplot/dist/uPlot.iife.min.js:uplot/uPlot.iife.min.js"
	"uplot/dist/uPlot.min.css:uplot/uPlot.min.css"
	"uplot/LICENSE:uplot/LICENSE"
)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp package.json package-lock.json "$tmp/"
(cd "$tmp" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)

status=0
for f in "${files[@]}"; do
	src="$tmp/node_modules/${f%%:*}" dst="static/vendor/${f##*:}"
	if $check; then
		cmp -s "$src" "$dst" || { echo "web-vendor: $dst differs from npm ci of package-lock.json" >&2; status=1; }
	else
		mkdir -p "$(dirname "$dst")" && cp "$src" "$dst"
	fi
done
if $check && [ $status = 0 ]; then echo "web-vendor: the vendored files match package-lock.json"; fi
exit $status
