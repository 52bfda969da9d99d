/*
 * test_db - the registry's bookkeeping of a token's uses: the count kept
 * in the token's row grows with every node made with it, goes back with
 * a transaction rolled back, and a registry made before the count was
 * kept gets it filled from its nodes when opened; and GET /v1/nodes's
 * answer, written from the rows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "db.h"
#include "regdir.h"
#include "util.h"

static void
token_add(struct db *db, const char *id, long uses)
{
	struct db_token t;
	char err[256];

	memset(&t, 0, sizeof(t));
	snprintf(t.id, sizeof(t.id), "%s", id);
	t.uses = uses;
	t.expires = 2000000000;
	t.created = 1700000000;
	assert_int_equal(db_token_add(db, &t, err, sizeof(err)), 0);
}

static long
used(struct db *db, const char *id)
{
	struct db_token t;
	char err[256];

	assert_int_equal(db_token_get(db, id, &t, err, sizeof(err)), 0);
	return t.used;
}

static void
node_add(struct db *db, const char *token, const char *instance)
{
	struct db_node n;
	char err[256];

	memset(&n, 0, sizeof(n));
	snprintf(n.instance, sizeof(n.instance), "%s", instance);
	snprintf(n.token, sizeof(n.token), "%s", token);
	snprintf(n.state, sizeof(n.state), "joining");
	n.created = n.updated = 1700000000;
	assert_int_equal(db_node_insert(db, "vm-", &n, err, sizeof(err)), 0);
}

static void
test_used_counts_nodes(void **state)
{
	struct db *db = reg_open_fresh();
	struct db_node n;
	struct json_object *list, *t;
	char err[256];

	(void)state;
	token_add(db, "00000000000000aa", 3);
	token_add(db, "00000000000000bb", 5);
	assert_int_equal(used(db, "00000000000000aa"), 0);
	node_add(db, "00000000000000aa", "i-1");
	node_add(db, "00000000000000aa", "i-2");
	node_add(db, "00000000000000bb", "i-3");
	assert_int_equal(used(db, "00000000000000aa"), 2);
	assert_int_equal(used(db, "00000000000000bb"), 1);
	/* elastic vnode's nodes, named as Slurm asked, count the same */
	memset(&n, 0, sizeof(n));
	snprintf(n.name, sizeof(n.name), "cloud-1");
	snprintf(n.instance, sizeof(n.instance), "i-4");
	snprintf(n.token, sizeof(n.token), "00000000000000bb");
	snprintf(n.state, sizeof(n.state), "joining");
	assert_int_equal(db_node_insert_named(db, &n, err, sizeof(err)), 0);
	assert_int_equal(used(db, "00000000000000bb"), 2);
	/* a node that left keeps its use */
	assert_int_equal(db_node_by_instance(db, "i-1", &n, err, sizeof(err)),
	    0);
	snprintf(n.state, sizeof(n.state), "left");
	assert_int_equal(db_node_update(db, &n, err, sizeof(err)), 0);
	assert_int_equal(used(db, "00000000000000aa"), 2);
	/* vnodectl token list says the same */
	list = db_token_list(db, err, sizeof(err));
	assert_non_null(list);
	assert_int_equal(json_object_array_length(list), 2);
	t = json_object_array_get_idx(list, 0);
	assert_int_equal(json_object_get_int64(json_object_object_get(t,
	    "used")), 2);
	assert_int_equal(json_object_array_length(json_object_object_get(t,
	    "instances")), 2);
	json_object_put(list);
	db_close(db);
}

static void
test_used_rolled_back(void **state)
{
	struct db *db = reg_open_fresh();
	char err[256];

	(void)state;
	token_add(db, "00000000000000aa", 1);
	assert_int_equal(db_begin(db, err, sizeof(err)), 0);
	node_add(db, "00000000000000aa", "i-1");
	assert_int_equal(used(db, "00000000000000aa"), 1);
	db_rollback(db);
	assert_int_equal(used(db, "00000000000000aa"), 0);
	assert_int_equal(db_begin(db, err, sizeof(err)), 0);
	node_add(db, "00000000000000aa", "i-1");
	assert_int_equal(db_commit(db, err, sizeof(err)), 0);
	assert_int_equal(used(db, "00000000000000aa"), 1);
	db_close(db);
}

/* A registry of version 5 (no tokens.used, no nodes.held), with nodes:
 * opened, each token's count is its nodes', once (a second open adds
 * nothing); its nodes are not held, and a hold is kept from then on. */
