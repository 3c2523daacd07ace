#!/usr/bin/env bash
# What the tests need from Debian: R with readr and jsonlite (the R loader and
# the cross-language tests), digest (downloads in R), and Chromium (the
# release page's browser test). Installs only what is missing; needs root (or
# sudo) the first time.
set -euo pipefail

want=(r-base-core r-cran-readr r-cran-jsonlite r-cran-digest chromium fonts-dejavu-core)
missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing from Debian: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
