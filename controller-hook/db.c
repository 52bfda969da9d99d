/*
 * db.c - see db.h.  Every statement is prepared with bound parameters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "db.h"
#include "util.h"

/* PRAGMA user_version: 1 tokens, nodes, nonces, orders; 2 events and
 * releases as well; 3 instances and power; 4 a token's features; 5 the
 * overlay's addresses; 6 a token's use count kept in its row; 7 a node
 * held until its mounts are verified (nodes.held) */
#define DB_VERSION	7
#define DB_VERSION_TEXT	"7"

struct db {
	sqlite3 *h;
};

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=FULL;"
    "CREATE TABLE IF NOT EXISTS tokens ("
    "  id TEXT PRIMARY KEY,"
    "  master TEXT NOT NULL,"
    "  uses INTEGER NOT NULL,"
    "  expires INTEGER NOT NULL,"
    "  created INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS nodes ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  name TEXT UNIQUE NOT NULL,"
    "  instance TEXT UNIQUE NOT NULL,"
    "  token TEXT NOT NULL,"
    "  addr TEXT NOT NULL DEFAULT '',"
    "  hostname TEXT NOT NULL DEFAULT '',"
    "  state TEXT NOT NULL,"
    "  master TEXT,"
    "  created INTEGER NOT NULL,"
    "  updated INTEGER NOT NULL,"
    "  last_seen INTEGER NOT NULL DEFAULT 0,"
    "  held INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS nodes_token ON nodes(token);"
    /* version 6: nodes by state (/metrics counts each state, the reaper
     * reads the reaped ones) */
    "CREATE INDEX IF NOT EXISTS nodes_state ON nodes(state);"
    "CREATE TABLE IF NOT EXISTS nonces ("
    "  nonce TEXT PRIMARY KEY,"
    "  ts INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS orders ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  node TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  arg TEXT NOT NULL DEFAULT '',"
    "  created INTEGER NOT NULL,"
    "  delivered INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS orders_pending ON orders(node, delivered);"
    /* the orders not yet delivered, found without reading the others
     * (db_order_pending, every tick of the main thread: delivered orders
     * stay, so the table only grows); any registry gains it at its next
     * open */
    "CREATE INDEX IF NOT EXISTS orders_waiting ON orders(delivered, node);"
    /* version 2: the events of nodes and jobs, and the requeued jobs the
     * mover is to release */
    "CREATE TABLE IF NOT EXISTS events ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  time REAL NOT NULL,"
    "  node TEXT NOT NULL DEFAULT '',"
    "  job INTEGER NOT NULL DEFAULT 0,"
    "  kind TEXT NOT NULL,"
    "  detail TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX IF NOT EXISTS events_job ON events(job, id);"
    "CREATE INDEX IF NOT EXISTS events_time ON events(time);"
    "CREATE INDEX IF NOT EXISTS events_kind ON events(kind, job, id);"
    /* version 3: elastic vnode's instances, and the power saving
     * requests that vnodectl (as Slurm's ResumeProgram...) leaves */
    "CREATE TABLE IF NOT EXISTS instances ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  node TEXT NOT NULL,"
    "  provider TEXT NOT NULL,"
    "  cloud_id TEXT NOT NULL DEFAULT '',"
    "  state TEXT NOT NULL,"
    "  token TEXT NOT NULL DEFAULT '',"
    "  instance TEXT NOT NULL DEFAULT '',"
    "  requested REAL NOT NULL,"
    "  updated REAL NOT NULL,"
    "  joined REAL NOT NULL DEFAULT 0,"
    "  detail TEXT NOT NULL DEFAULT '',"
    "  why TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX IF NOT EXISTS instances_node ON instances(node, state);"
    "CREATE INDEX IF NOT EXISTS instances_state ON instances(state);"
    "CREATE INDEX IF NOT EXISTS instances_token ON instances(token);"
    "CREATE TABLE IF NOT EXISTS power ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  action TEXT NOT NULL,"
    "  nodes TEXT NOT NULL,"
    "  detail TEXT NOT NULL DEFAULT '',"
    "  created REAL NOT NULL,"
    "  taken INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS power_taken ON power(taken, id);"
    "CREATE TABLE IF NOT EXISTS releases ("
    "  job INTEGER PRIMARY KEY,"
    "  target TEXT NOT NULL DEFAULT '',"
    "  created REAL NOT NULL,"
    "  state TEXT NOT NULL);"
    /* version 5: the overlay's addresses, each a node's (nodes.id) or a
     * host's (vnodectl overlay host), with the peer's public key */
    "CREATE TABLE IF NOT EXISTS overlay ("
    "  addr TEXT PRIMARY KEY,"
    "  node INTEGER UNIQUE,"
    "  host TEXT UNIQUE,"
    "  pubkey TEXT UNIQUE,"
    "  state TEXT NOT NULL,"
    "  updated REAL NOT NULL);"
    "PRAGMA user_version = " DB_VERSION_TEXT ";";

static int
user_version(struct db *db, int *version)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st,
	    NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	*version = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* Version 6: a token's use count is kept in its row (tokens.used, one
 * more for every node row made with the token: db_node_insert and
 * db_node_insert_named) rather than counted over its nodes on each join.
 * A registry made before gains the column, filled from that count, in
 * one transaction: a crash halfway leaves it as it was.  Node rows are
 * never deleted (a node that left or was reaped keeps its row and its
 * use), so the count and the column stay the same number. */
