#!/bin/sh
# Installs Argus from a downloaded binary as a hardened systemd service:
#
#   sudo sh install.sh [./argus-linux-arm64] [--no-start]
#
# Puts the binary in /usr/local/bin/argus and runs `argus install` (system user, /var/lib/argus,
# /etc/argus/argus.env with a generated session secret, the systemd unit, enable + start).
# Re-running it with a newer binary upgrades in place, keeping data and secrets.
set -eu

case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "install.sh: unsupported machine $(uname -m); Argus ships for x86_64 and aarch64" >&2; exit 1 ;;
esac

bin=""
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
  bin=$1
  shift
else
  # Next to this script, or in the current directory, under its release name.
  for candidate in "$(dirname "$0")/argus-linux-$arch" "./argus-linux-$arch" "$(dirname "$0")/argus" "./argus"; do
    if [ -f "$candidate" ]; then bin=$candidate; break; fi
  done
fi
if [ -z "$bin" ] || [ ! -f "$bin" ]; then
  echo "install.sh: no Argus binary found; download argus-linux-$arch and run: sudo sh install.sh ./argus-linux-$arch" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: must run as root (try: sudo sh $0 $bin)" >&2
  exit 4
fi

# A binary for the other architecture fails with "Exec format error"; say what is wrong instead.
if ! "$bin" --version >/dev/null 2>&1; then
  echo "install.sh: $bin does not run on this machine (wrong architecture? this one needs argus-linux-$arch)" >&2
  exit 1
fi

install -d -m 0755 /usr/local/bin
# Copy beside the target, then rename: a running old binary keeps its file, so upgrades are safe.
install -m 0755 "$bin" /usr/local/bin/.argus.new
mv -f /usr/local/bin/.argus.new /usr/local/bin/argus
echo "installed /usr/local/bin/argus ($(/usr/local/bin/argus --version))"
exec /usr/local/bin/argus install "$@"
