/*
 * proctree.h - a job's processes as /proc shows them: the tree below its
 * init, what each is (state, tracer, parent), what it holds open.
 *
 * A leaf module (files.h).
 */
#ifndef VNODE_CKPT_PROCTREE_H
#define VNODE_CKPT_PROCTREE_H

#include <stddef.h>
#include <sys/types.h>

/* root and its descendants (root first) in a list the caller frees;
 * their number, or -1 when root is gone. */
int ckpt_tree(pid_t root, pid_t **out);
/* The parent of pid from /proc/PID/stat (the field after the name, which
 * may hold blanks and parentheses), or -1; its name in comm unless NULL. */
pid_t ckpt_parent_of(pid_t pid, char *comm, size_t commlen);
/* A process's start time (clock ticks since boot), 0 when it is gone. */
unsigned long long ckpt_proc_start(pid_t pid);
/* What /proc/PID/status says: the state letter, and the tracer. */
int ckpt_proc_status(pid_t pid, char *state, pid_t *tracer);

/* Refuse a tree CRIU cannot move: an established TCP connection, or an
 * open device other than null, zero, random, urandom, tty, ptmx, pts. */
int ckpt_check_tree(pid_t root, char *err, size_t errlen);
/* Send sig to root and every descendant; the number signalled, or -1. */
int ckpt_signal_tree(pid_t root, int sig);

#endif