static int
token_used_column(struct db *db, const char *path, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	char *msg = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db->h, "SELECT used FROM tokens LIMIT 0", -1,
	    &st, NULL);
	sqlite3_finalize(st);
	if (rc == SQLITE_OK)
		return 0;
	if (sqlite3_exec(db->h, "BEGIN IMMEDIATE;"
	    "ALTER TABLE tokens ADD COLUMN used INTEGER NOT NULL DEFAULT 0;"
	    "UPDATE tokens SET used = (SELECT count(*) FROM nodes WHERE "
	    "nodes.token = tokens.id);"
	    "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
		errf(err, errlen, "%s: a token's use count: %s", path,
		    msg != NULL ? msg : "schema");
		sqlite3_free(msg);
		db_rollback(db);
		return -1;
	}
	return 0;
}

/* The column, unless the table has it already. */
static int
add_column(struct db *db, const char *path, const char *table,
    const char *column, const char *decl, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	char sql[256], *msg = NULL;
	int rc;

	snprintf(sql, sizeof(sql), "SELECT %s FROM %s LIMIT 0", column, table);
	rc = sqlite3_prepare_v2(db->h, sql, -1, &st, NULL);
	sqlite3_finalize(st);
	if (rc == SQLITE_OK)
		return 0;
	snprintf(sql, sizeof(sql), "ALTER TABLE %s ADD COLUMN %s %s", table,
	    column, decl);
	if (sqlite3_exec(db->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		errf(err, errlen, "%s: %s.%s: %s", path, table, column,
		    msg != NULL ? msg : "schema");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int
db_open(const char *path, struct db **out, char *err, size_t errlen)
{
	struct db *db;
	char *msg = NULL;
	mode_t old;
	int rc, version;

	if ((db = calloc(1, sizeof(*db))) == NULL)
		return errf(err, errlen, "out of memory");
	old = umask(077);
	rc = sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
	umask(old);
	if (rc != SQLITE_OK) {
		errf(err, errlen, "%s: %s", path, db->h != NULL ?
		    sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_busy_timeout(db->h, 5000);
	/* an older registry gains the new tables (all CREATE IF NOT EXISTS);
	 * a newer one is refused rather than misread */
	if (user_version(db, &version) != 0) {
		errf(err, errlen, "%s: %s", path, sqlite3_errmsg(db->h));
		goto fail;
	}
	if (version > DB_VERSION) {
		errf(err, errlen, "%s: registry version %d is newer than this "
		    "program's (%d)", path, version, DB_VERSION);
		goto fail;
	}
	if (sqlite3_exec(db->h, schema, NULL, NULL, &msg) != SQLITE_OK) {
		errf(err, errlen, "%s: %s", path, msg != NULL ? msg : "schema");
		sqlite3_free(msg);
		goto fail;
	}
	/* version 4: a token's features (a registry made before gains the
	 * column: its tokens allow none); version 7: a node's hold (none
	 * held in a registry made before) */
	if (add_column(db, path, "tokens", "features", "TEXT NOT NULL "
	    "DEFAULT ''", err, errlen) != 0 || add_column(db, path, "nodes",
	    "held", "INTEGER NOT NULL DEFAULT 0", err, errlen) != 0)
		goto fail;
	if (token_used_column(db, path, err, errlen) != 0)
		goto fail;
	*out = db;
	return 0;
fail:
	sqlite3_close(db->h);
	free(db);
	return -1;
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	sqlite3_close(db->h);
	free(db);
}

static int
exec(struct db *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(db->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		errf(err, errlen, "database: %s", msg != NULL ? msg : sql);
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int
db_begin(struct db *db, char *err, size_t errlen)
{
	return exec(db, "BEGIN IMMEDIATE", err, errlen);
}

int
db_commit(struct db *db, char *err, size_t errlen)
{
	return exec(db, "COMMIT", err, errlen);
}

void
db_rollback(struct db *db)
{
	if (!sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
}

static sqlite3_stmt *
prep(struct db *db, const char *sql, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db->h, sql, -1, &st, NULL) != SQLITE_OK) {
		errf(err, errlen, "database: %s", sqlite3_errmsg(db->h));
		return NULL;
	}
	return st;
}

static int
step_done(struct db *db, sqlite3_stmt *st, char *err, size_t errlen)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return errf(err, errlen, "database: %s", sqlite3_errmsg(db->h));
	return 0;
}

static void
copy_col(sqlite3_stmt *st, int col, char *dst, size_t dstsz)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	snprintf(dst, dstsz, "%s", s != NULL ? (const char *)s : "");
}

static int
master_col(sqlite3_stmt *st, int col, unsigned char master[CRYPTO_KEY_LEN])
{
	const unsigned char *s = sqlite3_column_text(st, col);

	if (s == NULL)
		return -1;
	return hex_decode((const char *)s, master, CRYPTO_KEY_LEN);
}

static void
master_hex(const unsigned char master[CRYPTO_KEY_LEN], char out[65])
{
	hex_encode(master, CRYPTO_KEY_LEN, out);
}

int
db_token_add(struct db *db, const struct db_token *t, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	char mh[65];
	int rc;

	st = prep(db, "INSERT INTO tokens(id, master, uses, expires, created, "
	    "features) VALUES(?, ?, ?, ?, ?, ?)", err, errlen);
	if (st == NULL)
		return -1;
	master_hex(t->master, mh);
	sqlite3_bind_text(st, 1, t->id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, mh, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, t->uses);
	sqlite3_bind_int64(st, 4, t->expires);
	sqlite3_bind_int64(st, 5, t->created);
	sqlite3_bind_text(st, 6, t->features, -1, SQLITE_TRANSIENT);
	rc = step_done(db, st, err, errlen);
	explicit_bzero(mh, sizeof(mh));
	return rc;
}

int
db_token_get(struct db *db, const char *id, struct db_token *t, char *err,
    size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	st = prep(db, "SELECT id, master, uses, expires, created, used, "
	    "features FROM tokens WHERE id = ?", err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		memset(t, 0, sizeof(*t));
		copy_col(st, 0, t->id, sizeof(t->id));
		if (master_col(st, 1, t->master) != 0)
			rc = errf(err, errlen, "database: token %s: bad key", id);
		else
			rc = 0;
		t->uses = (long)sqlite3_column_int64(st, 2);
		t->expires = (long)sqlite3_column_int64(st, 3);
		t->created = (long)sqlite3_column_int64(st, 4);
		t->used = (long)sqlite3_column_int64(st, 5);
		copy_col(st, 6, t->features, sizeof(t->features));
	} else if (rc == SQLITE_DONE)
		rc = 1;
	else
		rc = errf(err, errlen, "database: %s", sqlite3_errmsg(db->h));
	sqlite3_finalize(st);
	return rc;
}

struct json_object *
db_token_list(struct db *db, char *err, size_t errlen)
{
	sqlite3_stmt *st, *inst;
	struct json_object *arr, *o, *ia;
	int rc;

	st = prep(db, "SELECT id, uses, expires, created, used, features FROM "
	    "tokens ORDER BY created", err, errlen);
	if (st == NULL)
		return NULL;
	inst = prep(db, "SELECT instance, name FROM nodes WHERE token = ? "
	    "ORDER BY id", err, errlen);
	if (inst == NULL) {
		sqlite3_finalize(st);
		return NULL;
	}
	arr = json_object_new_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_string(
		    (const char *)sqlite3_column_text(st, 0)));
		json_object_object_add(o, "uses",
		    json_object_new_int64(sqlite3_column_int64(st, 1)));
		json_object_object_add(o, "used",
		    json_object_new_int64(sqlite3_column_int64(st, 4)));
		json_object_object_add(o, "expires",
		    json_object_new_int64(sqlite3_column_int64(st, 2)));
		json_object_object_add(o, "created",
		    json_object_new_int64(sqlite3_column_int64(st, 3)));
		json_object_object_add(o, "features", json_object_new_string(
		    sqlite3_column_text(st, 5) != NULL ?
		    (const char *)sqlite3_column_text(st, 5) : ""));
		ia = json_object_new_array();
		sqlite3_reset(inst);
		sqlite3_bind_text(inst, 1,
		    (const char *)sqlite3_column_text(st, 0), -1,
		    SQLITE_TRANSIENT);
		while (sqlite3_step(inst) == SQLITE_ROW) {
			struct json_object *b = json_object_new_object();

			json_object_object_add(b, "instance",
			    json_object_new_string((const char *)
			    sqlite3_column_text(inst, 0)));
			json_object_object_add(b, "node",
			    json_object_new_string((const char *)
			    sqlite3_column_text(inst, 1)));
			json_object_array_add(ia, b);
		}
		json_object_object_add(o, "instances", ia);
		json_object_array_add(arr, o);
	}
	if (rc != SQLITE_DONE) {
		errf(err, errlen, "database: %s", sqlite3_errmsg(db->h));
		json_object_put(arr);
		arr = NULL;
	}
	sqlite3_finalize(inst);
	sqlite3_finalize(st);
	return arr;
}

int
db_nonce_record(struct db *db, const char *nonce, long ts, char *err,
    size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	st = prep(db, "INSERT OR IGNORE INTO nonces(nonce, ts) VALUES(?, ?)",
	    err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, nonce, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, ts);
	if (step_done(db, st, err, errlen) != 0)
		return -1;
	rc = sqlite3_changes(db->h) == 1 ? 0 : 1;
	return rc;
}

int
db_nonce_purge(struct db *db, long before, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	st = prep(db, "DELETE FROM nonces WHERE ts < ?", err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, before);
	return step_done(db, st, err, errlen);
}

#define NODE_COLS "id, name, instance, token, addr, hostname, state, master, " \
    "created, updated, last_seen, held"

static int
node_row(sqlite3_stmt *st, struct db_node *n)
{
	memset(n, 0, sizeof(*n));
	n->id = (long)sqlite3_column_int64(st, 0);
	copy_col(st, 1, n->name, sizeof(n->name));
	copy_col(st, 2, n->instance, sizeof(n->instance));
	copy_col(st, 3, n->token, sizeof(n->token));
	copy_col(st, 4, n->addr, sizeof(n->addr));
	copy_col(st, 5, n->hostname, sizeof(n->hostname));
	copy_col(st, 6, n->state, sizeof(n->state));
	n->has_master = master_col(st, 7, n->master) == 0;
	n->created = (long)sqlite3_column_int64(st, 8);
	n->updated = (long)sqlite3_column_int64(st, 9);
	n->last_seen = (long)sqlite3_column_int64(st, 10);
	n->held = sqlite3_column_int(st, 11) != 0;
	return 0;
}

static int
node_by(struct db *db, const char *sql, const char *key, struct db_node *n,
    char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = prep(db, sql, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = node_row(st, n);
	else if (rc == SQLITE_DONE)
		rc = 1;
	else
		rc = errf(err, errlen, "database: %s", sqlite3_errmsg(db->h));
	sqlite3_finalize(st);
	return rc;
}

int
db_node_by_instance(struct db *db, const char *instance, struct db_node *n,
    char *err, size_t errlen)
{
	return node_by(db, "SELECT " NODE_COLS " FROM nodes WHERE instance = ?",
	    instance, n, err, errlen);
}

int
db_node_rename(struct db *db, long id, const char *name, char *err,
    size_t errlen)
{
	sqlite3_stmt *st;

	if (db_begin(db, err, errlen) != 0)
		return -1;
	st = prep(db, "UPDATE nodes SET name = name || '~' || id WHERE name = ? "
	    "AND id != ? AND state IN ('left', 'reaped')", err, errlen);
	if (st == NULL)
		goto fail;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, id);
	if (step_done(db, st, err, errlen) != 0)
		goto fail;
	st = prep(db, "UPDATE nodes SET name = ? WHERE id = ?", err, errlen);
	if (st == NULL)
		goto fail;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, id);
	if (step_done(db, st, err, errlen) != 0 ||
	    db_commit(db, err, errlen) != 0)
		goto fail;
	return 0;
fail:
	db_rollback(db);
	return -1;
}

int
db_node_by_name(struct db *db, const char *name, struct db_node *n, char *err,
    size_t errlen)
{
	return node_by(db, "SELECT " NODE_COLS " FROM nodes WHERE name = ?",
	    name, n, err, errlen);
}

/* A node row was made with a token: one use of it more (in the
 * caller's transaction, with the row). */
static int
token_use(struct db *db, const char *token, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	st = prep(db, "UPDATE tokens SET used = used + 1 WHERE id = ?", err,
	    errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, token, -1, SQLITE_TRANSIENT);
	return step_done(db, st, err, errlen);
}

int
db_node_insert(struct db *db, const char *prefix, struct db_node *n,
    char *err, size_t errlen)
{
	sqlite3_stmt *st;
	char tmp[80];

	/* A placeholder name first: the real one comes from the row id. */
	snprintf(tmp, sizeof(tmp), "\n%s", n->instance);
	st = prep(db, "INSERT INTO nodes(name, instance, token, addr, hostname, "
	    "state, created, updated) VALUES(?, ?, ?, ?, ?, ?, ?, ?)", err,
	    errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, tmp, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, n->instance, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, n->token, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, n->addr, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, n->hostname, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, n->state, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 7, n->created);
	sqlite3_bind_int64(st, 8, n->updated);
	if (step_done(db, st, err, errlen) != 0)
		return -1;
	n->id = (long)sqlite3_last_insert_rowid(db->h);
	if (token_use(db, n->token, err, errlen) != 0)
		return -1;
	snprintf(n->name, sizeof(n->name), "%s%ld", prefix, n->id);
	st = prep(db, "UPDATE nodes SET name = ? WHERE id = ?", err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, n->name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, n->id);
	return step_done(db, st, err, errlen);
}

int
db_node_update(struct db *db, const struct db_node *n, char *err,
    size_t errlen)
{
	sqlite3_stmt *st;
	char mh[65];
	int rc;

	st = prep(db, "UPDATE nodes SET addr = ?, hostname = ?, state = ?, "
	    "master = ?, updated = ?, held = ? WHERE id = ?", err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, n->addr, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, n->hostname, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, n->state, -1, SQLITE_TRANSIENT);
	if (n->has_master) {
		master_hex(n->master, mh);
		sqlite3_bind_text(st, 4, mh, -1, SQLITE_TRANSIENT);
		explicit_bzero(mh, sizeof(mh));
	} else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_int64(st, 5, n->updated);
	sqlite3_bind_int(st, 6, n->held != 0);
	sqlite3_bind_int64(st, 7, n->id);
	rc = step_done(db, st, err, errlen);
	if (rc == 0 && sqlite3_changes(db->h) != 1)
		rc = errf(err, errlen, "database: node %s vanished", n->name);
	return rc;
}

/* a column's text, "" for NULL */
static const char *
col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *v = sqlite3_column_text(st, i);

	return v != NULL ? (const char *)v : "";
}

