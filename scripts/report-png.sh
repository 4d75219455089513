#!/usr/bin/env bash
# Renders a training report (the .report.html written beside every model) to a PNG with
# headless Chromium, so it can be looked at where there is no browser:
#   scripts/report-png.sh target/models/lenet5-fashion.spcv.report.html [out.png]
# Installs Debian's chromium when missing and running as root; otherwise says how.
set -euo pipefail
report=${1:?usage: scripts/report-png.sh REPORT.html [OUT.png]}
out=${2:-${report%.html}.png}
[ -f "$report" ] || { echo "error: no report at $report" >&2; exit 2; }
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing chromium (Debian package) ..." >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
  else
    echo "error: chromium is not installed: sudo apt-get install chromium" >&2
    exit 2
  fi
fi
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1400,3000 \
  --screenshot="$(realpath -m "$out")" "file://$(realpath "$report")" 2>/dev/null
echo "report rendered to $out"
