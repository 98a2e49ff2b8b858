# The two commands a new user needs:  make lecture   and   make test
PY := .venv/bin/python
ARGS ?=

.PHONY: setup lecture test bench clean
setup:
	@bash scripts/setup.sh

lecture: setup
	$(PY) render.py lecture $(ARGS)

test: setup
	$(PY) -m pytest $(ARGS)

bench: setup
	$(PY) benchmarks/bench_train.py

clean:
	rm -rf media out .pytest_cache
