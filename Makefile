# Hype: one Makefile for every daemon, test and tool.
#
#   make               build every binary (build/bin/: hype-api, hype-signal, hype-media)
#   make deps          install the Debian packages the build, run and tests need
#   make test          deps + build + unit, fuzz-regression and integration tests
#   make run           embedded run: private PostgreSQL under ./var/, all daemons, Ctrl-C stops
#   make fuzz          libFuzzer targets, FUZZ_SECONDS each (default 30)
#   make bench         benchmarks: bench-http (hype-api vs pgbench vs Express, ~10 min) and
#                      bench-ws (hype-signal vs socket.io, ws and the write-per-delivery limit, ~10 min)
#   make install       DESTDIR=... PREFIX=... (binaries, units, migrations, example env)
#   make SANITIZE=1 …  the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   make clean

VERSION := 0.1.0
CC      ?= gcc
PREFIX  ?= /usr/local
LIBEXECDIR ?= $(PREFIX)/libexec/hype
DATADIR    ?= $(PREFIX)/share
SYSCONFDIR ?= /etc
UNITDIR    ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d

ifeq ($(SANITIZE),1)
BUILD   := build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT     := -O1
else
BUILD   := build
SANFLAGS :=
OPT     := -O2
endif

PKGS    := libevent libpq json-c libargon2 gnutls nettle libprotobuf-c libsystemd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# GLib only for what runs a GMainContext (the GLib bindings in common/, their tests, hype-media):
# the libevent daemons must not load it.
GLIB_CFLAGS := $(shell pkg-config --cflags glib-2.0 2>/dev/null)
GLIB_LIBS   := $(shell pkg-config --libs glib-2.0 2>/dev/null)
# The media worker's own libraries, not in PKGS (which every daemon links): libsrtp2, and
# libnice, GLib-based, which only its tests link as the clients' full ICE agent (the worker
# answers ICE itself: media-worker/media-transport.h says why); --as-needed drops it from
# hype-media.
MEDIA_PKGS  := nice libsrtp2
MEDIA_CFLAGS := $(shell pkg-config --cflags $(MEDIA_PKGS) 2>/dev/null)
MEDIA_LIBS  := $(shell pkg-config --libs $(MEDIA_PKGS) 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wformat=2 -Wmissing-prototypes -Wstrict-prototypes \
           -Wold-style-definition -Werror=implicit-function-declaration -Wno-unused-parameter
CFLAGS  := -std=gnu11 $(OPT) -g $(WARN) $(SANFLAGS) -D_GNU_SOURCE \
           -DHYPE_VERSION=\"$(VERSION)\" -DHYPE_SQL_DIR=\"$(DATADIR)/hype/sql\" \
           -Icommon -I$(BUILD)/proto $(PKG_CFLAGS) -MMD -MP
LDFLAGS := $(SANFLAGS)
LDLIBS  := $(PKG_LIBS) -lpthread -lm

# Generated protobuf-c sources (never committed).
PROTOS      := $(wildcard proto/*.proto)
PROTO_C     := $(patsubst proto/%.proto,$(BUILD)/proto/%.pb-c.c,$(PROTOS))
PROTO_H     := $(PROTO_C:.c=.h)
PROTO_O     := $(PROTO_C:.c=.o)

# common/*-glib.c need GLib: they go to their own archive, not to libhype-common.a.
GLIB_SRC    := $(wildcard common/*-glib.c)
GLIB_O      := $(patsubst %.c,$(BUILD)/%.o,$(GLIB_SRC))
GLIB_LIB    := $(BUILD)/libhype-glib.a
COMMON_SRC  := $(filter-out $(GLIB_SRC),$(wildcard common/*.c))
COMMON_O    := $(patsubst %.c,$(BUILD)/%.o,$(COMMON_SRC)) $(PROTO_O)
COMMON_LIB  := $(BUILD)/libhype-common.a

API_SRC     := $(wildcard api-daemon/*.c)
API_O       := $(patsubst %.c,$(BUILD)/%.o,$(API_SRC))
API_LIB_O   := $(filter-out $(BUILD)/api-daemon/main.o,$(API_O))
API_LIB     := $(BUILD)/libhype-api.a

SIGNAL_SRC  := $(wildcard signal-daemon/*.c)
SIGNAL_O    := $(patsubst %.c,$(BUILD)/%.o,$(SIGNAL_SRC))
SIGNAL_LIB_O := $(filter-out $(BUILD)/signal-daemon/main.o,$(SIGNAL_O))
SIGNAL_LIB  := $(BUILD)/libhype-signal.a

# hype-media runs GLib's loop: its objects see GLib's headers, and it links the GLib archive.
MEDIA_SRC   := $(wildcard media-worker/*.c)
MEDIA_O     := $(patsubst %.c,$(BUILD)/%.o,$(MEDIA_SRC))
MEDIA_LIB_O := $(filter-out $(BUILD)/media-worker/main.o,$(MEDIA_O))
MEDIA_LIB   := $(BUILD)/libhype-media.a

BINS        := $(BUILD)/bin/hype-api $(BUILD)/bin/hype-signal $(BUILD)/bin/hype-media

# Unit tests: one program per module, tests/unit/<dir>/test-<module>.c.
UNIT_COMMON := $(patsubst tests/unit/common/%.c,$(BUILD)/tests/unit/common/%,$(wildcard tests/unit/common/test-*.c))
UNIT_API    := $(patsubst tests/unit/api-daemon/%.c,$(BUILD)/tests/unit/api-daemon/%,$(wildcard tests/unit/api-daemon/test-*.c))
UNIT_SIGNAL := $(patsubst tests/unit/signal-daemon/%.c,$(BUILD)/tests/unit/signal-daemon/%,$(wildcard tests/unit/signal-daemon/test-*.c))
# Both ends of a link in one program (tests/unit/links/): each daemon's real end of it.
UNIT_LINKS  := $(patsubst tests/unit/links/%.c,$(BUILD)/tests/unit/links/%,$(wildcard tests/unit/links/test-*.c))
UNIT_MEDIA  := $(patsubst tests/unit/media-worker/%.c,$(BUILD)/tests/unit/media-worker/%,$(wildcard tests/unit/media-worker/test-*.c))
UNITS       := $(UNIT_COMMON) $(UNIT_API) $(UNIT_SIGNAL) $(UNIT_LINKS) $(UNIT_MEDIA)

# Fuzz targets: tests/fuzz/fuzz-<name>.c; regression binaries replay tests/fuzz/corpora/<name>/.
FUZZ_SRC    := $(wildcard tests/fuzz/fuzz-*.c)
FUZZ_NAMES  := $(patsubst tests/fuzz/fuzz-%.c,%,$(FUZZ_SRC))
FUZZ_REGRESS := $(patsubst %,$(BUILD)/fuzz/regress-%,$(FUZZ_NAMES))
FUZZ_SECONDS ?= 30

# The generated sources are not intermediates to delete after the build.
.SECONDARY: $(PROTO_C) $(PROTO_H)

.PHONY: all deps test unit-test fuzz-regress integration-test run fuzz bench bench-http bench-ws \
        install clean format-check
all: $(BINS) $(GLIB_LIB) $(MEDIA_LIB)

$(BUILD)/proto/%.pb-c.c $(BUILD)/proto/%.pb-c.h: proto/%.proto
	@mkdir -p $(@D)
	protoc-c --proto_path=proto --c_out=$(BUILD)/proto $<

# A link's messages import hype-common.proto's: every header first.
$(BUILD)/proto/%.pb-c.o: $(BUILD)/proto/%.pb-c.c | $(PROTO_H)
	$(CC) $(filter-out -Wmissing-prototypes,$(CFLAGS)) -c -o $@ $<

# Every object may include generated headers: build them first.
$(BUILD)/%.o: %.c | $(PROTO_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

$(COMMON_LIB): $(COMMON_O)
	@rm -f $@
	ar rcs $@ $^

$(GLIB_O): $(BUILD)/%.o: %.c | $(PROTO_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(GLIB_CFLAGS) -c -o $@ $<

$(GLIB_LIB): $(GLIB_O)
	@rm -f $@
	ar rcs $@ $^

$(MEDIA_O): $(BUILD)/%.o: %.c | $(PROTO_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(GLIB_CFLAGS) $(MEDIA_CFLAGS) -c -o $@ $<

$(MEDIA_LIB): $(MEDIA_LIB_O)
	@rm -f $@
	ar rcs $@ $^

$(API_LIB): $(API_LIB_O)
	@rm -f $@
	ar rcs $@ $^

$(SIGNAL_LIB): $(SIGNAL_LIB_O)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/bin/hype-api: $(BUILD)/api-daemon/main.o $(API_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bin/hype-signal: $(BUILD)/signal-daemon/main.o $(SIGNAL_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Only the libraries it uses: the common archive's objects pull in libevent, not libpq or json-c.
$(BUILD)/bin/hype-media: $(BUILD)/media-worker/main.o $(MEDIA_LIB) $(GLIB_LIB) $(COMMON_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ -Wl,--as-needed $(LDLIBS) $(MEDIA_LIBS) $(GLIB_LIBS)

$(BUILD)/tests/unit/common/%: tests/unit/common/%.c $(COMMON_LIB) | $(PROTO_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(COMMON_LIB) $(LDLIBS)

# Tests of a GLib binding (test-*-glib.c) link the GLib archive too.
$(BUILD)/tests/unit/common/%-glib: tests/unit/common/%-glib.c $(GLIB_LIB) $(COMMON_LIB) | $(PROTO_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(GLIB_CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(GLIB_LIB) $(COMMON_LIB) \
	  $(LDLIBS) $(GLIB_LIBS)

$(BUILD)/tests/unit/api-daemon/%: tests/unit/api-daemon/%.c $(API_LIB) $(COMMON_LIB) | $(PROTO_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/unit -Iapi-daemon $(LDFLAGS) -o $@ $< $(API_LIB) $(COMMON_LIB) $(LDLIBS)

$(BUILD)/tests/unit/signal-daemon/%: tests/unit/signal-daemon/%.c $(SIGNAL_LIB) $(COMMON_LIB) | $(PROTO_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/unit -Isignal-daemon $(LDFLAGS) -o $@ $< $(SIGNAL_LIB) $(COMMON_LIB) $(LDLIBS)

$(BUILD)/tests/unit/links/%: tests/unit/links/%.c $(API_LIB) $(SIGNAL_LIB) $(COMMON_LIB) | $(PROTO_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Itests/unit -Iapi-daemon -Isignal-daemon $(LDFLAGS) -o $@ $< $(API_LIB) $(SIGNAL_LIB) \
	  $(COMMON_LIB) $(LDLIBS)

$(BUILD)/tests/unit/media-worker/%: tests/unit/media-worker/%.c $(MEDIA_LIB) $(GLIB_LIB) $(COMMON_LIB) | $(PROTO_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(GLIB_CFLAGS) $(MEDIA_CFLAGS) -Itests/unit -Imedia-worker $(LDFLAGS) -o $@ $< \
	  $(MEDIA_LIB) $(GLIB_LIB) $(COMMON_LIB) $(LDLIBS) $(MEDIA_LIBS) $(GLIB_LIBS)

# Fuzz targets may exercise any daemon's parsers; the archives pull in only what they use.
$(BUILD)/fuzz/regress-%: tests/fuzz/fuzz-%.c tests/fuzz/replay-main.c $(API_LIB) $(SIGNAL_LIB) $(MEDIA_LIB) $(COMMON_LIB) | $(PROTO_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Iapi-daemon -Isignal-daemon -Imedia-worker $(LDFLAGS) -o $@ $< tests/fuzz/replay-main.c $(API_LIB) $(SIGNAL_LIB) $(MEDIA_LIB) $(COMMON_LIB) $(LDLIBS)

deps:
	@tools/install-deps

# Benchmarks: not part of "make test" (minutes of load on every core); each runs in its own
# network namespace and prints a table.
BENCH_WS_LOADGEN := $(BUILD)/bench/ws-loadgen
BENCH_WS_FLOOR   := $(BUILD)/bench/ws-floor

$(BUILD)/bench/ws-%: bench/ws/%.c $(COMMON_LIB) | $(PROTO_H)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(COMMON_LIB) $(LDLIBS)

bench-ws: deps
	@$(MAKE) --no-print-directory all $(BENCH_WS_LOADGEN) $(BENCH_WS_FLOOR)
	@HYPE_BIN_DIR=$(CURDIR)/$(BUILD)/bin WS_LOADGEN=$(CURDIR)/$(BENCH_WS_LOADGEN) \
	  WS_FLOOR=$(CURDIR)/$(BENCH_WS_FLOOR) bench/ws/run

unit-test: $(UNITS)
	@tools/run-unit-tests $(UNITS)

fuzz-regress: $(FUZZ_REGRESS)
	@tools/run-fuzz-regress $(BUILD)/fuzz $(FUZZ_NAMES)

integration-test: all
	@HYPE_BIN_DIR=$(CURDIR)/$(BUILD)/bin tools/run-integration

test: deps
	@$(MAKE) --no-print-directory all $(UNITS) $(FUZZ_REGRESS)
	@$(MAKE) --no-print-directory unit-test fuzz-regress integration-test

run: deps
	@$(MAKE) --no-print-directory all
	@HYPE_BIN_DIR=$(CURDIR)/$(BUILD)/bin tools/hype-run

# libFuzzer builds need clang; the sources are compiled again with -fsanitize=fuzzer. Of
# media-worker/ only the packet modules: pure C, no GLib, no I/O.
MEDIA_PKT_SRC := $(addprefix media-worker/,media-demux.c media-rtp.c media-rtp-rewriter.c \
                   media-rtcp.c media-stun.c)
FUZZ_CFLAGS := -std=gnu11 -O1 -g -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined \
               -DHYPE_VERSION=\"$(VERSION)\" -DHYPE_SQL_DIR=\"\" -Icommon -Iapi-daemon -Isignal-daemon \
               -Imedia-worker -Ibuild-fuzz/proto $(PKG_CFLAGS)
fuzz: deps
	@$(MAKE) --no-print-directory BUILD=build-fuzz $(patsubst proto/%.proto,build-fuzz/proto/%.pb-c.c,$(PROTOS))
	@mkdir -p build-fuzz/bin
	@for t in $(FUZZ_NAMES); do \
	  clang $(FUZZ_CFLAGS) -o build-fuzz/bin/fuzz-$$t tests/fuzz/fuzz-$$t.c \
	    $(filter-out api-daemon/main.c,$(API_SRC)) $(filter-out signal-daemon/main.c,$(SIGNAL_SRC)) \
	    $(MEDIA_PKT_SRC) $(COMMON_SRC) build-fuzz/proto/*.pb-c.c $(LDLIBS) || exit 1; \
	done
	@tools/run-fuzz build-fuzz/bin $(FUZZ_SECONDS) $(FUZZ_NAMES)

# Benchmarks are not tests: nothing here is on the make test path. BENCH_SECONDS, BENCH_REPS,
# BENCH_CONNS, BENCH_POOL: see bench/http/run; BENCH_IDLE_N, BENCH_FANOUT_N, BENCH_RATE, ...:
# see bench/ws/run.
bench: bench-http bench-ws

bench-http: deps
	@$(MAKE) --no-print-directory all
	@HYPE_BIN_DIR=$(CURDIR)/$(BUILD)/bin bench/http/run

install: all
	install -d $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(DATADIR)/hype/sql $(DESTDIR)$(UNITDIR) \
	  $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(SYSCONFDIR)/hype
	install -m 0755 $(BINS) $(DESTDIR)$(LIBEXECDIR)/
	install -m 0644 sql/*.sql $(DESTDIR)$(DATADIR)/hype/sql/
	for u in systemd/*.service systemd/*.socket systemd/*.target; do \
	  sed -e 's|@LIBEXECDIR@|$(LIBEXECDIR)|g' $$u > $(DESTDIR)$(UNITDIR)/$$(basename $$u); \
	  chmod 0644 $(DESTDIR)$(UNITDIR)/$$(basename $$u); done
	install -m 0644 systemd/hype.sysusers $(DESTDIR)$(SYSUSERSDIR)/hype.conf
	install -m 0644 systemd/hype.tmpfiles $(DESTDIR)$(TMPFILESDIR)/hype.conf
	install -m 0640 systemd/hype.env.example $(DESTDIR)$(SYSCONFDIR)/hype/hype.env.example

format-check:
	clang-format --dry-run --Werror common/*.[ch] api-daemon/*.[ch] signal-daemon/*.[ch] \
	  media-worker/*.[ch] bench/ws/*.c

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
