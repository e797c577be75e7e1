#!/usr/bin/env bash
# Puts a standalone kustomize (5.x) where deploy-check's tests find it, and prints its path:
#   export KUSTOMIZE="$(deploy/k8s/install-kustomize.sh)"
#
# Debian bookworm's kubectl (package kubernetes-client, 1.20) embeds kustomize 2.0.3, which knows neither
# `components` nor directories in `resources` ("json: unknown field components"), so it cannot render deploy/k8s.
# Debian 13 (trixie) packages kustomize 5 as a static Go binary (Depends: libc6 only). This script fetches that one
# package with apt-get from a separate package list under a temporary directory (the machine's apt sources,
# package database and installed packages stay as they are) and unpacks it with dpkg-deb into DEST
# (default ~/.cache/prunelab/kustomize). Needs apt-get, dpkg-deb, Debian's archive keyring with the trixie keys
# (bookworm's debian-archive-keyring has them) and the Debian mirror. Run again: it reuses what is there.
set -euo pipefail

DEST="${1:-${XDG_CACHE_HOME:-$HOME/.cache}/prunelab/kustomize}"
BIN="$DEST/usr/bin/kustomize"
if [ -x "$BIN" ]; then
  echo "$BIN"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" \
  > "$work/sources.list"
apt_opts=(
  -o "Dir::Etc::SourceList=$work/sources.list" -o "Dir::Etc::SourceParts=$work/none"
  -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o "APT::Sandbox::User=root"
)
apt-get "${apt_opts[@]}" -qq update >&2
(cd "$work" && apt-get "${apt_opts[@]}" -qq download kustomize >&2)
deb="$(ls "$work"/kustomize_*.deb)"
mkdir -p "$DEST"
dpkg-deb -x "$deb" "$DEST"
basename "$deb" > "$DEST/PACKAGE"   # the binary itself reports version "(devel)"
echo "install-kustomize: $(basename "$deb") unpacked into $DEST" >&2
"$BIN" version >/dev/null
echo "$BIN"
