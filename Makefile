# openwfp top-level Makefile: a thin wrapper around meson + ninja.
#   make          build everything into build/ (build/wfpctl, build/libwfp.so)
#   make check    install missing packages, build, run every suite (gcc),
#                 then the unit/golden/parse/diff/fuzz suites under clang
#                 ASan+UBSan (fuzz = replay of the checked-in corpus); as
#                 root this includes the Debian package test (tests/pkg)
#   make demo     the main job: the TCP connection trace of spec §2.1
#   make bench    classification/commit/memory figures vs a naive scan and
#                 DPDK rte_acl (installs libdpdk-dev), -> bench/results.json;
#                 replay packets/s vs a bare libpcap read loop
#   make fuzz     every libFuzzer harness for FUZZ_SECONDS (default 60) each,
#                 from the checked-in corpus (clang ASan build)
#   make stress   (root) the netns flood/leak tests at their long settings:
#                 the same 200,000 SYNs at 4x the rate plus 5x the UDP flood,
#                 5,000 policy replacements, then 1,000 with wfpd built with
#                 ASan+LSan (its exit status is LeakSanitizer's verdict)
#   make install  install under PREFIX (default /usr/local) into DESTDIR:
#                 programs, libwfp.so.0, headers, libwfp.pc, man pages,
#                 systemd units, completions, docs (docs/install.md)
#   make uninstall  remove what make install installs (same PREFIX/DESTDIR)
#   make deb      build the Debian packages into debs/ (debian/)
#   make pkg-test only the packaging suite (tests/pkg/: man pages, install,
#                 the Debian package built, installed, run and purged)
# WERROR=1 turns warnings into errors (CI sets it).

BUILD      ?= build
ASAN_BUILD ?= build-asan
WERROR     ?= 0
FUZZ_SECONDS ?= 60
BENCH_BUILD ?= build-bench
BENCH_ARGS ?= --kinds acl,fw,ipc --sizes 1000,10000,100000
PREFIX     ?= /usr/local
DESTDIR    ?=
MESON_OPTS := -Dwerror=$(if $(filter 1,$(WERROR)),true,false)

# Debian packages needed to build and test; installed only when missing.
DEB_PKGS := meson ninja-build pkg-config gcc clang libclang-rt-14-dev \
	libcmocka-dev libjson-c-dev libxml2-dev libpcap-dev python3 \
	libmnl-dev libnetfilter-queue-dev libnftables-dev libnftnl-dev libmicrohttpd-dev \
	bpftool libbpf-dev linux-libc-dev

# meson lists planned files and builds those that exist; a stamp named
# after the current file list reconfigures when files come or go.
SRC_STAMP := .srcs-$(shell ls lib/*.c tools/wfpctl/*.c tests/*/*.c tests/*/*.sh daemon/*/*.c 2>/dev/null | md5sum | cut -c1-12)

.PHONY: all deps check demo clean asan fuzz bench stress install uninstall deb pkg-test
all: $(BUILD)/$(SRC_STAMP)
	ninja -C $(BUILD)
	@ln -sf tools/wfpctl/wfpctl $(BUILD)/wfpctl
	@if [ -e $(BUILD)/daemon/wfpd/wfpd ]; then ln -sf daemon/wfpd/wfpd $(BUILD)/wfpd; fi

deps:
	@scripts/install-deps $(DEB_PKGS)

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_OPTS)

$(BUILD)/$(SRC_STAMP): $(BUILD)/build.ninja
	meson setup --reconfigure $(BUILD) $(MESON_OPTS) >/dev/null
	rm -f $(BUILD)/.srcs-* && touch $@

$(ASAN_BUILD)/$(SRC_STAMP): $(ASAN_BUILD)/build.ninja
	meson setup --reconfigure $(ASAN_BUILD) >/dev/null
	rm -f $(ASAN_BUILD)/.srcs-* && touch $@

