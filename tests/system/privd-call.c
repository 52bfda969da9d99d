/*
 * privd-call - one request to vnode-privd, as the hook makes them, for the
 * system tests (they play the cloud: an instance deleted or made behind
 * the hook's back).
 *
 *   privd-call SOCKET create NODE     (user data on standard input)
 *   privd-call SOCKET delete ID graceful|force
 *   privd-call SOCKET list
 *   privd-call SOCKET wg-info | wg-list
 *   privd-call SOCKET wg-set | wg-remove   (the lines on standard input)
 *
 * Prints the reply's data; exit 0, or 1 with vnode-privd's message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "privd.h"
#include "util.h"

int
main(int argc, char *argv[])
{
	struct privd_req *rq = calloc(1, sizeof(*rq));
	struct privd_rep *rp = calloc(1, sizeof(*rp));
	char err[1024];
	ssize_t n;

	log_init("privd-call", 0);
	if (rq == NULL || rp == NULL)
		fatalx("out of memory");
	if (argc < 3)
		fatalx("usage: privd-call SOCKET create NODE | delete ID "
		    "graceful|force | list");
	rq->magic = PRIVD_MAGIC;
	if (strcmp(argv[2], "create") == 0 && argc == 4) {
		rq->op = PRIVD_LOCAL_CREATE;
		snprintf(rq->name, sizeof(rq->name), "%s", argv[3]);
		n = read(0, rq->data, sizeof(rq->data));
		rq->len = n > 0 ? (uint32_t)n : 0;
	} else if (strcmp(argv[2], "delete") == 0 && argc == 5) {
		rq->op = PRIVD_LOCAL_DELETE;
		snprintf(rq->name, sizeof(rq->name), "%s", argv[3]);
		snprintf(rq->arg, sizeof(rq->arg), "%s", argv[4]);
	} else if (strcmp(argv[2], "list") == 0 && argc == 3)
		rq->op = PRIVD_LOCAL_LIST;
	else if (strcmp(argv[2], "wg-info") == 0 && argc == 3)
		rq->op = PRIVD_WG_INFO;
	else if (strcmp(argv[2], "wg-list") == 0 && argc == 3)
		rq->op = PRIVD_WG_LIST;
	else if ((strcmp(argv[2], "wg-set") == 0 ||
	    strcmp(argv[2], "wg-remove") == 0) && argc == 3) {
		rq->op = strcmp(argv[2], "wg-set") == 0 ? PRIVD_WG_PEERS_SET :
		    PRIVD_WG_PEERS_REMOVE;
		n = read(0, rq->data, sizeof(rq->data));
		rq->len = n > 0 ? (uint32_t)n : 0;
	} else
		fatalx("usage: privd-call SOCKET create NODE | delete ID "
		    "graceful|force | list | wg-info | wg-list | wg-set | "
		    "wg-remove");
	if (privd_call(argv[1], rq, rp, 100, err, sizeof(err)) != 0)
		fatalx("%s", err);
	if (rp->status != 0)
		fatalx("%s", rp->msg);
	fputs(rp->data, stdout);
	if (rp->len > 0 && rp->data[rp->len - 1] != '\n')
		putchar('\n');
	free(rq);
	free(rp);
	return 0;
}
