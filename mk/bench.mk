# Benchmarks print figures and ratios; CI does not run them (the machines are shared and noisy).
.PHONY: bench
bench: $(STAMP)
	$(BIN)/python bench/registry_overhead.py
