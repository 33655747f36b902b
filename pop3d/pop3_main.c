/* pop3d: POP3, POP3 over TLS and KPOP over the mail store.  See pop3d(8)
 * and pop3_server.h. */
#include "event.h"
#include "log.h"
#include "pop3_server.h"
#include "worker.h"

int main(int argc, char **argv)
{
	struct pop3_server srv;
	struct event_loop *loop;
	struct worker w;

	worker_init(&w, "pop3d", argc, argv);
	/* The TLS key is readable by root only: load it first, then drop,
	 * and only then open the store, so the files it creates belong to
	 * mail_user. */
	pop3_server_init(&srv, &w);
	worker_drop_privileges(&w);
	loop = event_loop_new();
	pop3_server_start(&srv, loop);
	log_info("pop3_started", "count=%zu", w.listener_count);
	event_loop_run(loop);
	pop3_server_deinit(&srv);
	event_loop_free(&loop);
	worker_deinit(&w);
	return 0;
}
