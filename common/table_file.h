/*
 * table_file.h - the table tier in a directory (file://DIR); the layout
 * is described in table_file.c.
 */
#ifndef DMD_TABLE_FILE_H
#define DMD_TABLE_FILE_H

#include <stddef.h>

#include "table.h"
#include "url.h"

/* Open the table in the directory of u (file:///PATH, or file://REL for
 * a path relative to the working directory).  Nothing is created until
 * the first put.  Returns NULL with a message in err for a bad URL. */
struct dmd_table *dmd_table_file_open(const struct dmd_url *u, char *err,
    size_t errlen);

#endif
