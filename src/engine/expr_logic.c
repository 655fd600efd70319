/*-------------------------------------------------------------------------
 *
 * expr_logic.c
 *	  Placeholder table; being written.
 *
 *-------------------------------------------------------------------------
 */
#include "expr.h"

const asp_op_def asp_ops_logic[] = {
	{NULL, NULL, 0, 0, NULL, false}
};
