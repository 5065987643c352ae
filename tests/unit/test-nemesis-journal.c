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
 * The journal as `netsplit heal` reads it: a healed fault is skipped, an
 * applied one is pending (here on a node nobody listens on, so it is
 * counted as failed, not healed), a torn last line is ignored.
 */
TEST_T(journal_pending_faults_are_found, 20)
{
	char dir[512], path[600], cfg_text[512];
	struct fault *a = sample_fault("aaaa0000-0");
	struct fault *b = sample_fault("bbbb0000-1");
	struct nemesis_heal_stats st;
	struct sb err = SB_INIT, log = SB_INIT;
	struct config c;
	int fd;

	snprintf(dir, sizeof(dir), "%s/store/t/run1", test_tmpdir());
	snprintf(path, sizeof(path), "mkdir -p '%s'", dir);
	CHECK_EQ_INT(system(path), 0);
	snprintf(path, sizeof(path), "%s/nemesis.journal", dir);
	CHECK_EQ_INT(nemesis__journal_append(path, "apply", a, &err), 0);
	CHECK_EQ_INT(nemesis__journal_append(path, "apply", b, &err), 0);
	CHECK_EQ_INT(nemesis__journal_append(path, "applied", a, &err), 0);
	CHECK_EQ_INT(nemesis__journal_append(path, "healed", a, &err), 0);
	fd = open(path, O_WRONLY | O_APPEND);
	CHECK(fd >= 0);
	CHECK_EQ_INT(write(fd, "{\"event\":\"hea", 13), 13);
	close(fd);

	snprintf(cfg_text, sizeof(cfg_text),
		 "{\"nodes\":[{\"name\":\"n1\",\"host\":\"127.0.0.1\","
		 "\"port\":1}],\"ssh\":{\"connect_timeout_ms\":1000},"
		 "\"store_dir\":\"%s/store\"}", test_tmpdir());
	config_init(&c);
	CHECK_EQ_INT(config_load_str(&c, "t.json", cfg_text, &err), 0);
	CHECK(nemesis_heal_store(&c, c.store_dir, NULL, 0, &st, &log, &err) != 0);
	CHECK_EQ_INT(st.journals, 1);
	CHECK_EQ_INT(st.faults, 1);
	CHECK_EQ_INT(st.healed, 0);
	CHECK_EQ_INT(st.failed, 1);
	config_release(&c);
	fault_free(a);
	fault_free(b);
	sb_release(&err);
	sb_release(&log);
}

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
 * Only the last line may be cut short: a bad line with lines after it
 * is an error naming file:line (what was readable is still healed: here
 * nothing is left in force), not a line silently skipped.
 */
TEST(heal_refuses_a_bad_journal_line_before_the_last)
{
	struct fault *a = sample_fault("aaaa0000-0");
	struct nemesis_heal_stats st;
	struct sb err = SB_INIT, log = SB_INIT;
	struct config c;
	char path[600], where[700];

	heal_store_init(&c, path, sizeof(path));
	CHECK_EQ_INT(nemesis__journal_append(path, "apply", a, &err), 0);
	append_text(path, "garbage, not an event\n");
	CHECK_EQ_INT(nemesis__journal_append(path, "healed", a, &err), 0);
	CHECK_EQ_INT(nemesis_heal_store(&c, c.store_dir, NULL, 0, &st, &log,
					&err), -NS_EREAD);
	snprintf(where, sizeof(where), "%s:2: not a journal event", path);
	CHECK_CONTAINS(err.buf, where);
	CHECK_EQ_INT(st.bad_lines, 1);
	CHECK_EQ_INT(st.faults, 0);
	config_release(&c);
	fault_free(a);
	sb_release(&err);
	sb_release(&log);
}

/* A torn last line (a crash while it was written) is only a warning. */
TEST(heal_skips_a_torn_last_line_with_a_warning)
{
	struct fault *a = sample_fault("aaaa0000-0");
	struct nemesis_heal_stats st;
	struct sb err = SB_INIT, log = SB_INIT;
	struct config c;
	char path[600], where[700];

	heal_store_init(&c, path, sizeof(path));
	CHECK_EQ_INT(nemesis__journal_append(path, "apply", a, &err), 0);
	CHECK_EQ_INT(nemesis__journal_append(path, "healed", a, &err), 0);
	append_text(path, "{\"event\":\"hea");
	CHECK_EQ_INT(nemesis_heal_store(&c, c.store_dir, NULL, 0, &st, &log,
					&err), 0);
	CHECK_EQ_INT(err.len, 0);
	snprintf(where, sizeof(where), "warning: %s:3: last line cut short",
		 path);
	CHECK_CONTAINS(log.buf, where);
	CHECK_EQ_INT(st.journals, 1);
	CHECK_EQ_INT(st.faults, 0);
	config_release(&c);
	fault_free(a);
	sb_release(&err);
	sb_release(&log);
}

/*
 * A run whose set holds the flock on its journal (as nemesis_set_new()
 * does until nemesis_set_free()) is live: heal leaves its fault in force
 * to it and names the run directory; NEMESIS_HEAL_FORCE heals it
 * anyway (here: tries to, and cannot reach n1).
 */
TEST_T(heal_leaves_a_live_run_alone, 20)
{
	struct fault *a = sample_fault("aaaa0000-0");
	struct nemesis_heal_stats st;
	struct sb err = SB_INIT, log = SB_INIT;
	struct config c;
	char path[600], dir[600];
	int fd;

	heal_store_init(&c, path, sizeof(path));
	CHECK_EQ_INT(nemesis__journal_append(path, "apply", a, &err), 0);
	fd = open(path, O_WRONLY | O_APPEND);
	CHECK(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0);
	CHECK_EQ_INT(nemesis_heal_store(&c, c.store_dir, NULL, 0, &st, &log,
					&err), 0);
	CHECK_EQ_INT(st.faults, 0);
	CHECK_EQ_INT(st.live, 1);
	snprintf(dir, sizeof(dir), "%s/store/t/run1: the run is live",
		 test_tmpdir());
	CHECK_CONTAINS(log.buf, dir);
	CHECK_CONTAINS(log.buf, "--force");
	sb_reset(&log);
	CHECK(nemesis_heal_store(&c, c.store_dir, NULL, NEMESIS_HEAL_FORCE,
				 &st, &log, &err) != 0);
	CHECK_EQ_INT(st.faults, 1);
	CHECK_EQ_INT(st.failed, 1);
	CHECK_CONTAINS(log.buf, "healed anyway (--force)");
	close(fd);
	config_release(&c);
	fault_free(a);
	sb_release(&err);
	sb_release(&log);
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