$(ASAN_BUILD)/build.ninja:
	CC=clang meson setup $(ASAN_BUILD) $(MESON_OPTS) -Db_sanitize=address,undefined \
		-Db_lundef=false -Dbuildtype=debug

asan: $(ASAN_BUILD)/$(SRC_STAMP)
	ninja -C $(ASAN_BUILD)

check: deps
	$(MAKE) all
	$(MAKE) asan
	OPENWFP_DEB_TEST=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		tests/run.py $(BUILD) $(ASAN_BUILD):unit,golden,parse,diff,fuzz

fuzz: deps
	$(MAKE) asan
	tests/fuzz/run-fuzz $(ASAN_BUILD) $(FUZZ_SECONDS)

# Longer versions of the netns flood and leak tests; make check runs the
# fast ones.  Same packet count for the SYN flood, higher rate.
stress: deps
	$(MAKE) all
	FLOOD_RATE=40000 FLOOD_UDPS=200000 TOP=$(CURDIR) BUILD=$(CURDIR)/$(BUILD) \
		tests/netns/flood.sh
	LEAK_LOADS=5000 TOP=$(CURDIR) BUILD=$(CURDIR)/$(BUILD) tests/netns/leak.sh
	$(MAKE) asan
	ASAN_OPTIONS=detect_leaks=1 LEAK_LOADS=1000 LEAK_BOUND_KB=65536 \
		TOP=$(CURDIR) BUILD=$(CURDIR)/$(ASAN_BUILD) tests/netns/leak.sh
	TOP=$(CURDIR) BUILD=$(CURDIR)/$(BUILD) tests/netns/hostile.sh

# The bench needs DPDK for its rte_acl baseline; make check does not.
bench: deps
	@scripts/install-deps libdpdk-dev
	@test -f $(BENCH_BUILD)/build.ninja || \
		meson setup $(BENCH_BUILD) -Dbuildtype=release >/dev/null
	meson setup --reconfigure $(BENCH_BUILD) >/dev/null
	ninja -C $(BENCH_BUILD) bench/wfp_bench bench/wfp_bench_replay tests/golden/gen_pcap
	$(BENCH_BUILD)/bench/wfp_bench $(BENCH_ARGS) --json bench/results.json
	$(BENCH_BUILD)/bench/wfp_bench_replay
	@# live figures (issue 10, 11): namespaces, so root only
	@if [ "$$(id -u)" -eq 0 ]; then $(MAKE) all >/dev/null && bench/wfpd-bench && \
		{ [ ! -x build/bpf/wfp-ebpf ] || WFP_EBPF=build/bpf/wfp-ebpf bench/ebpf_connect.sh; }; \
		else echo "live figures skipped: they need root"; fi

demo: deps
	$(MAKE) all
	@scripts/demo

# tests/pkg lints the man pages with mandoc (the Debian build tools it
# installs itself, only when it runs as root)
DEB_PKGS += mandoc

# meson installs; its install log (a dry run for uninstall) lists the files.
install: all
	meson configure $(BUILD) -Dprefix=$(PREFIX) >/dev/null
	ninja -C $(BUILD)
	DESTDIR="$(DESTDIR)" meson install -C $(BUILD) --no-rebuild
	@if [ -z "$(DESTDIR)" ] && command -v ldconfig >/dev/null; then ldconfig; fi

uninstall:
	meson configure $(BUILD) -Dprefix=$(PREFIX) >/dev/null
	DESTDIR="$(DESTDIR)" meson install -C $(BUILD) --no-rebuild --dry-run >/dev/null
	scripts/uninstall $(BUILD)/meson-logs/install-log.txt
	@if [ -z "$(DESTDIR)" ] && command -v ldconfig >/dev/null; then ldconfig; fi

# binary packages only, from a copy of the tree (debian/, docs/install.md)
deb: deps
	tests/pkg/deb.sh --build-only debs

pkg-test: deps
	$(MAKE) all
	OPENWFP_DEB_TEST=1 tests/run.py $(BUILD):pkg

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(BENCH_BUILD)
