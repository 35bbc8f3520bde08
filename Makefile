# resolverd -- build, dependencies, tests.
#
#   make          build/resolverd and build/resolverctl (optimised, -O2 -g)
#   make run      install missing build packages, build, run with ./resolver.conf (foreground)
#   make test     install missing packages, build with ASan+UBSan (and TSan for the thread
#                 test), run every test with prove
#   make test-tsan only the concurrency test, against the ThreadSanitizer build
#   make deps     install whatever Debian packages are missing (nothing when all are there)
#   make bench    resolverd against Unbound and a canned-answer floor under dnsperf, side
#                 by side (about 7 minutes; tools/bench/README.md); BASE=REV adds the
#                 resolverd of git revision REV to the same rounds (about 3 minutes more)
#   make deckard  Deckard's conformance scenarios (../shared/deckard, DECKARD_HOME=) against the
#                 optimised build; DECKARD_ARGS picks them (default `-n 2 -k iter_`);
#                 `make deckard-unbound` runs the same selection against Unbound (the
#                 reference); `make deckard-dnssec` (and -unbound) the DNSSEC categories
#                 val_ nsec_ nsec3_ black_ world_ fwd_ instead; not part of `make test`
#                 (tests/deckard/README.md)
#   make demo     start the simulated internet (NSD on 127.54.x.y) and a resolverd iterating
#                 over it on 127.0.0.1:53 (as root); `make demo-stop` ends both
#   make install   install under PREFIX (default /usr/local; DESTDIR, sbindir, sysconfdir,
#                 datadir, mandir ... as GNU has them: see "installing" below); make uninstall
#   make clean
#
# The sanitizer build lives in build/asan/; the tests always use it.

CC      ?= cc
CSTD    := -std=c11 -D_GNU_SOURCE
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
PKG_CFLAGS := $(shell pkg-config --cflags ldns 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs ldns 2>/dev/null || echo -lldns) -lssl -lcrypto -lhiredis -lev -lm -lpthread
CFLAGS  ?= -O2 -g
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

BUILD_PKGS := gcc make pkg-config libldns-dev libev-dev libssl-dev libhiredis-dev dnsutils
TEST_PKGS  := $(BUILD_PKGS) nsd ldnsutils faketime perl unbound iproute2 curl prometheus python3 \
              mandoc systemd redis-server redis-tools knot-dnsutils
DEMO_PKGS  := $(BUILD_PKGS) nsd perl
BENCH_PKGS := $(BUILD_PKGS) dnsperf nsd unbound strace redis-server redis-tools ldnsutils

