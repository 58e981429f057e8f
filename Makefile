# Two entry points; the logic lives in scripts/.
#   make demo   build the wasm package, serve www/ + pkg/ with a local Prosody, wait for Ctrl-C
#   make test   native tests, wasm tests in headless Chromium, and the demo page end to end
.PHONY: demo test
SHELL := /bin/bash

demo:
	@scripts/demo.sh

test:
	@scripts/test.sh
