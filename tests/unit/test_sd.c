/* SPDX-License-Identifier: MIT */
/*
 * test_sd.c - SIDs, the SDDL subset and the access check behind
 * ALE_USER_ID-style conditions (spec §5.8, docs/internals/sd.md).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <stdio.h>
#include <cmocka.h>

#include <wfp/wfp.h>

#include "cond.h"

void wfp_fault_inject(unsigned long n); /* alloc.c */

static struct wfp_sd *parse(const char *s)
{
	struct wfp_sd *sd = NULL;
	int ret = wfp_sd_parse((const uint8_t *)s, strlen(s), &sd);

	if (ret)
		print_error("parse(\"%s\") = %d\n", s, ret);
	assert_int_equal(ret, 0);
	assert_non_null(sd);
	return sd;
}

/* access check of a uid with some gids against sddl for mask */
static bool check(const char *sddl, uint32_t uid, const uint32_t *gids,
		  uint32_t ngids, uint32_t mask)
{
	struct wfp_token t = { .uid = uid, .ngids = ngids, .gids = gids };
	struct wfp_sd *sd = parse(sddl);
	bool r = wfp_sd_access_check(sd, &t, mask);

	wfp_sd_free(sd);
	return r;
}

static bool check_uid(const char *sddl, uint32_t uid)
{
	return check(sddl, uid, NULL, 0, 1);
}

