#!/usr/bin/env bun
// The `argus` command: one entry point for the server and the command-line tools.
import { runCli } from "./cli/index.ts";

process.exitCode = await runCli(process.argv.slice(2));
