# The two commands: `make run` and `make test`. Both install what is missing first.
JOBS ?= $(shell nproc)
# Tests run two per core: most of them wait on streams playing in real time (at one per core the
# two cores were 38% busy; two per core cut the suite from 16 to 10 minutes).
TEST_JOBS ?= $(shell echo $$(( $(JOBS) * 2 )))
RELEASE_DIR := build/release
TEST_DIR := build/test
LISTEN ?= 127.0.0.1:8080
DATA_DIR ?= ./data

.PHONY: run test deps build build-test fuzz bench format clean deb package-test

deps:
	scripts/install-deps.sh

build: deps
	cmake -S . -B $(RELEASE_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTREAMRELAY_TESTS=OFF
	cmake --build $(RELEASE_DIR) -j $(JOBS)

run: build
	mkdir -p $(DATA_DIR) media
	@# a sample clip to play, so a first playlist needs nothing but a destination
	[ -f media/sample.mp4 ] || ffmpeg -loglevel error -f lavfi -i testsrc2=size=1280x720:rate=30:duration=30 \
	  -f lavfi -i sine=frequency=440:duration=30 -c:v libx264 -preset veryfast -g 60 -c:a aac -shortest \
	  media/sample.mp4
	$(RELEASE_DIR)/streamrelay serve --listen $(LISTEN) --data-dir $(DATA_DIR) --media-root $(CURDIR)/media \
	  --allow-loopback-egress

# The Debian package, from the release build: build/release/streamrelay_*.deb.
deb: build
	cd $(RELEASE_DIR) && cpack -G DEB

# The package checked as a host gets it (lintian, contents, the unit, serving with its settings).
package-test: deb
	tests/packaging/package_test.sh $$(ls -t $(RELEASE_DIR)/streamrelay_*.deb | head -1) $(CURDIR)

build-test: deps
	cmake -S . -B $(TEST_DIR) -DCMAKE_BUILD_TYPE=Debug -DSTREAMRELAY_SANITIZE=ON
	cmake --build $(TEST_DIR) -j $(JOBS)

FUZZ_DIR := build/fuzz

test: build-test fuzz
	cd $(TEST_DIR) && ctest --output-on-failure -j $(TEST_JOBS) --timeout 600

# Short libFuzzer runs of the request and signature parsers (FUZZ_SECONDS each).
FUZZ_SECONDS ?= 20
fuzz: deps
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTREAMRELAY_FUZZ=ON -DFUZZ_SECONDS=$(FUZZ_SECONDS)
	cmake --build $(FUZZ_DIR) -j $(JOBS)
	cd $(FUZZ_DIR) && ctest --output-on-failure -j $(JOBS)

# Benchmarks (release build, loopback only): BENCH_DENSITY sets the relay counts.
BENCH_DIR := build/bench
# Relay counts of the low-rate source (the ~3 Mbps one: DENSITY_HIGH_RELAYS, default 100).
BENCH_DENSITY ?= 10 100 1000
# Tasks stored for the API benchmark (SQLite and PostgreSQL).
BENCH_API_TASKS ?= 1000000
# The soak: relays, tasks replaced a minute, minutes.
BENCH_SOAK ?= 100 30 10
# Beyond this many, one ffmpeg process per relay would swamp two cores; only streamrelay runs.
DENSITY_FFMPEG_MAX ?= 100
bench: deps
	cmake -S . -B $(BENCH_DIR) -DCMAKE_BUILD_TYPE=Release -DSTREAMRELAY_BENCH=ON
	cmake --build $(BENCH_DIR) -j $(JOBS) --target streamrelay api_bench latency_bench density_bench soak_bench
	$(BENCH_DIR)/bench/api_bench $(BENCH_API_TASKS)
	$(BENCH_DIR)/bench/latency_bench
	DENSITY_FFMPEG_MAX=$(DENSITY_FFMPEG_MAX) $(BENCH_DIR)/bench/density_bench $(BENCH_DENSITY)
	$(BENCH_DIR)/bench/soak_bench $(BENCH_SOAK)

format:
	clang-format -i $$(find src tests bench -name '*.cpp' -o -name '*.h')

clean:
	rm -rf build
