#ifndef SEALPOST_PROC_NET_H
#define SEALPOST_PROC_NET_H

/*
 * Open TCP sessions, counted from the kernel's tables (/proc/net/tcp and
 * tcp6 of the current network namespace), for the postmaster's stats: a
 * session of a service is an established connection to one of its
 * listening ports.  No daemon is asked, so the count works for every
 * service and costs them nothing.
 */

#include <stddef.h>

/* The port of a listen value ("127.0.0.1:25", "[::1]:143", "*:587"), or 0
 * when it names none. */
unsigned int proc_net_listen_port(const char *listen);

/* Adds to counts[i] the established TCP connections whose local port is
 * ports[i].  0, or -1 when neither table can be read. */
int proc_net_count_established(const unsigned int *ports, size_t n,
			       unsigned long long *counts);

#endif
