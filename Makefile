# sockchan: the two commands a user needs.
#   make demo    installs what is missing, builds, and runs the tour
#   make check   builds and runs every test, ending with "N passed, N failed"
# Also: make build, make install [PREFIX=/usr/local], make uninstall,
#       make clean, make tcl9 (Tcl 9.0 from Debian's sources, for the tests),
#       make check SANITIZE=1 (ASan + UBSan), make check CC=clang.
# Reliability and speed (issues 8 and 9): make fuzz [FUZZ_SECONDS=60],
#       make soak, make valgrind, make reliability (all three, figures
#       into docs/RELIABILITY.md), make bench, make bench-smoke.

SANITIZE ?=
PREFIX ?= /usr/local
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

ifeq ($(SANITIZE),1)
BUILD ?= build-sanitize
SANFLAGS := -DSOCKCHAN_SANITIZE=ON
else
BUILD ?= build
SANFLAGS := -DSOCKCHAN_SANITIZE=OFF
endif

# A Tcl 9 built by scripts/tcl9.sh (make tcl9; make check does it) gets a
# module of its own; without one, only the Tcl 8.6 module is built.
TCL9FLAGS = -DSOCKCHAN_TCL9_PREFIX=$(shell scripts/tcl9.sh --prefix 2>/dev/null)

# Pass CC to CMake only when the user chose one.
ifneq ($(origin CC),default)
CCFLAGS := -DCMAKE_C_COMPILER=$(CC)
endif

.PHONY: all deps deps-check configure build check demo install uninstall clean tcl-conformance tcl9 \
	fuzz soak valgrind reliability bench bench-smoke

all: build

# What `make` needs (a compiler, cmake; Tcl's headers are wanted), and what
# the tests and the demo need besides: installed when root, else the
# apt-get line is printed and make stops (scripts/deps.sh).
deps:
	@scripts/deps.sh build
deps-check:
	@scripts/deps.sh check

configure: deps
	@mkdir -p $(BUILD) && cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(SANFLAGS) $(CCFLAGS) $(TCL9FLAGS) >$(BUILD)/configure.log 2>&1 \
	    || { cat $(BUILD)/configure.log; exit 1; }

build: configure
	@cmake --build $(BUILD) -j $(JOBS) -- --no-print-directory

check: deps-check tcl9 build
	@scripts/check.sh $(BUILD) $(JOBS)

# Tcl 9.0 from Debian's source package, built once per machine into a
# cache (a few minutes); where it cannot be had, one line says why and the
# Tcl 9 tests say skipped.
tcl9:
	@scripts/tcl9.sh >/dev/null || true

demo: deps-check build
	@scripts/demo.sh $(BUILD)

# Tcl's own tests/socket.test with socket replaced by sockchan::socket, in
# the test process, its children and its threads (Debian's tcl8.6 and tcl9.0
# sources, fetched once into $(BUILD)/tcl-conformance). A skip (77: no
# extension, or no Tcl sources to be had) is reported, not failed.
tcl-conformance: build
	@scripts/tcl-socket-test.sh --build $(BUILD) sockchan; rc=$$?; \
	    if [ $$rc -eq 77 ]; then rc=0; fi; exit $$rc

# libFuzzer targets (fuzz/), each for FUZZ_SECONDS, under ASan and UBSan.
FUZZ_SECONDS ?= 60
fuzz: deps-check
	@FUZZ_RESULTS=$(CURDIR)/$(BUILD)/fuzz-results.txt fuzz/run.sh $(FUZZ_SECONDS)

# 10,000 connections exchanging checked data with an echo server for 60 s.
SOAK_ARGS ?= -c 10000 -t 60
soak: build
	@$(BUILD)/tests/soak $(SOAK_ARGS) | tee $(BUILD)/soak-results.txt

# Every C test case under valgrind --leak-check=full.
valgrind: build
	@scripts/valgrind.sh $(BUILD) $(JOBS)

# Fuzzing, soak, the fault sweep and valgrind, their figures written to
# docs/RELIABILITY.md.
reliability: build
	@scripts/reliability.sh $(BUILD)

# The benchmarks against libuv, libevent, raw epoll, Tcl and nmap
# (bench/results/), and the quick run CI makes so that they never rot.
bench: build
	@bench/run.sh
bench-smoke: build
	@bench/run.sh --smoke

# PREFIX is known at configure time, so that PREFIX=/usr installs the
# libraries in Debian's multiarch directory (GNUInstallDirs).
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)
	@# A new shared library in a system directory needs the cache refreshed.
	@if [ "$$(id -u)" = 0 ] && command -v ldconfig >/dev/null; then ldconfig; fi

# Remove what the last make install of this build put in place (its
# manifest, under the same DESTDIR), and the package directories it made,
# if empty.
uninstall:
	@test -f $(BUILD)/install_manifest.txt || \
	    { echo "uninstall: no $(BUILD)/install_manifest.txt: nothing was installed from $(BUILD)"; exit 2; }
	@while read -r f || [ -n "$$f" ]; do \
	    if [ -e "$(DESTDIR)$$f" ] || [ -L "$(DESTDIR)$$f" ]; then rm -f "$(DESTDIR)$$f" && echo "removed $(DESTDIR)$$f"; fi; \
	done <$(BUILD)/install_manifest.txt
	@for f in $$(cat $(BUILD)/install_manifest.txt); do dirname "$(DESTDIR)$$f"; done | sort -u -r | \
	    while read -r d; do rmdir "$$d" 2>/dev/null || true; done
	@rm -f $(BUILD)/install_manifest.txt
	@if [ "$$(id -u)" = 0 ] && command -v ldconfig >/dev/null; then ldconfig; fi

clean:
	rm -rf build build-sanitize build-clang
