# The two commands a new user needs:  make lecture (the whole course)   and   make test
PY := .venv/bin/python
ARGS ?=
# The real MNIST beside the project (as in CI), unless the caller chose a data folder.
export CNNVIZ_DATA_DIR ?= $(if $(wildcard ../shared/mnist/t10k-images-idx3-ubyte.gz),$(abspath ../shared/mnist))

.PHONY: setup lecture test bench bench-render clean
setup:
	@bash scripts/setup.sh

lecture: setup
	$(PY) render.py course $(ARGS)

test:
	@CNNVIZ_EXTRA_APT=chromium bash scripts/setup.sh   # the slide deck and gallery are tested in Chromium
	$(PY) -m pytest $(ARGS)

bench: setup
	$(PY) benchmarks/bench_train.py

bench-render: setup
	$(PY) benchmarks/bench_render.py $(ARGS)

clean:
	rm -rf media out .pytest_cache