static void sid_text(const struct wfp_sid *sid, const char *want)
{
	char buf[WFP_SID_TEXT_MAX];

	assert_true(wfp_sid_format(sid, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, want);
}

/* The SD Windows prints for its AppContainer rules (spec §5.8). */
static void test_windows_example(void **state)
{
	const char *s = "O:LSD:(A;;CC;;;S-1-15-3-1)(A;;CC;;;WD)(A;;CC;;;AN)";
	struct wfp_sd *sd = parse(s);
	struct wfp_sid sid;
	uint32_t mask;
	bool deny;

	sid_text(wfp_sd_owner(sd), "S-1-5-19");
	assert_null(wfp_sd_group(sd));
	assert_true(wfp_sd_has_dacl(sd));
	assert_int_equal(wfp_sd_ace_count(sd), 3);
	assert_int_equal(wfp_sd_ace(sd, 0, &deny, &mask, &sid), 0);
	assert_false(deny);
	assert_int_equal(mask, 1);
	sid_text(&sid, "S-1-15-3-1");
	assert_int_equal(wfp_sd_ace(sd, 1, &deny, &mask, &sid), 0);
	sid_text(&sid, "S-1-1-0");
	assert_int_equal(wfp_sd_ace(sd, 2, &deny, &mask, &sid), 0);
	sid_text(&sid, "S-1-5-7");
	assert_int_equal(wfp_sd_ace(sd, 3, &deny, &mask, &sid), -WFP_E_OUT_OF_BOUNDS);
	wfp_sd_free(sd);
	/* Everyone is in it: any uid passes */
	assert_true(check_uid(s, 1000));
	assert_true(check_uid(s, 0));
}

static void test_aliases(void **state)
{
	static const struct {
		const char *alias, *sid;
	} t[] = {
		{ "WD", "S-1-1-0" }, { "AN", "S-1-5-7" }, { "AU", "S-1-5-11" },
		{ "SY", "S-1-5-18" }, { "LS", "S-1-5-19" }, { "NS", "S-1-5-20" },
		{ "BA", "S-1-5-32-544" }, { "BU", "S-1-5-32-545" },
		{ "CO", "S-1-3-0" }, { "AC", "S-1-15-2-1" },
	};
	char buf[64];

	for (size_t k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
		struct wfp_sd *sd;
		struct wfp_sid sid;
		uint32_t mask;
		bool deny;

		snprintf(buf, sizeof(buf), "O:%sG:%sD:(D;;0x7;;;%s)", t[k].alias,
			 t[k].alias, t[k].alias);
		sd = parse(buf);
		sid_text(wfp_sd_owner(sd), t[k].sid);
		sid_text(wfp_sd_group(sd), t[k].sid);
		assert_int_equal(wfp_sd_ace(sd, 0, &deny, &mask, &sid), 0);
		assert_true(deny);
		assert_int_equal(mask, 7);
		sid_text(&sid, t[k].sid);
		wfp_sd_free(sd);
	}
}

/* Linux tokens: uid N = S-1-22-1-N, gid N = S-1-22-2-N. */
static void test_uid_gid_mapping(void **state)
{
	const uint32_t g100[] = { 5, 100 }, g5[] = { 5 }, g0[] = { 0 };

	assert_true(check_uid("D:(A;;CC;;;S-1-22-1-1000)", 1000));
	assert_false(check_uid("D:(A;;CC;;;S-1-22-1-1000)", 1001));
	/* a uid SID never matches a gid of the same number */
	assert_false(check("D:(A;;CC;;;S-1-22-1-100)", 7, g100, 2, 1));
	assert_true(check("D:(A;;CC;;;S-1-22-2-100)", 7, g100, 2, 1));
	assert_false(check("D:(A;;CC;;;S-1-22-2-100)", 100, g5, 1, 1));
	/* SY = uid 0; BA = members of gid 0 */
	assert_true(check_uid("D:(A;;CC;;;SY)", 0));
	assert_false(check_uid("D:(A;;CC;;;SY)", 1));
	assert_true(check("D:(A;;CC;;;BA)", 1000, g0, 1, 1));
	assert_false(check("D:(A;;CC;;;BA)", 0, g5, 1, 1));
	/* AU/BU: everybody but nobody (65534); AN: only nobody */
	assert_true(check_uid("D:(A;;CC;;;AU)", 1000));
	assert_false(check_uid("D:(A;;CC;;;AU)", 65534));
	assert_true(check_uid("D:(A;;CC;;;BU)", 0));
	assert_false(check_uid("D:(A;;CC;;;BU)", 65534));
	assert_true(check_uid("D:(A;;CC;;;AN)", 65534));
	assert_false(check_uid("D:(A;;CC;;;AN)", 1000));
	assert_true(check_uid("D:(A;;CC;;;WD)", 65534));
	/* capability, service and domain SIDs belong to no Linux token */
	assert_false(check_uid("D:(A;;CC;;;S-1-15-3-1)", 0));
	assert_false(check_uid("D:(A;;CC;;;LS)", 0));
	assert_false(check_uid("D:(A;;CC;;;NS)", 0));
	assert_false(check_uid("D:(A;;CC;;;S-1-5-21-1-2-3-1000)", 1000));
}

static void test_deny_and_order(void **state)
{
	/* deny before allow: denied for 1000, others pass */
	const char *d = "D:(D;;CC;;;S-1-22-1-1000)(A;;CC;;;WD)";
	/* allow before deny: the bit is granted before the deny is seen */
	const char *a = "D:(A;;CC;;;WD)(D;;CC;;;S-1-22-1-1000)";

	assert_false(check_uid(d, 1000));
	assert_true(check_uid(d, 1001));
	assert_true(check_uid(a, 1000));
	/* a deny ACE for other bits does not deny MATCH_FILTER */
	assert_true(check_uid("D:(D;;0x2;;;WD)(A;;CC;;;WD)", 1));
	/* a deny for a bit not yet granted, after a partial grant */
	assert_false(check("D:(A;;0x1;;;WD)(D;;0x2;;;WD)(A;;0x2;;;WD)", 1, NULL, 0, 3));
	/* allow ACEs accumulate */
	assert_true(check("D:(A;;0x1;;;WD)(A;;0x2;;;AU)", 1, NULL, 0, 3));
	assert_false(check("D:(A;;0x1;;;WD)(A;;0x2;;;AU)", 65534, NULL, 0, 3));
	/* an inherit-only ACE does not apply to the object itself */
	assert_false(check_uid("D:(A;IO;CC;;;WD)", 1));
	assert_true(check_uid("D:(A;OICI;CC;;;WD)", 1));
}

static void test_dacl_forms(void **state)
{
	/* no D: part: no DACL, everything granted */
	assert_true(check_uid("O:SY", 1000));
	assert_true(check_uid("O:SYG:BA", 1000));
	assert_true(check_uid("D:NO_ACCESS_CONTROL", 1000));
	/* empty DACL: nothing granted */
	assert_false(check_uid("D:", 0));
	assert_false(check_uid("O:SYD:", 0));
	assert_false(check_uid("D:P", 0));
	/* DACL flags are accepted and do not change the check */
	assert_true(check_uid("D:PAIAR(A;;CC;;;WD)", 0));
	/* any order of parts; G: after D: */
	assert_true(check_uid("D:(A;;CC;;;WD)O:SYG:SY", 0));
}

static void test_rights(void **state)
{
	assert_true(check_uid("D:(A;;0x1;;;WD)", 1));
	assert_true(check_uid("D:(A;;0X1;;;WD)", 1));
	assert_true(check_uid("D:(A;;1;;;WD)", 1));
	assert_true(check_uid("D:(A;;0xffffffff;;;WD)", 1));
	assert_false(check_uid("D:(A;;0x2;;;WD)", 1));
	assert_false(check_uid("D:(A;;;;;WD)", 1));
	assert_true(check_uid("D:(A;;GA;;;WD)", 1));
	assert_true(check("D:(A;;GA;;;WD)", 1, NULL, 0, 0x80000001u));
	/* GR/GW/GX stay unmapped generic bits */
	assert_false(check_uid("D:(A;;GRGWGX;;;WD)", 1));
	assert_true(check_uid("D:(A;;RPWPCC;;;WD)", 1));
	assert_true(check_uid("D:(A;;FA;;;WD)", 1));
	assert_false(check_uid("D:(A;;DCLC;;;WD)", 1));
	/* nothing requested: granted */
	assert_true(check("D:", 1, NULL, 0, 0));
}

static void test_trailing_nul_and_case(void **state)
{
	static const char s[] = "D:(A;;CC;;;s-1-22-1-5)";
	struct wfp_token t = { .uid = 5 };
	struct wfp_sd *sd = NULL;

	/* sizeof includes the NUL, as a Windows SD blob would */
	assert_int_equal(wfp_sd_parse((const uint8_t *)s, sizeof(s), &sd), 0);
	assert_true(wfp_sd_access_check(sd, &t, 1));
	assert_false(wfp_sd_access_check(sd, NULL, 1));
	assert_false(wfp_sd_access_check(NULL, &t, 1));
	wfp_sd_free(sd);
	wfp_sd_free(NULL);
}

static void test_limits(void **state)
{
	char buf[64 * 12 + 16];
	size_t n;

	n = (size_t)snprintf(buf, sizeof(buf), "D:");
	for (int k = 0; k < 64; k++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "(A;;CC;;;BU)");
	assert_true(n < sizeof(buf));
	assert_false(check_uid(buf, 65534));
	/* 65 ACEs */
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "(A;;CC;;;WD)");
	assert_true(n < sizeof(buf));
	assert_int_equal(wfp_sd_parse((const uint8_t *)buf, n, NULL),
			 -WFP_E_INVALID_PARAMETER);
	/* 15 sub-authorities, and 16 */
	assert_true(check_uid("D:(A;;CC;;;S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15)"
			      "(A;;CC;;;WD)", 1));
	snprintf(buf, sizeof(buf), "%s",
		 "D:(A;;CC;;;S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16)");
	assert_int_equal(wfp_sd_parse((const uint8_t *)buf, strlen(buf), NULL),
			 -WFP_E_INVALID_PARAMETER);
}

