/*
 * buffer_format.c: a fast path for evbuffer_add_printf.
 *
 * Most formats handed to evbuffer_add_printf are protocol text with a few
 * plain conversions ("Content-Length: %zu\r\n", "%s %d %s\r\n").  glibc's
 * vsnprintf spends close to a thousand instructions on such a line, most
 * of it in its stream machinery.  This formatter handles literal text and
 * the conversions %s %c %d %i %u %x %X %% with the length modifiers l, ll
 * and z, without flags, width or precision; it writes straight into the
 * buffer's free space.  Anything else (or output that does not fit, or a
 * NULL string) makes it give up, and the caller uses vsnprintf: the
 * output is byte for byte what printf would have produced either way.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "evbuffer-internal.h"

enum { LEN_INT, LEN_LONG, LEN_LLONG, LEN_SIZE };

/* Write the digits of v backwards, ending at end; return where they
 * start.  One function per base, so that the division is by a constant
 * (a multiplication) rather than a hardware divide. */
static char *
digits10(char *end, unsigned long long v)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return end;
}

static char *
digits16(char *end, unsigned long long v, int upper)
{
	const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";

	do {
		*--end = set[v & 15];
		v >>= 4;
	} while (v);
	return end;
}

static unsigned long long
arg_unsigned(va_list *ap, int len)
{
	switch (len) {
	case LEN_LONG: return va_arg(*ap, unsigned long);
	case LEN_LLONG: return va_arg(*ap, unsigned long long);
	case LEN_SIZE: return va_arg(*ap, size_t);
	default: return va_arg(*ap, unsigned int);
	}
}

static long long
arg_signed(va_list *ap, int len)
{
	switch (len) {
	case LEN_LONG: return va_arg(*ap, long);
	case LEN_LLONG: return va_arg(*ap, long long);
	case LEN_SIZE: return va_arg(*ap, ssize_t);
	default: return va_arg(*ap, int);
	}
}

/* Copies n bytes to *o if they fit before end. */
static int
put(char **o, char *end, const char *src, size_t n)
{
	if (n > (size_t)(end - *o))
		return -1;
	memcpy(*o, src, n);
	*o += n;
	return 0;
}

int
evbuffer__fast_format(char *dst, size_t cap, const char *fmt, va_list ap)
{
	char *o = dst, *end = dst + cap;
	char tmp[24];
	va_list aq;
	int rv = -1;

	va_copy(aq, ap);
	for (;;) {
		const char *pct = strchr(fmt, '%');
		size_t lit = pct ? (size_t)(pct - fmt) : strlen(fmt);
		if (put(&o, end, fmt, lit) < 0)
			goto out;
		if (!pct)
			break;
		fmt = pct + 1;
		int len = LEN_INT;
		if (*fmt == 'l') {
			len = fmt[1] == 'l' ? LEN_LLONG : LEN_LONG;
			fmt += len == LEN_LLONG ? 2 : 1;
		} else if (*fmt == 'z') {
			len = LEN_SIZE;
			fmt++;
		}
		char conv = *fmt++, *d, c;
		switch (conv) {
		case 's': {
			const char *s = va_arg(aq, const char *);
			if (len != LEN_INT || !s || put(&o, end, s, strlen(s)) < 0)
				goto out;
			break;
		}
		case 'c':
			c = (char)va_arg(aq, int);
			if (len != LEN_INT || put(&o, end, &c, 1) < 0)
				goto out;
			break;
		case '%':
			if (len != LEN_INT || put(&o, end, "%", 1) < 0)
				goto out;
			break;
		case 'd':
		case 'i': {
			long long v = arg_signed(&aq, len);
			unsigned long long mag = v < 0 ? 0ULL - (unsigned long long)v
			                               : (unsigned long long)v;
			d = digits10(tmp + sizeof(tmp), mag);
			if (v < 0)
				*--d = '-';
			if (put(&o, end, d, (size_t)(tmp + sizeof(tmp) - d)) < 0)
				goto out;
			break;
		}
		case 'u':
		case 'x':
		case 'X':
			if (conv == 'u')
				d = digits10(tmp + sizeof(tmp), arg_unsigned(&aq, len));
			else
				d = digits16(tmp + sizeof(tmp), arg_unsigned(&aq, len), conv == 'X');
			if (put(&o, end, d, (size_t)(tmp + sizeof(tmp) - d)) < 0)
				goto out;
			break;
		default: /* flags, width, precision, other conversions */
			goto out;
		}
	}
	if ((size_t)(o - dst) <= (size_t)INT32_MAX)
		rv = (int)(o - dst);
out:
	va_end(aq);
	return rv;
}
