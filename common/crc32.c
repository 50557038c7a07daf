/*
 * crc32.c - CRC-32, bytewise with a table built on first use.
 */
#include <pthread.h>

#include "crc32.h"

static uint32_t table[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void
make_table(void)
{
	uint32_t c;
	int i, k;

	for (i = 0; i < 256; i++) {
		c = (uint32_t)i;
		for (k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		table[i] = c;
	}
}

uint32_t
dmd_crc32(uint32_t crc, const void *p, size_t len)
{
	const unsigned char *b = p;

	pthread_once(&once, make_table);
	crc = ~crc;
	while (len-- > 0)
		crc = table[(crc ^ *b++) & 0xff] ^ (crc >> 8);
	return ~crc;
}
