# netsplit - build, test, benchmark, install.
#
#   make              build ./netsplit (installs missing Debian packages first)
#   make check        the whole test suite; ends with "N passed, N failed"
#   make bench        benchmark figures
#   make install      PREFIX=/usr/local (binary, man page, docs/*.md in
#                     PREFIX/share/doc/netsplit)
#
# Sources are found by wildcard: a new .c file in a part's folder is built
# without touching this file.  Unit tests are tests/unit/test-*.c, bench
# programs tests/bench/bench-*.c, integration test helpers
# tests/integration/*.c (built as build/itest-*).

PREFIX ?= /usr/local
CC ?= cc
PKGS = libssh2 jansson libpcre2-8 libcurl hiredis libpq libcrypto

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)

WARN = -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
CFLAGS ?= -O2 -g
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) -I. -Icore $(PKG_CFLAGS) \
	-DNETSPLIT_VERSION='"$(VERSION)"'
LDLIBS = $(PKG_LIBS) -lpthread -lm
SAN = -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined

PARTS = core checkers nemesis workloads reports harness
LIB_SRC := $(filter-out harness/main.c,$(wildcard $(addsuffix /*.c,$(PARTS))))
HDRS := $(wildcard $(addsuffix /*.h,$(PARTS))) $(wildcard tests/unit/*.h)
UNIT_SRC := $(wildcard tests/unit/test-*.c) tests/unit/runner.c
BENCH_SRC := $(wildcard tests/bench/bench-*.c)
ITEST_SRC := $(wildcard tests/integration/*.c)

OBJ := $(LIB_SRC:%.c=build/%.o)
ASAN_OBJ := $(LIB_SRC:%.c=build/asan/%.o)
UNIT_OBJ := $(UNIT_SRC:%.c=build/%.o)
ASAN_UNIT_OBJ := $(UNIT_SRC:%.c=build/asan/%.o)
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=build/%)
ITEST_BIN := $(ITEST_SRC:tests/integration/%.c=build/itest-%)

DEPS_STAMP = build/.deps-ok

.PHONY: all check bench install deps clean
.SECONDARY:

all: netsplit

deps $(DEPS_STAMP): scripts/install-deps
	@mkdir -p build
	@scripts/install-deps
	@touch $(DEPS_STAMP)

build/%.o: %.c $(HDRS) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/asan/%.o: %.c $(HDRS) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN) -O1 -c -o $@ $<

netsplit: build/harness/main.o $(OBJ)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

build/asan/netsplit: build/asan/harness/main.o $(ASAN_OBJ)
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $^ $(LDLIBS)

# Test and bench programs link an archive, so that they only pull in the
# objects they use.
build/libnetsplit.a: $(OBJ)
	rm -f $@
	ar rcs $@ $^

build/asan/libnetsplit.a: $(ASAN_OBJ)
	rm -f $@
	ar rcs $@ $^

build/test-unit: $(UNIT_OBJ) build/libnetsplit.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

build/asan/test-unit: $(ASAN_UNIT_OBJ) build/asan/libnetsplit.a
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $^ $(LDLIBS)

build/bench-%: build/tests/bench/bench-%.o build/libnetsplit.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

build/itest-%: build/tests/integration/%.o build/libnetsplit.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

check: netsplit build/asan/netsplit build/test-unit build/asan/test-unit \
	$(ITEST_BIN)
	@tests/run

bench: netsplit $(BENCH_BIN)
	@tests/bench/run

install: netsplit
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/doc/netsplit
	install -m 755 netsplit $(DESTDIR)$(PREFIX)/bin/netsplit
	install -m 644 docs/netsplit.1 $(DESTDIR)$(PREFIX)/share/man/man1/netsplit.1
	install -m 644 docs/*.md $(DESTDIR)$(PREFIX)/share/doc/netsplit

clean:
	rm -rf build netsplit
