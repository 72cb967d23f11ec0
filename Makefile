# flame-dns: one plain Makefile (see README.md).
#   make            build the daemon and tools into build/
#   make check      unit + integration + conformance tests, normal and ASan/UBSan builds
#   make bench      benchmarks against knotd and nsd (not part of check)
#   make demo       the three-node cluster (namespaces + WireGuard) on the shipped zones; make demo-stop
# Every source file under src/<module>/ is part of CORE_OBJ except the mains in src/bin/.

PKGS     := ldns libevent libevent_pthreads yaml-0.1 openssl liburing
CC       ?= cc
OPT      ?= -O2 -g
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
CPPFLAGS += -D_GNU_SOURCE -Isrc
CFLAGS   += -std=gnu11 $(OPT) $(WARN) -pthread
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
TEST_LIBS  = $(shell pkg-config --libs cmocka 2>/dev/null)

BUILD    ?= build
SAN_FLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all

CORE_SRC := $(sort $(wildcard src/*/*.c))
CORE_SRC := $(filter-out src/bin/%,$(CORE_SRC))
CORE_OBJ := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(CORE_SRC))
BIN_SRC  := $(wildcard src/bin/*.c)
BINS     := $(patsubst src/bin/%.c,$(BUILD)/%,$(BIN_SRC))
TEST_SRC := $(sort $(wildcard tests/unit/test_*.c))
TESTS    := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRC))
TOOL_SRC := $(wildcard tests/tools/*.c conformance/*.c bench/*.c)
TOOLS    := $(patsubst %.c,$(BUILD)/tools/%,$(notdir $(TOOL_SRC)))

# Keep objects: they are intermediate files of the pattern rules.
.SECONDARY:

.PHONY: all deps check check-normal check-asan unit integration conformance bench demo demo-stop clean sanitize fuzz
all: deps-ok $(BINS) $(TOOLS)

# Install Debian packages when a required pkg-config module or tool is missing.
deps-ok:
	@pkg-config --exists $(PKGS) cmocka && command -v kdig >/dev/null && command -v knotd >/dev/null \
	  && command -v dnsperf >/dev/null && command -v nsd >/dev/null || ./scripts/deps.sh
.PHONY: deps-ok
deps:
	./scripts/deps.sh

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/bin/%.o: src/bin/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/%: $(BUILD)/bin/%.o $(CORE_OBJ)
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) $(LDFLAGS)

$(BUILD)/tests/%: tests/unit/%.c $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -MMD -MP -o $@ $< $(CORE_OBJ) $(PKG_LIBS) $(TEST_LIBS) $(LDFLAGS)

$(BUILD)/tools/%: tests/tools/%.c $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -MMD -MP -o $@ $< $(CORE_OBJ) $(PKG_LIBS) $(LDFLAGS)
$(BUILD)/tools/%: conformance/%.c $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -MMD -MP -o $@ $< $(CORE_OBJ) $(PKG_LIBS) $(LDFLAGS)
$(BUILD)/tools/%: bench/%.c $(CORE_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -MMD -MP -o $@ $< $(CORE_OBJ) $(PKG_LIBS) $(LDFLAGS)

tests-built: deps-ok $(BINS) $(TOOLS) $(TESTS)
.PHONY: tests-built

# Unit tests, then the daemon-level suites (integration and conformance) for one build.
check-one: tests-built
	@BUILD=$(BUILD) ./tests/run-unit.sh $(TESTS)
	@BUILD=$(BUILD) ./tests/run-integration.sh
	@BUILD=$(BUILD) ./conformance/run.sh

check-normal:
	@$(MAKE) --no-print-directory BUILD=build check-one
check-asan:
	@$(MAKE) --no-print-directory BUILD=build-asan OPT="$(SAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" check-one

check: deps-ok
	@$(MAKE) --no-print-directory check-normal
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  $(MAKE) --no-print-directory check-asan
	@echo "make check: all suites passed (normal and ASan/UBSan builds)"

sanitize:
	@$(MAKE) --no-print-directory BUILD=build-asan OPT="$(SAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" all

# libFuzzer targets (clang): tests/fuzz/fuzz_*.c, each linked with the core.
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_CORE := $(filter-out src/server/% src/bin/%,$(CORE_SRC))
fuzz:
	@mkdir -p build-fuzz
	@for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	  echo "clang -fsanitize=fuzzer,address,undefined $$f -> build-fuzz/$$n"; \
	  clang $(CPPFLAGS) $(PKG_CFLAGS) -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
	    -o build-fuzz/$$n $$f $(FUZZ_CORE) $(PKG_LIBS) || exit 1; done
	@echo "run e.g.: build-fuzz/fuzz_packet -max_total_time=60"

bench: all
	./bench/run.sh
	./bench/xfr.sh | tee bench/out/xfr.md
	./bench/secondary.sh
	./bench/axfr-in.sh
	BENCH_CATALOG_PAIRS="knotd flame" ./bench/catalog.sh
	./bench/cluster.sh
	./bench/reload.sh
	./bench/sign.sh
	./bench/sign-publish.sh

demo: all
	./scripts/demo.sh

demo-stop:
	./scripts/demo.sh stop

clean:
	rm -rf build build-asan build-fuzz build-tsan

-include $(shell find build build-asan -name '*.d' 2>/dev/null)
