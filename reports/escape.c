/*
 * escape.c - escaping for every place a report puts a value: HTML text and
 * attributes, JSON inside <script>, XML (junit), Markdown table cells, and
 * base64 for data: URIs.
 *
 * Every value that came from the database, the history or the config goes
 * through one of these before it lands in a report; there is no "trusted"
 * path.  Invalid UTF-8 is passed through as bytes (browsers show U+FFFD),
 * except in XML, where bytes that XML 1.0 forbids are replaced by '?'.
 */
#include "report.h"

#include <string.h>

/*
 * Append s[0..n) to out with every byte that rep() maps replaced by its
 * text (rep returns NULL for a byte that stays).  Inlined with each
 * format's map, so the call through rep costs nothing.
 */
static inline void escape_with(struct sb *out, const char *s, size_t n,
			       const char *(*rep)(unsigned char c))
{
	size_t i, start = 0;

	for (i = 0; i < n; i++) {
		const char *r = rep((unsigned char)s[i]);

		if (!r)
			continue;
		sb_add(out, s + start, i - start);
		sb_adds(out, r);
		start = i + 1;
	}
	sb_add(out, s + start, n - start);
}

static const char *html_rep(unsigned char c)
{
	switch (c) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\'': return "&#39;";
	case '\0': return "&#xFFFD;";
	default: return NULL;
	}
}

static const char *xml_rep(unsigned char c)
{
	switch (c) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\'': return "&apos;";
	case '\t': return "&#9;";
	case '\n': return "&#10;";
	case '\r': return "&#13;";
	default: return c >= 0x20 ? NULL : "?";	/* not allowed in XML 1.0 */
	}
}

static const char *md_rep(unsigned char c)
{
	switch (c) {
	case '|': return "\\|";
	case '\\': return "\\\\";
	case '`': return "\\`";
	case '*': return "\\*";
	case '_': return "\\_";
	case '[': return "\\[";
	case ']': return "\\]";
	case '\n': return " ";
	case '\r': return " ";
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	default: return NULL;
	}
}

void report_html_escapen(struct sb *out, const char *s, size_t n)
{
	escape_with(out, s, n, html_rep);
}

void report_html_escape(struct sb *out, const char *s)
{
	report_html_escapen(out, s, strlen(s));
}

void report_json_script_escape(struct sb *out, const char *json)
{
	const unsigned char *p = (const unsigned char *)json;
	size_t start = 0, i;

	for (i = 0; p[i]; i++) {
		const char *rep = NULL;
		size_t skip = 1;

		if (p[i] == '<')
			rep = "\\u003c";
		else if (p[i] == '>')
			rep = "\\u003e";
		else if (p[i] == '&')
			rep = "\\u0026";
		else if (p[i] == 0xe2 && p[i + 1] == 0x80 &&
			 (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
			rep = p[i + 2] == 0xa8 ? "\\u2028" : "\\u2029";
			skip = 3;
		}
		if (!rep)
			continue;
		sb_add(out, json + start, i - start);
		sb_adds(out, rep);
		i += skip - 1;
		start = i + 1;
	}
	sb_add(out, json + start, i - start);
}

void report_xml_escape(struct sb *out, const char *s)
{
	escape_with(out, s, strlen(s), xml_rep);
}

void report_md_escape(struct sb *out, const char *s)
{
	escape_with(out, s, strlen(s), md_rep);
}

void report_base64(struct sb *out, const void *data, size_t n)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = data;
	size_t i;
	char q[4];

	sb_grow(out, (n + 2) / 3 * 4);
	for (i = 0; i + 2 < n; i += 3) {
		q[0] = tab[p[i] >> 2];
		q[1] = tab[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		q[2] = tab[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		q[3] = tab[p[i + 2] & 63];
		sb_add(out, q, 4);
	}
	if (i < n) {
		q[0] = tab[p[i] >> 2];
		if (i + 1 < n) {
			q[1] = tab[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
			q[2] = tab[(p[i + 1] & 15) << 2];
		} else {
			q[1] = tab[(p[i] & 3) << 4];
			q[2] = '=';
		}
		q[3] = '=';
		sb_add(out, q, 4);
	}
}
