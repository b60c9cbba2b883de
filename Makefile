# Makefile: the user's interface to the build. It only delegates: packages to
# scripts/bootstrap, compiling to CMake, tests to CTest, `make run` to
# scripts/run and the benchmark to bench/proxy-overhead.
#
#   make          install what is missing, configure, build (build/bin/)
#   make run      build, then start zai-proxy in the foreground (Ctrl-C stops it)
#   make test     build, every test, then every test again under ASan+UBSan
#   make unit | e2e | asan | fuzz | bench | clean

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.ONESHELL:
.DEFAULT_GOAL := all
MAKEFLAGS += --no-print-directory

BUILD_DIR := build
ASAN_DIR := build-asan
FUZZ_DIR := build-fuzz
JOBS ?= 2
ASAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
CTEST := ctest --output-on-failure

.PHONY: all bootstrap build run test unit e2e asan asan-build fuzz fuzz-build bench clean

all: build

bootstrap:
	@scripts/bootstrap

build: bootstrap
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo --log-level=WARNING
	cmake --build $(BUILD_DIR) -j$(JOBS)

run:
	@exec scripts/run

unit: build
	@$(CTEST) --test-dir $(BUILD_DIR) -L unit

e2e: build
	@$(CTEST) --test-dir $(BUILD_DIR) -L e2e

asan-build: bootstrap
	@cmake -S . -B $(ASAN_DIR) -DZAI_SANITIZE=address -DCMAKE_BUILD_TYPE=Debug --log-level=WARNING
	cmake --build $(ASAN_DIR) -j$(JOBS)

# Only the fuzz targets are built with clang; the fuzzers compile the code
# under test into themselves for coverage.
fuzz-build: bootstrap
	@cmake -S . -B $(FUZZ_DIR) -DCMAKE_C_COMPILER=clang -DZAI_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug --log-level=WARNING
	cmake --build $(FUZZ_DIR) -j$(JOBS) --target fuzz_tokenizer fuzz_zaierr

fuzz: fuzz-build
	@$(CTEST) --test-dir $(FUZZ_DIR) -L fuzz

asan: asan-build
	@$(ASAN_ENV) $(CTEST) --test-dir $(ASAN_DIR)

# Both passes always run, so one failure does not hide the other; the summary
# at the end decides the exit status. Each pass keeps its output in
# <dir>/ctest.log for the summary.
test: build
	@start=$$SECONDS
	status=0
	echo "==> tests (RelWithDebInfo, $(BUILD_DIR)/)"
	$(CTEST) --test-dir $(BUILD_DIR) 2>&1 | tee $(BUILD_DIR)/ctest.log || status=1
	echo "==> ASan+UBSan build ($(ASAN_DIR)/)"
	$(MAKE) --no-print-directory asan-build
	echo "==> tests under ASan+UBSan ($(ASAN_DIR)/)"
	$(ASAN_ENV) $(CTEST) --test-dir $(ASAN_DIR) 2>&1 | tee $(ASAN_DIR)/ctest.log || status=1
	echo "==> short fuzzing runs (clang + libFuzzer, $(FUZZ_DIR)/)"
	$(MAKE) --no-print-directory fuzz-build
	$(CTEST) --test-dir $(FUZZ_DIR) -L fuzz 2>&1 | tee $(FUZZ_DIR)/ctest.log || status=1
	$(TEST_SUMMARY)
	exit $$status

# Reads the ctest logs of the passes; the last line is the plain "N passed, N failed".
define TEST_SUMMARY
total_pass=0
total_fail=0
echo
echo "==================== make test summary ===================="
for pass in "release $(BUILD_DIR)" "asan+ubsan $(ASAN_DIR)" "fuzz $(FUZZ_DIR)"; do
	set -- $$pass
	line=$$(grep -E '^[0-9]+% tests passed' "$$2/ctest.log" | tail -n 1 || true)
	if [ -n "$$line" ]; then
		total=$$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$$line")
		fail=$$(sed -E 's/.*, ([0-9]+) tests? failed.*/\1/' <<<"$$line")
	else
		total=0
		fail=0
	fi
	total_pass=$$((total_pass + total - fail))
	total_fail=$$((total_fail + fail))
	printf '  %-11s %4d passed, %d failed   (%s/ctest.log)\n' "$$1" $$((total - fail)) "$$fail" "$$2"
	sed -n '/^The following tests FAILED:/,/^Errors while running/p' "$$2/ctest.log" \
		| grep -E '^[[:space:]]+[0-9]+ - ' | sed "s/^[[:space:]]*/      FAILED ($$1): /" || true
done
[ $$((total_pass + total_fail)) -gt 0 ] || echo "  no tests were found"
echo "  time for the passes and their builds: $$((SECONDS - start)) s"
echo "summary: $$total_pass passed, $$total_fail failed"
endef

bench: build
	@scripts/bootstrap --bench
	bench/proxy-overhead

clean:
	@rm -rf $(BUILD_DIR) $(ASAN_DIR) $(FUZZ_DIR) bench/tmp
