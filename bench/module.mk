# The load generators of `make bench`.  Not in PROGRAMS: they are never
# installed, and `make` and `make check` do not build them.
BENCH_TOOLS := mailload fsyncprobe imapidle imapload coldread
mailload_BENCH_SRCS := bench/mailload.c bench/bench_proc.c
mailload_BENCH_LIBS := -lpthread
fsyncprobe_BENCH_SRCS := bench/fsyncprobe.c
coldread_BENCH_SRCS := bench/coldread.c
# (libmail for file_prefetch: `make bench` builds it first)
coldread_BENCH_LIBS = $(LIBMAIL) -lpthread
imapidle_BENCH_SRCS := bench/imapidle.c bench/bench_proc.c
imapidle_BENCH_LIBS := -lssl -lcrypto
imapload_BENCH_SRCS := bench/imapload.c bench/bench_proc.c
imapload_BENCH_LIBS := -lssl -lcrypto

BENCH_BINS := $(BENCH_TOOLS:%=$(O)/bench/%)

define bench_rule
$$(O)/bench/$(1): $$($(1)_BENCH_SRCS:%.c=$$(O)/%.o)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$($(1)_BENCH_LIBS)
endef
$(foreach t,$(BENCH_TOOLS),$(eval $(call bench_rule,$(t))))
