/* commands.h - the `vrt` sub-commands. Each takes argv starting at the command name. */
#ifndef VRT_CLI_COMMANDS_H
#define VRT_CLI_COMMANDS_H

#include <stdio.h>

#include "cli_util.h"

int cmd_probe(cli_ctx *ctx, int argc, char **argv);
void cmd_probe_help(FILE *f);
int cmd_capture(cli_ctx *ctx, int argc, char **argv);
void cmd_capture_help(FILE *f);
int cmd_infer(cli_ctx *ctx, int argc, char **argv);
void cmd_infer_help(FILE *f);
int cmd_inspect(cli_ctx *ctx, int argc, char **argv);
void cmd_inspect_help(FILE *f);
int cmd_run(cli_ctx *ctx, int argc, char **argv);
void cmd_run_help(FILE *f);
int cmd_bench(cli_ctx *ctx, int argc, char **argv);
void cmd_bench_help(FILE *f);
int cmd_quantize(cli_ctx *ctx, int argc, char **argv);
void cmd_quantize_help(FILE *f);

/* Printed by `vrt capture --help` and `vrt help sources`. */
void cli_sources_help(FILE *f);
void cli_outputs_help(FILE *f);

#endif
