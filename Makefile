# Anvil's two front doors: `make demo` and `make test`. Both install what is missing first.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
ANVIL := $(BUILD_DIR)/src/anvil
DEMO_DIR ?= $(BUILD_DIR)/demo-data

ifdef CI
  CMAKE_FLAGS += -DANVIL_WERROR=ON
endif

.PHONY: all deps sdk-deps configure build test demo asan bench clean

all: build

deps:
	./scripts/install-deps.sh

configure: deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS)

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

# The SDK tests' npm packages, from tests/sdk/package-lock.json; a no-op until the lockfile changes.
sdk-deps: deps
	./tests/sdk/install.sh

test: build sdk-deps
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 600

# AddressSanitizer + UndefinedBehaviorSanitizer build of everything, with the tests.
asan:
	$(MAKE) test BUILD_DIR=build-asan BUILD_TYPE=Debug CMAKE_FLAGS="$(CMAKE_FLAGS) -DANVIL_SANITIZE=ON -DANVIL_BUILD_BENCH=OFF"

demo: build
	./scripts/demo.sh $(ANVIL) $(DEMO_DIR)

clean:
	rm -rf $(BUILD_DIR) build-asan
