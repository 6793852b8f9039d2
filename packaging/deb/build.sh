#!/usr/bin/env bash
# Builds rct_VERSION_ARCH.deb from a release binary with dpkg's own tools (dpkg-shlibdeps,
# dpkg-deb). Usage: packaging/deb/build.sh RCT_BINARY OUTPUT_DIRECTORY [VERSION_SUFFIX]
# The version is the one `rct --version` prints; VERSION_SUFFIX (e.g. +test1) is for the
# upgrade test only. The architecture is the build machine's (dpkg --print-architecture).
set -euo pipefail
cd "$(dirname "$0")/../.."
rct=$(realpath "$1")
out=$(realpath "$2")
version="$("$rct" --version)${3:-}"
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
doc=$root/usr/share/doc/rct

install -d "$root/DEBIAN" "$root/usr/bin" "$root/lib/udev/rules.d" "$root/lib/systemd/system" "$root/etc/rct" \
  "$root/usr/share/man/man1" "$root/usr/share/bash-completion/completions" "$root/usr/share/zsh/vendor-completions" \
  "$root/usr/share/fish/vendor_completions.d" "$root/usr/lib/$multiarch/wireshark/plugins" "$doc"
install -m 0755 "$rct" "$root/usr/bin/rct"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/rct"
install -m 0644 udev/60-rct.rules "$root/lib/udev/rules.d/60-rct.rules"
# The units read the config file; the template reads /etc/rct/serve-NAME.conf. Both stay
# disabled until the user enables them.
sed -e 's|@BINDIR@|/usr/bin|' -e 's|^ExecStart=/usr/bin/rct serve |ExecStart=/usr/bin/rct serve --config /etc/rct/serve.conf |' \
  -e 's|^# Installed by `make install`.*|# Installed by the Debian package rct. Options: /etc/rct/serve.conf.|' \
  systemd/rct-serve.service.in > "$root/lib/systemd/system/rct-serve.service"
sed -e 's|serve.conf|serve-%i.conf|' -e 's|^Description=\(.*\)|Description=\1 (%i)|' \
  -e 's|^EnvironmentFile=-/etc/default/rct-serve$|EnvironmentFile=-/etc/default/rct-serve-%i|' \
  -e 's|/etc/rct/serve-%i.conf\.|/etc/rct/serve-NAME.conf, for rct-serve@NAME.|' \
  "$root/lib/systemd/system/rct-serve.service" > "$root/lib/systemd/system/rct-serve@.service"
chmod 0644 "$root"/lib/systemd/system/*
install -m 0644 packaging/deb/serve.conf "$root/etc/rct/serve.conf"
gzip -9n < Documentation/rct.1 > "$root/usr/share/man/man1/rct.1.gz"
# bash-completion sources the file: no #! line.
"$rct" --generate-completion-script bash | sed '1{/^#!/d}' > "$root/usr/share/bash-completion/completions/rct"
"$rct" --generate-completion-script zsh > "$root/usr/share/zsh/vendor-completions/_rct"
"$rct" --generate-completion-script fish > "$root/usr/share/fish/vendor_completions.d/rct.fish"
"$rct" dissector > "$root/usr/lib/$multiarch/wireshark/plugins/rct.lua"
chmod 0644 "$root"/usr/share/*/*/rct* "$root/usr/share/zsh/vendor-completions/_rct" "$root/usr/lib/$multiarch/wireshark/plugins/rct.lua"
install -m 0644 packaging/deb/copyright "$doc/copyright"
for page in README.md Documentation/Serve.md Documentation/MQTT.md Documentation/Web.md Documentation/Safety.md; do
  gzip -9n < "$page" > "$doc/$(basename "$page").gz"
done
# A native package's changelog: one entry for the version built.
cat > "$work/changelog" <<EOF
rct ($version) unstable; urgency=medium

  * Release $version, built from the rct source tree.

 -- rct developers <rct@invalid.example>  $(date -R -d "@$(git log -1 --format=%ct 2>/dev/null || date +%s)")
EOF
gzip -9n < "$work/changelog" > "$doc/changelog.gz"

# Depends from the libraries the binary links (libudev, libmosquitto, libmodbus, libpcap, ...).
install -d "$work/src/debian"
printf 'Source: rct\n\nPackage: rct\nArchitecture: any\n' > "$work/src/debian/control"
depends=$(cd "$work/src" && dpkg-shlibdeps -O "$root/usr/bin/rct" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "deb: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@DEPENDS@|$depends|" -e "s|@SIZE@|$size|" \
  packaging/deb/control.in > "$root/DEBIAN/control"
echo /etc/rct/serve.conf > "$root/DEBIAN/conffiles"
install -m 0755 packaging/deb/postinst packaging/deb/postrm "$root/DEBIAN/"
(cd "$root" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum > DEBIAN/md5sums)
chmod 0644 "$root/DEBIAN/md5sums" "$root/DEBIAN/control" "$root/DEBIAN/conffiles"
deb="$out/rct_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
