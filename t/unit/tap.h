#ifndef SEALPOST_TAP_H
#define SEALPOST_TAP_H

/*
 * A minimal TAP producer for the C unit tests.  Each test program calls
 * ok()/is_str()/is_int() and ends with `return tap_done();`, which prints the
 * plan and returns non-zero if anything failed.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static int tap_count, tap_failed;

static inline int tap_ok(int cond, const char *file, int line,
			 const char *name)
{
	tap_count++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap_count, name);
	if (!cond) {
		tap_failed++;
		printf("#   Failed test at %s line %d\n", file, line);
	}
	fflush(stdout);
	return cond;
}

#define ok(cond, name) tap_ok((cond) ? 1 : 0, __FILE__, __LINE__, (name))

#define is_int(got, want, name) do {					\
	long long got_ = (long long)(got), want_ = (long long)(want);	\
	if (!ok(got_ == want_, (name)))					\
		printf("#   got %lld, want %lld\n", got_, want_);	\
} while (0)

#define is_str(got, want, name) do {					\
	const char *got_ = (got), *want_ = (want);			\
	int same_ = got_ != NULL && want_ != NULL ?			\
		strcmp(got_, want_) == 0 : got_ == want_;		\
	if (!ok(same_, (name)))						\
		printf("#   got '%s', want '%s'\n",			\
		       got_ ? got_ : "(null)", want_ ? want_ : "(null)");\
} while (0)

/* Tests that guard against work out of proportion to the input (quadratic
 * parsing, nesting) give the whole program a CPU budget instead of timing
 * single steps: a timed assertion fails on a loaded machine or under the
 * sanitizers without a bug, while the runaway case needs far more than
 * any budget and dies of SIGXCPU, which fails the test. */
static inline void tap_cpu_budget(unsigned int seconds)
{
	struct rlimit rl = { .rlim_cur = seconds, .rlim_max = seconds + 10 };

	if (setrlimit(RLIMIT_CPU, &rl) < 0)
		abort();
}

static inline void tap_diag(const char *msg)
{
	printf("# %s\n", msg);
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed != 0;
}

#endif
