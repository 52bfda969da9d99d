/*
 * regdir.h - a registry (controller-hook/db.c) in a temporary directory,
 * for the unit tests that run on one: its directory and path, cmocka
 * group setup and teardown, a reset (the files gone, the directory there)
 * and a fresh registry opened.  Include after cmocka.h and db.h.
 */
#ifndef VNODE_TEST_REGDIR_H
#define VNODE_TEST_REGDIR_H

#include <stdio.h>
#include <unistd.h>
#include <sys/stat.h>

static char reg_dir[] = "/tmp/vnode-unit-db.XXXXXX";
static char reg_path[64];

static int
reg_setup(void **state)
{
	(void)state;
	if (mkdtemp(reg_dir) == NULL)
		return -1;
	snprintf(reg_path, sizeof(reg_path), "%s/hookd.db", reg_dir);
	return 0;
}

static int
reg_teardown(void **state)
{
	char p[96];

	(void)state;
	snprintf(p, sizeof(p), "%s-wal", reg_path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", reg_path);
	unlink(p);
	unlink(reg_path);
	rmdir(reg_dir);
	return 0;
}

/* No registry files left; the directory there for a new one. */
static void
reg_reset(void)
{
	reg_teardown(NULL);
	mkdir(reg_dir, 0700);
}

static struct db *
reg_open_fresh(void)
{
	struct db *db;
	char err[256];

	reg_reset();
	assert_int_equal(db_open(reg_path, &db, err, sizeof(err)), 0);
	return db;
}

#endif
