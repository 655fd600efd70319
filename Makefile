# asp: MongoDB Atlas Stream Processing inside PostgreSQL (PGXS build)
#
#   make                 build asp.so
#   make install         install into the PostgreSQL found by pg_config
#   make check-engine    build and run the engine's unit tests (prove)
#   make check-connectors  connection checks against test servers (prove)
#   make bench           engine benchmarks against a PostgreSQL baseline
#   test/run_tests.sh    everything (unit tests + pg_regress on a temp instance)

EXTENSION = asp
MODULE_big = asp
DATA = $(wildcard sql/asp--*.sql)

ENGINE_SRCS = $(sort $(wildcard src/engine/*.c))
PG_SRCS = $(sort $(wildcard src/*.c src/sql/*.c src/runtime/*.c src/connectors/*.c))
OBJS = $(ENGINE_SRCS:.c=.o) $(PG_SRCS:.c=.o)

DEPS = libbson-1.0 libmongoc-1.0 rdkafka libpcre2-8
PKG_CFLAGS := $(shell pkg-config --cflags $(DEPS))
PKG_LIBS := $(shell pkg-config --libs $(DEPS))

PG_CONFIG ?= pg_config
# PostgreSQL's headers as system headers: our code gets -Wall -Wextra in
# full; PostgreSQL's inline functions (unused parameters) are not ours to fix.
PG_CPPFLAGS = -Isrc $(PKG_CFLAGS) -isystem $(shell $(PG_CONFIG) --includedir-server)
# -Wclobbered: false positives inside PostgreSQL's PG_TRY/PG_CATCH macros
PG_CFLAGS = -Wall -Wextra -Werror -Wno-clobbered
SHLIB_LINK = $(PKG_LIBS) -lm

# The engine uses gcc's _Decimal128; clang cannot compile it to bitcode.
override with_llvm = no

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS does not track header dependencies: rebuild everything when any
# header changes (struct layouts are shared across files)
HEADERS = $(wildcard src/*.h src/engine/*.h src/sql/*.h src/runtime/*.h src/connectors/*.h)
$(OBJS): $(HEADERS)

# ---- engine unit tests: plain C, no PostgreSQL ----
ENGINE_CFLAGS = -std=gnu11 -O1 -g -Wall -Wextra -Werror $(PKG_CFLAGS) -Isrc/engine -Itest/engine
ENGINE_TESTS = $(patsubst test/engine/%.c,test/engine/bin/%,$(sort $(wildcard test/engine/test_*.c)))

test/engine/bin/%: test/engine/%.c $(ENGINE_SRCS) $(wildcard src/engine/*.h test/engine/*.h)
	@mkdir -p test/engine/bin
	$(CC) $(ENGINE_CFLAGS) -o $@ $< $(ENGINE_SRCS) $(PKG_LIBS) -lm

# ---- connector unit tests: conn_check.c over libbson, libmongoc and
# librdkafka, no PostgreSQL; test/connectors_test.sh starts the test
# servers (the Kafka mock cluster, test/mongo_server.py) around them ----
CONN_DEPS = libbson-1.0 libmongoc-1.0 rdkafka
CONN_CFLAGS = -std=gnu11 -O1 -g -Wall -Wextra -Werror $(shell pkg-config --cflags $(CONN_DEPS)) \
	-Isrc -Itest/engine -Itest/connectors
CONN_LIBS = $(shell pkg-config --libs $(CONN_DEPS))
CONN_SRCS = src/connectors/conn_check.c src/engine/error.c
CONN_TESTS = $(patsubst test/connectors/%.c,test/connectors/bin/%,$(sort $(wildcard test/connectors/test_*.c)))

test/connectors/bin/%: test/connectors/%.c $(CONN_SRCS) src/connectors/conn_check.h src/engine/error.h \
		test/engine/tap.h test/connectors/conn_util.h
	@mkdir -p test/connectors/bin
	$(CC) $(CONN_CFLAGS) -o $@ $< $(CONN_SRCS) $(CONN_LIBS)

# the Kafka test server: librdkafka's mock cluster in a process of its own
test/kafka_mock/bin/kafka_mock: test/kafka_mock/kafka_mock.c
	@mkdir -p test/kafka_mock/bin
	$(CC) -std=gnu11 -O1 -g -Wall -Wextra -Werror $(shell pkg-config --cflags rdkafka) -o $@ $< \
		$(shell pkg-config --libs rdkafka)

connector-tests: $(CONN_TESTS)

check-connectors:
	bash test/connectors_test.sh

.PHONY: check-engine check-connectors connector-tests bench fuzz
FUZZ_ITERS ?= 200000
FUZZ_SEED ?= 0
# fuzz: the pipeline fuzzer under AddressSanitizer and UBSan, FUZZ_ITERS mutants
fuzz:
	@mkdir -p test/engine/bin
	$(CC) -std=gnu11 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined \
		-fno-omit-frame-pointer $(PKG_CFLAGS) -Isrc/engine -Itest/engine \
		-o test/engine/bin/fuzz_pipeline test/engine/test_fuzz_pipeline.c $(ENGINE_SRCS) $(PKG_LIBS) -lm
	FUZZ_ITERS=$(FUZZ_ITERS) FUZZ_SEED=$(FUZZ_SEED) test/engine/bin/fuzz_pipeline | tail -4

check-engine: $(ENGINE_TESTS)
	prove -v --exec '' $(ENGINE_TESTS)

bench:
	$(MAKE) -C test/bench

EXTRA_CLEAN = test/engine/bin test/connectors/bin test/kafka_mock/bin results regression.diffs regression.out
