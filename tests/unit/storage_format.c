/* storage_format.c: unit tests of the on-disk structures (footer, dynamic
 * header, locators, checksum, geometry) and of the text helpers (UTF-16,
 * locator paths). */
#include "tests/unit/storage_util.h"
#include "storage/vhd_format.h"
#include "storage/vhd_text.h"

static void sample_footer(struct vhd_footer *f)
{
	memset(f, 0, sizeof(*f));
	memcpy(f->cookie, "conectix", 8);
	f->features = 2;
	f->version = 0x10000;
	f->data_offset = 512;
	f->timestamp = 12345;
	memcpy(f->creator_app, "win ", 4);
	f->current_size = f->original_size = 64 << 20;
	vhd_geometry(f->current_size, &f->cylinders, &f->heads, &f->spt);
	f->disk_type = VHD_TYPE_DYNAMIC;
	for (int i = 0; i < 16; i++)
		f->uid[i] = (uint8_t)(i * 7);
}

static void test_checksum_known(void **s)
{
	uint8_t b[8] = { 1, 2, 0xAA, 0xAA, 0xAA, 0xAA, 3, 4 };

	(void)s;
	/* bytes 2..5 are the checksum field and do not count */
	assert_int_equal(vhd_checksum(b, 8, 2), ~(uint32_t)10);
}

static void test_footer_roundtrip(void **s)
{
	struct vhd_footer f, g;
	uint8_t raw[512];
	struct tenv *t = tenv_new();
	struct vhd_rep r;

	(void)s;
	sample_footer(&f);
	vhd_footer_encode(&f, raw);
	assert_memory_equal(raw, "conectix", 8);
	assert_int_equal(be64(raw + 48), 64 << 20);
	assert_int_equal(be32(raw + 60), VHD_TYPE_DYNAMIC);
	vhd_footer_decode(raw, &g);
	assert_int_equal(g.checksum, f.checksum);
	assert_int_equal(g.checksum, vhd_checksum(raw, 512, 64));
	assert_memory_equal(g.uid, f.uid, 16);
	vhd_rep_init(&r, &t->env, "x");
	assert_int_equal(vhd_footer_check(&r, "footer", raw, &g), 0);
	assert_int_equal(t->errors + t->warnings, 0);
	tenv_free(t);
}

static void test_footer_problems(void **s)
{
	struct vhd_footer f, g;
	uint8_t raw[512];
	struct tenv *t = tenv_new();
	struct vhd_rep r;

	(void)s;
	sample_footer(&f);
	vhd_footer_encode(&f, raw);
	raw[100] = 1;                       /* checksum breaks, reserved too */
	vhd_footer_decode(raw, &g);
	vhd_rep_init(&r, &t->env, "x");
	assert_int_equal(vhd_footer_check(&r, "footer", raw, &g), 1);
	assert_int_equal(t->warnings, 1);   /* reserved bytes not zero */

	tenv_clear(t);
	f.current_size = 1000;              /* not a multiple of 512 */
	f.disk_type = 7;
	vhd_footer_encode(&f, raw);
	vhd_footer_decode(raw, &g);
	vhd_rep_init(&r, &t->env, "x");
	assert_int_equal(vhd_footer_check(&r, "footer", raw, &g), 2);

	tenv_clear(t);
	memcpy(raw, "notavhd!", 8);
	vhd_footer_decode(raw, &g);
	vhd_rep_init(&r, &t->env, "x");
	assert_int_equal(vhd_footer_check(&r, "footer", raw, &g), 1);
	assert_string_equal(t->last_field, "footer.cookie");
	tenv_free(t);
}

static void sample_header(struct vhd_header *h)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->cookie, "cxsparse", 8);
	h->data_offset = VHD_NO_OFFSET;
	h->table_offset = 1536;
	h->version = 0x10000;
	h->block_size = 2 << 20;
	h->max_entries = 32;
}

static void test_header_roundtrip_and_checks(void **s)
{
	struct vhd_footer f;
	struct vhd_header h, g;
	uint8_t raw[1024];
	struct tenv *t = tenv_new();
	struct vhd_rep r;

	(void)s;
	sample_footer(&f);
	f.disk_type = VHD_TYPE_DIFF;
	sample_header(&h);
	h.parent_name[0] = 'a';
	h.loc[0].code = VHD_PLAT_W2RU;
	h.loc[0].space = 512;
	h.loc[0].length = 12;
	h.loc[0].offset = 2048;
	vhd_header_encode(&h, raw);
	assert_int_equal(be16(raw + 64), 'a');       /* UTF-16BE name */
	assert_int_equal(be32(raw + 576), VHD_PLAT_W2RU);
	vhd_header_decode(raw, &g);
	assert_int_equal(g.block_size, 2 << 20);
	assert_int_equal(g.loc[0].offset, 2048);
	vhd_rep_init(&r, &t->env, "x");
	assert_int_equal(vhd_header_check(&r, raw, &g, &f, 1 << 20), 0);
	assert_int_equal(t->warnings, 0);

	/* block size not a power of two */
	h.block_size = 3 << 20;
	vhd_header_encode(&h, raw);
	vhd_header_decode(raw, &g);
	assert_int_equal(vhd_header_check(&r, raw, &g, &f, 1 << 20), 1);
	assert_string_equal(t->last_field, "header.block_size");

	/* BAT too small for the disk; locator outside the file */
	tenv_clear(t);
	h.block_size = 2 << 20;
	h.max_entries = 31;
	h.loc[0].offset = 4 << 20;
	vhd_header_encode(&h, raw);
	vhd_header_decode(raw, &g);
	assert_int_equal(vhd_header_check(&r, raw, &g, &f, 1 << 20), 2);

	/* locator length absurd */
	tenv_clear(t);
	h.max_entries = 32;
	h.loc[0].offset = 2048;
	h.loc[0].length = 0x7fffffff;
	vhd_header_encode(&h, raw);
	vhd_header_decode(raw, &g);
	assert_int_equal(vhd_header_check(&r, raw, &g, &f, 1 << 20), 2);

	/* a flipped byte: checksum */
	tenv_clear(t);
	h.loc[0].length = 12;
	vhd_header_encode(&h, raw);
	raw[200] ^= 1;
	vhd_header_decode(raw, &g);
	assert_int_equal(vhd_header_check(&r, raw, &g, &f, 1 << 20), 1);
	assert_string_equal(t->last_field, "header.checksum");
	tenv_free(t);
}

