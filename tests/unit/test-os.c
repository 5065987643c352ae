/* Unit tests for core/os.c: mkdir -p and the monotonic clock. */
#include "test.h"

#include <sys/stat.h>

#include "err.h"
#include "os.h"

TEST(os_mkdir_p_makes_parents_and_accepts_existing)
{
	struct sb path = SB_INIT, err = SB_INIT;
	struct stat st;

	sb_addf(&path, "%s/a/b//c/", test_tmpdir());
	CHECK_EQ_INT(ns_mkdir_p(path.buf, 0755, &err), 0);
	CHECK(!stat(path.buf, &st) && S_ISDIR(st.st_mode));
	CHECK_EQ_INT(ns_mkdir_p(path.buf, 0755, &err), 0);
	CHECK_EQ_STR(err.buf, "");
	sb_release(&path);
	sb_release(&err);
}

TEST(os_mkdir_p_names_the_component_in_the_way)
{
	struct sb file = SB_INIT, path = SB_INIT, err = SB_INIT;
	struct sb want = SB_INIT;
	FILE *f;

	sb_addf(&file, "%s/plain", test_tmpdir());
	f = fopen(file.buf, "w");
	CHECK(f != NULL);
	fclose(f);
	sb_addf(&path, "%s/x/y", file.buf);
	CHECK_EQ_INT(ns_mkdir_p(path.buf, 0755, &err), -NS_EWRITE);
	sb_addf(&want, "cannot create directory '%s': ", file.buf);
	CHECK_CONTAINS(err.buf, want.buf);
	sb_reset(&err);
	CHECK_EQ_INT(ns_mkdir_p(file.buf, 0755, &err), -NS_EWRITE);
	CHECK_CONTAINS(err.buf, "Not a directory");
	sb_release(&file);
	sb_release(&path);
	sb_release(&err);
	sb_release(&want);
}

TEST(os_mono_s_does_not_go_back)
{
	double a = ns_mono_s(), b = ns_mono_s();

	CHECK(a > 0);
	CHECK(b >= a);
}
