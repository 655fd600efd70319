/*-------------------------------------------------------------------------
 *
 * expr_string.c
 *	  Placeholder table; being written.
 *
 *-------------------------------------------------------------------------
 */
#include "expr.h"

const asp_op_def asp_ops_string[] = {
	{NULL, NULL, 0, 0, NULL, false}
};