static void test_sizes(void **s)
{
	struct vhd_locator l = { 0, 1, 0, 0, 0 };

	(void)s;
	assert_int_equal(vhd_bitmap_bytes(2 << 20), 512);
	assert_int_equal(vhd_bitmap_bytes(512), 512);
	assert_int_equal(vhd_bitmap_bytes(16 << 20), 4096);
	assert_int_equal(vhd_blocks_needed((64 << 20) + 512, 2 << 20), 33);
	assert_int_equal(vhd_locator_space(&l), 512);   /* sectors */
	l.space = 1024;
	assert_int_equal(vhd_locator_space(&l), 1024);  /* bytes */
}

static void test_geometry(void **s)
{
	uint16_t c;
	uint8_t h, spt;

	(void)s;
	vhd_geometry(64 << 20, &c, &h, &spt);   /* spec algorithm values */
	assert_int_equal(spt, 17);
	assert_int_equal(h, 8);
	assert_int_equal(c, 963);
	vhd_geometry(4ull << 40, &c, &h, &spt); /* capped at the maximum */
	assert_int_equal(c, 65535);
	assert_int_equal(h, 16);
	assert_int_equal(spt, 255);
}

static void test_utf16(void **s)
{
	uint16_t u[8];
	char *o;

	(void)s;
	/* "a", U+00E9, U+20AC, U+1F600 (a surrogate pair) */
	assert_int_equal(utf8_to_utf16("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
				       u, 8), 5);
	assert_int_equal(u[1], 0xE9);
	assert_int_equal(u[2], 0x20AC);
	assert_int_equal(u[3], 0xD83D);
	assert_int_equal(u[4], 0xDE00);
	assert_int_equal(utf16_to_utf8(u, 5, &o), ST_OK);
	assert_string_equal(o, "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	free(o);
	assert_int_equal(utf8_to_utf16("abc", u, 2), -1);   /* too long */
	assert_int_equal(utf8_to_utf16("\xff", u, 8), -1);  /* invalid */
	u[0] = 0xDC00;                                      /* lone half */
	assert_int_equal(utf16_to_utf8(u, 1, &o), ST_ECORRUPT);
}

static void test_paths(void **s)
{
	char *p;

	(void)s;
	p = vp_dirname("/a/b/c.vhd");
	assert_string_equal(p, "/a/b");
	free(p);
	p = vp_dirname("c.vhd");
	assert_string_equal(p, "");
	free(p);
	assert_string_equal(vp_basename("x\\y\\z.vhd"), "z.vhd");
	p = vp_join("/a/b", ".\\p.vhd");
	assert_string_equal(p, "/a/b/p.vhd");
	free(p);
	p = vp_join("/a/b", "..\\d\\p.vhd");
	assert_string_equal(p, "/a/d/p.vhd");   /* "b/.." collapsed */
	free(p);
	p = vp_join("/a/b", "C:\\vms\\p.vhd");
	assert_string_equal(p, "/vms/p.vhd");
	free(p);
	p = vp_join("", "p.vhd");
	assert_string_equal(p, "p.vhd");
	free(p);
	p = vp_relative("/a/b", "/a/b/p.vhd");
	assert_string_equal(p, ".\\p.vhd");
	free(p);
	p = vp_relative("/a/b/c", "/a/d/p.vhd");
	assert_string_equal(p, "..\\..\\d\\p.vhd");
	free(p);
	p = vp_relative("", "p.vhd");
	assert_string_equal(p, ".\\p.vhd");
	free(p);
	p = vp_windows("/a/b");
	assert_string_equal(p, "\\a\\b");
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checksum_known),
		cmocka_unit_test(test_footer_roundtrip),
		cmocka_unit_test(test_footer_problems),
		cmocka_unit_test(test_header_roundtrip_and_checks),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_geometry),
		cmocka_unit_test(test_utf16),
		cmocka_unit_test(test_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
