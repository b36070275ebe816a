# Convenience entry points; the build itself is Meson + Ninja.
.PHONY: run test build clean
run:
	scripts/run.sh
test:
	scripts/test.sh
build:
	scripts/deps.sh && { [ -f build/build.ninja ] || meson setup build; } && ninja -C build
clean:
	rm -rf build build-asan