/* Each string must be rejected with INVALID_PARAMETER and a reason. */
static void test_malformed(void **state)
{
	static const char *bad[] = {
		"", "X:", "D", "D:(", "D:(A;;CC;;;WD", "D:(X;;CC;;;WD)",
		"D:(OA;;CC;;;WD)", "D:(A;;ZZ;;;WD)", "D:(A;;CC;;;ZZ)",
		"D:(A;;CC;;;S-1-)", "D:(A;;CC;;;S-2-1)", "D:(A;;CC;;;S-1-5-4294967296)",
		"D:(A;;0x100000000;;;WD)", "D:(A;;0x;;;WD)", "O:SYO:SY", "D:D:",
		"S:(AU;SA;CC;;;WD)", "D:(A;;CC;1234;;WD)", "D:(A;;CC;;5678;WD)",
		"D:(A;;CC;;;WD;x)", "D:(A;;CC;;;WD)junk", "O:", "O:S-1-",
		"D:NO_ACCESS_CONTROL(A;;CC;;;WD)", "D:(A;XX;CC;;;WD)",
		"d:(A;;CC;;;WD)", "o:SY", "O:SY ", " O:SY", "D: (A;;CC;;;WD)",
		"O:S-1-0x1000000000000", "O:S-1-18446744073709551616",
		"D:(A;;CC;;;W)", "D:(A;;C;;;WD)", "D:(A;;CC;;)", "D:(A;CC;;;WD)",
		"D:((A;;CC;;;WD)", "D:(A;;CC;;;WD))", "D:()", "O:wd",
		"D:(A;;CC;;;S-1-5-18-)", "D:(A;;CC;;;S-1--5)", "G:", "O:SYX",
	};
	size_t pos;
	const char *why;

	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		struct wfp_sd *sd = (struct wfp_sd *)&pos; /* must be reset */
		int ret = wfp_sd_parse_ex((const uint8_t *)bad[k], strlen(bad[k]),
					  &sd, &pos, &why);

		if (ret != -WFP_E_INVALID_PARAMETER)
			print_error("accepted \"%s\" (%d)\n", bad[k], ret);
		assert_int_equal(ret, -WFP_E_INVALID_PARAMETER);
		assert_null(sd);
		assert_non_null(why);
		assert_true(pos <= strlen(bad[k]));
	}
	/* embedded NUL, NULL pointer with a length */
	assert_int_equal(wfp_sd_parse((const uint8_t *)"D:\0(A;;CC;;;WD)", 15, NULL),
			 -WFP_E_INVALID_PARAMETER);
	assert_int_equal(wfp_sd_parse(NULL, 5, NULL), -WFP_E_INVALID_PARAMETER);
	assert_int_equal(wfp_sd_parse(NULL, 0, NULL), -WFP_E_INVALID_PARAMETER);
	/* the reason and position point at the fault */
	assert_int_equal(wfp_sd_parse_ex((const uint8_t *)"O:SYD:(A;;QQ;;;WD)", 18,
					 NULL, &pos, &why), -WFP_E_INVALID_PARAMETER);
	assert_string_equal(why, "unknown access right");
	assert_int_equal(pos, 10);
}

