# rct: build, test, demo and install. `make help` lists the targets.
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(DESTDIR)$(PREFIX)/bin
MANDIR = $(DESTDIR)$(PREFIX)/share/man/man1
UDEVDIR ?= $(DESTDIR)$(PREFIX)/lib/udev/rules.d
SYSTEMDDIR ?= $(DESTDIR)$(PREFIX)/lib/systemd/system
BASH_COMPLETIONS = $(DESTDIR)$(PREFIX)/share/bash-completion/completions
ZSH_COMPLETIONS = $(DESTDIR)$(PREFIX)/share/zsh/site-functions
FISH_COMPLETIONS = $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
# Wireshark's global Lua plugin folder on Debian and derivatives (`tshark -G folders`);
# Wireshark does not look under /usr/local, so this does not follow PREFIX. For one user
# only: make install WIRESHARK_PLUGINS=$$HOME/.local/lib/wireshark/plugins
WIRESHARK_PLUGINS ?= /usr/lib/$(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)/wireshark/plugins
WIRESHARK_DIR = $(DESTDIR)$(WIRESHARK_PLUGINS)
VENV = .venv
PYTHON = $(VENV)/bin/python
SUDO = $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES = libudev-dev libmosquitto-dev libmodbus-dev libpcap-dev tcpdump tshark pkg-config umockdev time mosquitto mosquitto-clients openssl chromium
RCTCLIENT = rctclient[cli]==0.0.6
PROMETHEUS_CLIENT = prometheus-client==0.26.0
PYMODBUS = pymodbus==3.16.1 pyserial==3.5
SCAPY = scapy==2.8.0
# Drives Debian's chromium for the web page's tests; it downloads no browser of its own.
PLAYWRIGHT = playwright==1.65.3
# Home Assistant itself, whose MQTT schemas check our discovery configs: the oldest release we
# support. Installed with the constraints its own wheel carries (without them pip backtracks
# for a very long time), in a venv of its own.
HOMEASSISTANT = 2024.1.6
HA_VENV = .venv-ha
# The Swift runtime linked into the binary: the installed rct runs without the toolchain's
# libraries, and each start skips their dynamic linking (Documentation/Performance.md).
RELEASE = swift build -c release --static-swift-stdlib

.PHONY: help deps venv venv-ha build release test demo install uninstall deb deb-test bench fuzz docs completions clean

help:
	@echo "make demo       install what is missing, build, and try rct against the built-in simulator"
	@echo "make test       install what is missing and run the whole test suite"
	@echo "make release    build the optimised binary (.build/release/rct)"
	@echo "make install    install binary, udev rules, systemd unit, completions and man page (PREFIX=$(PREFIX))"
	@echo "make uninstall  remove them again"
	@echo "make deb        build the Debian package .build/deb/rct_VERSION_ARCH.deb and check it with lintian"
	@echo "make deb-test   install it on a clean Debian 12 (made once with mmdebstrap), upgrade it, purge it"
	@echo "make bench      run the stream decoder benchmarks (scripts/bench-cli.sh times whole commands,"
	@echo "               scripts/bench-serve.sh measures rct serve)"
	@echo "make fuzz       fuzz the stream decoder with libFuzzer (FUZZ_SECONDS=60)"
	@echo "make docs       build the DocC API documentation"

# System packages: libudev and libmosquitto headers; for the tests umockdev, time, a Mosquitto broker with its
# clients, openssl to make the TLS test's certificates, and chromium for the web page's tests.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

# python rctclient, the independent implementation the tests check against, and
# prometheus-client, whose parser checks /metrics. Installed again when this file changes.
venv: $(VENV)/.installed
$(VENV)/.installed: Makefile
	[ -x $(PYTHON) ] || python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q '$(RCTCLIENT)' '$(PROMETHEUS_CLIENT)' $(PYMODBUS) $(SCAPY) $(PLAYWRIGHT)
	touch $@

