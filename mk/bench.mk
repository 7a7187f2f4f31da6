# Benchmarks print figures and ratios to a floor; CI does not run them (the machines are shared and noisy).
#
#   make bench [BENCH_OUT=bench/RESULTS.md] [BENCH_NOTE="..."]   everything, under 10 minutes; writes BENCH_OUT
#   .venv/bin/python -m bench --only cold,warm                   a part: size, cold, warm, overhead, throughput

BENCH_OUT ?= bench/RESULTS.md

.PHONY: bench
bench: $(STAMP) require-py313
	$(BIN)/python -m bench --out $(BENCH_OUT) $(if $(BENCH_NOTE),--note "$(BENCH_NOTE)")