/* Every truncation and every one-byte corruption of a valid SD either
 * parses or is rejected cleanly (ASan/valgrind watch the reads). */
static void test_mutations(void **state)
{
	static const char good[] =
		"O:S-1-5-21-1-2-3-500G:BAD:PAI(A;OICI;0x1F;;;S-1-22-1-1000)"
		"(D;;CC;;;AN)(A;;GA;;;SY)";
	static const char subst[] = "(;):-0xSDAW19\0";
	uint8_t copy[sizeof(good)];
	size_t len = sizeof(good) - 1;
	struct wfp_sd *sd;
	int ret;

	for (size_t n = 0; n <= len; n++) {
		ret = wfp_sd_parse((const uint8_t *)good, n, &sd);
		assert_true(ret == 0 || ret == -WFP_E_INVALID_PARAMETER);
		if (!ret)
			wfp_sd_free(sd);
	}
	for (size_t i = 0; i < len; i++) {
		for (size_t j = 0; j < sizeof(subst); j++) {
			memcpy(copy, good, sizeof(good));
			copy[i] = (uint8_t)subst[j];
			ret = wfp_sd_parse(copy, len, &sd);
			assert_true(ret == 0 || ret == -WFP_E_INVALID_PARAMETER);
			if (!ret)
				wfp_sd_free(sd);
		}
	}
	/* and the original is fine */
	sd = parse(good);
	assert_int_equal(wfp_sd_ace_count(sd), 3);
	wfp_sd_free(sd);
}