# Home Assistant for the discovery test (about 2 minutes the first time).
venv-ha: $(HA_VENV)/.installed
$(HA_VENV)/.installed: Makefile
	[ -x $(HA_VENV)/bin/python ] || python3 -m venv $(HA_VENV)
	$(HA_VENV)/bin/pip download -q --no-deps -d $(HA_VENV)/wheel homeassistant==$(HOMEASSISTANT)
	$(HA_VENV)/bin/python -c 'import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read("homeassistant/package_constraints.txt").decode())' \
	  $(HA_VENV)/wheel/homeassistant-$(HOMEASSISTANT)-py3-none-any.whl > $(HA_VENV)/constraints.txt
	$(HA_VENV)/bin/pip install -q -c $(HA_VENV)/constraints.txt $(HA_VENV)/wheel/homeassistant-$(HOMEASSISTANT)-py3-none-any.whl paho-mqtt
	touch $@

build: deps
	swift build

release: deps
	$(RELEASE)

test: deps venv venv-ha
	RCT_PYTHON=$(abspath $(PYTHON)) RCT_HA_PYTHON=$(abspath $(HA_VENV)/bin/python) swift test

demo: deps
	$(RELEASE)
	@sh scripts/demo.sh .build/release/rct

install: release
	install -d $(BINDIR) $(MANDIR) $(UDEVDIR) $(SYSTEMDDIR) $(BASH_COMPLETIONS) $(ZSH_COMPLETIONS) $(FISH_COMPLETIONS)
	install -m 0755 .build/release/rct $(BINDIR)/rct
	install -m 0644 udev/60-rct.rules $(UDEVDIR)/60-rct.rules
	sed 's|@BINDIR@|$(PREFIX)/bin|' systemd/rct-serve.service.in > $(SYSTEMDDIR)/rct-serve.service
	chmod 0644 $(SYSTEMDDIR)/rct-serve.service
	.build/release/rct --generate-completion-script bash > $(BASH_COMPLETIONS)/rct
	.build/release/rct --generate-completion-script zsh > $(ZSH_COMPLETIONS)/_rct
	.build/release/rct --generate-completion-script fish > $(FISH_COMPLETIONS)/rct.fish
	install -m 0644 Documentation/rct.1 $(MANDIR)/rct.1
	install -d $(WIRESHARK_DIR)
	.build/release/rct dissector > $(WIRESHARK_DIR)/rct.lua
	chmod 0644 $(WIRESHARK_DIR)/rct.lua
	@echo "installed. Reload udev so the rules apply to adapters plugged in now:"
	@echo "  sudo udevadm control --reload-rules && sudo udevadm trigger --subsystem-match=tty"
	@echo "rct serve as a service: set RCT_SERVE_OPTIONS in /etc/default/rct-serve, then"
	@echo "  sudo systemctl daemon-reload && sudo systemctl enable --now rct-serve"

uninstall:
	rm -f $(BINDIR)/rct $(UDEVDIR)/60-rct.rules $(SYSTEMDDIR)/rct-serve.service $(BASH_COMPLETIONS)/rct $(ZSH_COMPLETIONS)/_rct \
	      $(FISH_COMPLETIONS)/rct.fish $(MANDIR)/rct.1 $(WIRESHARK_DIR)/rct.lua
	@echo "removed. Reload udev: sudo udevadm control --reload-rules"

# The Debian package, from the release binary, with dpkg's own tools; lintian must find no error
# and no warning.
DEB_PACKAGES = dpkg-dev lintian mmdebstrap
deb: release
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; fi
	rm -rf .build/deb && mkdir -p .build/deb
	bash packaging/deb/build.sh .build/release/rct .build/deb
	lintian --fail-on error,warning --tag-display-limit 0 .build/deb/rct_*.deb

# The clean-install test: the package and a later build of it (for the upgrade).
deb-test: deb
	rm -rf .build/deb-upgrade && mkdir -p .build/deb-upgrade
	bash packaging/deb/build.sh .build/release/rct .build/deb-upgrade +upgrade1
	$(SUDO) bash packaging/deb/test-install.sh .build/deb/rct_*.deb .build/deb-upgrade/rct_*.deb

bench: deps
	cd Tests/Benchmarks && swift package --disable-sandbox benchmark

fuzz:
	bash Tests/Fuzz/run.sh $${FUZZ_SECONDS:-60}

docs:
	bash scripts/build-docs.sh

clean:
	rm -rf .build $(VENV) $(HA_VENV)