static void
test_used_migrated(void **state)
{
	sqlite3 *h;
	struct db *db;
	struct db_node n;
	char err[256];
	int i;

	(void)state;
	reg_reset();
	assert_int_equal(sqlite3_open(reg_path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h,
	    "CREATE TABLE tokens (id TEXT PRIMARY KEY, master TEXT NOT NULL,"
	    " uses INTEGER NOT NULL, expires INTEGER NOT NULL,"
	    " created INTEGER NOT NULL, features TEXT NOT NULL DEFAULT '');"
	    "CREATE TABLE nodes (id INTEGER PRIMARY KEY AUTOINCREMENT,"
	    " name TEXT UNIQUE NOT NULL, instance TEXT UNIQUE NOT NULL,"
	    " token TEXT NOT NULL, addr TEXT NOT NULL DEFAULT '',"
	    " hostname TEXT NOT NULL DEFAULT '', state TEXT NOT NULL,"
	    " master TEXT, created INTEGER NOT NULL,"
	    " updated INTEGER NOT NULL, last_seen INTEGER NOT NULL DEFAULT 0);"
	    "INSERT INTO tokens VALUES('00000000000000aa', '"
	    "0000000000000000000000000000000000000000000000000000000000000000',"
	    " 10, 2000000000, 1, '');"
	    "INSERT INTO tokens VALUES('00000000000000bb', '"
	    "0000000000000000000000000000000000000000000000000000000000000000',"
	    " 10, 2000000000, 2, '');"
	    "INSERT INTO nodes(name, instance, token, state, created, updated)"
	    " VALUES('vm-1', 'i-1', '00000000000000aa', 'admitted', 1, 1),"
	    " ('vm-2', 'i-2', '00000000000000aa', 'left', 1, 1),"
	    " ('vm-3', 'i-3', '00000000000000aa', 'reaped', 1, 1);"
	    "PRAGMA user_version = 5;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	for (i = 0; i < 2; i++) {
		assert_int_equal(db_open(reg_path, &db, err, sizeof(err)), 0);
		assert_int_equal(used(db, "00000000000000aa"), 3);
		assert_int_equal(used(db, "00000000000000bb"), 0);
		db_close(db);
	}
	assert_int_equal(db_open(reg_path, &db, err, sizeof(err)), 0);
	node_add(db, "00000000000000bb", "i-4");
	assert_int_equal(used(db, "00000000000000bb"), 1);
	assert_int_equal(used(db, "00000000000000aa"), 3);
	assert_int_equal(db_node_by_name(db, "vm-1", &n, err, sizeof(err)), 0);
	assert_int_equal(n.held, 0);
	n.held = 1;
	assert_int_equal(db_node_update(db, &n, err, sizeof(err)), 0);
	db_close(db);
	assert_int_equal(db_open(reg_path, &db, err, sizeof(err)), 0);
	assert_int_equal(db_node_by_name(db, "vm-1", &n, err, sizeof(err)), 0);
	assert_int_equal(n.held, 1);
	assert_int_equal(db_node_by_name(db, "vm-2", &n, err, sizeof(err)), 0);
	assert_int_equal(n.held, 0);
	db_close(db);
}

/* A registry newer than the program is refused, not misread. */
static void
test_newer_refused(void **state)
{
	sqlite3 *h;
	struct db *db;
	char err[256];

	(void)state;
	reg_reset();
	assert_int_equal(sqlite3_open(reg_path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "PRAGMA user_version = 99;", NULL,
	    NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	assert_int_equal(db_open(reg_path, &db, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "registry version 99 is newer than this "
	    "program's (7)"));
}

/* GET /v1/nodes's answer, written straight from the rows: json-c reads
 * it back as the registry has it, in id order, with no token */
static void
test_nodes_json(void **state)
{
	struct db *db = reg_open_fresh();
	struct text t = { NULL, 0, 0, 0 };
	struct json_object *o, *list, *n;
	struct db_node dn;
	char err[256];

	(void)state;
	assert_int_equal(db_nodes_json(db, &t, err, sizeof(err)), 0);
	assert_string_equal(t.s, "{\"nodes\":[]}");
	free(t.s);
	memset(&t, 0, sizeof(t));
	token_add(db, "00000000000000aa", 3);
	node_add(db, "00000000000000aa", "i-1");
	node_add(db, "00000000000000aa", "i-\"2\\");
	assert_int_equal(db_node_by_instance(db, "i-1", &dn, err, sizeof(err)),
	    0);
	snprintf(dn.addr, sizeof(dn.addr), "10.0.0.5");
	snprintf(dn.hostname, sizeof(dn.hostname), "host-1");
	snprintf(dn.state, sizeof(dn.state), "admitted");
	assert_int_equal(db_node_update(db, &dn, err, sizeof(err)), 0);
	/* the second one held (its admission drained it) */
	{
		struct db_node h2;

		assert_int_equal(db_node_by_instance(db, "i-\"2\\", &h2, err,
		    sizeof(err)), 0);
		h2.held = 1;
		assert_int_equal(db_node_update(db, &h2, err, sizeof(err)), 0);
	}
	assert_int_equal(db_node_seen(db, dn.name, 1700000123, err,
	    sizeof(err)), 0);
	assert_int_equal(db_nodes_json(db, &t, err, sizeof(err)), 0);
	assert_int_equal(t.len, strlen(t.s));
	o = json_tokener_parse(t.s);
	assert_non_null(o);
	list = json_object_object_get(o, "nodes");
	assert_int_equal(json_object_array_length(list), 2);
	n = json_object_array_get_idx(list, 0);
	assert_string_equal(json_object_get_string(json_object_object_get(n,
	    "name")), dn.name);
	assert_string_equal(json_object_get_string(json_object_object_get(n,
	    "instance")), "i-1");
	assert_string_equal(json_object_get_string(json_object_object_get(n,
	    "addr")), "10.0.0.5");
	assert_string_equal(json_object_get_string(json_object_object_get(n,
	    "hostname")), "host-1");
	assert_string_equal(json_object_get_string(json_object_object_get(n,
	    "state")), "admitted");
	assert_int_equal(json_object_get_int64(json_object_object_get(n,
	    "created")), 1700000000);
	assert_int_equal(json_object_get_int64(json_object_object_get(n,
	    "last_seen")), 1700000123);
	assert_false(json_object_get_boolean(json_object_object_get(n,
	    "held")));
	assert_null(json_object_object_get(n, "token"));
	assert_int_equal(json_object_object_length(n), 9);
	n = json_object_array_get_idx(list, 1);
	assert_string_equal(json_object_get_string(json_object_object_get(n,
	    "instance")), "i-\"2\\");
	assert_string_equal(json_object_get_string(json_object_object_get(n,
	    "state")), "joining");
	assert_true(json_object_get_boolean(json_object_object_get(n,
	    "held")));
	json_object_put(o);
	free(t.s);
	db_close(db);
}

static void
add_name(void *arg, const char *node)
{
	char *names = arg;

	strcat(names, node);
	strcat(names, " ");
}

/* The nodes with orders waiting: those not yet delivered alone, found
 * by a search of an index, not a scan of every order (the main thread
 * asks every tick, and delivered orders stay in the table) */
static void
test_orders_pending(void **state)
{
	struct db *db = reg_open_fresh();
	struct db_order o;
	sqlite3 *h;
	sqlite3_stmt *st;
	char err[256], names[256] = "", plan[1024] = "";
	int i;

	(void)state;
	for (i = 0; i < 50; i++) {
		char node[16];

		snprintf(node, sizeof(node), "vm-%d", i);
		assert_int_equal(db_order_add(db, node, "retire", "", 1700000000,
		    err, sizeof(err)), 0);
		if (i != 7 && i != 30)
			assert_int_equal(db_order_take(db, node, 1700000001, &o,
			    err, sizeof(err)), 0);
	}
	assert_int_equal(db_order_pending(db, add_name, names, err,
	    sizeof(err)), 0);
	assert_true(strcmp(names, "vm-7 vm-30 ") == 0 ||
	    strcmp(names, "vm-30 vm-7 ") == 0);
	db_close(db);
	/* the plan of the same query, in a connection of our own */
	assert_int_equal(sqlite3_open(reg_path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, "EXPLAIN QUERY PLAN SELECT "
	    "DISTINCT node FROM orders WHERE delivered = 0", -1, &st, NULL),
	    SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		strncat(plan, (const char *)sqlite3_column_text(st, 3),
		    sizeof(plan) - strlen(plan) - 2);
		strcat(plan, ";");
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
	assert_non_null(strstr(plan, "SEARCH orders USING COVERING INDEX "
	    "orders_waiting (delivered=?)"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_used_counts_nodes),
		cmocka_unit_test(test_used_rolled_back),
		cmocka_unit_test(test_used_migrated),
		cmocka_unit_test(test_newer_refused),
		cmocka_unit_test(test_nodes_json),
		cmocka_unit_test(test_orders_pending),
	};

	return cmocka_run_group_tests(tests, reg_setup, reg_teardown);
}