static void test_sid_text(void **state)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		{ "S-1-5-18", "S-1-5-18" },
		{ "s-1-5-018", "S-1-5-18" },
		{ "S-1-0-0", "S-1-0-0" },
		{ "S-1-5", "S-1-5" },
		{ "S-1-4294967295-4294967295", "S-1-4294967295-4294967295" },
		{ "S-1-0x100000000-1", "S-1-0x000100000000-1" },
		{ "S-1-0x10-1", "S-1-16-1" },
		{ "S-1-281474976710655", "S-1-0xFFFFFFFFFFFF" },
	};
	static const char *bad[] = {
		"", "S", "S-1", "S-1-", "S-2-5", "S-1-x", "S-1-5-", "S-1-5--1",
		"S-1-5-18 ", "S-1-5-4294967296", "S-1-281474976710656", "SID",
		"S-1-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16-17", "WD",
	};
	struct wfp_sid a, b;
	char small[6];

	for (size_t k = 0; k < sizeof(t) / sizeof(t[0]); k++) {
		assert_int_equal(wfp_sid_parse((const uint8_t *)t[k].in,
					       strlen(t[k].in), &a), 0);
		sid_text(&a, t[k].out);
	}
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
		assert_int_equal(wfp_sid_parse((const uint8_t *)bad[k],
					       strlen(bad[k]), &a),
				 -WFP_E_INVALID_PARAMETER);
	assert_int_equal(wfp_sid_parse((const uint8_t *)"S-1-5-18", 8, &a), 0);
	assert_int_equal(wfp_sid_parse((const uint8_t *)"s-1-5-18", 8, &b), 0);
	assert_true(wfp_sid_equal(&a, &b));
	assert_int_equal(wfp_sid_parse((const uint8_t *)"S-1-5-18-0", 10, &b), 0);
	assert_false(wfp_sid_equal(&a, &b));
	assert_int_equal(wfp_sid_format(&a, small, sizeof(small)), -WFP_E_LIMIT);
	assert_int_equal(strlen(small), sizeof(small) - 1);
}

static void test_nomem(void **state)
{
	const char *s = "D:(A;;CC;;;WD)";
	struct wfp_sd *sd = (struct wfp_sd *)&sd;

	wfp_fault_inject(1);
	assert_int_equal(wfp_sd_parse((const uint8_t *)s, strlen(s), &sd), -WFP_E_NOMEM);
	assert_null(sd);
	wfp_fault_inject(0);
	sd = parse(s);
	wfp_sd_free(sd);
	/* validating only never allocates */
	wfp_fault_inject(1);
	assert_int_equal(wfp_sd_parse((const uint8_t *)s, strlen(s), NULL), 0);
	wfp_fault_inject(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_windows_example),
		cmocka_unit_test(test_aliases),
		cmocka_unit_test(test_uid_gid_mapping),
		cmocka_unit_test(test_deny_and_order),
		cmocka_unit_test(test_dacl_forms),
		cmocka_unit_test(test_rights),
		cmocka_unit_test(test_trailing_nul_and_case),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_mutations),
		cmocka_unit_test(test_sid_text),
		cmocka_unit_test(test_nomem),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
