/* Unit tests for the parts of core/ssh.c that need no node: results. */
#include "test.h"

#include "transport.h"

TEST(transport_result_ok_and_error_texts)
{
	struct transport_result r;
	struct sb err = SB_INIT;
	const char *argv[] = { "systemctl", "start", "etcd", NULL };

	transport_result_init(&r);
	CHECK_EQ_INT(r.out.max, TRANSPORT_DEFAULT_CAP);
	CHECK(!transport_result_ok(&r));	/* nothing ran yet */
	r.exit_status = 0;
	CHECK(transport_result_ok(&r));
	r.exit_status = 1;
	sb_adds(&r.err, "Failed to start etcd.service\n\n");
	CHECK(!transport_result_ok(&r));
	transport_result_error(&r, "n3", argv, &err);
	CHECK_EQ_STR(err.buf, "n3: 'systemctl start etcd' exited 1: "
		     "Failed to start etcd.service");
	sb_reset(&err);
	strcpy(r.signal, "KILL");
	CHECK(!transport_result_ok(&r));
	transport_result_error(&r, "n1", argv, &err);
	CHECK_CONTAINS(err.buf, "n1: 'systemctl start etcd' killed by signal "
		       "KILL");
	sb_reset(&err);
	r.signal[0] = '\0';
	r.exit_status = 0;
	r.timed_out = 1;
	CHECK(!transport_result_ok(&r));
	transport_result_error(&r, "n2", argv, &err);
	CHECK_CONTAINS(err.buf, "n2: 'systemctl start etcd' timed out");
	transport_result_release(&r);
	sb_release(&err);
}

TEST(transport_result_error_quotes_and_cuts)
{
	struct transport_result r;
	struct sb err = SB_INIT;
	const char *argv[] = { "sh", "-c", "echo 'a b'; exit 2", NULL };
	char big[2000];

	transport_result_init(&r);
	r.exit_status = 2;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	sb_adds(&r.err, big);
	sb_adds(&r.err, "THE END\n");
	transport_result_error(&r, "n1", argv, &err);
	/* The argument with spaces is shown quoted, the stderr tail kept;
	   the command holds quotes of its own, so no second pair nests
	   them ('sh -c 'echo ...'') */
	CHECK_CONTAINS(err.buf, "n1: sh -c 'echo '\\''a b'\\''; exit 2' "
		       "exited 2: ...");
	CHECK(!strstr(err.buf, "'sh"));
	CHECK_CONTAINS(err.buf, "xxxTHE END");
	CHECK(err.len < 600);
	/* Appends a line to what err holds. */
	transport_result_error(&r, "n2", argv, &err);
	CHECK_CONTAINS(err.buf, "THE END\nn2: ");
	transport_result_release(&r);
	sb_release(&err);
}

TEST(transport_result_error_one_label_quoted_once)
{
	struct transport_result r;
	struct sb err = SB_INIT;
	const char *label[] = { "pg_ctl start", NULL };
	const char *word[] = { "true", NULL };

	transport_result_init(&r);
	r.exit_status = 1;
	transport_result_error(&r, "n1", label, &err);
	CHECK_EQ_STR(err.buf, "n1: 'pg_ctl start' exited 1");
	sb_reset(&err);
	transport_result_error(&r, "n2", word, &err);
	CHECK_EQ_STR(err.buf, "n2: 'true' exited 1");
	transport_result_release(&r);
	sb_release(&err);
}