DAEMON_SRC := $(filter-out resolver/main.c,$(wildcard resolver/*.c))
HEADERS    := $(wildcard resolver/*.h)
UNIT_SRC   := $(wildcard tests/unit/test_*.c)

.PHONY: all run test test-tsan bench bench-cachesize bench-cachebust bench-cachedb bench-rrl bench-dot deps-bench deps deps-build deps-demo demo demo-stop unit clean
.DELETE_ON_ERROR:

all: build/resolverd build/resolverctl

# --- the optimised build ---------------------------------------------------------------
build/obj/%.o: resolver/%.c $(HEADERS) | build/obj
	$(CC) $(CSTD) $(WARN) $(CFLAGS) $(PKG_CFLAGS) -c $< -o $@

build/libresolverd.a: $(patsubst resolver/%.c,build/obj/%.o,$(DAEMON_SRC))
	rm -f $@ && ar rcs $@ $^

build/resolverd: build/obj/main.o build/libresolverd.a
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

build/resolverctl: tools/resolverctl.c build/libresolverd.a $(HEADERS)
	$(CC) $(CSTD) $(WARN) $(CFLAGS) $(PKG_CFLAGS) -Iresolver -o $@ $< build/libresolverd.a $(PKG_LIBS)

# --- the sanitizer build used by the tests ----------------------------------------------
build/asan/obj/%.o: resolver/%.c $(HEADERS) | build/asan/obj
	$(CC) $(CSTD) $(WARN) -O1 -g $(SAN) $(PKG_CFLAGS) -c $< -o $@

build/asan/libresolverd.a: $(patsubst resolver/%.c,build/asan/obj/%.o,$(DAEMON_SRC))
	rm -f $@ && ar rcs $@ $^

build/asan/resolverd: build/asan/obj/main.o build/asan/libresolverd.a
	$(CC) -g $(SAN) -o $@ $^ $(PKG_LIBS)

build/asan/resolverctl: tools/resolverctl.c build/asan/libresolverd.a $(HEADERS)
	$(CC) $(CSTD) $(WARN) -O1 -g $(SAN) $(PKG_CFLAGS) -Iresolver -o $@ $< build/asan/libresolverd.a $(PKG_LIBS)

build/asan/tests/%: tests/unit/%.c build/asan/libresolverd.a tests/tap.h tests/ldns_test.h $(HEADERS) | build/asan/tests
	$(CC) $(CSTD) $(WARN) -O1 -g $(SAN) $(PKG_CFLAGS) -Iresolver -Itests -o $@ $< build/asan/libresolverd.a $(PKG_LIBS)

UNIT_BINS := $(patsubst tests/unit/%.c,build/asan/tests/%,$(UNIT_SRC))

# --- the ThreadSanitizer build: the worker threads under a concurrent load -----------------
# (tests/e2e/87-threads-tsan.t runs 86-threads.t against it; `make test` includes it)
TSAN := -fsanitize=thread -fno-omit-frame-pointer

build/tsan/obj/%.o: resolver/%.c $(HEADERS) | build/tsan/obj
	$(CC) $(CSTD) $(WARN) -O1 -g $(TSAN) $(PKG_CFLAGS) -c $< -o $@

build/tsan/resolverd: build/tsan/obj/main.o $(patsubst resolver/%.c,build/tsan/obj/%.o,$(DAEMON_SRC))
	$(CC) -g $(TSAN) -o $@ $^ $(PKG_LIBS)

test-tsan: deps build/tsan/resolverd build/asan/resolverctl
	prove -v --timer tests/e2e/87-threads-tsan.t

unit: $(UNIT_BINS)

build/obj build/asan/obj build/asan/tests build/tsan/obj:
	mkdir -p $@

# --- fuzzing (libFuzzer; tests/fuzz/README.md) ------------------------------------------------
# `make fuzz` runs every tests/fuzz/fuzz_TARGET.c for FUZZ_TIME seconds, one after the other,
# on build/fuzz/corpus/TARGET (seeded from tests/fuzz/corpus/TARGET: the repository is never
# written to); crashes land in build/fuzz/artifacts/TARGET/. `make test` builds the targets
# for tests/e2e/95-fuzz-smoke.t (a few seconds each, plus the saved crashers).
FUZZ_CC      ?= clang
FUZZ_TIME    ?= 60
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(patsubst %,build/fuzz/fuzz_%,$(FUZZ_TARGETS))
FUZZ_PKGS    := clang libclang-rt-14-dev
TEST_PKGS    += $(FUZZ_PKGS)

build/fuzz/obj/%.o: resolver/%.c $(HEADERS) | build/fuzz/obj
	$(FUZZ_CC) $(CSTD) $(WARN) -g -O1 -fsanitize=fuzzer-no-link $(FUZZ_SAN) $(PKG_CFLAGS) -c $< -o $@

build/fuzz/libresolverd.a: $(patsubst resolver/%.c,build/fuzz/obj/%.o,$(DAEMON_SRC))
	rm -f $@ && ar rcs $@ $^

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h build/fuzz/libresolverd.a $(HEADERS)
	$(FUZZ_CC) $(CSTD) $(WARN) -g -O1 -fsanitize=fuzzer $(FUZZ_SAN) $(PKG_CFLAGS) -Iresolver -o $@ $< build/fuzz/libresolverd.a $(PKG_LIBS)

build/fuzz/obj:
	mkdir -p $@

.PHONY: fuzz fuzz-build deps-fuzz
fuzz-build: $(FUZZ_BINS)

deps-fuzz:
	$(call install_missing,$(BUILD_PKGS) $(FUZZ_PKGS))

fuzz: deps-fuzz fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
	  mkdir -p build/fuzz/corpus/$$t build/fuzz/artifacts/$$t; \
	  cp -n tests/fuzz/corpus/$$t/* build/fuzz/corpus/$$t/ 2>/dev/null || true; \
	  echo "== fuzz_$$t: $(FUZZ_TIME) s"; \
	  build/fuzz/fuzz_$$t -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
	    -artifact_prefix=build/fuzz/artifacts/$$t/ build/fuzz/corpus/$$t; \
	done

test: $(FUZZ_BINS)
# --- end of fuzzing ----------------------------------------------------------------------------

# --- using it ------------------------------------------------------------------------------
run: deps-build all
	build/resolverd -c resolver.conf

test: deps all $(UNIT_BINS) build/asan/resolverd build/asan/resolverctl build/tsan/resolverd
	prove -v --timer --exec '' $(UNIT_BINS) $(sort $(wildcard tests/e2e/*.t)) 2>&1 | tee build/test.log | grep -vE '^ok ' ; exit $${PIPESTATUS[0]}

SHELL := /bin/bash

# Installs only what is missing; `apt-get update` runs first only when something is.
# Installing a server package (nsd, unbound, prometheus, redis-server) must not start its service, so a
# temporary policy-rc.d forbids service starts during the install (only if the machine has
# none), and the services it would start at the next boot are disabled: the tests start
# their own servers, on their own addresses.
define install_missing
	@missing=""; for p in $(1); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	  prc=""; if [ ! -e /usr/sbin/policy-rc.d ]; then prc=1; printf '#!/bin/sh\nexit 101\n' | $$sudo tee /usr/sbin/policy-rc.d >/dev/null; $$sudo chmod 755 /usr/sbin/policy-rc.d; fi; \
	  $$sudo apt-get update -q && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; rc=$$?; \
	  for svc in nsd unbound prometheus redis-server; do case " $$missing " in *" $$svc "*) $$sudo systemctl disable $$svc >/dev/null 2>&1 || true;; esac; done; \
	  case " $$missing " in *" prometheus "*) $$sudo systemctl disable prometheus-node-exporter >/dev/null 2>&1 || true;; esac; \
	  [ -z "$$prc" ] || $$sudo rm -f /usr/sbin/policy-rc.d; \
	  exit $$rc; \
	fi
endef

deps-build:
	$(call install_missing,$(BUILD_PKGS))

deps:
	$(call install_missing,$(TEST_PKGS))

deps-demo:
	$(call install_missing,$(DEMO_PKGS))

deps-bench:
	$(call install_missing,$(BENCH_PKGS))

# resolverd vs Unbound vs a canned-answer floor, side by side (tools/bench/README.md)
BASE ?=
bench: deps-bench build/resolverd build/resolverctl
	BENCH_BASE="$(BASE)" CC="$(CC)" CFLAGS="$(CFLAGS)" tools/bench/bench.sh
	tools/bench/cachesize.sh
	tools/bench/cachebust.sh
	tools/bench/rrl.sh
	tools/bench/cachedb.sh
	tools/bench/dot.sh

# a hit's cost and RSS per entry at 10k, 1M and 5M cached names (tools/bench/README.md, "cachesize.sh")
bench-cachesize: deps-bench build/resolverd build/resolverctl
	tools/bench/cachesize.sh

# RSS under a flood of unique names against cache-size (tools/bench/README.md, "cachebust.sh")
bench-cachebust: deps-bench build/resolverd build/resolverctl
	tools/bench/cachebust.sh

# --- installing ----------------------------------------------------------------------------
# `make install` / `make uninstall`, GNU directory variables (override any on the command
# line): PREFIX (= prefix, default /usr/local), DESTDIR (a staging root for packagers),
# sbindir, sysconfdir, datadir, mandir, systemdunitdir, sysusersdir. A Debian-style system
# install is `make install PREFIX=/usr sysconfdir=/etc`. The config, the unit and the man
# pages are generated with the chosen paths into build/install/ (every time: the paths may
# differ between runs). An existing $(sysconfdir)/resolverd/resolver.conf is never
# overwritten; uninstall removes it only when it is still the one install wrote.
# CREATE_USER=auto (default) creates the system user resolverd when installing as root
# without DESTDIR (systemd-sysusers with dist/resolverd.sysusers, else useradd); yes/no force it.
PREFIX         ?= /usr/local
prefix         ?= $(PREFIX)
exec_prefix    ?= $(prefix)
sbindir        ?= $(exec_prefix)/sbin
sysconfdir     ?= $(prefix)/etc
datarootdir    ?= $(prefix)/share
datadir        ?= $(datarootdir)
mandir         ?= $(datarootdir)/man
systemdunitdir ?= $(prefix)/lib/systemd/system
sysusersdir    ?= $(prefix)/lib/sysusers.d
CREATE_USER    ?= auto
INSTALL        ?= install

MAN_PAGES  := man/resolverd.8 man/resolverctl.8 man/resolver.conf.5
HINT_FILES := $(wildcard hints/*)
GEN        := build/install
CONF_DIR    = $(DESTDIR)$(sysconfdir)/resolverd
# the man pages and the unit are written with the default paths; these make them the chosen ones
PATH_SED    = -e 's|/usr/local/etc|$(sysconfdir)|g' -e 's|/usr/local/share|$(datadir)|g' \
              -e 's|/usr/local/sbin|$(sbindir)|g'

.PHONY: install install-files install-user uninstall install-gen

# The installed config: the repository's, with absolute paths and the system's user.
install-gen:
	@mkdir -p $(GEN)
	sed -e 's|^root-hints hints/root.hints|root-hints $(datadir)/resolverd/root.hints|' \
	    -e 's|^trust-anchor-file hints/root.key|trust-anchor-file $(datadir)/resolverd/root.key|' \
	    -e 's|^# user resolverd          |user resolverd            |' \
	    -e 's|/etc/resolverd/|$(sysconfdir)/resolverd/|g' resolver.conf >$(GEN)/resolver.conf
	@grep -q '^root-hints /' $(GEN)/resolver.conf && grep -q '^trust-anchor-file /' $(GEN)/resolver.conf && grep -q '^user resolverd ' $(GEN)/resolver.conf \
	  && grep -q '^control /run/resolverd/control' $(GEN)/resolver.conf \
	  || { echo "resolver.conf changed: update the install-gen rule in the Makefile" >&2; exit 1; }
	sed -e 's|@sbindir@|$(sbindir)|g' -e 's|@sysconfdir@|$(sysconfdir)|g' \
	    dist/resolverd.service.in >$(GEN)/resolverd.service
	@mkdir -p $(GEN)/man
	for m in $(MAN_PAGES); do sed $(PATH_SED) $$m >$(GEN)/$$m || exit 1; done

install: all install-gen install-files install-user
	@echo "installed. Start it with: systemctl daemon-reload && systemctl enable --now resolverd"

install-files:
	$(INSTALL) -d $(DESTDIR)$(sbindir) $(CONF_DIR) $(DESTDIR)$(datadir)/resolverd \
	    $(DESTDIR)$(mandir)/man5 $(DESTDIR)$(mandir)/man8 $(DESTDIR)$(systemdunitdir) \
	    $(DESTDIR)$(sysusersdir)
	$(INSTALL) -m 755 build/resolverd build/resolverctl $(DESTDIR)$(sbindir)/
	$(INSTALL) -m 644 $(HINT_FILES) $(DESTDIR)$(datadir)/resolverd/
	@if [ -e $(CONF_DIR)/resolver.conf ]; then \
	  echo "keeping the existing $(CONF_DIR)/resolver.conf (the new one is $(GEN)/resolver.conf)"; \
	else echo "$(INSTALL) -m 644 $(GEN)/resolver.conf $(CONF_DIR)/resolver.conf"; \
	  $(INSTALL) -m 644 $(GEN)/resolver.conf $(CONF_DIR)/resolver.conf; fi
	$(INSTALL) -m 644 $(GEN)/resolverd.service $(DESTDIR)$(systemdunitdir)/resolverd.service
	$(INSTALL) -m 644 dist/resolverd.sysusers $(DESTDIR)$(sysusersdir)/resolverd.conf
	$(INSTALL) -m 644 $(GEN)/man/resolver.conf.5 $(DESTDIR)$(mandir)/man5/
	$(INSTALL) -m 644 $(GEN)/man/resolverd.8 $(GEN)/man/resolverctl.8 $(DESTDIR)$(mandir)/man8/

install-user:
	@if [ "$(CREATE_USER)" = no ] || { [ "$(CREATE_USER)" = auto ] && \
	     { [ -n "$(DESTDIR)" ] || [ "$$(id -u)" != 0 ]; }; }; then \
	  echo "not creating the user resolverd (CREATE_USER=$(CREATE_USER)): $(sysusersdir)/resolverd.conf describes it"; \
	elif getent passwd resolverd >/dev/null; then echo "user resolverd exists"; \
	elif command -v systemd-sysusers >/dev/null; then \
	  echo "systemd-sysusers $(DESTDIR)$(sysusersdir)/resolverd.conf"; \
	  systemd-sysusers $(DESTDIR)$(sysusersdir)/resolverd.conf; \
	else echo "useradd --system resolverd"; \
	  useradd --system --user-group --home-dir /var/lib/resolverd --no-create-home \
	    --shell /usr/sbin/nologin --comment "resolverd DNS resolver" resolverd; fi

# The user is left in place (files it owned may remain); so is a config that was edited.
uninstall: install-gen
	rm -f $(DESTDIR)$(sbindir)/resolverd $(DESTDIR)$(sbindir)/resolverctl
	rm -f $(patsubst hints/%,$(DESTDIR)$(datadir)/resolverd/%,$(HINT_FILES))
	rm -f $(DESTDIR)$(systemdunitdir)/resolverd.service $(DESTDIR)$(sysusersdir)/resolverd.conf
	rm -f $(DESTDIR)$(mandir)/man5/resolver.conf.5 $(DESTDIR)$(mandir)/man8/resolverd.8 \
	    $(DESTDIR)$(mandir)/man8/resolverctl.8
	@if cmp -s $(GEN)/resolver.conf $(CONF_DIR)/resolver.conf; then \
	  echo "rm -f $(CONF_DIR)/resolver.conf"; rm -f $(CONF_DIR)/resolver.conf; \
	elif [ -e $(CONF_DIR)/resolver.conf ]; then \
	  echo "keeping $(CONF_DIR)/resolver.conf: it was changed after the install"; fi
	-rmdir $(DESTDIR)$(datadir)/resolverd $(CONF_DIR) 2>/dev/null || true

# resolverd vs Unbound iterating against NSD with its default RRL (tools/bench/README.md, "rrl.sh")
bench-rrl: deps-bench build/resolverd build/resolverctl
	tools/bench/rrl.sh

# three instances sharing a Redis vs without (tools/bench/README.md, "cachedb.sh")
bench-cachedb: deps-bench build/resolverd build/resolverctl
	tools/bench/cachedb.sh

# DoT upstream latency next to plain TCP on one reused connection (tools/bench/README.md, "dot.sh")
bench-dot: deps-bench build/resolverd
	CC="$(CC)" tools/bench/dot.sh

# Deckard (tests/deckard/README.md): the scenarios run the optimised build (EXTRA_PATH)
DECKARD_HOME  ?= ../shared/deckard
DECKARD_ARGS ?= -n 2 -k iter_
# issue 11's DNSSEC categories (a "/" before each: "nsec_" alone also picks iter_*_nsec_*)
DECKARD_DNSSEC_ARGS ?= -n 2 -k "/val_ or /nsec_ or /nsec3_ or /black_ or /world_ or /fwd_"
.PHONY: deckard deckard-unbound deckard-dnssec deckard-dnssec-unbound
deckard: all
	DECKARD_HOME=$(DECKARD_HOME) EXTRA_PATH=$(CURDIR)/build tests/deckard/deckard.sh resolverd $(DECKARD_ARGS)

deckard-unbound:
	DECKARD_HOME=$(DECKARD_HOME) tests/deckard/deckard.sh unbound $(DECKARD_ARGS)

deckard-dnssec: all
	DECKARD_HOME=$(DECKARD_HOME) EXTRA_PATH=$(CURDIR)/build tests/deckard/deckard.sh resolverd $(DECKARD_DNSSEC_ARGS)

deckard-dnssec-unbound:
	DECKARD_HOME=$(DECKARD_HOME) tests/deckard/deckard.sh unbound $(DECKARD_DNSSEC_ARGS)

demo: deps-demo all
	tools/simnet/demo-start

demo-stop:
	tools/simnet/demo-stop

clean:
	rm -rf build
