/*
 * fuzz-board.c - libFuzzer target for common/board.c.
 *
 * The input is a board file.  Parsing must not crash or leak, whatever
 * the bytes; a board that parses must have a panel, every panel a query,
 * a range that does not run backwards and a positive step, and a board
 * that does not must say why, naming the file.  Built and run by
 * t/fuzz/run.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "board.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dmd_board b;
	size_t i;

	dmd_board_init(&b, "fuzz", 1800000000);
	if (dmd_board_parse(&b, (const char *)data, size) == 0) {
		if (b.npanels == 0 || b.title == NULL)
			abort();
		for (i = 0; i < b.npanels; i++) {
			const struct dmd_panel *p = &b.panels[i];

			if (p->nqueries == 0 || p->from > p->until ||
			    p->step <= 0 || p->title == NULL)
				abort();
		}
	} else if (strncmp(b.errstr, "fuzz", 4) != 0)
		abort();
	dmd_board_release(&b);
	return 0;
}