int
db_nodes_json(struct db *db, struct text *t, char *err, size_t errlen)
{
	static const char *const names[] = { "name", "instance", "addr",
	    "hostname", "state" };
	sqlite3_stmt *st;
	const char *sep = "";
	size_t i;
	int rc;

	st = prep(db, "SELECT name, instance, addr, hostname, state, created, "
	    "updated, last_seen, held FROM nodes ORDER BY id", err, errlen);
	if (st == NULL)
		return -1;
	text_printf(t, "{\"nodes\":[");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && !t->failed) {
		text_printf(t, "%s{", sep);
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			text_printf(t, "%s\"%s\":", i > 0 ? "," : "", names[i]);
			text_json_str(t, col_text(st, (int)i));
		}
		text_printf(t, ",\"created\":%lld,\"updated\":%lld,"
		    "\"last_seen\":%lld,\"held\":%s}",
		    (long long)sqlite3_column_int64(st, 5),
		    (long long)sqlite3_column_int64(st, 6),
		    (long long)sqlite3_column_int64(st, 7),
		    sqlite3_column_int(st, 8) ? "true" : "false");
		sep = ",";
	}
	text_printf(t, "]}");
	if (t->failed)
		errf(err, errlen, "out of memory");
	else if (rc != SQLITE_DONE)
		errf(err, errlen, "database: %s", sqlite3_errmsg(db->h));
	sqlite3_finalize(st);
	if (t->failed || rc != SQLITE_DONE) {
		free(t->s);
		memset(t, 0, sizeof(*t));
		return -1;
	}
	return 0;
}

