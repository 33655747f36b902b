/* Counting established TCP connections; see proc_net.h. */
#include "proc_net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The kernel writes TCP_ESTABLISHED as 01 in the "st" column. */
#define PROC_NET_ESTABLISHED 1u

unsigned int proc_net_listen_port(const char *listen)
{
	const char *colon = strrchr(listen, ':');
	char *end;
	unsigned long port;

	if (colon == NULL || colon[1] == '\0')
		return 0;
	port = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || port == 0 || port > 65535)
		return 0;
	return (unsigned int)port;
}

static int proc_net_read(const char *path, const unsigned int *ports,
			 size_t n, unsigned long long *counts)
{
	char line[512];
	FILE *f = fopen(path, "re");

	if (f == NULL)
		return -1;
	/* "sl local_address rem_address st ...": the first line is the
	 * heading. */
	if (fgets(line, sizeof(line), f) == NULL) {
		fclose(f);
		return 0;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char local[128], remote[128];
		unsigned int st, port;
		const char *colon;
		size_t i;

		if (sscanf(line, "%*s %127s %127s %x", local, remote, &st) != 3 ||
		    st != PROC_NET_ESTABLISHED ||
		    (colon = strrchr(local, ':')) == NULL ||
		    sscanf(colon + 1, "%x", &port) != 1)
			continue;
		for (i = 0; i < n; i++) {
			if (ports[i] == port)
				counts[i]++;
		}
	}
	fclose(f);
	return 0;
}

int proc_net_count_established(const unsigned int *ports, size_t n,
			       unsigned long long *counts)
{
	int a = proc_net_read("/proc/net/tcp", ports, n, counts);
	int b = proc_net_read("/proc/net/tcp6", ports, n, counts);

	return a < 0 && b < 0 ? -1 : 0;
}
