#!/usr/bin/env bash
# Installs a built rct .deb on a clean Debian 12 and checks it, as a user's machine would
# see it; then upgrades it over itself (a changed conffile must stay) and purges it.
# Usage: packaging/deb/test-install.sh RCT_DEB UPGRADE_DEB
# The clean root is made with mmdebstrap from Debian's mirror (as this machine's apt is set
# up) once and kept in $RCT_DEB_ROOT_CACHE (default /var/cache/rct-test/bookworm.tar), so
# later runs start from it in seconds. Needs root (chroot), mmdebstrap and the network to
# Debian's mirror.
set -euo pipefail
deb=$(realpath "$1")
upgrade=$(realpath "$2")
cache=${RCT_DEB_ROOT_CACHE:-/var/cache/rct-test/bookworm.tar}
fail() { echo "deb test: $*" >&2; exit 1; }

if [ ! -s "$cache" ]; then
  mkdir -p "$(dirname "$cache")"
  echo "deb test: making a clean Debian 12 root (once; kept in $cache)"
  # The name must end in .tar: mmdebstrap makes a tarball or a folder by the name it is given.
  mmdebstrap --quiet --variant=minbase --include=ca-certificates bookworm "${cache%.tar}.part.tar"
  mv "${cache%.tar}.part.tar" "$cache"
fi
root=$(mktemp -d)
cleanup() {
  for mount in "$root/proc" "$root/dev"; do mountpoint -q "$mount" && umount -R -l "$mount"; done
  rm -rf "$root"
}
trap cleanup EXIT
tar -xf "$cache" -C "$root"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount --make-rslave "$root/dev"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# No service is started inside the root (the usual policy-rc.d of a chroot).
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
cp "$deb" "$root/tmp/rct.deb"
cp "$upgrade" "$root/tmp/rct-upgrade.deb"
inside() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "$@"; }

inside apt-get update -qq
# The dependencies come from Debian's mirror through apt, not from this machine.
inside apt-get install -y -qq /tmp/rct.deb >/dev/null
inside rct --version | grep -qx "$(dpkg-deb -f "$deb" Version | sed 's/+.*//')" || fail "rct --version"
inside rct --simulator get battery.soc | grep -qx 'battery.soc 55.0 %' || fail "rct --simulator get battery.soc"
inside rct list soc --writable | grep -q '^power_mng.soc_min ' || fail "rct list soc --writable"
for file in /usr/bin/rct /lib/systemd/system/rct-serve.service /lib/systemd/system/rct-serve@.service \
            /lib/udev/rules.d/60-rct.rules /etc/rct/serve.conf /usr/share/man/man1/rct.1.gz \
            /usr/share/bash-completion/completions/rct /usr/share/zsh/vendor-completions/_rct \
            /usr/share/fish/vendor_completions.d/rct.fish /usr/share/doc/rct/copyright; do
  [ -s "$root$file" ] || fail "$file is missing"
done
ls "$root"/usr/lib/*/wireshark/plugins/rct.lua >/dev/null || fail "the Wireshark dissector is missing"
grep -qx 'ExecStart=/usr/bin/rct serve --config /etc/rct/serve.conf $RCT_SERVE_OPTIONS' "$root/lib/systemd/system/rct-serve.service" \
  || fail "the unit does not read /etc/rct/serve.conf"
grep -qx 'ExecStart=/usr/bin/rct serve --config /etc/rct/serve-%i.conf $RCT_SERVE_OPTIONS' "$root/lib/systemd/system/rct-serve@.service" \
  || fail "the template unit does not read /etc/rct/serve-NAME.conf"
# Nothing is enabled by the package.
[ -z "$(find "$root/etc/systemd" -name 'rct-serve*' 2>/dev/null)" ] || fail "a unit was enabled"
# The commented config file is what rct serve reads: with one option set, it starts.
inside sh -c 'cp /etc/rct/serve.conf /tmp/try.conf && printf "simulator = true\nlisten = 127.0.0.1:0\n" >> /tmp/try.conf'
inside timeout -s INT 3 rct serve --config /tmp/try.conf > "$root/tmp/serve.out" 2>&1 || true
grep -q '^listening on 127.0.0.1:' "$root/tmp/serve.out" || fail "rct serve --config /etc/rct/serve.conf: $(cat "$root/tmp/serve.out")"

# Upgrade over the installed package: the user's change to the conffile stays.
echo 'host = 192.168.1.50' >> "$root/etc/rct/serve.conf"
inside apt-get install -y -qq /tmp/rct-upgrade.deb >/dev/null
grep -qx 'host = 192.168.1.50' "$root/etc/rct/serve.conf" || fail "the upgrade lost the changed conffile"
[ "$(inside dpkg-query -W -f '${Version}' rct)" = "$(dpkg-deb -f "$upgrade" Version)" ] || fail "the upgrade did not install"

# Purge: nothing of rct is left.
inside apt-get purge -y -qq rct >/dev/null
left=$(cd "$root" && find usr/bin/rct etc/rct lib/systemd/system/rct-serve.service lib/udev/rules.d/60-rct.rules usr/share/doc/rct 2>/dev/null || true)
[ -z "$left" ] || fail "purge left: $left"
inside dpkg-query -W rct >/dev/null 2>&1 && fail "rct is still known to dpkg after the purge"
echo "deb test: installed on a clean Debian 12, upgraded keeping a changed conffile, purged: all checks passed"
