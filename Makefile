# Two commands do everything on a fresh machine:
#   make demo   - create .venv, install the locked dependencies, run the main job
#   make test   - create .venv, install the locked dependencies, run the test suite
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PEER_TESTS ?= ../shared/peer_tests_v2

.PHONY: demo test lint install

install: $(STAMP)

$(STAMP): requirements.txt requirements/runtime.txt requirements/mminstall.txt requirements/tests.txt \
		requirements/deploy.txt requirements/constraints.txt setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# ranges from requirements/*.txt, exact versions from the lock (requirements/constraints.txt)
	$(PY) -m pip install -q -r requirements.txt -c requirements/constraints.txt
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

demo: $(STAMP)
	# the real Fashion-MNIST idx files come from Debian (we run as root)
	test -d /usr/share/datasets/fashion-mnist || apt-get install -y dataset-fashion-mnist \
		|| (apt-get update && apt-get install -y dataset-fashion-mnist)
	$(PY) demo/main_job.py

test: $(STAMP)
	# Chromium drives the browser-demo test; without it that one test is skipped (it says why)
	command -v chromium >/dev/null 2>&1 || apt-get install -y -q chromium >/dev/null 2>&1 \
		|| (apt-get update -q && apt-get install -y -q chromium) >/dev/null 2>&1 \
		|| echo "chromium could not be installed: the browser-demo test will be skipped"
	$(PY) -m pytest -q tests
	# MMPretrain's own unit tests, ported (kept beside the checkout, not copied into it);
	# expected failures, each with its reason, are listed in tests/peer_xfail.py
	if [ -d $(PEER_TESTS) ]; then $(PY) -m pytest -q -p tests.peer_xfail $(PEER_TESTS); \
	else echo "peer suite $(PEER_TESTS) not found: MMPretrain's tests were not run"; fi

lint: $(STAMP)
	$(PY) -m ruff check .
