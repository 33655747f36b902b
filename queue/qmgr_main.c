/* qmgr: exec'd already as mail_user; it owns the spool alone. */
#include "qmgr.h"
#include "event.h"
#include "worker.h"

#include <string.h>

int main(int argc, char **argv)
{
	struct qmgr q;
	struct worker w;
	struct event_loop *loop;

	memset(&q, 0, sizeof(q));
	q.inotify_fd = -1;
	worker_init(&w, "qmgr", argc, argv);
	worker_drop_privileges(&w);
	loop = event_loop_new();
	qmgr_init(&q, &w, loop);
	event_loop_run(loop);
	qmgr_deinit(&q);
	worker_deinit(&w);
	return 0;
}
