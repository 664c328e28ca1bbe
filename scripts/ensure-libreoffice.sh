#!/usr/bin/env bash
# The workbook tests recalculate the Excel forecast with a real spreadsheet program,
# LibreOffice Calc (headless). Install it when it is missing and we may (root with apt).
# In CI (CI=true) a missing LibreOffice is an error; elsewhere those tests are skipped.
set -euo pipefail
if command -v soffice >/dev/null 2>&1 || command -v libreoffice >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing LibreOffice Calc (headless) for the workbook recalculation tests..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends libreoffice-calc-nogui >/dev/null
  command -v soffice >/dev/null 2>&1 && exit 0
fi
if [ "${CI:-}" = "true" ]; then
  echo "LibreOffice (soffice) is required in CI and could not be installed" >&2
  exit 1
fi
echo "note: LibreOffice not found; the workbook recalculation tests will be skipped." >&2
echo "      install it with: sudo apt-get install libreoffice-calc-nogui" >&2