int
db_node_each(struct db *db, void (*fn)(void *arg, const struct db_node *n),
    void *arg, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	struct db_node n;
	int rc;

	st = prep(db, "SELECT " NODE_COLS " FROM nodes ORDER BY id", err, errlen);
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		node_row(st, &n);
		fn(arg, &n);
		explicit_bzero(&n, sizeof(n));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return errf(err, errlen, "database: %s", sqlite3_errmsg(db->h));
	return 0;
}

int
db_node_seen(struct db *db, const char *name, long now, char *err,
    size_t errlen)
{
	sqlite3_stmt *st;

	st = prep(db, "UPDATE nodes SET last_seen = ? WHERE name = ?", err,
	    errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
	return step_done(db, st, err, errlen);
}

int
db_order_add(struct db *db, const char *node, const char *kind,
    const char *arg, long now, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	st = prep(db, "INSERT INTO orders(node, kind, arg, created) "
	    "VALUES(?, ?, ?, ?)", err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, node, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, arg, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, now);
	return step_done(db, st, err, errlen);
}

int
db_order_take(struct db *db, const char *node, long now, struct db_order *o,
    char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	st = prep(db, "SELECT id, kind, arg FROM orders WHERE node = ? AND "
	    "delivered = 0 ORDER BY id LIMIT 1", err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, node, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		memset(o, 0, sizeof(*o));
		o->id = (long)sqlite3_column_int64(st, 0);
		copy_col(st, 1, o->kind, sizeof(o->kind));
		copy_col(st, 2, o->arg, sizeof(o->arg));
		rc = 0;
	} else if (rc == SQLITE_DONE)
		rc = 1;
	else
		rc = errf(err, errlen, "database: %s", sqlite3_errmsg(db->h));
	sqlite3_finalize(st);
	if (rc != 0)
		return rc;
	st = prep(db, "UPDATE orders SET delivered = ? WHERE id = ?", err,
	    errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, o->id);
	return step_done(db, st, err, errlen);
}

int
db_order_pending(struct db *db, void (*fn)(void *arg, const char *node),
    void *arg, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	st = prep(db, "SELECT DISTINCT node FROM orders WHERE delivered = 0",
	    err, errlen);
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(arg, (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return errf(err, errlen, "database: %s", sqlite3_errmsg(db->h));
	return 0;
}

int
db_node_count(struct db *db, const char *state, long *n, char *err,
    size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	/* "held": admitted, and held until its mounts are verified */
	st = prep(db, strcmp(state, "held") == 0 ? "SELECT count(*) FROM nodes "
	    "WHERE state = 'admitted' AND held = 1" : "SELECT count(*) FROM "
	    "nodes WHERE state = ?", err, errlen);
	if (st == NULL)
		return -1;
	if (strcmp(state, "held") != 0)
		sqlite3_bind_text(st, 1, state, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	*n = rc == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return errf(err, errlen, "database: %s", sqlite3_errmsg(db->h));
	return 0;
}

int
db_order_drop(struct db *db, const char *node, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	st = prep(db, "DELETE FROM orders WHERE node = ? AND delivered = 0", err,
	    errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, node, -1, SQLITE_TRANSIENT);
	return step_done(db, st, err, errlen);
}

int
db_node_stale(struct db *db, const char *state, long before,
    void (*fn)(void *arg, const struct db_node *n), void *arg, char *err,
    size_t errlen)
{
	sqlite3_stmt *st;
	struct db_node n;
	int rc;

	st = prep(db, "SELECT " NODE_COLS " FROM nodes WHERE state = ? "
	    "AND last_seen < ? AND updated < ? ORDER BY id", err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, state, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, before);
	sqlite3_bind_int64(st, 3, before);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		node_row(st, &n);
		fn(arg, &n);
		explicit_bzero(&n, sizeof(n));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return errf(err, errlen, "database: %s", sqlite3_errmsg(db->h));
	return 0;
}

int
db_event_add(struct db *db, double time, const char *node, long job,
    const char *kind, const char *detail, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	st = prep(db, "INSERT INTO events(time, node, job, kind, detail) "
	    "VALUES(?, ?, ?, ?, ?)", err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_double(st, 1, time);
	sqlite3_bind_text(st, 2, node != NULL ? node : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, job);
	sqlite3_bind_text(st, 4, kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, detail != NULL ? detail : "", -1,
	    SQLITE_TRANSIENT);
	return step_done(db, st, err, errlen);
}

static void
event_row(sqlite3_stmt *st, struct db_event *e)
{
	memset(e, 0, sizeof(*e));
	e->id = (long)sqlite3_column_int64(st, 0);
	e->time = sqlite3_column_double(st, 1);
	copy_col(st, 2, e->node, sizeof(e->node));
	e->job = (long)sqlite3_column_int64(st, 3);
	copy_col(st, 4, e->kind, sizeof(e->kind));
	copy_col(st, 5, e->detail, sizeof(e->detail));
}

int
db_event_list(struct db *db, double since, long after, long job,
    int (*fn)(void *arg, const struct db_event *e), void *arg, char *err,
    size_t errlen)
{
	sqlite3_stmt *st;
	struct db_event e;
	int rc;

	st = prep(db, "SELECT id, time, node, job, kind, detail FROM events "
	    "WHERE time >= ? AND id > ? AND (? = 0 OR job = ?) ORDER BY id",
	    err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_double(st, 1, since);
	sqlite3_bind_int64(st, 2, after);
	sqlite3_bind_int64(st, 3, job);
	sqlite3_bind_int64(st, 4, job);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		event_row(st, &e);
		if (fn(arg, &e) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return errf(err, errlen, "database: %s", sqlite3_errmsg(db->h));
	return 0;
}

int
db_event_last(struct db *db, long job, const char *const *kinds,
    struct db_event *e, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	char sql[512];
	size_t len, i;
	int rc;

	len = (size_t)snprintf(sql, sizeof(sql), "SELECT id, time, node, job, "
	    "kind, detail FROM events WHERE job = ? AND kind IN (");
	for (i = 0; kinds[i] != NULL && len + 4 < sizeof(sql); i++)
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, "%s?",
		    i ? ", " : "");
	if (len + 40 >= sizeof(sql))
		return errf(err, errlen, "database: too many kinds");
	snprintf(sql + len, sizeof(sql) - len, ") ORDER BY id DESC LIMIT 1");
	if ((st = prep(db, sql, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, job);
	for (i = 0; kinds[i] != NULL; i++)
		sqlite3_bind_text(st, (int)i + 2, kinds[i], -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		event_row(st, e);
		rc = 0;
	} else if (rc == SQLITE_DONE)
		rc = 1;
	else
		rc = errf(err, errlen, "database: %s", sqlite3_errmsg(db->h));
	sqlite3_finalize(st);
	return rc;
}

int
db_checkpoint_open(struct db *db, long job, long now, char *err,
    size_t errlen)
{
	sqlite3_stmt *st;
	char exact[24], prefix[24];
	int rc;

	/* an order for the job not yet delivered; or delivered, not stale,
	 * and with no outcome for the job since it was made */
	snprintf(exact, sizeof(exact), "%ld", job);
	snprintf(prefix, sizeof(prefix), "%ld *", job);
	st = prep(db, "SELECT count(*) FROM orders o WHERE o.kind = "
	    "'checkpoint' AND (o.arg = ? OR o.arg GLOB ?) AND (o.delivered = 0 "
	    "OR (o.delivered >= ? AND NOT EXISTS (SELECT 1 FROM events e "
	    "WHERE e.job = ? AND e.time >= o.created AND e.kind IN "
	    "('checkpoint', 'checkpoint-failed', 'requeue', 'restore', "
	    "'restore-failed', 'end'))))", err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, exact, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, prefix, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 3, now - DB_CHECKPOINT_STALE);
	sqlite3_bind_int64(st, 4, job);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		errf(err, errlen, "database: %s", sqlite3_errmsg(db->h));
		sqlite3_finalize(st);
		return -1;
	}
	rc = sqlite3_column_int64(st, 0) > 0;
	sqlite3_finalize(st);
	return rc;
}

int
db_release_add(struct db *db, long job, const char *target, double now,
    char *err, size_t errlen)
{
	sqlite3_stmt *st;

	st = prep(db, "INSERT OR REPLACE INTO releases(job, target, created, "
	    "state) VALUES(?, ?, ?, 'wait')", err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, job);
	sqlite3_bind_text(st, 2, target != NULL ? target : "", -1,
	    SQLITE_TRANSIENT);
	sqlite3_bind_double(st, 3, now);
	return step_done(db, st, err, errlen);
}

int
db_release_list(struct db *db, struct db_release **out, size_t *n,
    char *err, size_t errlen)
{
	sqlite3_stmt *st;
	struct db_release *r = NULL;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	st = prep(db, "SELECT job, target, created, state FROM releases "
	    "ORDER BY job", err, errlen);
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (array_grow(&r, &cap, *n, sizeof(*r), 16) != 0) {
			sqlite3_finalize(st);
			free(r);
			return errf(err, errlen, "out of memory");
		}
		memset(&r[*n], 0, sizeof(r[0]));
		r[*n].job = (long)sqlite3_column_int64(st, 0);
		copy_col(st, 1, r[*n].target, sizeof(r[0].target));
		r[*n].created = sqlite3_column_double(st, 2);
		copy_col(st, 3, r[*n].state, sizeof(r[0].state));
		(*n)++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free(r);
		*n = 0;
		return errf(err, errlen, "database: %s", sqlite3_errmsg(db->h));
	}
	*out = r;
	return 0;
}

int
db_release_set(struct db *db, long job, const char *state, char *err,
    size_t errlen)
{
	sqlite3_stmt *st;

	if (state == NULL)
		st = prep(db, "DELETE FROM releases WHERE job = ?", err, errlen);
	else
		st = prep(db, "UPDATE releases SET state = ? WHERE job = ?", err,
		    errlen);
	if (st == NULL)
		return -1;
	if (state == NULL)
		sqlite3_bind_int64(st, 1, job);
	else {
		sqlite3_bind_text(st, 1, state, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, job);
	}
	return step_done(db, st, err, errlen);
}

int
db_event_newest(struct db *db, long *id, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	st = prep(db, "SELECT coalesce(max(id), 0) FROM events", err, errlen);
	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	*id = rc == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return errf(err, errlen, "database: %s", sqlite3_errmsg(db->h));
	return 0;
}

int
db_store_jobs(struct db *db, void (*fn)(void *arg, long job,
    const char *node), void *arg, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	char node[64];
	int rc;

	/* a checkpoint or checkpoint-failed event with no forget after it;
	 * the node of the latest of those */
	st = prep(db, "SELECT job, (SELECT node FROM events e2 WHERE "
	    "e2.job = e.job AND e2.kind IN ('checkpoint', 'checkpoint-failed') "
	    "ORDER BY id DESC LIMIT 1) FROM events e WHERE kind IN "
	    "('checkpoint', 'checkpoint-failed', 'forget') AND job > 0 "
	    "GROUP BY job HAVING max(CASE WHEN kind = 'forget' THEN id ELSE 0 "
	    "END) < max(CASE WHEN kind != 'forget' THEN id ELSE 0 END)", err,
	    errlen);
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(node, sizeof(node), "%s",
		    (const char *)sqlite3_column_text(st, 1) != NULL ?
		    (const char *)sqlite3_column_text(st, 1) : "");
		fn(arg, (long)sqlite3_column_int64(st, 0), node);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return errf(err, errlen, "database: %s", sqlite3_errmsg(db->h));
	return 0;
}

/* ---- elastic: power requests and instances ---- */

int
db_power_add(struct db *db, const char *action, const char *nodes,
    const char *detail, double now, char *err, size_t errlen)
{
	sqlite3_stmt *st;

	st = prep(db, "INSERT INTO power(action, nodes, detail, created) "
	    "VALUES(?, ?, ?, ?)", err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, action, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, nodes, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, detail, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(st, 4, now);
	return step_done(db, st, err, errlen);
}

int
db_power_take(struct db *db, void (*fn)(void *arg, const struct db_power *p),
    void *arg, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	struct db_power p;
	long last = 0;
	int rc;

	if (db_begin(db, err, errlen) != 0)
		return -1;
	st = prep(db, "SELECT id, action, nodes, detail, created FROM power "
	    "WHERE taken = 0 ORDER BY id", err, errlen);
	if (st == NULL)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&p, 0, sizeof(p));
		p.id = (long)sqlite3_column_int64(st, 0);
		copy_col(st, 1, p.action, sizeof(p.action));
		copy_col(st, 2, p.nodes, sizeof(p.nodes));
		copy_col(st, 3, p.detail, sizeof(p.detail));
		p.created = sqlite3_column_double(st, 4);
		fn(arg, &p);
		last = p.id;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		errf(err, errlen, "database: %s", sqlite3_errmsg(db->h));
		goto fail;
	}
	if (last > 0) {
		if ((st = prep(db, "UPDATE power SET taken = 1 WHERE taken = 0 "
		    "AND id <= ?", err, errlen)) == NULL)
			goto fail;
		sqlite3_bind_int64(st, 1, last);
		if (step_done(db, st, err, errlen) != 0)
			goto fail;
		/* a day of history is enough */
		if (exec(db, "DELETE FROM power WHERE taken = 1 AND created < "
		    "CAST(strftime('%s', 'now') AS REAL) - 86400", err, errlen) != 0)
			goto fail;
	}
	return db_commit(db, err, errlen);
fail:
	db_rollback(db);
	return -1;
}

#define INST_COLS "id, node, provider, cloud_id, state, token, instance, " \
    "requested, updated, joined, detail, why"

static void
inst_row(sqlite3_stmt *st, struct db_instance *in)
{
	memset(in, 0, sizeof(*in));
	in->id = (long)sqlite3_column_int64(st, 0);
	copy_col(st, 1, in->node, sizeof(in->node));
	copy_col(st, 2, in->provider, sizeof(in->provider));
	copy_col(st, 3, in->cloud_id, sizeof(in->cloud_id));
	copy_col(st, 4, in->state, sizeof(in->state));
	copy_col(st, 5, in->token, sizeof(in->token));
	copy_col(st, 6, in->instance, sizeof(in->instance));
	in->requested = sqlite3_column_double(st, 7);
	in->updated = sqlite3_column_double(st, 8);
	in->joined = sqlite3_column_double(st, 9);
	copy_col(st, 10, in->detail, sizeof(in->detail));
	copy_col(st, 11, in->why, sizeof(in->why));
}

static int
inst_one(struct db *db, const char *sql, const char *key,
    struct db_instance *in, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	if ((st = prep(db, sql, err, errlen)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		inst_row(st, in);
		rc = 0;
	} else if (rc == SQLITE_DONE)
		rc = 1;
	else
		rc = errf(err, errlen, "database: %s", sqlite3_errmsg(db->h));
	sqlite3_finalize(st);
	return rc;
}

int
db_instance_live(struct db *db, const char *node, struct db_instance *in,
    char *err, size_t errlen)
{
	return inst_one(db, "SELECT " INST_COLS " FROM instances WHERE node = ? "
	    "AND state IN " DB_INSTANCE_LIVE " ORDER BY id DESC LIMIT 1", node,
	    in, err, errlen);
}

int
db_instance_by_token(struct db *db, const char *token,
    struct db_instance *in, char *err, size_t errlen)
{
	return inst_one(db, "SELECT " INST_COLS " FROM instances WHERE token = ? "
	    "ORDER BY id DESC LIMIT 1", token, in, err, errlen);
}

int
db_instance_by_cloud_id(struct db *db, const char *cloud_id,
    struct db_instance *in, char *err, size_t errlen)
{
	return inst_one(db, "SELECT " INST_COLS " FROM instances WHERE "
	    "cloud_id = ? ORDER BY id DESC LIMIT 1", cloud_id, in, err, errlen);
}

int
db_instance_add(struct db *db, struct db_instance *in, char *err,
    size_t errlen)
{
	sqlite3_stmt *st;

	st = prep(db, "INSERT INTO instances(node, provider, cloud_id, state, "
	    "token, instance, requested, updated, joined, detail, why) "
	    "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, in->node, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, in->provider, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, in->cloud_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, in->state, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, in->token, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, in->instance, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(st, 7, in->requested);
	sqlite3_bind_double(st, 8, in->updated);
	sqlite3_bind_double(st, 9, in->joined);
	sqlite3_bind_text(st, 10, in->detail, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 11, in->why, -1, SQLITE_TRANSIENT);
	if (step_done(db, st, err, errlen) != 0)
		return -1;
	in->id = (long)sqlite3_last_insert_rowid(db->h);
	return 0;
}

int
db_instance_update(struct db *db, const struct db_instance *in, char *err,
    size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	st = prep(db, "UPDATE instances SET cloud_id = ?, state = ?, token = ?, "
	    "instance = ?, updated = ?, joined = ?, detail = ?, why = ? "
	    "WHERE id = ?", err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, in->cloud_id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, in->state, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, in->token, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, in->instance, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(st, 5, in->updated);
	sqlite3_bind_double(st, 6, in->joined);
	sqlite3_bind_text(st, 7, in->detail, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 8, in->why, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 9, in->id);
	rc = step_done(db, st, err, errlen);
	if (rc == 0 && sqlite3_changes(db->h) != 1)
		rc = errf(err, errlen, "database: instance %ld vanished", in->id);
	return rc;
}

int
db_instance_each(struct db *db, int live_only,
    void (*fn)(void *arg, const struct db_instance *in), void *arg,
    char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	st = prep(db, live_only ? "SELECT " INST_COLS " FROM instances WHERE "
	    "state IN " DB_INSTANCE_LIVE " ORDER BY id" : "SELECT " INST_COLS
	    " FROM instances ORDER BY id", err, errlen);
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_instance in;

		inst_row(st, &in);
		fn(arg, &in);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return errf(err, errlen, "database: %s", sqlite3_errmsg(db->h));
	return 0;
}

int
db_node_insert_named(struct db *db, struct db_node *n, char *err,
    size_t errlen)
{
	sqlite3_stmt *st;

	/* an earlier row of the name (an instance that left, was reaped or
	 * deleted) keeps its history under NAME~ID */
	st = prep(db, "UPDATE nodes SET name = name || '~' || id WHERE name = ?",
	    err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, n->name, -1, SQLITE_TRANSIENT);
	if (step_done(db, st, err, errlen) != 0)
		return -1;
	st = prep(db, "INSERT INTO nodes(name, instance, token, addr, hostname, "
	    "state, created, updated) VALUES(?, ?, ?, ?, ?, ?, ?, ?)", err,
	    errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, n->name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, n->instance, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, n->token, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, n->addr, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 5, n->hostname, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 6, n->state, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 7, n->created);
	sqlite3_bind_int64(st, 8, n->updated);
	if (step_done(db, st, err, errlen) != 0)
		return -1;
	n->id = (long)sqlite3_last_insert_rowid(db->h);
	return token_use(db, n->token, err, errlen);
}

/* ---- the overlay ---- */

#define OVERLAY_COLS "o.addr, o.node, o.host, o.pubkey, o.state, o.updated, " \
    "COALESCE(n.name, o.host, ''), COALESCE(n.state, '')"
#define OVERLAY_FROM " FROM overlay o LEFT JOIN nodes n ON n.id = o.node "

static void
overlay_row(sqlite3_stmt *st, struct db_overlay *o)
{
	memset(o, 0, sizeof(*o));
	copy_col(st, 0, o->addr, sizeof(o->addr));
	o->node = (long)sqlite3_column_int64(st, 1);
	copy_col(st, 2, o->host, sizeof(o->host));
	copy_col(st, 3, o->pubkey, sizeof(o->pubkey));
	copy_col(st, 4, o->state, sizeof(o->state));
	o->updated = sqlite3_column_double(st, 5);
	copy_col(st, 6, o->name, sizeof(o->name));
	copy_col(st, 7, o->node_state, sizeof(o->node_state));
}

/* One row by a column: 0 found, 1 none, -1 error. */
static int
overlay_by(struct db *db, const char *where, const char *text, long num,
    struct db_overlay *o, char *err, size_t errlen)
{
	char sql[512];
	sqlite3_stmt *st;
	int rc;

	snprintf(sql, sizeof(sql), "SELECT " OVERLAY_COLS OVERLAY_FROM
	    "WHERE %s = ?", where);
	if ((st = prep(db, sql, err, errlen)) == NULL)
		return -1;
	if (text != NULL)
		sqlite3_bind_text(st, 1, text, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_int64(st, 1, num);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		overlay_row(st, o);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return 1;
	return errf(err, errlen, "database: %s", sqlite3_errmsg(db->h));
}

int
db_overlay_by_node(struct db *db, long node, struct db_overlay *o,
    char *err, size_t errlen)
{
	return overlay_by(db, "o.node", NULL, node, o, err, errlen);
}

int
db_overlay_by_key(struct db *db, const char *key, struct db_overlay *o,
    char *err, size_t errlen)
{
	return overlay_by(db, "o.pubkey", key, 0, o, err, errlen);
}

int
db_overlay_by_host(struct db *db, const char *host, struct db_overlay *o,
    char *err, size_t errlen)
{
	return overlay_by(db, "o.host", host, 0, o, err, errlen);
}

int
db_overlay_by_addr(struct db *db, const char *addr, struct db_overlay *o,
    char *err, size_t errlen)
{
	return overlay_by(db, "o.addr", addr, 0, o, err, errlen);
}

int
db_overlay_put(struct db *db, const struct db_overlay *o, char *err,
    size_t errlen)
{
	sqlite3_stmt *st;

	/* an upsert, not INSERT OR REPLACE: a key or owner held by another
	 * row is an error here, never that row deleted */
	st = prep(db, "INSERT INTO overlay(addr, node, host, pubkey, state, "
	    "updated) VALUES(?, ?, ?, ?, ?, ?) ON CONFLICT(addr) DO UPDATE SET "
	    "node = excluded.node, host = excluded.host, pubkey = "
	    "excluded.pubkey, state = excluded.state, updated = "
	    "excluded.updated", err, errlen);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, o->addr, -1, SQLITE_TRANSIENT);
	if (o->node > 0)
		sqlite3_bind_int64(st, 2, o->node);
	else
		sqlite3_bind_null(st, 2);
	if (o->host[0] != '\0')
		sqlite3_bind_text(st, 3, o->host, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 3);
	if (o->pubkey[0] != '\0')
		sqlite3_bind_text(st, 4, o->pubkey, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_text(st, 5, o->state, -1, SQLITE_TRANSIENT);
	sqlite3_bind_double(st, 6, o->updated);
	return step_done(db, st, err, errlen);
}

int
db_overlay_delete(struct db *db, const char *addr, char *err, size_t errlen)
{
	sqlite3_stmt *st = prep(db, "DELETE FROM overlay WHERE addr = ?", err,
	    errlen);

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, addr, -1, SQLITE_TRANSIENT);
	return step_done(db, st, err, errlen);
}

int
db_overlay_each(struct db *db, void (*fn)(void *arg,
    const struct db_overlay *o), void *arg, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	st = prep(db, "SELECT " OVERLAY_COLS OVERLAY_FROM "ORDER BY o.updated",
	    err, errlen);
	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct db_overlay o;

		overlay_row(st, &o);
		fn(arg, &o);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return errf(err, errlen, "database: %s", sqlite3_errmsg(db->h));
	return 0;
}
