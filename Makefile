# The entry points; the logic lives in scripts/.
#   make demo     build the wasm package, serve www/ + pkg/ with a local Prosody, wait for Ctrl-C
#   make test     native tests, wasm tests in headless Chromium, and the demo page end to end
#   make package  the release tarball dist/xmpp-wasm-<version>.tgz (npm pack; bundlers and script tags)
#   make docs     the API reference: TypeDoc from the .d.ts and rustdoc of the core, in target/api-docs/
.PHONY: demo test package docs
SHELL := /bin/bash

demo:
	@scripts/demo.sh

test:
	@scripts/test.sh

package:
	@scripts/package.sh

docs:
	@scripts/docs.sh
