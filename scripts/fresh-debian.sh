#!/usr/bin/env bash
# Runs .ci/run in a clean Debian bookworm root, to prove that the packages it installs are all a
# fresh machine needs (the before-stop habit of README "Developing", when no VM or container
# runtime is at hand). As root:
#
#   bash scripts/fresh-debian.sh                 the whole CI run (install, npm ci, npm test)
#   bash scripts/fresh-debian.sh --install-only  install, npm ci, npm run build; no tests
#
# The root is `debootstrap --variant=minbase bookworm` (the bare base is cached as a tarball in
# $ARGUS_CI_CACHE, default /var/cache/argus-ci, so later runs skip the ~45 s download), unpacked
# afresh into a scratch directory every time. The repository is cloned into it at HEAD (what is
# committed, nothing of the working tree), with ../shared bind-mounted read-only beside it when
# it exists. Node.js and npm, which README's Quick start presumes, are copied from this machine.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${ARGUS_CI_CACHE:-/var/cache/argus-ci}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
[ "$(id -u)" -eq 0 ] || { echo "fresh-debian: must run as root" >&2; exit 4; }
command -v debootstrap >/dev/null || { echo "fresh-debian: needs debootstrap (apt-get install debootstrap)" >&2; exit 1; }

base="$cache/bookworm-minbase.tar"
if [ ! -f "$base" ]; then
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/debootstrap.XXXXXX")
  debootstrap --variant=minbase bookworm "$tmp/root" "$mirror" >"$tmp/debootstrap.log"
  tar -C "$tmp/root" -cf "$base.new" . && mv "$base.new" "$base"
  rm -rf "$tmp"
fi

work=$(mktemp -d /var/tmp/argus-fresh.XXXXXX)
root="$work/root"
cleanup() {
  # Every mount lived in the private namespace below and died with it; never delete through one.
  if findmnt -rno TARGET | grep -q "^$root"; then echo "fresh-debian: $root still has mounts; left in place" >&2; return; fi
  rm -rf "$work"
}
trap cleanup EXIT
mkdir "$root" && tar -C "$root" -xf "$base"
# What an installed machine has and debootstrap leaves to the installer: name service files.
cp /etc/resolv.conf "$root/etc/resolv.conf"
[ -e "$root/etc/hosts" ] || printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' > "$root/etc/hosts"
# A network that inspects TLS has its own certificate authority: this machine's local ones go in
# too (ca-certificates, installed by .ci/run, adds them to the bundle), and node/bun are told to
# use that bundle when this machine tells them so.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  mkdir -p "$root/usr/local/share/ca-certificates" && cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
fi
extra_ca=${NODE_EXTRA_CA_CERTS:+NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt}

# Node.js and npm as README presumes them; node needs only libc and libstdc++ (both in minbase).
node=$(command -v node)
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
install -m 0755 "$node" "$root/usr/bin/node"
mkdir -p "$root/usr/lib/node_modules" && cp -a "$npm_dir" "$root/usr/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/bin/npm"

# The project as a clean clone; the shared test data beside it, as on a development machine.
mkdir -p "$root/build/shared"
git -c advice.detachedHead=false clone -q "$repo" "$root/build/argus"
git -C "$root/build/argus" checkout -q "$(git -C "$repo" rev-parse HEAD)"
shared=""
[ -d "$repo/../shared" ] && shared=$(cd "$repo/../shared" && pwd)

echo "fresh-debian: running .ci/run $* in $root"
# A private mount namespace: /proc, /sys, /dev and the shared data are mounted for the chroot only.
unshare --mount --propagation private bash -euc '
  root=$1 shared=$2 extra_ca=$3; shift 3
  # The root a mount point of its own, as on a real machine: `ip netns exec` remounts / (rslave).
  mount --bind "$root" "$root"
  mount -t proc proc "$root/proc"
  # /run is a tmpfs on any booted Debian (systemd-nspawn refuses to propagate mounts through a disk one).
  mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "$root/run"
  mount --rbind /sys "$root/sys"
  mount --rbind /dev "$root/dev"
  if [ -n "$shared" ]; then mount --bind "$shared" "$root/build/shared" && mount -o remount,bind,ro "$root/build/shared"; fi
  exec chroot "$root" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb $extra_ca \
    bash -c "cd /build/argus && bash .ci/run \"\$@\"" run "$@"
' fresh "$root" "$shared" "$extra_ca" "$@"
