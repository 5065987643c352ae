/*
 * Unit tests for the nemesis journal: what `netsplit heal`
 * (nemesis/heal.c) reads from a store (pending faults, bad and torn
 * lines, a live run left alone, an empty store), and nemesis_start_next()
 * around a stand-in fault kind whose "applied" line is lost (disk full).
 */
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "config.h"
#include "err.h"
#include "nemesis/nemesis-internal.h"
#include "nemesis-fixtures.h"
#include "nemesis-stand-in.h"

/*
 * A store with one journal, DIR/store/t/run1/nemesis.journal (path), and
 * a config whose only node n1 nobody listens on: a heal that tries to
 * reach it fails.
 */
static void heal_store_init(struct config *c, char *path, size_t size)
{
	char cmd[700], cfg_text[512];
	struct sb err = SB_INIT;

	snprintf(path, size, "%s/store/t/run1/nemesis.journal",
		 test_tmpdir());
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/store/t/run1'",
		 test_tmpdir());
	CHECK_EQ_INT(system(cmd), 0);
	snprintf(cfg_text, sizeof(cfg_text),
		 "{\"nodes\":[{\"name\":\"n1\",\"host\":\"127.0.0.1\","
		 "\"port\":1}],\"ssh\":{\"connect_timeout_ms\":1000},"
		 "\"store_dir\":\"%s/store\"}", test_tmpdir());
	config_init(c);
	CHECK_EQ_INT(config_load_str(c, "t.json", cfg_text, &err), 0);
	sb_release(&err);
}

static void append_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);

	CHECK(fd >= 0);
	CHECK_EQ_INT(write(fd, text, strlen(text)), (long long)strlen(text));
	close(fd);
}

/*
 * The usual heal fixture: the store of heal_store_init() (path: its
 * journal, c: its config), fault a ("aaaa0000-0", sample_fault())
 * journaled "apply" there, and the stats, log and err heal fills in.
 */
struct heal_fixture {
	struct config c;
	char path[600];
	struct fault *a;
	struct nemesis_heal_stats st;
	struct sb err, log;
};

static void heal_fixture_init(struct heal_fixture *x)
{
	heal_store_init(&x->c, x->path, sizeof(x->path));
	x->a = sample_fault("aaaa0000-0");
	x->err = (struct sb)SB_INIT;
	x->log = (struct sb)SB_INIT;
	CHECK_EQ_INT(nemesis__journal_append(x->path, "apply", x->a,
					     &x->err), 0);
}

/* nemesis_heal_store() over the fixture's store with flags. */
static int heal_fixture_heal(struct heal_fixture *x, unsigned flags)
{
	return nemesis_heal_store(&x->c, x->c.store_dir, NULL, flags, &x->st,
				  &x->log, &x->err);
}

static void heal_fixture_release(struct heal_fixture *x)
{
	config_release(&x->c);
	fault_free(x->a);
	sb_release(&x->err);
	sb_release(&x->log);
}

/*
 * The journal as `netsplit heal` reads it: a healed fault is skipped, an
 * applied one is pending (here on a node nobody listens on, so it is
 * counted as failed, not healed), a torn last line is ignored.
 */
TEST_T(journal_pending_faults_are_found, 20)
{
	struct heal_fixture x;
	struct fault *b = sample_fault("bbbb0000-1");
	int fd;

	heal_fixture_init(&x);
	CHECK_EQ_INT(nemesis__journal_append(x.path, "apply", b, &x.err), 0);
	CHECK_EQ_INT(nemesis__journal_append(x.path, "applied", x.a, &x.err),
		     0);
	CHECK_EQ_INT(nemesis__journal_append(x.path, "healed", x.a, &x.err),
		     0);
	fd = open(x.path, O_WRONLY | O_APPEND);
	CHECK(fd >= 0);
	CHECK_EQ_INT(write(fd, "{\"event\":\"hea", 13), 13);
	close(fd);

	CHECK(heal_fixture_heal(&x, 0) != 0);
	CHECK_EQ_INT(x.st.journals, 1);
	CHECK_EQ_INT(x.st.faults, 1);
	CHECK_EQ_INT(x.st.healed, 0);
	CHECK_EQ_INT(x.st.failed, 1);
	fault_free(b);
	heal_fixture_release(&x);
}

/*
 * Only the last line may be cut short: a bad line with lines after it
 * is an error naming file:line (what was readable is still healed: here
 * nothing is left in force), not a line silently skipped.
 */
TEST(heal_refuses_a_bad_journal_line_before_the_last)
{
	struct heal_fixture x;
	char where[700];

	heal_fixture_init(&x);
	append_text(x.path, "garbage, not an event\n");
	CHECK_EQ_INT(nemesis__journal_append(x.path, "healed", x.a, &x.err),
		     0);
	CHECK_EQ_INT(heal_fixture_heal(&x, 0), -NS_EREAD);
	snprintf(where, sizeof(where), "%s:2: not a journal event", x.path);
	CHECK_CONTAINS(x.err.buf, where);
	CHECK_EQ_INT(x.st.bad_lines, 1);
	CHECK_EQ_INT(x.st.faults, 0);
	heal_fixture_release(&x);
}

