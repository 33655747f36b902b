# The load generators of `make bench`.  Not in PROGRAMS: they are never
# installed, and `make` and `make check` do not build them.
BENCH_TOOLS := mailload fsyncprobe
mailload_BENCH_SRCS := bench/mailload.c bench/bench_proc.c
fsyncprobe_BENCH_SRCS := bench/fsyncprobe.c

BENCH_BINS := $(BENCH_TOOLS:%=$(O)/bench/%)

define bench_rule
$$(O)/bench/$(1): $$($(1)_BENCH_SRCS:%.c=$$(O)/%.o)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ -lpthread
endef
$(foreach t,$(BENCH_TOOLS),$(eval $(call bench_rule,$(t))))
