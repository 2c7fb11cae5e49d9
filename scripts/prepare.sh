#!/bin/sh
# Set-up shared by `npm test`, `npm run demo` and `npm run bench`: npm packages, system packages,
# then Oracle MySQL 9.7 in its private prefix (the second engine every real-server test runs on).
set -eu
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "prepare: installing npm packages (npm ci)" >&2
  npm ci --no-audit --no-fund >&2
fi
sh scripts/ensure-deps
sh scripts/ensure-mysql