/* A torn last line (a crash while it was written) is only a warning. */
TEST(heal_skips_a_torn_last_line_with_a_warning)
{
	struct heal_fixture x;
	char where[700];

	heal_fixture_init(&x);
	CHECK_EQ_INT(nemesis__journal_append(x.path, "healed", x.a, &x.err),
		     0);
	append_text(x.path, "{\"event\":\"hea");
	CHECK_EQ_INT(heal_fixture_heal(&x, 0), 0);
	CHECK_EQ_INT(x.err.len, 0);
	snprintf(where, sizeof(where), "warning: %s:3: last line cut short",
		 x.path);
	CHECK_CONTAINS(x.log.buf, where);
	CHECK_EQ_INT(x.st.journals, 1);
	CHECK_EQ_INT(x.st.faults, 0);
	heal_fixture_release(&x);
}

/*
 * A run whose set holds the flock on its journal (as nemesis_set_new()
 * does until nemesis_set_free()) is live: heal leaves its fault in force
 * to it and names the run directory; NEMESIS_HEAL_FORCE heals it
 * anyway (here: tries to, and cannot reach n1).
 */
TEST_T(heal_leaves_a_live_run_alone, 20)
{
	struct heal_fixture x;
	char dir[600];
	int fd;

	heal_fixture_init(&x);
	fd = open(x.path, O_WRONLY | O_APPEND);
	CHECK(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0);
	CHECK_EQ_INT(heal_fixture_heal(&x, 0), 0);
	CHECK_EQ_INT(x.st.faults, 0);
	CHECK_EQ_INT(x.st.live, 1);
	snprintf(dir, sizeof(dir), "%s/store/t/run1: the run is live",
		 test_tmpdir());
	CHECK_CONTAINS(x.log.buf, dir);
	CHECK_CONTAINS(x.log.buf, "--force");
	sb_reset(&x.log);
	CHECK(heal_fixture_heal(&x, NEMESIS_HEAL_FORCE) != 0);
	CHECK_EQ_INT(x.st.faults, 1);
	CHECK_EQ_INT(x.st.failed, 1);
	CHECK_CONTAINS(x.log.buf, "healed anyway (--force)");
	close(fd);
	heal_fixture_release(&x);
}

TEST(heal_of_an_empty_store_is_a_no_op)
{
	struct nemesis_heal_stats st;
	struct sb err = SB_INIT, log = SB_INIT;
	struct config c;

	config_init(&c);
	CHECK_EQ_INT(config_load_str(&c, "t.json",
		"{\"nodes\":[{\"name\":\"n1\",\"host\":\"127.0.0.1\"}]}",
		&err), 0);
	CHECK_EQ_INT(nemesis_heal_store(&c, "/nonexistent/netsplit-store", NULL,
					0, &st, &log, &err), 0);
	CHECK_EQ_INT(st.faults, 0);
	CHECK_CONTAINS(log.buf, "nothing to heal");
	config_release(&c);
	sb_release(&err);
	sb_release(&log);
}

/* ===== nemesis_start_next() around a stand-in fault kind ===== */

/*
 * The fault is journaled ("apply", fsync'd) and in force when its
 * "applied" line cannot be written (disk full): the start succeeds, the
 * fault is in force and owned by the set, the lost line is a warning in
 * the notes naming the fault and the journal, and err stays empty (the
 * caller prints err only on failure).  The stop then heals it.
 */
TEST(start_survives_a_lost_applied_line_with_a_warning)
{
	char journal[600], kept[700], line[8192];
	struct nemesis_set *s = stand_in_set(&stand_in_full_disk,
					     test_tmpdir());
	struct sb note = SB_INIT, err = SB_INIT;
	struct fault *f = NULL;
	FILE *fp;
	int napply = 0, napplied = 0;

	snprintf(journal, sizeof(journal), "%s", s->journal);
	snprintf(kept, sizeof(kept), "%s.kept", journal);
	CHECK_EQ_INT(nemesis_start_next(s, &f, &note, &err), 0);
	CHECK(f != NULL);
	CHECK_EQ_STR(fault_id(f), "0123abcd-0");
	CHECK_EQ_INT(nemesis_active(s), 1);
	CHECK_CONTAINS(note.buf, "warning: fault '0123abcd-0'");
	CHECK_CONTAINS(note.buf, journal);
	CHECK_CONTAINS(note.buf, strerror(ENOSPC));
	CHECK_EQ_INT(err.len, 0);
	/* what `netsplit heal` reads: the "apply" line, no "applied" */
	fp = fopen(kept, "r");
	CHECK(fp != NULL);
	while (fgets(line, sizeof(line), fp)) {
		napply += !!strstr(line, "{\"event\":\"apply\"");
		napplied += !!strstr(line, "{\"event\":\"applied\"");
	}
	fclose(fp);
	CHECK_EQ_INT(napply, 1);
	CHECK_EQ_INT(napplied, 0);

	/* room again: the stop heals it and journals "healed" */
	CHECK_EQ_INT(stand_in_restore(s), 0);
	CHECK_EQ_INT(nemesis_stop(s, f, &err), 0);
	CHECK_EQ_INT(stand_in_stops, 1);
	CHECK_EQ_INT(nemesis_active(s), 0);
	nemesis_set_free(s);
	sb_release(&note);
	sb_release(&err);
}
