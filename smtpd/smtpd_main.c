/* smtpd: start-up order matters.  The TLS key is read as root, then
 * privileges go, and only then are the store and queue opened and the
 * first byte read from the network. */
#include "smtpd.h"
#include "event.h"
#include "worker.h"

#include <string.h>

int main(int argc, char **argv)
{
	struct smtpd s;
	struct worker w;
	struct event_loop *loop;

	memset(&s, 0, sizeof(s));
	worker_init(&w, "smtpd", argc, argv);
	loop = event_loop_new();
	smtpd_init(&s, &w, loop);
	event_loop_run(loop);
	smtpd_deinit(&s);
	event_loop_free(&loop);
	worker_deinit(&w);
	return 0;
}
